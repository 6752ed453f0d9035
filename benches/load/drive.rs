//! The load generator: closed-loop clients (each sends its next request when the last one is
//! answered, no think time) and, beside them, open-loop writers at a fixed rate. Latencies go
//! into HDR histograms (microseconds); only requests that start after the warm-up and end
//! before the stop count, and the server's CPU is read at those two instants.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::body::Bytes;
use hdrhistogram::Histogram;
use serde::Deserialize;
use serde::de::IgnoredAny;
use tokio::time::{Instant, MissedTickBehavior};

use crate::server::Server;

/// A kind of request: who sends it and the bodies it rotates through.
#[derive(Clone)]
pub struct Traffic {
    pub label: String,
    pub token: String,
    pub bodies: Arc<Vec<Bytes>>,
}

/// What one kind of request got within the measured window.
pub struct Tally {
    pub label: String,
    pub latency: Histogram<u64>,
    pub errors: u64,
    /// The first error seen, to say what went wrong.
    pub first_error: Option<String>,
}

impl Tally {
    fn new(label: &str) -> Tally {
        Tally {
            label: label.to_owned(),
            latency: new_histogram(),
            errors: 0,
            first_error: None,
        }
    }

    fn merge(&mut self, other: Tally) {
        // Both cover 1 µs to 10 minutes: adding cannot fail.
        let _ = self.latency.add(&other.latency);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    pub fn requests(&self) -> u64 {
        self.latency.len()
    }
}

/// One scenario at one concurrency: its tallies and the server's work meanwhile.
pub struct Outcome {
    pub tallies: Vec<Tally>,
    pub window: Duration,
    pub server_cpu: Duration,
    pub peak_rss: u64,
}

impl Outcome {
    pub fn requests(&self) -> u64 {
        self.tallies.iter().map(Tally::requests).sum()
    }

    /// Server CPU time per request answered, all kinds together.
    pub fn cpu_per_request(&self) -> Option<Duration> {
        let n = self.requests();
        (n > 0).then(|| self.server_cpu / u32::try_from(n).unwrap_or(u32::MAX))
    }
}

pub struct Plan {
    pub warmup: Duration,
    pub duration: Duration,
}

/// Runs `clients` closed-loop clients of `readers` and, for each of `writers`, one client at
/// `write_rate` requests a second, for the warm-up and then the measured duration.
pub async fn run(
    http: &reqwest::Client,
    server: &Server,
    plan: &Plan,
    readers: &Traffic,
    clients: usize,
    writers: &[Traffic],
    write_rate: f64,
) -> anyhow::Result<Outcome> {
    let url = Arc::new(server.graphql());
    let start = Instant::now();
    let measure_from = start + plan.warmup;
    let stop = measure_from + plan.duration;

    let mut tasks = Vec::new();
    for client in 0..clients {
        let (http, url, traffic) = (http.clone(), url.clone(), readers.clone());
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::new(&traffic.label);
            // Clients start at different places in the rotation.
            let mut next = client * 7;
            while Instant::now() < stop {
                let body = traffic.bodies[next % traffic.bodies.len()].clone();
                next += 1;
                send(
                    &http,
                    &url,
                    &traffic.token,
                    body,
                    measure_from,
                    stop,
                    &mut tally,
                )
                .await;
            }
            tally
        }));
    }
    for traffic in writers {
        let (http, url, traffic) = (http.clone(), url.clone(), traffic.clone());
        let period = Duration::from_secs_f64(1.0 / write_rate.max(0.001));
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::new(&traffic.label);
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
            let mut next = 0;
            loop {
                tick.tick().await;
                if Instant::now() >= stop {
                    break;
                }
                let body = traffic.bodies[next % traffic.bodies.len()].clone();
                next += 1;
                send(
                    &http,
                    &url,
                    &traffic.token,
                    body,
                    measure_from,
                    stop,
                    &mut tally,
                )
                .await;
            }
            tally
        }));
    }

    // The server's CPU and memory at the window's two ends.
    tokio::time::sleep_until(measure_from).await;
    let cpu_before = server.cpu()?;
    server.reset_peak();
    tokio::time::sleep_until(stop).await;
    let cpu_after = server.cpu()?;
    let window = Instant::now() - measure_from;
    let peak_rss = server.peak_rss()?;

    let mut tallies: Vec<Tally> = Vec::new();
    for task in tasks {
        let tally = task.await.context("a client panicked")?;
        match tallies.iter_mut().find(|t| t.label == tally.label) {
            Some(t) => t.merge(tally),
            None => tallies.push(tally),
        }
    }
    Ok(Outcome {
        tallies,
        window,
        server_cpu: cpu_after.saturating_sub(cpu_before),
        peak_rss,
    })
}

/// Only the part of a GraphQL answer the generator looks at.
#[derive(Deserialize)]
struct Answer {
    errors: Option<IgnoredAny>,
}

/// One request; counted when it starts at or after `from` and ends before `until`.
async fn send(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    body: Bytes,
    from: Instant,
    until: Instant,
    tally: &mut Tally,
) {
    let started = Instant::now();
    let result = async {
        let response = http
            .post(url)
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        if !status.is_success() {
            anyhow::bail!("HTTP {status}: {}", snippet(&bytes));
        }
        let answer: Answer = serde_json::from_slice(&bytes)?;
        if answer.errors.is_some() {
            anyhow::bail!("GraphQL errors: {}", snippet(&bytes));
        }
        Ok::<(), anyhow::Error>(())
    }
    .await;
    let ended = Instant::now();
    if started < from || ended > until {
        return;
    }
    let micros = u64::try_from((ended - started).as_micros()).unwrap_or(u64::MAX);
    let _ = tally.latency.record(micros.clamp(1, MAX_MICROS));
    if let Err(err) = result {
        tally.errors += 1;
        if tally.first_error.is_none() {
            tally.first_error = Some(err.to_string());
        }
    }
}

const MAX_MICROS: u64 = 600_000_000;

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("1 µs to 10 minutes, 3 figures: valid")
}

fn snippet(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned()
}
