//! Every limit answers with its own code, is configurable, and leaves the server serving.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};

use cadre_health::config::Config;

use crate::helpers::{TestApp, error_codes};

/// 11 fields deep: cadres > edges > node > exams > edges > node > cadre > board > parent >
/// parent > code.
const ELEVEN_DEEP: &str = "{ cadres { edges { node { exams { edges { node { cadre { board { parent { parent { code } } } } } } } } } } }";
/// 10 deep: the same without the last `parent`.
const TEN_DEEP: &str = "{ cadres { edges { node { exams { edges { node { cadre { board { parent { code } } } } } } } } } }";

/// Asserts that `query`, well under the default limits, is refused with `code` once `configure`
/// has lowered its limit: every limit is a setting.
async fn refused_once_configured(configure: impl FnOnce(&mut Config), query: &str, code: &str) {
    let app = TestApp::spawn_with(configure).await;
    let body = app.as_board("40", "analyst").query(query).await;
    assert_eq!(error_codes(&body), [code], "configurable: {body}");
}

#[tokio::test]
async fn depth_is_limited_but_introspection_tools_still_work() {
    let app = TestApp::spawn().await;
    let client = app.as_board("40", "clinician");
    let body = client.query(ELEVEN_DEEP).await;
    assert_eq!(error_codes(&body), ["QUERY_TOO_DEEP"], "{body}");
    assert!(body["data"].is_null());
    assert!(client.query(TEN_DEEP).await.get("errors").is_none());
    // The type-reference nesting GraphiQL's own schema query uses.
    let type_ref = (0..7).fold("kind name".to_owned(), |inner, _| {
        format!("kind name ofType {{ {inner} }}")
    });
    let introspection =
        format!("{{ __schema {{ types {{ name fields {{ type {{ {type_ref} }} }} }} }} }}");
    let data = client.data(&introspection).await;
    assert!(
        data["__schema"]["types"]
            .as_array()
            .is_some_and(|t| t.len() > 20)
    );

    let shallow = "{ cadres { edges { node { id } } } }";
    refused_once_configured(|c| c.max_depth = 3, shallow, "QUERY_TOO_DEEP").await;
}

#[tokio::test]
async fn complexity_weighs_each_connection_by_its_page_size() {
    let app = TestApp::spawn().await;
    let client = app.as_board("40", "clinician");
    // 100 cadres × 100 exams each is too much ...
    let body = client
        .query("{ cadres(first: 100) { edges { node { exams(first: 100) { edges { node { id } } } } } } }")
        .await;
    assert_eq!(error_codes(&body), ["QUERY_TOO_COMPLEX"], "{body}");
    // ... 100 cadres with their board, latest exam and first 20 conditions is not.
    let body = client
        .query("{ cadres(first: 100) { edges { node { id board { code } latestExam { cadreClass } conditions(first: 20) { edges { node { icdCode } } } } } } }")
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    // The same shape with `last` weighs the same.
    let body = client
        .query("{ cadres(last: 100) { edges { node { exams(last: 100) { edges { node { id } } } } } } }")
        .await;
    assert_eq!(error_codes(&body), ["QUERY_TOO_COMPLEX"], "{body}");

    let light = "{ cadres(first: 20) { edges { node { id fullName } } } }";
    refused_once_configured(|c| c.max_complexity = 50, light, "QUERY_TOO_COMPLEX").await;
}

fn aliased(n: usize) -> String {
    let fields: Vec<String> = (0..n).map(|i| format!("a{i}: viewer {{ role }}")).collect();
    format!("{{ {} }}", fields.join(" "))
}

#[tokio::test]
async fn aliases_are_limited_counting_fragments_where_they_are_spread() {
    let app = TestApp::spawn().await;
    let client = app.as_board("40", "analyst");
    assert!(client.query(&aliased(30)).await.get("errors").is_none());
    let body = client.query(&aliased(31)).await;
    assert_eq!(error_codes(&body), ["TOO_MANY_ALIASES"], "{body}");
    // 4 aliases in a fragment spread 8 times is 32.
    let spreads = "...F ".repeat(8);
    let body = client
        .query(&format!(
            "{{ {spreads} }} fragment F on Query {{ a: viewer {{ role }} b: viewer {{ role }} c: viewer {{ role }} d: viewer {{ role }} }}"
        ))
        .await;
    assert_eq!(error_codes(&body), ["TOO_MANY_ALIASES"], "{body}");

    refused_once_configured(|c| c.max_aliases = 2, &aliased(3), "TOO_MANY_ALIASES").await;
}

#[tokio::test]
async fn batches_are_limited_in_size() {
    let app = TestApp::spawn().await;
    let client = app.as_board("40", "analyst");
    let op = json!({ "query": "{ viewer { role } }" });
    let (status, body) = client.post(Value::Array(vec![op.clone(); 2])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body[1]["data"]["viewer"]["role"], "ANALYST", "{body}");
    let (status, body) = client.post(Value::Array(vec![op.clone(); 11])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_codes(&body), ["BATCH_TOO_LARGE"], "{body}");

    let single = TestApp::spawn_custom(|c| c.max_batch = 1, |_| {}).await;
    let (status, body) = single
        .as_board("40", "analyst")
        .post(Value::Array(vec![op; 2]))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "configurable: {body}");
}

#[tokio::test]
async fn the_body_size_limit_is_configurable() {
    let app = TestApp::spawn_custom(|c| c.max_body_bytes = 2000, |_| {}).await;
    let client = app.as_board("40", "analyst");
    let (status, _) = client
        .post(json!({ "query": format!("{{ viewer {{ role }} }} #{}", "x".repeat(1500)) }))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = client
        .post(json!({ "query": format!("{{ viewer {{ role }} }} #{}", "x".repeat(2500)) }))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_request_that_runs_too_long_is_cut_off() {
    // A 2 ms budget against a query that reads every exam of the demo data several times
    // (tens of milliseconds at least); the timer's own resolution is 1 ms.
    let app = TestApp::spawn_custom(|c| c.request_timeout = Duration::from_millis(2), |_| {}).await;
    cadre_health::seed::seed(&app.db, cadre_health::seed::Scale::Demo)
        .await
        .expect("seed demo data");
    let heavy = "{ a: cadres(filter: {latestCadreClass: [A]}) { totalCount } b: cadres(filter: {latestGeneralClass: [I]}) { totalCount } c: healthExams { totalCount } }";
    let (status, body) = app
        .as_board("TW", "clinician")
        .post(json!({ "query": heavy }))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(error_codes(&body), ["REQUEST_TIMEOUT"]);
}

#[tokio::test]
async fn postgres_cuts_off_each_statement_of_a_request() {
    let app = TestApp::spawn().await;
    if app.db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return; // SQLite runs statements in-process; the request timeout bounds them.
    }
    use sea_orm::ConnectionTrait;
    let tx = cadre_health::db::begin_scoped_as(
        &app.db,
        &cadre_health::scope::Scope::All,
        cadre_health::db::Access::Read,
        Some(Duration::from_millis(50)),
    )
    .await
    .expect("begin");
    let slow = tx.execute_unprepared("SELECT pg_sleep(2)").await;
    assert!(
        slow.is_err(),
        "pg_sleep(2) ran past a 50 ms statement_timeout"
    );
}

#[tokio::test]
async fn introspection_can_be_turned_off() {
    let query = "{ __schema { queryType { name } } }";
    let app = TestApp::spawn().await;
    let data = app.as_board("40", "analyst").data(query).await;
    assert_eq!(data["__schema"]["queryType"]["name"], "Query");

    let closed = TestApp::spawn_custom(|c| c.introspection = false, |_| {}).await;
    let body = closed.as_board("40", "analyst").query(query).await;
    // async-graphql answers a disabled `__schema` with null, not an error.
    assert!(body["data"]["__schema"].is_null(), "{body}");
    let body = closed
        .as_board("40", "analyst")
        .query(r#"{ __type(name: "Cadre") { name } }"#)
        .await;
    assert!(body["data"]["__type"].is_null(), "{body}");
    // Ordinary queries still run.
    assert_eq!(
        closed
            .as_board("40", "analyst")
            .data("{ viewer { role } }")
            .await["viewer"]["role"],
        "ANALYST"
    );
}
