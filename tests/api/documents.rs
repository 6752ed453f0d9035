//! Hostile documents, up to the body limit: each is refused with a code (or answered) before
//! anything expensive runs, and the server keeps answering `/healthz` (issue 11, finding 2).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_codes};

/// The default body limit, less room for the JSON around the query.
const ROOM: usize = 1024 * 1024 - 200;

/// `head`, then `unit` as often as fits in [`ROOM`], then `tail`.
fn fill(head: &str, unit: &str, tail: &str) -> String {
    let n = (ROOM - head.len() - tail.len()) / unit.len();
    format!("{head}{}{tail}", unit.repeat(n))
}

/// `F0 { viewer { role } }`, and each `Fi` spreading `F(i-1)` twice: 2^n fields once
/// expanded, in about 40 bytes per fragment.
fn fragment_bomb(n: usize) -> String {
    let mut doc = format!("query {{ ...F{n} }} fragment F0 on Query {{ viewer {{ role }} }}");
    for i in 1..=n {
        doc += &format!(" fragment F{i} on Query {{ ...F{p} ...F{p} }}", p = i - 1);
    }
    doc
}

/// Posts `body` as an analyst of `TW` and checks the answer is what a client can act on: a
/// coded error (never `INTERNAL_SERVER_ERROR`) with a 2xx or 4xx status. The error codes.
async fn refused(app: &TestApp, body: Value) -> Vec<String> {
    let (status, body) = app.as_board("TW", "analyst").post(body).await;
    let codes = error_codes(&body);
    assert!(
        status == StatusCode::OK || status.is_client_error(),
        "{status}: {body}"
    );
    assert!(!codes.is_empty(), "not refused: {status} {body}");
    assert!(
        body["errors"]
            .as_array()
            .is_some_and(|e| e.iter().all(|e| e["extensions"]["code"].is_string())),
        "an error without a code: {body}"
    );
    assert!(
        !codes.iter().any(|c| c == "INTERNAL_SERVER_ERROR"),
        "{body}"
    );
    codes
}

/// [`refused`] for a request of only `query`.
async fn refused_query(app: &TestApp, query: &str) -> Vec<String> {
    refused(app, json!({ "query": query })).await
}

/// The server still answers.
async fn still_serving(app: &TestApp) {
    let (status, _) = app.get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    let data = app
        .as_board("TW", "analyst")
        .data("{ viewer { role } }")
        .await;
    assert_eq!(data["viewer"]["role"], "ANALYST");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fragment_bomb_is_refused_and_healthz_answers_while_two_are_in_flight() {
    let app = Arc::new(TestApp::spawn().await);
    // Before the fix one of these (at n = 24) took 62 s of CPU, and two held both of the
    // runtime's workers, so `/healthz` waited as long.
    let clients: Vec<_> = (0..2)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move {
                let mut answers = Vec::new();
                for _ in 0..10 {
                    let body = json!({ "query": fragment_bomb(30) });
                    answers.push(refused(&app, body).await);
                }
                answers
            })
        })
        .collect();
    let probe = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut slowest = Duration::ZERO;
            for _ in 0..10 {
                let started = Instant::now();
                let (status, _) = app.get("/healthz").await;
                assert_eq!(status, StatusCode::OK);
                slowest = slowest.max(started.elapsed());
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            slowest
        })
    };
    let slowest = probe.await.expect("probe");
    // The issue asks for 100 ms; a debug build on a shared machine gets ten times that.
    assert!(
        slowest < Duration::from_secs(1),
        "/healthz took {slowest:?} while fragment bombs were being refused"
    );
    for client in clients {
        for codes in client.await.expect("client") {
            assert_eq!(codes, ["QUERY_TOO_COMPLEX"]);
        }
    }
    still_serving(&app).await;
}

#[tokio::test]
async fn fragments_spread_often_but_within_the_budget_are_answered() {
    let app = TestApp::spawn().await;
    // 2^8 spreads of one fragment: each is counted, and the answer is one field.
    let data = app.as_board("TW", "analyst").data(&fragment_bomb(8)).await;
    assert_eq!(data["viewer"]["role"], "ANALYST");
}

#[tokio::test]
async fn fragment_cycles_are_refused() {
    let app = TestApp::spawn().await;
    for query in [
        "{ ...F1 } fragment F1 on Query { viewer { role } ...F2 } fragment F2 on Query { ...F1 }",
        "{ viewer { role } } fragment F1 on Query { ...F1 }",
        // Through a field: each turn nests one level deeper.
        "{ ...F1 } fragment F1 on Query { viewer { board { ...F2 } } } fragment F2 on Board { code parent { ...F2 } }",
    ] {
        assert_eq!(
            refused_query(&app, query).await,
            ["BAD_USER_INPUT"],
            "{query}"
        );
    }
    still_serving(&app).await;
}

#[tokio::test]
async fn wide_documents_are_refused_before_they_are_parsed() {
    let app = TestApp::spawn().await;
    // About 150,000 fields in one selection.
    let wide = fill("{ ", "viewer ", "}");
    assert_eq!(refused_query(&app, &wide).await, ["QUERY_TOO_COMPLEX"]);
    // 100,000 arguments on one field.
    let arguments = fill("{ viewer(", "a: 1 ", ") { role } }");
    assert_eq!(refused_query(&app, &arguments).await, ["QUERY_TOO_COMPLEX"]);
    // A wide document within the budget is answered.
    let data = app
        .as_board("TW", "analyst")
        .data(&format!("{{ {}}}", "viewer { role } ".repeat(500)))
        .await;
    assert_eq!(data["viewer"]["role"], "ANALYST");
    still_serving(&app).await;
}

#[tokio::test]
async fn long_comments_and_strings_are_refused_before_they_are_parsed() {
    let app = TestApp::spawn().await;
    for long in [
        fill("{ viewer { role } } #", "x", ""),
        fill("{ __type(name: \"", "x", "\") { name } }"),
        fill("{ __type(name: ", "1", ") { name } }"),
    ] {
        assert_eq!(refused_query(&app, &long).await, ["QUERY_TOO_COMPLEX"]);
    }
    // The same value as a variable passes the document's budgets and meets the input bounds
    // (a string is at most 2,000 characters: `oversized.rs`).
    let (_, body) = app
        .as_board("TW", "analyst")
        .post(json!({
            "query": "query ($name: String!) { __type(name: $name) { name } }",
            "variables": { "name": "x".repeat(ROOM - 100) },
        }))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    assert_eq!(body["errors"][0]["extensions"]["field"], "name", "{body}");
    still_serving(&app).await;
}

#[tokio::test]
async fn deep_documents_are_refused_before_they_are_parsed() {
    let app = TestApp::spawn().await;
    for deep in [
        "{".repeat(ROOM),
        fill("", "{ a ", ""),
        fill("query ($v: ", "[", "Int]) { viewer { role } }"),
    ] {
        assert_eq!(refused_query(&app, &deep).await, ["QUERY_TOO_DEEP"]);
    }
    still_serving(&app).await;
}

#[tokio::test]
async fn nested_values_in_arguments_and_variables_are_refused() {
    let app = TestApp::spawn().await;
    let n = ROOM / 2 - 100;
    // Lists in lists in an argument, then input objects in input objects.
    let lists = format!(
        "{{ cadres(filter: {{status: {}SERVING{}}}) {{ totalCount }} }}",
        "[".repeat(n),
        "]".repeat(n)
    );
    let n = ROOM / 12;
    let objects = format!(
        "{{ cadres(filter: {}{{}}{}) {{ totalCount }} }}",
        "{search: ".repeat(n),
        "}".repeat(n)
    );
    for query in [lists, objects] {
        assert_eq!(refused_query(&app, &query).await, ["QUERY_TOO_DEEP"]);
    }
    // In variables, JSON itself stops at 128 levels: the body is not a GraphQL request.
    let body = format!(
        r#"{{"query": "query ($f: CadreFilter) {{ cadres(filter: $f) {{ totalCount }} }}", "variables": {{"f": {{"status": {}"SERVING"{}}}}}}}"#,
        "[".repeat(ROOM / 2 - 100),
        "]".repeat(ROOM / 2 - 100)
    );
    let (status, body) = app
        .send(
            Request::post("/graphql")
                .header("content-type", "application/json")
                .header(
                    "authorization",
                    format!("Bearer {}", app.token("TW", "analyst")),
                )
                .body(Body::from(body))
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(!error_codes(&body).is_empty(), "{body}");
    // Just under JSON's limit, the value reaches GraphQL and is refused as bad input.
    let deep: Value = serde_json::from_str(&format!(
        "{}\"SERVING\"{}",
        "[".repeat(120),
        "]".repeat(120)
    ))
    .expect("JSON");
    let codes = refused(
        &app,
        json!({
            "query": "query ($f: CadreFilter) { cadres(filter: $f) { totalCount } }",
            "variables": { "f": { "status": deep } },
        }),
    )
    .await;
    assert_eq!(codes, ["BAD_USER_INPUT"]);
    still_serving(&app).await;
}

#[tokio::test]
async fn many_operations_and_many_directives_are_bounded() {
    let app = TestApp::spawn().await;
    let operations = fill("", "query Q { viewer { role } } ", "");
    assert_eq!(
        refused(&app, json!({ "query": operations, "operationName": "Q" })).await,
        ["QUERY_TOO_COMPLEX"]
    );
    let directives = fill("{ viewer ", "@include(if: true) ", "{ role } }");
    assert_eq!(
        refused_query(&app, &directives).await,
        ["QUERY_TOO_COMPLEX"]
    );
    // Three hundred operations within the budget: the one named runs.
    let operations: String = (0..300)
        .map(|i| format!("query Q{i} {{ viewer {{ role }} }} "))
        .collect();
    let (_, body) = app
        .as_board("TW", "analyst")
        .post(json!({ "query": operations, "operationName": "Q299" }))
        .await;
    assert_eq!(body["data"]["viewer"]["role"], "ANALYST", "{body}");
    still_serving(&app).await;
}
