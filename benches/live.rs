//! Benchmark: live updates. A bench binary, not a timed test:
//!
//! ```sh
//! cargo bench --bench live                     # SQLite, a fresh seeded file
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cadre_live cargo bench --bench live
//! ```
//!
//! 1. **Latency.** The router serves a socket in this process; one clinician subscribes to
//!    `examRecorded` over `/graphql/ws`; 200 exams are recorded one after the other through
//!    the router, each timed from sending the mutation to its event arriving on the socket
//!    (the whole path: commit, NOTIFY or in-process channel, the scoped re-read, the audit,
//!    the socket). Prints the median and p99, and the same for the mutation's own answer.
//! 2. **Memory.** The real binary (release) serves the same database in a child process; its
//!    resident memory (`VmRSS`) is read idle, then with 1,000 sockets each holding one idle
//!    `coverageChanged` subscription.

mod common;

use std::time::{Duration, Instant};

use cadre_health::app::{ServeOptions, serve};
use cadre_health::auth::TokenKeys;
use cadre_health::domain::Role;
use common::{ask, bench_app, ms};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const EXAMS: usize = 200;
const IDLE_SUBSCRIPTIONS: usize = 1_000;
const SECRET: &str = "live-bench-secret-live-bench-secret-0123456789";

const RECORD: &str =
    "mutation($input: RecordHealthExamInput!) { recordHealthExam(input: $input) { id } }";

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A socket at `addr`, initialised with `token`, with subscription `query` started.
async fn subscribe(addr: std::net::SocketAddr, token: &str, query: &str) -> anyhow::Result<Socket> {
    let mut request = format!("ws://{addr}/graphql/ws").into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await?;
    let init =
        json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}});
    ws.send(Message::Text(init.to_string().into())).await?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) if t.contains("connection_ack") => break,
            Some(Ok(Message::Text(t))) => anyhow::bail!("unexpected: {t}"),
            Some(Ok(_)) => {}
            other => anyhow::bail!("no ack: {other:?}"),
        }
    }
    let start = json!({"id": "1", "type": "subscribe", "payload": {"query": query}});
    ws.send(Message::Text(start.to_string().into())).await?;
    Ok(ws)
}

/// The `(median, p99)` of `samples`, in milliseconds.
fn summary(samples: &mut [Duration]) -> (f64, f64) {
    samples.sort();
    let at = |q: f64| ms(samples[((samples.len() - 1) as f64 * q).round() as usize]);
    (at(0.5), at(0.99))
}

async fn latency() -> anyhow::Result<()> {
    let app = bench_app("40", Role::Clinician, true).await?;
    let cadres = ask(
        &app.router,
        &app.token,
        "{ cadres(filter: {boardCode: \"412\"}, first: 100) { edges { node { id } } } }",
        json!({}),
    )
    .await?;
    let cadres: Vec<String> = cadres["data"]["cadres"]["edges"]
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("no cadres: {cadres}"))?
        .iter()
        .filter_map(|e| e["node"]["id"].as_str().map(str::to_owned))
        .collect();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let options = ServeOptions {
        header_read_timeout: Duration::from_secs(10),
        max_connections: 1024,
        shutdown_grace: Duration::from_secs(1),
    };
    tokio::spawn(serve(
        listener,
        app.router.clone(),
        options,
        std::future::pending(),
    ));
    let mut ws = subscribe(addr, &app.token, "subscription { examRecorded { id } }").await?;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let (mut to_event, mut to_answer) = (Vec::new(), Vec::new());
    for i in 0..EXAMS {
        let cadre = &cadres[i % cadres.len()];
        let input = json!({"cadreId": cadre, "exam": {"examinedOn": "2026-03-10", "kind": "ROUTINE", "systolicMmhg": 120, "diastolicMmhg": 80}});
        let sent = Instant::now();
        let answer = ask(&app.router, &app.token, RECORD, json!({"input": input})).await?;
        to_answer.push(sent.elapsed());
        let id = answer["data"]["recordHealthExam"]["id"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("not recorded: {answer}"))?
            .to_owned();
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), ws.next())
                .await?
                .ok_or_else(|| anyhow::anyhow!("socket closed"))??;
            if let Message::Text(text) = message {
                let event: Value = serde_json::from_str(&text)?;
                if event["payload"]["data"]["examRecorded"]["id"] == id.as_str() {
                    break;
                }
            }
        }
        to_event.push(sent.elapsed());
    }
    let (answer_median, answer_p99) = summary(&mut to_answer);
    let (event_median, event_p99) = summary(&mut to_event);
    println!(
        "{}: {EXAMS} exams, one subscriber: mutation answered median {answer_median:.1} ms, p99 {answer_p99:.1} ms; \
         event received median {event_median:.1} ms, p99 {event_p99:.1} ms (from sending the mutation)",
        app.backend
    );
    Ok(())
}

/// The resident memory of process `pid`, in KiB.
fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no VmRSS"))
}

async fn memory() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse()?;
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_cadre-health"));
    command
        .arg("serve")
        .env("CADRE_HEALTH_DATA_DIR", dir.path())
        .env("CADRE_HEALTH_BIND", addr.to_string())
        .env("CADRE_HEALTH_JWT_SECRET", SECRET)
        .env("CADRE_HEALTH_RATE_LIMIT", "0")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null());
    match std::env::var("BENCH_DATABASE_URL") {
        Ok(url) => command.env("DATABASE_URL", url),
        Err(_) => command.env_remove("DATABASE_URL"),
    };
    let mut child = command.spawn()?;
    let pid = child.id();
    let result = async {
        let deadline = Instant::now() + Duration::from_secs(120);
        while tokio::net::TcpStream::connect(addr).await.is_err() {
            anyhow::ensure!(Instant::now() < deadline, "the server did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let keys = TokenKeys::hs256(SECRET.as_bytes(), Duration::from_secs(12 * 3600));
        let token = keys
            .issue("40", Role::Analyst, "bench", Duration::from_secs(3600))
            .map_err(|e| anyhow::anyhow!(e.public_message()))?;
        // Warm: one socket and one event's worth of work before the baseline.
        let warm = subscribe(addr, &token, "subscription { coverageChanged(year: 2026, round: 1) { total { examined } } }").await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        drop(warm);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let idle = rss_kib(pid)?;
        let mut sockets = Vec::with_capacity(IDLE_SUBSCRIPTIONS);
        for _ in 0..IDLE_SUBSCRIPTIONS {
            sockets.push(
                subscribe(addr, &token, "subscription { coverageChanged(year: 2026, round: 1) { total { examined } } }")
                    .await?,
            );
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let busy = rss_kib(pid)?;
        println!(
            "server RSS: {:.1} MiB idle, {:.1} MiB with {IDLE_SUBSCRIPTIONS} idle subscriptions (one socket each): \
             +{:.1} MiB, {:.1} KiB per subscription",
            idle as f64 / 1024.0,
            busy as f64 / 1024.0,
            (busy.saturating_sub(idle)) as f64 / 1024.0,
            (busy.saturating_sub(idle)) as f64 / IDLE_SUBSCRIPTIONS as f64,
        );
        drop(sockets);
        Ok(())
    }
    .await;
    let _ = child.kill();
    let _ = child.wait();
    result
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args().any(|a| a == "--list") {
        return Ok(());
    }
    latency().await?;
    memory().await?;
    Ok(())
}
