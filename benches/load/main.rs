//! The load benchmark: the release server on a national PostgreSQL database, driven over HTTP
//! at 1 and 32 clients, scenario by scenario, with pgbench replaying the server's own SQL for
//! the lists and the dashboards; writes `BENCHMARKS.md`. Run it through `scripts/bench-load`,
//! which builds the release binary and seeds the database first:
//!
//! ```sh
//! scripts/bench-load                                   # 3 s warm-up, 15 s each
//! scripts/bench-load --duration 5s --warmup 1s         # a quick look
//! ```
//!
//! Scenarios (a district and province of Nghệ An, `412` and `40`; central is `TW`):
//! 1. a district clinician lists 50 cadres with board and latest exam;
//! 2. a provincial clinician lists 50 cadres with every exam;
//! 3. a name search, in the province (3a) and nationally (3b);
//! 4. one cadre's whole record (IDs picked up front);
//! 5. the central coverage and class dashboards, as a central analyst;
//! 6. exams and visits recorded at a low rate while scenario 1's readers read.

mod capture;
mod drive;
mod report;
mod scenarios;
mod server;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use axum::body::Bytes;
use clap::Parser;
use rand::distr::{Alphanumeric, SampleString};
use serde_json::{Value, json};

use drive::{Outcome, Plan, Traffic};
use scenarios::{Boards, User};
use server::{Launch, Server};

#[derive(Parser, Debug)]
#[command(about = "Load benchmark of the release server on a national PostgreSQL database")]
pub struct Args {
    /// The national database (seeded with `cadre-health seed --scale national`).
    #[arg(
        long,
        default_value = "postgres://postgres@127.0.0.1:5432/cadre_national"
    )]
    database_url: String,
    /// The release binary.
    #[arg(long, default_value = "target/release/cadre-health")]
    binary: PathBuf,
    /// Measured time per scenario and concurrency.
    #[arg(long, default_value = "15s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// Unmeasured time before it.
    #[arg(long, default_value = "3s", value_parser = humantime::parse_duration)]
    warmup: Duration,
    /// Concurrencies (closed-loop clients).
    #[arg(long, value_delimiter = ',', default_value = "1,32")]
    clients: Vec<usize>,
    /// Scenarios to run (`1,2,3,4,5,6`).
    #[arg(long, value_delimiter = ',', default_value = "1,2,3,4,5,6")]
    scenarios: Vec<u8>,
    /// The province the scenarios act in.
    #[arg(long, default_value = "40")]
    province: String,
    /// The district of that province scenarios 1 and 6 act in.
    #[arg(long, default_value = "412")]
    district: String,
    /// Requests a second of each of scenario 6's two writers (exams, visits).
    #[arg(long, default_value_t = 2.0)]
    write_rate: f64,
    /// Skip capturing the server's SQL and replaying it through pgbench.
    #[arg(long)]
    no_pgbench: bool,
    /// PostgreSQL's log, where the captured statements are read from.
    #[arg(long, default_value = "/var/log/postgresql/postgresql-15-main.log")]
    pg_log: PathBuf,
    /// Where the captured pgbench scripts and the server logs go.
    #[arg(long, default_value = "target/bench-load")]
    out: PathBuf,
    /// The report to write.
    #[arg(long, default_value = "BENCHMARKS.md")]
    report: PathBuf,
    /// `VACUUM (ANALYZE)` the database before measuring.
    #[arg(long)]
    vacuum: bool,
    /// Set by `scripts/bench-load` when it seeded the database in this run.
    #[arg(long)]
    fresh_seed: bool,
    /// The command as typed, for the report (set by `scripts/bench-load`).
    #[arg(long, default_value = "cargo bench --bench load")]
    command: String,
    /// Ignored: cargo passes `--bench` to bench binaries.
    #[arg(long, hide = true)]
    bench: bool,
}

/// One measured row of the report.
pub struct Row {
    pub scenario: &'static str,
    pub title: String,
    pub clients: usize,
    pub outcome: Outcome,
    pub replay: Option<ReplayRow>,
}

pub struct ReplayRow {
    pub script: PathBuf,
    pub statements: usize,
    pub tps: f64,
    pub failed: Option<String>,
}

/// A scenario: its key, title, readers, writers, and whether pgbench replays it.
struct Scenario {
    key: &'static str,
    number: u8,
    title: String,
    readers: Traffic,
    writers: Vec<Traffic>,
    replay: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.out)?;
    let machine = report::Machine::now(&args.database_url)?;
    let conditions_before = report::Conditions::read(&args.database_url, args.fresh_seed)?;
    if conditions_before.cadres == 0 {
        bail!(
            "{} holds no cadres: seed it (scripts/bench-load does)",
            args.database_url
        );
    }
    if args.vacuum {
        eprintln!("VACUUM (ANALYZE)…");
        capture::psql(&args.database_url, "VACUUM (ANALYZE)")?;
    }
    let conditions = report::Conditions::read(&args.database_url, args.fresh_seed)?;

    let secret = Alphanumeric.sample_string(&mut rand::rng(), 48);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .timeout(Duration::from_secs(120))
        .build()?;
    let base = launch(&args, &secret, &args.database_url, "server.log");
    // Leaked once: the codes live as long as the benchmark, and every scenario's user holds them.
    let boards = Boards {
        province: Box::leak(args.province.clone().into_boxed_str()),
        district: Box::leak(args.district.clone().into_boxed_str()),
    };
    let mut tokens = HashMap::new();
    for user in [
        boards.district_clinician(),
        boards.province_clinician(),
        boards.central_analyst(),
    ] {
        tokens.insert(user, base.token(user.board, user.role)?);
    }

    // Capture first, on a server of its own, so statement logging never runs beside the
    // measurements.
    let mut scripts = HashMap::new();
    let replayed: Vec<u8> = [1, 2, 5]
        .into_iter()
        .filter(|n| args.scenarios.contains(n))
        .collect();
    if !args.no_pgbench && !replayed.is_empty() {
        let tagged = capture::tagged_url(&args.database_url);
        let capturing = launch(&args, &secret, &tagged, "capture-server.log");
        scripts = capture_scripts(&args, &http, &capturing, boards, &tokens, &replayed).await?;
    }

    eprintln!("starting the server on {}", args.database_url);
    let mut server = base.serve(&http).await?;
    let picked = Picked::fetch(&http, &server, boards, &tokens).await?;
    let plan = Plan {
        warmup: args.warmup,
        duration: args.duration,
    };
    let mut rows = Vec::new();
    // The dashboards last: at 32 clients on an unvacuumed database they may run into the
    // request timeout, and should not slow the scenarios after them.
    let mut order: Vec<u8> = args.scenarios.clone();
    order.sort_by_key(|n| if *n == 5 { 99 } else { *n });
    for number in order {
        for scenario in build(number, boards, &tokens, &picked)? {
            check_once(&http, &server, &scenario).await?;
            for &clients in &args.clients {
                eprintln!("scenario {} at {clients} clients…", scenario.key);
                let outcome = drive::run(
                    &http,
                    &server,
                    &plan,
                    &scenario.readers,
                    clients,
                    &scenario.writers,
                    args.write_rate,
                )
                .await?;
                let replay = match scripts.get(&scenario.number).filter(|_| scenario.replay) {
                    Some(script) => {
                        eprintln!("  pgbench at {clients} clients…");
                        let r = capture::pgbench(
                            &args.database_url,
                            script,
                            clients,
                            args.warmup,
                            args.duration,
                        )?;
                        Some(ReplayRow {
                            script: script.path.clone(),
                            statements: script.statements,
                            tps: r.tps,
                            failed: r.failed,
                        })
                    }
                    None => None,
                };
                report::print_row(scenario.key, clients, &outcome, replay.as_ref());
                rows.push(Row {
                    scenario: scenario.key,
                    title: scenario.title.clone(),
                    clients,
                    outcome,
                    replay,
                });
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
    let lifetime_peak = server.peak_rss().unwrap_or(0);
    server.stop();
    let load_after = report::loadavg();
    let text = report::markdown(
        &args,
        &machine,
        &conditions,
        &rows,
        lifetime_peak,
        &load_after,
    );
    std::fs::write(&args.report, text)?;
    eprintln!("wrote {}", args.report.display());
    Ok(())
}

/// How to start the binary on `url`, logging to `log` in the output directory.
fn launch<'a>(args: &'a Args, secret: &'a str, url: &'a str, log: &str) -> Launch<'a> {
    Launch {
        binary: &args.binary,
        database_url: url,
        secret,
        log: args.out.join(log),
    }
}

/// Sends one request of the scenario and stops the benchmark if it fails: a scenario whose
/// document is wrong would otherwise be measured as a stream of errors.
async fn check_once(
    http: &reqwest::Client,
    server: &Server,
    scenario: &Scenario,
) -> anyhow::Result<()> {
    for traffic in std::iter::once(&scenario.readers).chain(&scenario.writers) {
        let body = traffic.bodies.first().context("no request body")?.clone();
        match post(http, server, &traffic.token, body).await {
            Ok(answer) if answer.get("errors").is_some() => {
                bail!("scenario {} ({}): {answer}", scenario.key, traffic.label)
            }
            Ok(_) => {}
            // Refused for time or load (HTTP 503): measured anyway, counted as errors.
            Err(err) => eprintln!("scenario {} ({}): {err}", scenario.key, traffic.label),
        }
    }
    Ok(())
}

async fn post(
    http: &reqwest::Client,
    server: &Server,
    token: &str,
    body: impl Into<reqwest::Body>,
) -> anyhow::Result<Value> {
    let response = http
        .post(server.graphql())
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await?;
    let status = response.status();
    let value: Value = serde_json::from_slice(&response.bytes().await?)?;
    if !status.is_success() {
        bail!("HTTP {status}: {value}");
    }
    Ok(value)
}

/// The IDs the scenarios use, read once through the API.
struct Picked {
    records: Vec<String>,
    writable: Vec<String>,
}

impl Picked {
    async fn fetch(
        http: &reqwest::Client,
        server: &Server,
        boards: Boards,
        tokens: &HashMap<User, String>,
    ) -> anyhow::Result<Picked> {
        let ids = |answer: Value| -> anyhow::Result<Vec<String>> {
            let ids: Vec<String> = answer["data"]["cadres"]["edges"]
                .as_array()
                .with_context(|| format!("no cadres: {answer}"))?
                .iter()
                .filter_map(|e| e["node"]["id"].as_str().map(str::to_owned))
                .collect();
            anyhow::ensure!(!ids.is_empty(), "no cadres: {answer}");
            Ok(ids)
        };
        let ask = |user: User, query: &str| {
            let body = scenarios::body(query, json!({}));
            let token = tokens.get(&user).cloned().unwrap_or_default();
            async move { post(http, server, &token, body).await }
        };
        Ok(Picked {
            records: ids(ask(boards.province_clinician(), scenarios::PICK_RECORDS).await?)?,
            writable: ids(ask(boards.district_clinician(), scenarios::PICK_WRITABLE).await?)?,
        })
    }
}

fn traffic(label: &str, token: &str, bodies: Vec<Vec<u8>>) -> Traffic {
    Traffic {
        label: label.to_owned(),
        token: token.to_owned(),
        bodies: Arc::new(bodies.into_iter().map(Bytes::from).collect()),
    }
}

/// Scenario `number`'s parts (3 has two: in the province and nationally).
fn build(
    number: u8,
    boards: Boards,
    tokens: &HashMap<User, String>,
    picked: &Picked,
) -> anyhow::Result<Vec<Scenario>> {
    use scenarios as s;
    let token = |user: User| tokens.get(&user).map(String::as_str).unwrap_or_default();
    let one = |query: &str| vec![s::body(query, json!({}))];
    let searches = || {
        s::SEARCH_TERMS
            .iter()
            .map(|q| s::body(s::SEARCH, json!({ "q": q })))
            .collect::<Vec<_>>()
    };
    let (p, d) = (boards.province, boards.district);
    let scenario = |key, title: String, readers, writers, replay| Scenario {
        key,
        number,
        title,
        readers,
        writers,
        replay,
    };
    Ok(match number {
        1 => vec![scenario(
            "1",
            format!("district clinician ({d}): 50 cadres, board, latest exam"),
            traffic(
                "list",
                token(boards.district_clinician()),
                one(s::DISTRICT_LIST),
            ),
            vec![],
            true,
        )],
        2 => vec![scenario(
            "2",
            format!("provincial clinician ({p}): 50 cadres with every exam"),
            traffic(
                "list",
                token(boards.province_clinician()),
                one(s::PROVINCE_EXAMS),
            ),
            vec![],
            true,
        )],
        3 => vec![
            scenario(
                "3a",
                format!("name search in the province ({p}, clinician), 8 names in turn"),
                traffic("search", token(boards.province_clinician()), searches()),
                vec![],
                false,
            ),
            scenario(
                "3b",
                "name search nationally (TW, analyst), 8 names in turn".into(),
                traffic("search", token(boards.central_analyst()), searches()),
                vec![],
                false,
            ),
        ],
        4 => vec![scenario(
            "4",
            format!("one cadre's whole record ({p}, clinician), 100 cadres in turn"),
            traffic(
                "record",
                token(boards.province_clinician()),
                picked
                    .records
                    .iter()
                    .map(|id| s::body(s::RECORD, json!({ "id": id })))
                    .collect(),
            ),
            vec![],
            false,
        )],
        5 => vec![scenario(
            "5",
            "central dashboards (TW analyst): coverage and class distribution 2025".into(),
            traffic(
                "dashboards",
                token(boards.central_analyst()),
                one(s::DASHBOARDS),
            ),
            vec![],
            true,
        )],
        6 => vec![scenario(
            "6",
            format!("scenario 1's readers with an exam writer and a visit writer ({d})"),
            traffic(
                "list (readers)",
                token(boards.district_clinician()),
                one(s::DISTRICT_LIST),
            ),
            vec![
                traffic(
                    "record exam (writer)",
                    token(boards.district_clinician()),
                    picked
                        .writable
                        .iter()
                        .map(|id| s::body(s::RECORD_EXAM, s::exam_input(id)))
                        .collect(),
                ),
                traffic(
                    "record visit (writer)",
                    token(boards.district_clinician()),
                    picked
                        .writable
                        .iter()
                        .map(|id| s::body(s::RECORD_VISIT, s::visit_input(id)))
                        .collect(),
                ),
            ],
            false,
        )],
        other => bail!("no scenario {other} (1–6)"),
    })
}

/// Starts the capture server, sends scenarios 1, 2 and 5 three times each (one at a time),
/// and writes each one's last transaction as a pgbench script.
async fn capture_scripts(
    args: &Args,
    http: &reqwest::Client,
    capturing: &Launch<'_>,
    boards: Boards,
    tokens: &HashMap<User, String>,
    numbers: &[u8],
) -> anyhow::Result<HashMap<u8, capture::Script>> {
    eprintln!("capturing the server's SQL from {}", args.pg_log.display());
    let dir = args.out.join("captured");
    std::fs::create_dir_all(&dir)?;
    let logging = capture::StatementLog::enable(&args.database_url)?;
    let mut server = capturing.serve(http).await?;
    let mut scripts = HashMap::new();
    let no_ids = Picked {
        records: vec![],
        writable: vec![],
    };
    for &number in numbers {
        let scenario = build(number, boards, tokens, &no_ids)?
            .into_iter()
            .next()
            .context("a scenario")?;
        // Let the log catch up with anything before.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let from = capture::log_offset(&args.pg_log)?;
        let mut failed = None;
        for _ in 0..3 {
            let body = scenario.readers.bodies[0].clone();
            match post(http, &server, &scenario.readers.token, body).await {
                Ok(answer) if answer.get("errors").is_none() => {}
                Ok(answer) => failed = Some(answer.to_string()),
                Err(err) => failed = Some(err.to_string()),
            }
        }
        if let Some(err) = failed {
            // A request that fails (a timeout on a slow database) rolled back: no transaction
            // worth replaying. The scenario is then measured without its pgbench row.
            eprintln!(
                "  scenario {}: not captured, a request failed: {err}",
                scenario.key
            );
            continue;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let to = capture::log_offset(&args.pg_log)?;
        let pids: HashSet<u32> = capture::capture_pids(&args.database_url)?;
        let tx = capture::last_transaction(&args.pg_log, from, to, &pids)
            .with_context(|| format!("scenario {}", scenario.key))?;
        let name = format!("scenario-{}", scenario.key);
        let header = format!(
            "scenario {}: {}\ncaptured from the server's PostgreSQL sessions (log_statement = all), \
             its last of 3 requests; {} statements",
            scenario.key,
            scenario.title,
            tx.len()
        );
        let script = capture::write_script(&dir, &name, &tx, &header)?;
        eprintln!(
            "  scenario {}: {} statements → {}",
            scenario.key,
            script.statements,
            script.path.display()
        );
        scripts.insert(number, script);
    }
    server.stop();
    drop(logging);
    Ok(scripts)
}
