//! CORS: only the configured origins get CORS headers; preflights are answered; a bad origin
//! stops the start.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use serde_json::json;

use super::post;
use crate::helpers::TestApp;

const DASHBOARD: &str = "https://dashboard.example.gov.vn";

async fn with_origins(origins: &[&str]) -> TestApp {
    let origins: Vec<String> = origins.iter().map(|o| o.to_string()).collect();
    TestApp::spawn_with(|c| c.cors_origins = origins).await
}

fn cors_headers(headers: &HeaderMap) -> Vec<String> {
    headers
        .keys()
        .map(|k| k.as_str().to_owned())
        .filter(|k| k.starts_with("access-control-"))
        .collect()
}

fn from(origin: &str, mut request: Request<Body>) -> Request<Body> {
    request
        .headers_mut()
        .insert(header::ORIGIN, origin.parse().expect("an origin header"));
    request
}

fn preflight(origin: &str) -> Request<Body> {
    Request::builder()
        .method(Method::OPTIONS)
        .uri("/graphql")
        .header(header::ORIGIN, origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            "authorization,content-type",
        )
        .body(Body::empty())
        .expect("request")
}

#[tokio::test]
async fn an_allowed_origin_may_call_the_api_and_read_the_request_id() {
    let app = with_origins(&["http://localhost:5173", DASHBOARD]).await;
    let token = app.token("TW", "analyst");
    let request = from(
        DASHBOARD,
        post(Some(&token), &json!({ "query": "{ viewer { role } }" })),
    );
    let (status, headers, body) = app.send_full(request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["viewer"]["role"], "ANALYST");
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], DASHBOARD);
    let exposed = headers[header::ACCESS_CONTROL_EXPOSE_HEADERS]
        .to_str()
        .expect("text")
        .to_ascii_lowercase();
    assert!(exposed.contains("x-request-id"), "{exposed}");
    assert!(headers.contains_key("x-request-id"));
    // No cookies: the token travels in Authorization.
    assert!(!headers.contains_key(header::ACCESS_CONTROL_ALLOW_CREDENTIALS));
}

#[tokio::test]
async fn a_preflight_from_an_allowed_origin_is_answered() {
    let app = with_origins(&[DASHBOARD]).await;
    let (status, headers, _) = app.send_raw(preflight(DASHBOARD)).await;
    assert!(status.is_success(), "{status}");
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], DASHBOARD);
    let methods = headers[header::ACCESS_CONTROL_ALLOW_METHODS]
        .to_str()
        .expect("text");
    assert!(
        methods.contains("POST") && methods.contains("GET"),
        "{methods}"
    );
    let allowed = headers[header::ACCESS_CONTROL_ALLOW_HEADERS]
        .to_str()
        .expect("text")
        .to_ascii_lowercase();
    assert!(
        allowed.contains("authorization") && allowed.contains("content-type"),
        "{allowed}"
    );
    assert!(headers.contains_key(header::ACCESS_CONTROL_MAX_AGE));
}

#[tokio::test]
async fn a_disallowed_origin_gets_no_cors_headers() {
    let app = with_origins(&[DASHBOARD]).await;
    let token = app.token("TW", "analyst");
    // A look-alike origin: another scheme, another port, a suffix.
    for origin in [
        "https://evil.example.com",
        "http://dashboard.example.gov.vn",
        "https://dashboard.example.gov.vn:8443",
        "https://dashboard.example.gov.vn.evil.com",
    ] {
        let (status, headers, _) = app.send_raw(preflight(origin)).await;
        assert!(
            cors_headers(&headers).is_empty(),
            "{origin} {status}: {headers:?}"
        );
        let request = from(
            origin,
            post(Some(&token), &json!({ "query": "{ viewer { role } }" })),
        );
        let (_, headers, _) = app.send_raw(request).await;
        assert!(cors_headers(&headers).is_empty(), "{origin}: {headers:?}");
    }
}

#[tokio::test]
async fn with_no_origin_configured_no_answer_carries_cors_headers() {
    let app = TestApp::spawn().await;
    let token = app.token("TW", "analyst");
    let (_, headers, _) = app.send_raw(preflight(DASHBOARD)).await;
    assert!(cors_headers(&headers).is_empty(), "{headers:?}");
    let request = from(
        DASHBOARD,
        post(Some(&token), &json!({ "query": "{ viewer { role } }" })),
    );
    let (status, headers, _) = app.send_raw(request).await;
    assert_eq!(status, StatusCode::OK);
    assert!(cors_headers(&headers).is_empty(), "{headers:?}");
}

/// An origin that a browser could never send stops the start with one line naming the setting
/// (exit code 2), from the flag or from the variable (comma-separated there).
#[test]
fn an_origin_that_could_never_match_stops_the_start() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let cases: [(&[&str], Option<&str>); 3] = [
        (
            &[
                "config",
                "--check",
                "--cors-origin",
                "https://dash.example.vn/",
            ],
            None,
        ),
        (
            &["config", "--check"],
            Some("https://a.example.vn,dash.example.vn"),
        ),
        (&["config", "--check"], Some("*")),
    ];
    for (args, variable) in cases {
        let mut command = super::binary();
        command.args(args).env("CADRE_HEALTH_DATA_DIR", dir.path());
        if let Some(value) = variable {
            command.env("CADRE_HEALTH_CORS_ORIGIN", value);
        }
        let output = command.output().expect("run cadre-health");
        let said = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {said}");
        assert_eq!(said.trim().lines().count(), 1, "{said}");
        assert!(
            said.contains("--cors-origin") && said.contains("CADRE_HEALTH_CORS_ORIGIN"),
            "{said}"
        );
    }
    // Both ways of listing good origins are taken.
    let output = super::binary()
        .args(["config", "--check", "--cors-origin", DASHBOARD])
        .args(["--cors-origin", "http://localhost:5173"])
        .env("CADRE_HEALTH_DATA_DIR", dir.path())
        .output()
        .expect("run cadre-health");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = super::binary()
        .args(["config", "--check"])
        .env(
            "CADRE_HEALTH_CORS_ORIGIN",
            format!("{DASHBOARD},http://localhost:5173"),
        )
        .env("CADRE_HEALTH_DATA_DIR", dir.path())
        .output()
        .expect("run cadre-health");
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    assert!(
        printed.contains(&format!("{DASHBOARD},http://localhost:5173")),
        "{printed}"
    );
}
