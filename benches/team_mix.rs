//! Benchmark: what a board's team gets at once. Clients run the mix of the SQLite concurrency
//! issue with no think time: of every 7 clients, 4 clinicians list 100 cadres of Nghệ An with
//! each one's latest exam and 5 exams (audited clinical reads), 2 update a cadre of their own
//! with the version they hold, and 1 records exams (4 clients: 2 readers, 1 of each writer). At 4, 8 and 16 clients, for 10 s each,
//! through the real router in this process, on the seeded demo data. A bench binary, not a
//! timed test:
//!
//! ```sh
//! cargo bench --bench team_mix                     # SQLite, a fresh seeded file
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cadre_team cargo bench --bench team_mix
//! ```
//!
//! Prints, per level and per kind of request, requests per second, median and p99, and the
//! number of failed requests (which must be 0: nobody fails for a lock, and every writer sends
//! the version it holds).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use cadre_health::domain::Role;
use common::ms;
use serde_json::{Value, json};

const RUN: Duration = Duration::from_secs(10);

const READ: &str = "{ cadres(filter: {boardCode: \"40\"}, first: 100) { edges { node { \
    id latestExam { id cadreClass } exams(first: 5) { edges { node { id examinedOn } } } } } } }";
const UPDATE: &str = "mutation($id: ID!, $version: Int!, $input: UpdateCadreInput!) \
    { updateCadre(id: $id, version: $version, input: $input) { version } }";
const RECORD: &str =
    "mutation($input: RecordHealthExamInput!) { recordHealthExam(input: $input) { id } }";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Read,
    Update,
    Record,
}

impl Kind {
    /// Every 7 clients hold the issue's mix (4 readers, 2 updaters, 1 recorder), in an order
    /// that gives 4 clients a writer of each kind too (2 readers, 1 updater, 1 recorder).
    fn of(client: usize) -> Kind {
        const MIX: [Kind; 7] = [
            Kind::Read,
            Kind::Update,
            Kind::Record,
            Kind::Read,
            Kind::Read,
            Kind::Update,
            Kind::Read,
        ];
        MIX[client % MIX.len()]
    }
}

struct Bench {
    app: Router,
    token: String,
}

impl Bench {
    async fn ask(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        common::ask(&self.app, &self.token, query, variables).await
    }

    /// One client's loop until `stop`: the latency of every request and how many failed.
    async fn client(
        self: Arc<Self>,
        kind: Kind,
        cadre: (String, i64),
        examined: Arc<Vec<String>>,
        stop: Instant,
    ) -> (Kind, Vec<Duration>, usize) {
        let (id, mut version) = cadre;
        let mut next = 0;
        let mut times = Vec::new();
        let mut failed = 0;
        while Instant::now() < stop {
            let started = Instant::now();
            let answer = match kind {
                Kind::Read => self.ask(READ, json!({})).await,
                Kind::Update => {
                    self.ask(
                        UPDATE,
                        json!({"id": id, "version": version, "input": {"workplace": format!("v{version}")}}),
                    )
                    .await
                }
                Kind::Record => {
                    // A campaign day: each exam for the next cadre in the queue.
                    next = (next + 1) % examined.len();
                    self.ask(RECORD, json!({"input": exam(&examined[next])}))
                        .await
                }
            };
            times.push(started.elapsed());
            match answer {
                Ok(body) if body.get("errors").is_none() => {
                    if kind == Kind::Update {
                        version += 1;
                    }
                }
                Ok(body) => {
                    failed += 1;
                    eprintln!("{kind:?} failed: {}", body["errors"]);
                }
                Err(err) => {
                    failed += 1;
                    eprintln!("{kind:?} failed: {err}");
                }
            }
        }
        (kind, times, failed)
    }
}

fn exam(cadre: &str) -> Value {
    json!({ "cadreId": cadre, "exam": {
        "examinedOn": "2025-04-10", "kind": "PERIODIC", "heightCm": 165.0, "weightKg": 60.0,
        "systolicMmhg": 130, "diastolicMmhg": 85, "pulseBpm": 72,
        "diagnoses": ["I10"], "cadreClass": "B1", "generalClass": "II" } })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let app = common::bench_app("40", Role::Clinician, true).await?;
    let backend = app.backend;
    let bench = Arc::new(Bench {
        app: app.router,
        token: app.token,
    });

    // A cadre of their own for each writer: the first 16 serving cadres of Nghệ An.
    let list = bench
        .ask(
            "{ cadres(filter: {boardCode: \"40\", status: SERVING}, first: 16) \
             { edges { node { id version } } } }",
            json!({}),
        )
        .await?;
    let own: Vec<(String, i64)> = list["data"]["cadres"]["edges"]
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("no cadres: {list}"))?
        .iter()
        .map(|e| {
            (
                e["node"]["id"].as_str().unwrap_or_default().to_owned(),
                e["node"]["version"].as_i64().unwrap_or_default(),
            )
        })
        .collect();
    anyhow::ensure!(own.len() == 16, "need 16 cadres in Nghệ An");
    // The cadres examined: a hundred of a district, so that no one cadre piles up exams.
    let district = bench
        .ask(
            "{ cadres(filter: {boardCode: \"412\"}, first: 100) { edges { node { id } } } }",
            json!({}),
        )
        .await?;
    let examined: Arc<Vec<String>> = Arc::new(
        district["data"]["cadres"]["edges"]
            .as_array()
            .ok_or_else(|| anyhow::anyhow!("no cadres in 412: {district}"))?
            .iter()
            .filter_map(|e| e["node"]["id"].as_str().map(str::to_owned))
            .collect(),
    );
    anyhow::ensure!(!examined.is_empty(), "need cadres in 412");

    for clients in [4, 8, 16] {
        // Versions move on between levels: read them again.
        let mut cadres = Vec::new();
        for (id, _) in own.iter().take(clients) {
            let body = bench
                .ask(
                    &format!("{{ cadre(id: \"{id}\") {{ version }} }}"),
                    json!({}),
                )
                .await?;
            let version = body["data"]["cadre"]["version"]
                .as_i64()
                .unwrap_or_default();
            cadres.push((id.clone(), version));
        }
        let stop = Instant::now() + RUN;
        let runs = futures::future::join_all(cadres.into_iter().enumerate().map(|(i, cadre)| {
            let client = bench
                .clone()
                .client(Kind::of(i), cadre, examined.clone(), stop);
            tokio::spawn(client)
        }))
        .await;
        let mut all = Vec::new();
        for kind in [Kind::Read, Kind::Update, Kind::Record] {
            let mut times = Vec::new();
            let mut failed = 0;
            for run in runs.iter().flatten().filter(|(k, _, _)| *k == kind) {
                times.extend_from_slice(&run.1);
                failed += run.2;
            }
            report(backend, clients, &format!("{kind:?}"), &mut times, failed);
            all.extend(times);
        }
        let failed = runs.iter().flatten().map(|r| r.2).sum();
        report(backend, clients, "all", &mut all, failed);
    }
    Ok(())
}

fn report(backend: &str, clients: usize, kind: &str, times: &mut [Duration], failed: usize) {
    if times.is_empty() {
        return;
    }
    times.sort();
    let n = times.len();
    println!(
        "{backend} | {clients:>2} clients | {kind:<6} | {:>7.1} req/s | median {:>7.1} ms | p99 {:>7.1} ms | failed {failed}",
        n as f64 / RUN.as_secs_f64(),
        ms(times[n / 2]),
        ms(times[(n * 99 / 100).min(n - 1)]),
    );
}
