//! The first run on the embedded default: creates the data directory and a token secret,
//! migrates, seeds demo data once, and prints tokens that see exactly their part of the tree.
//! (This is the SQLite-embedded path by definition, so it runs on SQLite in both CI passes.)

use cadre_health::auth::load_or_create_secret;
use cadre_health::cli::prepare;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::Value;

use crate::helpers::{TestApp, test_config};

async fn count(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Sqlite, sql))
        .await
        .expect("count")
        .expect("row");
    row.try_get_by_index(0).expect("integer")
}

/// The tokens printed in a start banner.
fn tokens(banner: &str) -> Vec<String> {
    banner
        .lines()
        .map(str::trim)
        .filter(|l| l.contains("eyJ"))
        .map(str::to_owned)
        .collect()
}

fn tokens_in(banner: &str) -> usize {
    tokens(banner).len()
}

/// Finding 4: a deployment with a secret of its own never prints tokens, not even on the run
/// that creates its demo data.
#[tokio::test]
async fn a_configured_secret_prints_no_token_even_on_the_first_run() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut config = test_config("unused");
    config.database_url = None;
    config.data_dir = dir.path().join("data");
    config.jwt_secret = Some(cadre_health::config::Secret(
        crate::helpers::TEST_SECRET.to_owned(),
    ));
    let prepared = prepare(&config).await.expect("first run");
    assert!(
        count(&prepared.db, "SELECT count(*) FROM cadres").await > 2000,
        "the demo data is created"
    );
    assert_eq!(tokens_in(&prepared.banner), 0, "{}", prepared.banner);
    assert!(prepared.banner.contains("cadre-health token --board"));
}

#[tokio::test]
async fn the_first_run_seeds_demo_data_once_and_prints_working_tokens() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let data_dir = dir.path().join("data");
    let mut config = test_config("unused");
    config.database_url = None;
    config.data_dir = data_dir.clone();

    let prepared = prepare(&config).await.expect("first run");
    assert!(data_dir.join("cadre-health.db").exists());
    assert!(
        data_dir.join("jwt-secret").exists(),
        "a secret is generated and kept"
    );
    let tokens: Vec<String> = tokens(&prepared.banner);
    assert_eq!(tokens.len(), 4, "{}", prepared.banner);
    assert!(prepared.banner.contains("http://127.0.0.1:8080/graphql"));

    let db = prepared.db;
    let in_nghe_an = count(
        &db,
        "SELECT count(*) FROM cadres WHERE province_code = '40'",
    )
    .await;
    let in_vinh = count(
        &db,
        "SELECT count(*) FROM cadres WHERE district_code = '412'",
    )
    .await;
    let everyone = count(&db, "SELECT count(*) FROM cadres").await;
    assert!(
        everyone > 2000 && in_nghe_an > 1000 && in_vinh > 0,
        "demo data: {everyone}, {in_nghe_an}, {in_vinh}"
    );

    // A second start finds data and seeds nothing more; the secret stays the same. It prints
    // no token (finding 4: every start used to leave four 12-hour tokens in the log, a central
    // admin's among them), only how to make one.
    let again = prepare(&config).await.expect("second run");
    assert_eq!(
        count(&again.db, "SELECT count(*) FROM cadres").await,
        everyone
    );
    assert_eq!(tokens_in(&again.banner), 0, "{}", again.banner);
    assert!(
        again.banner.contains("cadre-health token --board"),
        "{}",
        again.banner
    );
    let secret = load_or_create_secret(&config).expect("secret");

    let app = TestApp::on(db, config, &secret, None).await;
    let as_token = |i: usize| app.with_token(Some(tokens[i].clone()));
    let total = |data: Value| data["cadres"]["totalCount"].as_i64().expect("totalCount");

    // Banner order: central analyst, central admin, provincial clinician (40), district (412).
    assert_eq!(
        total(as_token(0).data("{ cadres { totalCount } }").await),
        everyone
    );
    assert_eq!(
        total(as_token(2).data("{ cadres { totalCount } }").await),
        in_nghe_an
    );
    let districts = as_token(2)
        .data(r#"{ boards(parentCode: "40", first: 50) { totalCount } }"#)
        .await;
    assert_eq!(districts["boards"]["totalCount"], 20);

    let district = as_token(3)
        .data("{ cadres(first: 100) { totalCount edges { node { board { code } } } } }")
        .await;
    assert_eq!(total(district.clone()), in_vinh);
    for edge in district["cadres"]["edges"].as_array().expect("edges") {
        assert_eq!(edge["node"]["board"]["code"], "412");
    }
}
