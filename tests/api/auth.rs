//! Every kind of bad token answers `UNAUTHENTICATED` with HTTP 401, and `cadre-health token`
//! prints a token the server accepts.

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::{TEST_SECRET, TestApp, error_codes};

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn sign(claims: Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign")
}

#[tokio::test]
async fn bad_tokens_are_unauthenticated() {
    let app = TestApp::spawn().await;
    let good = json!({ "sub": "u", "board": "40", "role": "clinician", "exp": now() + 600 });
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(good.to_string())
    );
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no token", None),
        ("not a JWT", Some("not-a-token".into())),
        ("alg none", Some(unsigned)),
        (
            "wrong signature",
            Some(sign(
                good.clone(),
                "another-secret-another-secret-another-secret",
            )),
        ),
        (
            "expired",
            Some(sign(
                json!({ "sub": "u", "board": "40", "role": "clinician", "exp": now() - 3600 }),
                TEST_SECRET,
            )),
        ),
        (
            "no expiry",
            Some(sign(
                json!({ "sub": "u", "board": "40", "role": "clinician" }),
                TEST_SECRET,
            )),
        ),
        (
            "unknown board",
            Some(sign(
                json!({ "sub": "u", "board": "99", "role": "clinician", "exp": now() + 600 }),
                TEST_SECRET,
            )),
        ),
        (
            "unknown role",
            Some(sign(
                json!({ "sub": "u", "board": "40", "role": "root", "exp": now() + 600 }),
                TEST_SECRET,
            )),
        ),
        (
            "no subject",
            Some(sign(
                json!({ "board": "40", "role": "clinician", "exp": now() + 600 }),
                TEST_SECRET,
            )),
        ),
    ];
    for (case, token) in cases {
        let (status, body) = app
            .with_token(token)
            .post(json!({ "query": "{ viewer { role } }" }))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{case}: {body}");
        assert_eq!(error_codes(&body), ["UNAUTHENTICATED"], "{case}: {body}");
        assert!(
            body.get("data").is_none_or(Value::is_null),
            "{case}: {body}"
        );
    }

    let (status, body) = app
        .with_token(Some(sign(good, TEST_SECRET)))
        .post(json!({ "query": "{ viewer { role board { code } } }" }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["data"]["viewer"],
        json!({ "role": "CLINICIAN", "board": { "code": "40" } })
    );
}

#[tokio::test]
async fn the_token_command_prints_only_a_token_the_server_accepts() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cadre-health"))
        .args([
            "token", "--board", "412", "--role", "admin", "--sub", "lan", "--ttl", "1h",
        ])
        .env("CADRE_HEALTH_DATA_DIR", dir.path())
        .env("CADRE_HEALTH_JWT_SECRET", TEST_SECRET)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run cadre-health token");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "only the token on stdout: {stdout:?}");

    let app = TestApp::spawn().await;
    let viewer = app
        .with_token(Some(lines[0].to_owned()))
        .data("{ viewer { subject role board { code } } }")
        .await;
    assert_eq!(
        viewer["viewer"],
        json!({ "subject": "lan", "role": "ADMIN", "board": { "code": "412" } })
    );

    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_cadre-health"))
        .args(["token", "--board", "99", "--role", "admin"])
        .env("CADRE_HEALTH_DATA_DIR", dir.path())
        .env("CADRE_HEALTH_JWT_SECRET", TEST_SECRET)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run cadre-health token");
    assert!(!refused.status.success());
    assert!(refused.stdout.is_empty());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("unknown board"));
}

/// Finding 6: a token that never expires (`exp` = u64::MAX), one not valid for a day (`nbf`),
/// one with a `crit` header, and a 200 KB subject were all accepted. Each is refused now, as is
/// a token living longer than the maximum lifetime (12 hours by default), counted from its
/// `iat` or from now.
#[tokio::test]
async fn tokens_beyond_the_rules_are_unauthenticated() {
    let app = TestApp::spawn().await;
    let claims = |extra: Value| {
        let mut c = json!({ "sub": "u", "board": "40", "role": "clinician", "exp": now() + 600 });
        for (k, v) in extra.as_object().expect("object") {
            c[k] = v.clone();
        }
        c
    };
    let hour = 3600;
    let crit = Header {
        crit: Some(vec!["exp".into()]),
        ..Header::default()
    };
    let with_crit = jsonwebtoken::encode(
        &crit,
        &claims(json!({})),
        &EncodingKey::from_secret(TEST_SECRET.as_bytes()),
    )
    .expect("sign");
    let cases: Vec<(&str, String)> = vec![
        (
            "never expires",
            sign(claims(json!({ "exp": u64::MAX })), TEST_SECRET),
        ),
        (
            "13 hours from now",
            sign(claims(json!({ "exp": now() + 13 * hour })), TEST_SECRET),
        ),
        (
            "13 hours after its iat",
            sign(
                claims(json!({ "iat": now() - 2 * hour, "exp": now() + 11 * hour })),
                TEST_SECRET,
            ),
        ),
        (
            "issued tomorrow",
            sign(claims(json!({ "iat": now() + 24 * hour })), TEST_SECRET),
        ),
        (
            "not before tomorrow",
            sign(claims(json!({ "nbf": now() + 24 * hour })), TEST_SECRET),
        ),
        ("crit header", with_crit),
        (
            "257-character subject",
            sign(claims(json!({ "sub": "x".repeat(257) })), TEST_SECRET),
        ),
        (
            "control character in the subject",
            sign(claims(json!({ "sub": "a\u{7}b" })), TEST_SECRET),
        ),
        (
            "200 KB subject",
            sign(claims(json!({ "sub": "x".repeat(200_000) })), TEST_SECRET),
        ),
    ];
    for (case, token) in cases {
        let (status, body) = app
            .with_token(Some(token))
            .post(json!({ "query": "{ viewer { role } }" }))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{case}: {body}");
        assert_eq!(error_codes(&body), ["UNAUTHENTICATED"], "{case}: {body}");
    }
    // Within the rules: 12 hours from its iat, a subject of 256 characters, an nbf just passed.
    for (case, token) in [
        (
            "12 hours",
            sign(
                claims(json!({ "iat": now(), "exp": now() + 12 * hour })),
                TEST_SECRET,
            ),
        ),
        (
            "256 characters",
            sign(claims(json!({ "sub": "é".repeat(256) })), TEST_SECRET),
        ),
        (
            "nbf passed",
            sign(claims(json!({ "nbf": now() - 60 })), TEST_SECRET),
        ),
    ] {
        let (status, body) = app
            .with_token(Some(token))
            .post(json!({ "query": "{ viewer { role } }" }))
            .await;
        assert_eq!(status, StatusCode::OK, "{case}: {body}");
    }

    // The maximum is a setting.
    let short =
        TestApp::spawn_with(|c| c.max_token_lifetime = std::time::Duration::from_secs(hour)).await;
    let two_hours = sign(claims(json!({ "exp": now() + 2 * hour })), TEST_SECRET);
    let (status, _) = short
        .with_token(Some(two_hours))
        .post(json!({ "query": "{ viewer { role } }" }))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// An `Authorization` header over 8 KiB is refused before anything else is done: the request
/// body is not even read (this one is not JSON, which would otherwise answer 400).
#[tokio::test]
async fn an_oversized_authorization_header_is_refused_first() {
    let app = TestApp::spawn().await;
    let huge = format!("Bearer {}", "a".repeat(9 * 1024));
    for (method, body) in [("POST", "{not json"), ("GET", "")] {
        let uri = if method == "GET" {
            "/graphql?query=%7B%20viewer%20%7B%20role%20%7D%20%7D"
        } else {
            "/graphql"
        };
        let request = axum::http::Request::builder()
            .method(method)
            .uri(uri)
            .header(axum::http::header::CONTENT_TYPE, "application/json")
            .header(axum::http::header::AUTHORIZATION, huge.as_str())
            .body(axum::body::Body::from(body))
            .expect("request");
        let (status, body) = app.send(request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method}: {body}");
        assert_eq!(error_codes(&body), ["UNAUTHENTICATED"], "{method}: {body}");
    }
}

/// `cadre-health token` issues no token longer than the maximum lifetime.
#[tokio::test]
async fn the_token_command_refuses_a_ttl_beyond_the_maximum() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_cadre-health"))
            .args(args)
            .env("CADRE_HEALTH_DATA_DIR", dir.path())
            .env("CADRE_HEALTH_JWT_SECRET", TEST_SECRET)
            .env_remove("DATABASE_URL")
            .env_remove("CADRE_HEALTH_MAX_TOKEN_LIFETIME")
            .output()
            .expect("run cadre-health token")
    };
    let refused = run(&["token", "--board", "40", "--role", "admin", "--ttl", "13h"]);
    assert!(!refused.status.success());
    assert!(refused.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("maximum token lifetime"), "{stderr}");
    let refused = run(&[
        "token",
        "--board",
        "40",
        "--role",
        "admin",
        "--ttl",
        "2h",
        "--max-token-lifetime",
        "1h",
    ]);
    assert!(!refused.status.success());
    // Without --ttl, the default (8h) gives way to a shorter maximum.
    let made = run(&[
        "token",
        "--board",
        "40",
        "--role",
        "admin",
        "--max-token-lifetime",
        "1h",
    ]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
}
