//! PostgreSQL going away and coming back, through a proxy the test owns (see `proxy.rs`):
//! `/readyz` says so within a second, requests fail fast with 503 `SERVICE_UNAVAILABLE` and
//! `Retry-After` (a request cut off mid-flight too), no acknowledged write is lost, and service
//! comes back without a restart. On SQLite the database cannot go away: these tests say so and
//! pass.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use cadre_health::db;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::proxy::{Proxy, through};
use crate::helpers::{TEST_SECRET, TestApp, TestDatabase, error_codes, test_config};
use crate::writes::cadre_input;

/// The app on a fresh PostgreSQL database, its pool connected through a proxy; a direct
/// connection beside it for checking. `None` on SQLite.
async fn behind_proxy(acquire_timeout: Duration) -> Option<(TestApp, Proxy, DatabaseConnection)> {
    TestDatabase::postgres_admin_url()?;
    let database = TestDatabase::create().await;
    let direct = db::connect(&database.url).await.expect("connect");
    db::migrate(&direct).await.expect("migrate");
    let (_, target) = through(&database.url, "127.0.0.1:1".parse().expect("address")).await;
    let proxy = Proxy::start(target).await;
    let (proxied, _) = through(&database.url, proxy.addr).await;
    let pool = db::connect_with(&proxied, acquire_timeout)
        .await
        .expect("connect through the proxy");
    let mut config = test_config(&database.url);
    config.db_acquire_timeout = acquire_timeout;
    // One user writing flat out; the rate limit is not what these tests are about.
    config.rate_limit = 0;
    let app = TestApp::on(pool, config, TEST_SECRET.as_bytes(), Some(database)).await;
    Some((app, proxy, direct))
}

fn skip() {
    eprintln!("PostgreSQL only (TEST_DATABASE_URL): SQLite is in the process and cannot go away");
}

fn post(token: &str, query: &str, variables: Value) -> Request<Body> {
    Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(
            json!({ "query": query, "variables": variables }).to_string(),
        ))
        .expect("request")
}

fn ready() -> Request<Body> {
    Request::get("/readyz")
        .body(Body::empty())
        .expect("request")
}

/// A 503 as the outage must answer it: `SERVICE_UNAVAILABLE`, `Retry-After`, nothing else.
fn assert_unavailable(status: StatusCode, headers: &axum::http::HeaderMap, body: &Value) {
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(error_codes(body), ["SERVICE_UNAVAILABLE"], "{body}");
    assert!(body.get("data").is_none(), "{body}");
    assert!(headers.contains_key(header::RETRY_AFTER), "{headers:?}");
}

/// `/readyz` answers 503 within a second of being asked while the database is unreachable,
/// though the pool itself would wait 5 s for a connection; and 200 again once it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_answers_503_within_a_second_while_the_database_is_unreachable() {
    let Some((app, mut proxy, _direct)) = behind_proxy(Duration::from_secs(5)).await else {
        return skip();
    };
    assert_eq!(app.send_full(ready()).await.0, StatusCode::OK);

    for (outage, cut) in [
        ("unreachable", Proxy::blackhole as fn(&mut Proxy)),
        ("stopped", Proxy::refuse),
    ] {
        cut(&mut proxy);
        let asked = Instant::now();
        let (status, headers, _) = app.send_full(ready()).await;
        let took = asked.elapsed();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{outage}");
        assert!(headers.contains_key(header::RETRY_AFTER), "{headers:?}");
        // One second and the time to answer; far from the pool's five.
        assert!(
            took < Duration::from_millis(1_500),
            "{outage}: /readyz took {took:?}"
        );

        proxy.restore().await;
        let back = Instant::now();
        loop {
            if app.send_full(ready()).await.0 == StatusCode::OK {
                break;
            }
            assert!(
                back.elapsed() < Duration::from_secs(5),
                "{outage}: not ready again"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A write waiting on a row lock when its connection dies answers 503 `SERVICE_UNAVAILABLE`
/// with `Retry-After` (not 500), writes nothing, and the same write succeeds once the
/// database is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_whose_database_dies_mid_flight_gets_503() {
    let Some((app, mut proxy, direct)) = behind_proxy(Duration::from_secs(2)).await else {
        return skip();
    };
    let id = app.add_cadre("40", "Trần Giữa Chừng").await;
    let token = app.token("40", "clinician");
    let update = "mutation($id: ID!) { updateCadre(id: $id, version: 1, \
                  input: {workplace: \"Sở Y tế\"}) { version } }";

    // Another session holds the row, so the update waits inside its transaction.
    let holder = direct.begin().await.expect("begin");
    holder
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 FROM cadres WHERE id = $1 FOR UPDATE",
            [id.into()],
        ))
        .await
        .expect("lock the row");

    let request = app.send_full(post(&token, update, json!({ "id": id.to_string() })));
    let cut = async {
        let waiting = Instant::now();
        loop {
            let row = direct
                .query_one_raw(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT count(*) FROM pg_stat_activity \
                     WHERE datname = current_database() AND wait_event_type = 'Lock'",
                ))
                .await
                .expect("pg_stat_activity")
                .expect("a row");
            if row.try_get_by_index::<i64>(0).expect("count") > 0 {
                break;
            }
            assert!(
                waiting.elapsed() < Duration::from_secs(10),
                "the update never waited"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        proxy.refuse();
    };
    let ((status, headers, body), ()) = tokio::join!(request, cut);
    assert_unavailable(status, &headers, &body);

    holder.rollback().await.expect("release the row");
    proxy.restore().await;
    let version = |db: &DatabaseConnection| {
        let db = db.clone();
        async move {
            db.query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT version FROM cadres WHERE id = $1",
                [id.into()],
            ))
            .await
            .expect("read")
            .expect("row")
            .try_get_by_index::<i32>(0)
            .expect("version")
        }
    };
    assert_eq!(version(&direct).await, 1, "the cut-off write was kept");

    let (status, _, body) = app
        .send_full(post(&token, update, json!({ "id": id.to_string() })))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["updateCadre"]["version"], 2, "{body}");
}

/// One answer seen by a writer.
struct Answer {
    sent: Instant,
    took: Duration,
    /// The new cadre's ID when the write was acknowledged.
    kept: Option<String>,
}

/// Writers create cadres without pause while the database is stopped for 3 s (connections
/// closed, new ones refused) and, later, unreachable for 3 s (new connections never answered).
/// Every answer is an acknowledgement or a 503 `SERVICE_UNAVAILABLE` with `Retry-After`; none
/// takes much longer than the 2 s acquire bound; writes succeed again within 2 s of each
/// return; and every acknowledged cadre is in the database afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_outage_under_write_load_loses_no_acknowledged_write() {
    const BOUND: Duration = Duration::from_secs(2);
    let Some((app, mut proxy, direct)) = behind_proxy(BOUND).await else {
        return skip();
    };
    let token = app.token("40", "clinician");
    let create = "mutation($input: CreateCadreInput!) { createCadre(input: $input) { id } }";
    let stop = Arc::new(AtomicBool::new(false));
    let writer = |worker: usize| {
        let (app, token, stop) = (&app, &token, stop.clone());
        async move {
            let mut answers = Vec::new();
            let mut n = 0;
            while !stop.load(Ordering::Acquire) {
                n += 1;
                let input = cadre_input("40", &format!("Mất Điện {worker} {n}"));
                let sent = Instant::now();
                let (status, headers, body) = app
                    .send_full(post(token, create, json!({ "input": input })))
                    .await;
                let took = sent.elapsed();
                let kept = if status == StatusCode::OK && body.get("errors").is_none() {
                    Some(
                        body["data"]["createCadre"]["id"]
                            .as_str()
                            .expect("id")
                            .to_owned(),
                    )
                } else {
                    assert_unavailable(status, &headers, &body);
                    // A client told to retry does, after a short pause.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    None
                };
                answers.push(Answer { sent, took, kept });
            }
            answers
        }
    };
    let outages = async {
        let mut windows = Vec::new();
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        for cut in [Proxy::refuse as fn(&mut Proxy), Proxy::blackhole] {
            let down = Instant::now();
            cut(&mut proxy);
            tokio::time::sleep(Duration::from_secs(3)).await;
            proxy.restore().await;
            let up = Instant::now();
            windows.push((down, up));
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        stop.store(true, Ordering::Release);
        windows
    };
    let (answers, windows) = tokio::join!(futures::future::join_all((0..4).map(writer)), outages);
    let answers: Vec<Answer> = answers.into_iter().flatten().collect();

    let slowest = answers.iter().map(|a| a.took).max().expect("answers");
    eprintln!("slowest answer: {slowest:?}");
    assert!(
        slowest < BOUND + Duration::from_millis(1_500),
        "a request took {slowest:?}"
    );
    for (i, (down, up)) in windows.iter().enumerate() {
        let refused = answers
            .iter()
            .filter(|a| a.kept.is_none() && a.sent >= *down && a.sent < *up)
            .count();
        assert!(refused > 0, "outage {i}: no request noticed it");
        let recovered = answers
            .iter()
            .filter(|a| a.kept.is_some() && a.sent + a.took >= *up)
            .map(|a| a.sent + a.took)
            .min()
            .expect("writes after the outage");
        let after = recovered - *up;
        assert!(
            after < BOUND,
            "outage {i}: first write kept {after:?} after the return"
        );
        eprintln!("outage {i}: {refused} requests answered 503; writes back after {after:?}");
    }

    let acknowledged: BTreeSet<String> = answers.iter().filter_map(|a| a.kept.clone()).collect();
    let stored: BTreeSet<String> = direct
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT id::text FROM cadres WHERE full_name LIKE 'Mất Điện %'",
        ))
        .await
        .expect("read back")
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("id"))
        .collect();
    let lost: Vec<&String> = acknowledged.difference(&stored).collect();
    eprintln!(
        "{} answers: {} acknowledged, {} stored, {} lost",
        answers.len(),
        acknowledged.len(),
        stored.len(),
        lost.len()
    );
    assert!(acknowledged.len() > 20, "too few writes to tell");
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
}
