//! `cadre-health backup --to FILE`: a consistent copy of the embedded SQLite database taken
//! while the server writes, and the refusals (an existing file, PostgreSQL, no database).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use cadre_health::db;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use serde_json::json;
use tokio::time::Instant;

use super::process::run;
use crate::helpers::{TEST_SECRET, TestApp, test_config};
use crate::writes::cadre_input;

async fn strings(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    db.query_all_raw(Statement::from_string(DbBackend::Sqlite, sql))
        .await
        .expect("query")
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("text"))
        .collect()
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(DbBackend::Sqlite, sql))
        .await
        .expect("query")
        .expect("row")
        .try_get_by_index::<i64>(0)
        .expect("count")
}

/// Writers create cadres without pause while `backup` runs. The copy passes SQLite's
/// integrity check, holds every cadre acknowledged before the backup began and none that was
/// never acknowledged, and each of its cadres has its `createCadre` audit event (a write and
/// its event are never split).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_writes_is_whole_and_consistent() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("live.db").display());
    let pool = db::connect(&url).await.expect("connect");
    db::migrate(&pool).await.expect("migrate");
    let mut config = test_config(&url);
    // One user writing flat out; the rate limit is not what this test is about.
    config.rate_limit = 0;
    let app = TestApp::on(pool.clone(), config, TEST_SECRET.as_bytes(), None).await;
    let copy = dir.path().join("copy.db");

    let stop = Arc::new(AtomicBool::new(false));
    let writer = |worker: usize| {
        let (app, stop) = (&app, stop.clone());
        async move {
            let client = app.as_board("40", "clinician");
            let mut acknowledged = Vec::new();
            let mut n = 0;
            while !stop.load(Ordering::Acquire) {
                n += 1;
                let input = cadre_input("40", &format!("Sao Lưu {worker} {n}"));
                let body = client
                    .query_with(
                        "mutation($input: CreateCadreInput!) { createCadre(input: $input) { id } }",
                        json!({ "input": input }),
                    )
                    .await;
                let id = body["data"]["createCadre"]["id"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{body}"))
                    .to_owned();
                acknowledged.push((Instant::now(), id));
            }
            acknowledged
        }
    };
    let backup = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let began = Instant::now();
        let (url, to) = (url.clone(), copy.display().to_string());
        let output = tokio::task::spawn_blocking(move || run(&["backup", "--to", &to], &url))
            .await
            .expect("backup");
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.store(true, Ordering::Release);
        (began, output)
    };
    let (written, (began, output)) =
        tokio::join!(futures::future::join_all((0..2).map(writer)), backup);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let written: Vec<(Instant, String)> = written.into_iter().flatten().collect();
    let before: BTreeSet<&String> = written
        .iter()
        .filter(|(at, _)| *at < began)
        .map(|(_, id)| id)
        .collect();
    let all: BTreeSet<&String> = written.iter().map(|(_, id)| id).collect();

    let copied = Database::connect(format!("sqlite://{}?mode=ro", copy.display()))
        .await
        .expect("open the copy");
    assert_eq!(
        strings(&copied, "PRAGMA integrity_check").await,
        ["ok"],
        "the copy is damaged"
    );
    let ids = strings(
        &copied,
        "SELECT lower(substr(hex(id),1,8)||'-'||substr(hex(id),9,4)||'-'||substr(hex(id),13,4)||'-'||\
         substr(hex(id),17,4)||'-'||substr(hex(id),21)) FROM cadres WHERE full_name LIKE 'Sao Lưu %'",
    )
    .await;
    let in_copy: BTreeSet<&String> = ids.iter().collect();
    assert!(!before.is_empty(), "nothing written before the backup");
    let missing: Vec<_> = before.difference(&in_copy).collect();
    assert!(
        missing.is_empty(),
        "acknowledged before the backup, not in it: {missing:?}"
    );
    let unknown: Vec<_> = in_copy.difference(&all).collect();
    assert!(
        unknown.is_empty(),
        "in the copy, never acknowledged: {unknown:?}"
    );
    assert!(
        in_copy.len() < all.len(),
        "the writers never overlapped the backup"
    );
    assert_eq!(
        count(
            &copied,
            "SELECT count(*) FROM audit_events WHERE action = 'createCadre'"
        )
        .await,
        i64::try_from(in_copy.len()).expect("count"),
        "a cadre and its audit event were split"
    );
    assert_eq!(
        count(&copied, "SELECT count(*) FROM boards").await,
        count(&pool, "SELECT count(*) FROM boards").await
    );
    eprintln!(
        "{} cadres written, {} before the backup began, {} in the copy",
        all.len(),
        before.len(),
        in_copy.len()
    );
}

/// `backup` refuses a file that exists (and leaves it as it was), a database that does not
/// exist (and writes nothing), and PostgreSQL (pointing to `pg_dump`).
#[tokio::test]
async fn backup_refuses_an_existing_file_a_missing_database_and_postgresql() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("live.db").display());
    let pool = db::connect(&url).await.expect("connect");
    db::migrate(&pool).await.expect("migrate");

    let existing = dir.path().join("existing.db");
    std::fs::write(&existing, b"keep me").expect("write");
    let output = run(&["backup", "--to", &existing.display().to_string()], &url);
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{said}");
    assert!(said.contains("already exists"), "{said}");
    assert_eq!(std::fs::read(&existing).expect("read"), b"keep me");

    let missing = format!("sqlite://{}?mode=rwc", dir.path().join("nope.db").display());
    let to = dir.path().join("from-nothing.db");
    let output = run(&["backup", "--to", &to.display().to_string()], &missing);
    assert!(!output.status.success());
    assert!(!to.exists() && !dir.path().join("nope.db").exists());

    let output = run(
        &["backup", "--to", &to.display().to_string()],
        "postgres://postgres@127.0.0.1:5432/cadre",
    );
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{said}");
    assert!(said.contains("pg_dump"), "{said}");
    assert!(!to.exists());
}
