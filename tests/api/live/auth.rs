//! The token comes in `connection_init`; without a valid one, or once it has expired, the
//! socket closes with 4403.

use std::time::Duration;

use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Value, json};

use super::{EXAMS, Got, Ws, subscribed};
use crate::helpers::{TEST_SECRET, TestApp};

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn sign(claims: Value) -> String {
    jsonwebtoken::encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(TEST_SECRET.as_bytes()),
    )
    .expect("sign")
}

/// Initialises with `payload` and returns how the server answered.
async fn init(addr: std::net::SocketAddr, payload: Value) -> Got {
    let mut ws = Ws::connect(addr).await;
    ws.send(json!({"type": "connection_init", "payload": payload}))
        .await;
    ws.next().await
}

#[tokio::test]
async fn no_token_or_a_bad_one_closes_with_4403() {
    let app = TestApp::spawn().await;
    let addr = app.listen().await;
    let good = json!({ "sub": "u", "board": "40", "role": "clinician", "exp": now() + 600 });
    let expired = json!({ "sub": "u", "board": "40", "role": "clinician", "exp": now() - 3600 });
    let forged = jsonwebtoken::encode(
        &Header::default(),
        &good,
        &EncodingKey::from_secret(b"another-secret-another-secret-0123456789"),
    )
    .expect("sign");
    for (what, payload) in [
        ("no payload", json!({})),
        ("no token", json!({"other": "x"})),
        ("not a JWT", json!({"Authorization": "Bearer nonsense"})),
        ("no Bearer", json!({"Authorization": sign(good.clone())})),
        (
            "wrong secret",
            json!({"Authorization": format!("Bearer {forged}")}),
        ),
        (
            "expired",
            json!({"Authorization": format!("Bearer {}", sign(expired))}),
        ),
    ] {
        let got = init(addr, payload).await;
        assert!(matches!(got, Got::Closed(4403)), "{what}: {got:?}");
    }
    // The three spellings of a good token are accepted.
    let token = sign(good);
    for payload in [
        json!({"Authorization": format!("Bearer {token}")}),
        json!({"authorization": format!("Bearer {token}")}),
        json!({"token": token}),
    ] {
        let got = init(addr, payload.clone()).await;
        assert!(
            matches!(&got, Got::Message(m) if m["type"] == "connection_ack"),
            "{payload}: {got:?}"
        );
    }
}

/// A socket opened with a token that then expires is closed at its `exp`, subscriptions and all.
#[tokio::test]
async fn a_token_expiring_while_the_socket_is_open_closes_it_with_4403() {
    let app = TestApp::spawn().await;
    let addr = app.listen().await;
    let exp = now() + 2;
    let token = sign(json!({ "sub": "u", "board": "40", "role": "clinician", "exp": exp }));
    let mut ws = Ws::open(addr, json!({"Authorization": format!("Bearer {token}")})).await;
    ws.subscribe("e", EXAMS, json!({})).await;
    subscribed(&app, 1).await;
    let got = ws.next_within(Duration::from_secs(10)).await;
    assert!(matches!(got, Some(Got::Closed(4403))), "{got:?}");
    assert!(now() >= exp, "closed before the token expired");
}

/// A token naming a board closed by a reorganisation is refused like any invalid token.
#[tokio::test]
async fn a_closed_boards_token_closes_with_4403() {
    let app = TestApp::spawn().await;
    app.reorganise("vn-2025", "2025-07-01").await;
    let addr = app.listen().await;
    let token = app.token("412", "clinician");
    let got = init(addr, json!({"Authorization": format!("Bearer {token}")})).await;
    assert!(matches!(got, Got::Closed(4403)), "{got:?}");
}
