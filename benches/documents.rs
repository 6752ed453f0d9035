//! Benchmark: how long the server takes to refuse (or answer) the most expensive documents we
//! can build within the body limit, through the real router, and how quickly `/healthz` answers
//! while two of them are in flight. A bench binary, not a timed test:
//!
//! ```sh
//! cargo bench --bench documents
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cadre_bench cargo bench --bench documents
//! ```
//!
//! The database is only migrated (no cadres are needed: nothing here reaches a table). Prints,
//! per document, its size, the answer (status and code) and min / median / max per request over
//! 20 rounds after 3 warm-up rounds, then `/healthz` latencies under load.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use cadre_health::domain::Role;
use common::ms;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const ROUNDS: usize = 20;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let bench = common::bench_app("TW", Role::Analyst, false).await?;
    let (app, token, body_limit) = (bench.router.clone(), bench.token.clone(), bench.body_limit);

    let documents = hostile_documents(body_limit);
    for (name, body) in &documents {
        let (status, code) = post(&app, &token, body.clone()).await?;
        for _ in 0..3 {
            post(&app, &token, body.clone()).await?;
        }
        let mut times = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let started = Instant::now();
            post(&app, &token, body.clone()).await?;
            times.push(started.elapsed());
        }
        report(name, body.len(), &format!("{status} {code}"), &mut times);
    }

    // GET carries the document in the URL, at most 64 KiB (the `http` crate's limit), and
    // `app/graphql_http.rs` parses it before `run` to refuse mutations.
    for (name, query) in [
        ("GET: 6,000 levels of { a", "{ a ".repeat(6_000)),
        (
            "GET: 7,000 fields",
            format!("{{ {}}}", "viewer ".repeat(7_000)),
        ),
        (
            "GET: 60 KB comment",
            format!("{{ viewer {{ role }} }} #{}", "x".repeat(60_000)),
        ),
    ] {
        let uri = format!("/graphql?query={}", percent_encoded(&query));
        let mut times = Vec::with_capacity(ROUNDS);
        let mut answer = String::new();
        for _ in 0..ROUNDS {
            let request = Request::get(uri.as_str())
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())?;
            let started = Instant::now();
            let response = app.clone().oneshot(request).await?;
            let status = response.status().as_u16();
            let bytes = response.into_body().collect().await?.to_bytes();
            times.push(started.elapsed());
            let body: Value = serde_json::from_slice(&bytes).unwrap_or_default();
            answer = format!("{status} {}", body["errors"][0]["extensions"]["code"]);
        }
        report(name, uri.len(), &answer, &mut times);
    }

    // `/healthz` while two clients send the worst documents back to back.
    for (name, body) in documents.iter().filter(|(name, _)| name.starts_with("*")) {
        let busy = Arc::new(AtomicBool::new(true));
        let mut clients = Vec::new();
        for _ in 0..2 {
            let (app, token, body, busy) = (app.clone(), token.clone(), body.clone(), busy.clone());
            clients.push(tokio::spawn(async move {
                let mut sent = 0usize;
                while busy.load(Ordering::Relaxed) {
                    post(&app, &token, body.clone()).await?;
                    sent += 1;
                }
                Ok::<usize, anyhow::Error>(sent)
            }));
        }
        let mut times = Vec::new();
        let until = Instant::now() + Duration::from_secs(2);
        while Instant::now() < until {
            let started = Instant::now();
            let response = app
                .clone()
                .oneshot(Request::get("/healthz").body(Body::empty())?)
                .await?;
            anyhow::ensure!(response.status().is_success(), "healthz failed");
            times.push(started.elapsed());
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        busy.store(false, Ordering::Relaxed);
        let mut sent = 0;
        for client in clients {
            sent += client.await??;
        }
        times.sort();
        println!(
            "/healthz during 2 clients sending {name} ({sent} sent in 2 s): {} probes, median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            times.len(),
            ms(times[times.len() / 2]),
            ms(times[times.len() * 99 / 100]),
            ms(times[times.len() - 1]),
        );
    }
    Ok(())
}

/// Prints a document's line: its size, the answer, and min / median / max over the rounds.
fn report(name: &str, size: usize, answer: &str, times: &mut [Duration]) {
    times.sort();
    println!(
        "{name:<58} | {size:>7} B | {answer:<21} | min {:>7.2} ms | median {:>7.2} ms | max {:>7.2} ms",
        ms(times[0]),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1]),
    );
}

/// Each document as a request body (JSON), filled up to the body limit where size helps.
/// Names starting with `*` are also sent while `/healthz` is probed.
fn hostile_documents(limit: usize) -> Vec<(String, String)> {
    // Room for the JSON around the query.
    let room = limit - 200;
    let fill = |head: &str, unit: &str, tail: &str| {
        let n = (room - head.len() - tail.len()) / unit.len();
        format!("{head}{}{tail}", unit.repeat(n))
    };
    let query = |q: String| json!({ "query": q }).to_string();
    let bomb = |n: usize| {
        let mut doc = format!("query {{ ...F{n} }} fragment F0 on Query {{ viewer {{ role }} }}");
        for i in 1..=n {
            doc += &format!(" fragment F{i} on Query {{ ...F{p} ...F{p} }}", p = i - 1);
        }
        doc
    };
    let chain = |n: usize| {
        let mut doc = format!("query {{ ...F{n} }} fragment F0 on Query {{ viewer {{ role }} }}");
        for i in 1..=n {
            doc += &format!(" fragment F{i} on Query {{ ...F{p} }}", p = i - 1);
        }
        doc
    };
    let nested = |open: &str, close: &str| {
        let n = room / (open.len() + close.len()) - 20;
        format!(
            "{{ __type(name: {}\"x\"{}) {{ name }} }}",
            open.repeat(n),
            close.repeat(n)
        )
    };
    // Read and validated, then refused before execution (no such operation).
    let unexecuted = |q: String| json!({ "query": q, "operationName": "None" }).to_string();
    vec![
        (
            "fragment bomb, n = 12, read + validated only".into(),
            unexecuted(bomb(12)),
        ),
        (
            "wide within the budgets, read + validated only".into(),
            unexecuted(format!("{{ {}}}", "viewer { role } ".repeat(740))),
        ),
        (
            "most nodes within the budgets, read + validated only".into(),
            unexecuted(format!(
                "{{ {} }} fragment F on Query {{ {} }}",
                "...F ".repeat(50),
                "viewer { role board { code name } } ".repeat(190)
            )),
        ),
        (
            "unknown fields within the token budget (each an error)".into(),
            query(format!("{{ {}}}", "vewer ".repeat(2_990))),
        ),
        (
            "fields without their selection within the token budget".into(),
            query(format!("{{ {}}}", "viewer ".repeat(2_990))),
        ),
        (
            "unknown arguments within the token budget".into(),
            query(format!("{{ viewer({}) {{ role }} }}", "a: 1 ".repeat(990))),
        ),
        ("* fragment bomb, n = 30".into(), query(bomb(30))),
        ("fragment bomb, n = 24 (62 s before)".into(), query(bomb(24))),
        (
            "fragment bomb, n = 12 (largest accepted)".into(),
            query(bomb(12)),
        ),
        (
            "fragment cycle F1 -> F2 -> F1".into(),
            query("{ ...F1 } fragment F1 on Query { viewer { role } ...F2 } fragment F2 on Query { ...F1 }".into()),
        ),
        ("fragment chain of 1,400".into(), query(chain(1400))),
        ("* wide: 1 MiB of fields".into(), query(fill("{ ", "viewer ", "}"))),
        (
            "wide: fields within the token budget".into(),
            query(format!("{{ {}}}", "viewer { role } ".repeat(740))),
        ),
        ("* deep: 1 MiB of {".into(), query("{".repeat(room))),
        ("deep: 1 MiB of { a".into(), query(fill("", "{ a ", ""))),
        ("* argument nested [[[...]]], 1 MiB".into(), query(nested("[", "]"))),
        (
            "argument nested {a: {a: ...}}, 1 MiB".into(),
            query(nested("{a: ", "}")),
        ),
        (
            "variables nested 127 deep (JSON's limit is 128)".into(),
            json!({
                "query": "query ($f: CadreFilter) { cadres(filter: $f) { totalCount } }",
                "variables": { "f": { "status": serde_json::from_str::<Value>(&format!("{}{}", "[".repeat(125), "]".repeat(125))).unwrap_or_default() } }
            })
            .to_string(),
        ),
        (
            "variables: 1 MiB of [".into(),
            format!(
                "{{\"query\": \"{{ viewer {{ role }} }}\", \"variables\": {{\"f\": {}}}}}",
                "[".repeat(room)
            ),
        ),
        (
            "many operations, 1 MiB".into(),
            query(fill("", "query Q { viewer { role } } ", "")),
        ),
        (
            "many operations within the token budget".into(),
            query(
                (0..590)
                    .map(|i| format!("query Q{i} {{ viewer }} "))
                    .collect(),
            ),
        ),
        (
            "many directives, 1 MiB".into(),
            query(fill("{ viewer ", "@include(if: true) ", "{ role } }")),
        ),
        (
            "* one 1 MiB string argument".into(),
            query(fill("{ __type(name: \"", "a", "\") { name } }")),
        ),
        (
            "one 1 MiB number argument".into(),
            query(fill("{ __type(name: ", "1", ") { name } }")),
        ),
        (
            "one 1 MiB block string, one line per byte".into(),
            // `\n` is two bytes in JSON.
            query(format!(
                "{{ __type(name: \"\"\"{}\"\"\") {{ name }} }}",
                "\n".repeat(room / 2 - 40)
            )),
        ),
        (
            "one 100 KiB string argument (longest accepted)".into(),
            query(format!(
                "{{ __type(name: \"{}\") {{ name }} }}",
                "a".repeat(100 * 1024 - 40)
            )),
        ),
        (
            "100 KiB comment (longest accepted)".into(),
            query(format!(
                "{{ viewer {{ role }} }} #{}",
                "a".repeat(100 * 1024 - 40)
            )),
        ),
        (
            "1 MiB comment".into(),
            query(fill("{ viewer { role } } #", "a", "")),
        ),
    ]
}

/// Posts `body`; the status and first error code.
async fn post(app: &Router, token: &str, body: String) -> anyhow::Result<(u16, String)> {
    let (status, bytes) = common::post(app, token, body).await?;
    let body: Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let code = body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or(if body.get("data").is_some() {
            "data"
        } else {
            "-"
        })
        .to_owned();
    Ok((status, code))
}

fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
