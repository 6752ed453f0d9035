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
