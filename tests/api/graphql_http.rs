//! GraphQL over HTTP: both media types, their status codes, and GET for queries only.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_codes};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// Posts `query` accepting `accept` (none when `None`); answers status, content type, body.
async fn post(app: &TestApp, accept: Option<&str>, query: &str) -> (StatusCode, String, Value) {
    let mut request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", app.token("40", "analyst")),
        );
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT, accept);
    }
    let body = Body::from(json!({ "query": query }).to_string());
    let (status, headers, body) = app.send_full(request.body(body).expect("request")).await;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, content_type, body)
}

#[tokio::test]
async fn the_graphql_response_media_type_reports_request_errors_as_400() {
    let app = TestApp::spawn().await;
    let accept = Some(GRAPHQL_RESPONSE);
    let (status, content_type, body) = post(&app, accept, "{ viewer { role } }").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with(GRAPHQL_RESPONSE), "{content_type}");
    assert_eq!(body["data"]["viewer"]["role"], "ANALYST");

    for broken in [
        "{ viewer { role }",
        "{ noSuchField }",
        "query ($x: Int!) { viewer { role } }",
    ] {
        let (status, content_type, body) = post(&app, accept, broken).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{broken}: {body}");
        assert!(content_type.starts_with(GRAPHQL_RESPONSE));
        assert!(body.get("data").is_none_or(Value::is_null), "{body}");
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{broken}");
    }
    // A field error is a response with data: 200, the rest of the data still there.
    let (status, _, body) = post(
        &app,
        accept,
        "{ viewer { role } healthExams { totalCount } }",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(error_codes(&body), ["FORBIDDEN"]);
    assert_eq!(body["data"]["viewer"]["role"], "ANALYST");
    // A limit is a request error too.
    let (status, _, body) = post(&app, Some("*/*"), &crate::limits_query()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn application_json_answers_200_for_every_graphql_response() {
    let app = TestApp::spawn().await;
    for accept in [Some("application/json"), None, Some("")] {
        let (status, content_type, body) = post(&app, accept, "{ noSuchField }").await;
        assert_eq!(status, StatusCode::OK, "{accept:?}");
        assert!(
            content_type.starts_with("application/json"),
            "{accept:?}: {content_type}"
        );
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    }
    // The preferred type wins by q, whatever the order.
    let (_, content_type, _) = post(
        &app,
        Some("application/json;q=0.5, application/graphql-response+json"),
        "{ viewer { role } }",
    )
    .await;
    assert!(content_type.starts_with(GRAPHQL_RESPONSE), "{content_type}");
    let (status, _, _) = post(&app, Some("text/html"), "{ viewer { role } }").await;
    assert_eq!(status, StatusCode::NOT_ACCEPTABLE);
}

fn get(app: &TestApp, params: &str) -> Request<Body> {
    Request::get(format!("/graphql?{params}"))
        .header(header::ACCEPT, GRAPHQL_RESPONSE)
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", app.token("40", "clinician")),
        )
        .body(Body::empty())
        .expect("request")
}

#[tokio::test]
async fn get_runs_queries_and_refuses_mutations() {
    let app = TestApp::spawn().await;
    let (status, _, body) = app
        .send_full(get(&app, "query=%7B%20viewer%20%7B%20role%20%7D%20%7D"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["viewer"]["role"], "CLINICIAN");

    // `mutation { anything }`, and a document whose chosen operation is a mutation.
    for params in [
        "query=mutation%20%7B%20anything%20%7D",
        "query=query%20A%20%7B%20viewer%20%7B%20role%20%7D%20%7D%20mutation%20B%20%7B%20x%20%7D&operationName=B",
    ] {
        let (status, headers, body) = app.send_full(get(&app, params)).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{params}: {body}");
        assert_eq!(
            headers.get(header::ALLOW).map(|v| v.as_bytes()),
            Some(&b"POST"[..])
        );
        assert_eq!(error_codes(&body), ["METHOD_NOT_ALLOWED"]);
    }
    // `operationName` picks one of several queries, as the specification spells it.
    let (status, _, body) = app
        .send_full(get(
            &app,
            "query=query%20A%20%7B%20a%3A%20viewer%20%7B%20role%20%7D%20%7D%20query%20B%20%7B%20b%3A%20viewer%20%7B%20role%20%7D%20%7D&operationName=B",
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["b"]["role"], "CLINICIAN", "{body}");
}
