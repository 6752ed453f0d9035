//! GraphQL over HTTP: both media types, their status codes, and GET for queries only.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_codes};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// Posts `query` accepting `accept` (none when `None`); answers status, content type, body.
async fn post(app: &TestApp, accept: Option<&str>, query: &str) -> (StatusCode, String, Value) {
    let accept: Vec<(&str, String)> = accept
        .map(|a| (header::ACCEPT.as_str(), a.to_owned()))
        .into_iter()
        .collect();
    let body = Body::from(json!({ "query": query }).to_string());
    post_raw(app, Some("application/json"), &accept, body).await
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
        // Finding 12: the request never reached execution, so there is no `data` entry at all
        // (it used to be `"data": null`).
        assert!(body.get("data").is_none(), "{broken}: {body}");
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
    let (status, _, body) = post(&app, accept, &crate::limits_query()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.get("data").is_none(), "{body}");
}

#[tokio::test]
async fn application_json_answers_200_for_every_graphql_response() {
    let app = TestApp::spawn().await;
    // Finding 12: `*/*` and `application/*` got application/graphql-response+json, while the
    // README names application/json the default; they follow the README now.
    for accept in [
        Some("application/json"),
        None,
        Some(""),
        Some("*/*"),
        Some("application/*"),
        Some("text/html, */*;q=0.8"),
    ] {
        let (status, content_type, body) = post(&app, accept, "{ noSuchField }").await;
        assert_eq!(status, StatusCode::OK, "{accept:?}");
        assert!(
            content_type.starts_with("application/json"),
            "{accept:?}: {content_type}"
        );
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
        assert!(body.get("data").is_none(), "{accept:?}: {body}");
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

/// Posts `body` with `content_type` (none when `None`) and the extra `headers`.
async fn post_raw(
    app: &TestApp,
    content_type: Option<&str>,
    headers: &[(&str, String)],
    body: Body,
) -> (StatusCode, String, Value) {
    let mut request = Request::post("/graphql").header(
        header::AUTHORIZATION,
        format!("Bearer {}", app.token("40", "analyst")),
    );
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    for (name, value) in headers {
        request = request.header(*name, value.as_str());
    }
    let (status, headers, body) = app.send_full(request.body(body).expect("request")).await;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, content_type, body)
}

/// Finding 12: a body sent as `text/plain`, `application/xml` or with no type was parsed as
/// JSON and answered 200. Only `application/json` (UTF-8) is a GraphQL request; anything else
/// is 415, as coded JSON.
#[tokio::test]
async fn a_body_that_is_not_application_json_is_415() {
    let app = TestApp::spawn().await;
    let query = json!({ "query": "{ viewer { role } }" }).to_string();
    for content_type in [
        Some("text/plain"),
        Some("application/xml"),
        None,
        Some("application/x-www-form-urlencoded"),
        Some("application/json; charset=iso-8859-1"),
    ] {
        let (status, media, body) =
            post_raw(&app, content_type, &[], Body::from(query.clone())).await;
        assert_eq!(
            status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}: {body}"
        );
        assert!(media.starts_with("application/json"), "{media}");
        assert_eq!(error_codes(&body), ["UNSUPPORTED_MEDIA_TYPE"], "{body}");
    }
    for content_type in ["application/json", "Application/JSON; charset=UTF-8"] {
        let (status, _, body) =
            post_raw(&app, Some(content_type), &[], Body::from(query.clone())).await;
        assert_eq!(status, StatusCode::OK, "{content_type}: {body}");
        assert_eq!(body["data"]["viewer"]["role"], "ANALYST");
    }
}

/// Finding 12: a 413 for a body that declares its length was plain text with no code (the
/// body-limit layer answered it); a chunked one was JSON. Both are coded JSON now, in the
/// negotiated media type.
#[tokio::test]
async fn an_oversized_body_is_413_as_coded_json_declared_or_chunked() {
    let app = TestApp::spawn_with(|c| c.max_body_bytes = 2000).await;
    let big =
        json!({ "query": format!("{{ viewer {{ role }} }} #{}", "x".repeat(2500)) }).to_string();
    let declared = [("content-length", big.len().to_string())];
    let chunked = chunks(big.clone());
    for (case, headers, body) in [
        ("declared", &declared[..], Body::from(big.clone())),
        ("chunked", &[][..], chunked),
    ] {
        let (status, media, body) = post_raw(&app, Some("application/json"), headers, body).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{case}: {body}");
        assert!(media.starts_with("application/json"), "{case}: {media}");
        assert_eq!(error_codes(&body), ["PAYLOAD_TOO_LARGE"], "{case}: {body}");
    }
}

/// `body` in chunks of 500 bytes, with no length known in advance.
fn chunks(body: String) -> Body {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = body
        .into_bytes()
        .chunks(500)
        .map(|c| Ok(c.to_vec()))
        .collect();
    Body::from_stream(futures::stream::iter(chunks))
}
