//! `cadre-health seed`: the same deterministic data on both databases, `--scale N` seeds N
//! cadres, a seeded database is refused unless `--reset`, which starts again from empty.

use cadre_health::db::{self, entities};
use sea_orm::{EntityTrait, QueryOrder};
use sha2::{Digest, Sha256};

use crate::helpers::TestApp;

/// Every seeded table's rows, by ID, as the entities read them back: one digest.
async fn digest(app: &TestApp) -> String {
    let tx = db::begin_system(&app.db).await.expect("begin");
    let mut hash = Sha256::new();
    macro_rules! table {
        ($($entity:ident),+) => {$(
            let rows = entities::$entity::Entity::find()
                .order_by_asc(entities::$entity::Column::Id)
                .all(&tx)
                .await
                .expect(stringify!($entity));
            hash.update(format!("{} {}\n", stringify!($entity), rows.len()));
            for row in rows {
                hash.update(format!("{row:?}\n"));
            }
        )+};
    }
    table!(
        exam_campaign,
        cadre,
        chronic_condition,
        health_exam,
        campaign_enrolment,
        clinic_visit,
        prescription,
        referral,
        consultation,
        vaccination
    );
    tx.rollback().await.ok();
    hex::encode(hash.finalize())
}

/// The demo data every test and every first run starts from: the same rows, byte for byte, on
/// SQLite and PostgreSQL, whatever the loader does. (Pinned before the loader was rewritten.)
#[tokio::test]
async fn the_demo_seed_is_the_same_rows_on_every_database() {
    let app = TestApp::seeded().await;
    assert_eq!(
        digest(&app).await,
        "aff1f232e2fbb3183dd3d2921d029c2eebcf0dbfdebf821cc3b0918932ee7539"
    );
}

/// `cadre-health seed ARGS...` on the test's database, as an operator runs it: the exit
/// status and what it printed on stderr.
fn seed_command(app: &TestApp, args: &[&str]) -> (bool, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cadre-health"))
        .arg("seed")
        .args(args)
        .env(
            "DATABASE_URL",
            app.database_url().expect("the test's database"),
        )
        .env_remove("CADRE_HEALTH_JWT_SECRET")
        .output()
        .expect("run cadre-health seed");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn cadres_seen_centrally(app: &TestApp) -> i64 {
    let data = app
        .as_board("TW", "analyst")
        .data("{ cadres { totalCount } }")
        .await;
    data["cadres"]["totalCount"].as_i64().expect("a count")
}

async fn count(app: &TestApp, table: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let tx = db::begin_system(&app.db).await.expect("begin");
    let row = tx
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT count(*) FROM {table}"),
        ))
        .await
        .expect("count")
        .expect("a row");
    tx.rollback().await.ok();
    row.try_get_by_index(0).expect("an integer")
}

/// `--scale N` seeds exactly N cadres; a second seed is refused in one line and writes
/// nothing; `--reset` empties the data (audit trail included, board tree kept) and seeds anew.
#[tokio::test]
async fn seed_takes_a_number_of_cadres_refuses_a_seeded_database_and_resets_on_request() {
    let app = TestApp::spawn().await;
    let boards = count(&app, "boards").await;

    let (ok, stderr) = seed_command(&app, &["--scale", "7"]);
    assert!(ok, "{stderr}");
    assert_eq!(cadres_seen_centrally(&app).await, 7);
    let exams = count(&app, "health_exams").await;
    assert!(exams > 7, "each cadre has a record: {exams} exams");

    // A clinician's read leaves audit events behind.
    let data = app
        .as_board("TW", "clinician")
        .data("{ cadres(first: 3) { edges { node { exams(first: 1) { totalCount } } } } }")
        .await;
    assert_eq!(data["cadres"]["edges"].as_array().map(Vec::len), Some(3));
    assert!(count(&app, "audit_events").await > 0);

    let (ok, stderr) = seed_command(&app, &["--scale", "5"]);
    assert!(!ok, "a seeded database is refused");
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("already holds data") && lines[0].contains("--reset"),
        "{stderr}"
    );
    assert_eq!(cadres_seen_centrally(&app).await, 7, "nothing was written");
    assert_eq!(count(&app, "health_exams").await, exams);

    let (ok, stderr) = seed_command(&app, &["--scale", "5", "--reset"]);
    assert!(ok, "{stderr}");
    assert_eq!(cadres_seen_centrally(&app).await, 5);
    assert_eq!(
        count(&app, "audit_events").await,
        0,
        "the audit trail is emptied"
    );
    assert_eq!(count(&app, "boards").await, boards, "the board tree stays");

    let (ok, stderr) = seed_command(&app, &["--scale", "none"]);
    assert!(!ok);
    assert!(stderr.contains("a number of cadres"), "{stderr}");
}
