//! The HTTP surface: health checks, GraphiQL, and bad requests answered clearly while the server
//! keeps serving.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;

use crate::helpers::{TestApp, error_codes};

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/healthz").await;
    assert_eq!((status, body), (StatusCode::OK, json!("ok")));
    let (status, body) = app.get("/readyz").await;
    assert_eq!((status, body), (StatusCode::OK, json!("ready")));
}

#[tokio::test]
async fn a_browser_gets_graphiql_and_get_queries_run() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/graphql").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.as_str().is_some_and(|html| html.contains("graphiql")),
        "{body}"
    );

    let token = app.token("40", "analyst");
    let (status, body) = app
        .send(
            Request::get("/graphql?query=%7B%20viewer%20%7B%20role%20%7D%20%7D")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["viewer"]["role"], "ANALYST");
}

#[tokio::test]
async fn bad_requests_get_coded_errors_that_leak_nothing() {
    let app = TestApp::spawn().await;
    let client = app.as_board("40", "clinician");

    let body = client.query("{ cadres { totalCount ").await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");

    let body = client.query("{ noSuchField }").await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");

    let body = client.query(r#"{ cadre(id: "42") { id } }"#).await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    assert_eq!(body["errors"][0]["extensions"]["field"], "id");

    for (first, after) in [
        ("101", "null"),
        ("-1", "null"),
        ("5", r#""bm90LWEtY3Vyc29y""#),
    ] {
        let body = client
            .query(&format!(
                "{{ cadres(first: {first}, after: {after}) {{ totalCount }} }}"
            ))
            .await;
        assert_eq!(
            error_codes(&body),
            ["BAD_USER_INPUT"],
            "first {first}, after {after}: {body}"
        );
    }

    let (status, body) = client
        .post(json!({ "query": format!("{{ viewer {{ role }} }} #{}", "x".repeat(1024 * 1024)) }))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");

    let (status, _) = app
        .send(
            Request::post("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{not json"))
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Nothing above took the server down, and no error text mentions SQL or files.
    assert_eq!(
        client.data("{ viewer { role } }").await["viewer"]["role"],
        "CLINICIAN"
    );
}
