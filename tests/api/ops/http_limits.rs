//! Slow clients, the connection cap and the rate limit, through a real socket.

use std::time::Duration;

use cadre_health::domain::Role;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::{Served, exchange, graphql_post, read_to_close};

const VIEWER: &str = "{ viewer { subject } }";

/// A client that sends part of its headers and stalls, one that connects and sends nothing,
/// and one that keeps its connection open after an answer and sends nothing more, are
/// disconnected after the header-read timeout; meanwhile other clients are served.
#[tokio::test]
async fn a_client_stalled_in_its_headers_is_dropped_while_others_are_served() {
    let served = Served::start(|c| c.header_read_timeout = Duration::from_secs(1)).await;
    let mut silent = TcpStream::connect(served.addr).await.expect("connect");
    let mut stalled = TcpStream::connect(served.addr).await.expect("connect");
    stalled
        .write_all(b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: appl")
        .await
        .expect("send");

    let token = served.token("40", Role::Clinician, "other-client");
    let reply = exchange(
        served.addr,
        &graphql_post(&token, VIEWER),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.body["data"]["viewer"]["subject"], "other-client");

    // Without the timeout the server would wait for the rest of the headers forever.
    let answer = read_to_close(&mut stalled, Duration::from_secs(10)).await;
    assert!(
        answer.is_some(),
        "the stalled client was still connected 10 s later"
    );
    assert!(
        read_to_close(&mut silent, Duration::from_secs(5))
            .await
            .is_some(),
        "the silent client was still connected"
    );

    let mut idle = TcpStream::connect(served.addr).await.expect("connect");
    let keep_alive = String::from_utf8(graphql_post(&token, VIEWER))
        .expect("text")
        .replace("Connection: close\r\n", "");
    idle.write_all(keep_alive.as_bytes()).await.expect("send");
    let raw = read_to_close(&mut idle, Duration::from_secs(5))
        .await
        .expect("the idle kept-alive client was still connected");
    let reply = super::Reply::parse(&raw).expect("an HTTP answer");
    assert_eq!(reply.status, 200, "{reply:?}");
    served.stop().await;
}

/// A client that declares a body and never sends it all gets HTTP 408 and is disconnected
/// after the body-read timeout; meanwhile other clients are served.
#[tokio::test]
async fn a_body_that_never_arrives_is_dropped_while_others_are_served() {
    let served = Served::start(|c| c.body_read_timeout = Duration::from_secs(1)).await;
    let token = served.token("40", Role::Clinician, "slow-client");
    let mut stalled = TcpStream::connect(served.addr).await.expect("connect");
    stalled
        .write_all(
            format!(
                "POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
                 Authorization: Bearer {token}\r\nContent-Length: 200\r\n\r\n{{\"query\": \"{{"
            )
            .as_bytes(),
        )
        .await
        .expect("send");

    let other = served.token("40", Role::Clinician, "other-client");
    let reply = exchange(
        served.addr,
        &graphql_post(&other, VIEWER),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");

    let raw = read_to_close(&mut stalled, Duration::from_secs(10))
        .await
        .expect("the stalled client was still connected 10 s later");
    let reply = super::Reply::parse(&raw).expect("an HTTP answer");
    assert_eq!(reply.status, 408, "{reply:?}");
    assert_eq!(
        reply.body["errors"][0]["extensions"]["code"],
        "REQUEST_TIMEOUT"
    );
    served.stop().await;
}

/// With the cap reached, a new client is not served until a connection closes.
#[tokio::test]
async fn past_the_connection_cap_a_client_waits_for_a_free_slot() {
    let served = Served::start(|c| c.max_connections = 1).await;
    let holder = TcpStream::connect(served.addr).await.expect("connect");
    // Let the server accept the holder's connection before the next one arrives.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let token = served.token("40", Role::Clinician, "waiting-client");
    let mut waiting = TcpStream::connect(served.addr).await.expect("connect");
    waiting
        .write_all(&graphql_post(&token, VIEWER))
        .await
        .expect("send");
    assert!(
        read_to_close(&mut waiting, Duration::from_millis(700))
            .await
            .is_none(),
        "answered past the connection cap"
    );

    drop(holder);
    let raw = read_to_close(&mut waiting, Duration::from_secs(10))
        .await
        .expect("served once the slot was free");
    let reply = super::Reply::parse(&raw).expect("an HTTP answer");
    assert_eq!(reply.status, 200, "{reply:?}");
    served.stop().await;
}

/// A user past the rate limit gets HTTP 429 with `Retry-After`; another user is still served.
#[tokio::test]
async fn a_user_past_the_rate_limit_gets_429_with_retry_after() {
    let served = Served::start(|c| {
        c.rate_limit = 1;
        c.rate_limit_burst = 3;
    })
    .await;
    let busy = served.token("40", Role::Clinician, "busy-user");
    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..5 {
        let reply = exchange(
            served.addr,
            &graphql_post(&busy, VIEWER),
            Duration::from_secs(10),
        )
        .await;
        statuses.push(reply.status);
        if reply.status == 429 {
            limited = Some(reply);
        }
    }
    assert_eq!(&statuses[..3], &[200, 200, 200], "{statuses:?}");
    let limited = limited.unwrap_or_else(|| panic!("never limited: {statuses:?}"));
    assert_eq!(
        limited.body["errors"][0]["extensions"]["code"],
        "RATE_LIMITED"
    );
    let retry_after: u64 = limited
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After: {limited:?}"));
    assert!((1..=2).contains(&retry_after), "Retry-After {retry_after}");

    // The limit is the user's: someone else of the same board is served.
    let calm = served.token("40", Role::Clinician, "calm-user");
    let reply = exchange(
        served.addr,
        &graphql_post(&calm, VIEWER),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    served.stop().await;
}
