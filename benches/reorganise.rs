//! The 2025 reorganisation at national scale (issue 14): the list and the central statistics
//! before, the time to apply `vn-2025`, and the same requests after, with their ratios.
//!
//! Needs a national data set on PostgreSQL that the plan has not been applied to:
//!
//! ```sh
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/cadre_national cadre-health seed --scale national
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cadre_national cargo bench --bench reorganise
//! ```
//!
//! It applies the plan: run it on a copy (`CREATE DATABASE ... TEMPLATE ...`) to keep the
//! 2024 tree.

#[path = "common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use cadre_health::domain::Role;
use cadre_health::reorg::{self, Mode, plan::Plan};
use common::ms;
use serde_json::json;

/// Timed runs per request (after 3 untimed ones); the median is reported.
const ROUNDS: usize = 15;

const LIST: &str = "{ cadres(first: 50) { totalCount edges { node { id fullName status
    board { code name } latestExam { examinedOn cadreClass generalClass systolicMmhg } } } } }";
const COVERAGE: &str = "{ statistics { examCoverage(year: 2025, round: 1) { total { eligible examined rate } byBoard { board { code } eligible examined rate } } } }";
const CLASSES: &str = "{ statistics { healthClassDistribution(year: 2025, classification: CADRE) { total { classes { class cadres } unclassified } byBoard { board { code } classes { class cadres } classified unclassified } } } }";

/// (name, board asking, role, query).
const CASES: [(&str, &str, Role, &str); 4] = [
    (
        "list, Nghệ An (40, not merged)",
        "40",
        Role::Clinician,
        LIST,
    ),
    (
        "list, Tuyên Quang (08, takes Hà Giang)",
        "08",
        Role::Clinician,
        LIST,
    ),
    (
        "central examCoverage(2025, 1)",
        "TW",
        Role::Analyst,
        COVERAGE,
    ),
    (
        "central healthClassDistribution(2025)",
        "TW",
        Role::Analyst,
        CLASSES,
    ),
];

/// The median time of each case, asked through a fresh router (which reads the tree as it is).
async fn measure() -> anyhow::Result<Vec<Duration>> {
    let mut medians = Vec::new();
    for (name, board, role, query) in CASES {
        let bench = common::bench_app(board, role, false).await?;
        let mut times = Vec::new();
        for round in 0..ROUNDS + 3 {
            let started = Instant::now();
            let answer = common::ask(&bench.router, &bench.token, query, json!({})).await?;
            let took = started.elapsed();
            if answer.get("errors").is_some() {
                anyhow::bail!("{name}: {answer}");
            }
            if round >= 3 {
                times.push(took);
            }
        }
        times.sort();
        medians.push(times[times.len() / 2]);
    }
    Ok(medians)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("BENCH_DATABASE_URL")
        .map_err(|_| anyhow::anyhow!("set BENCH_DATABASE_URL to a national data set"))?;
    let before = measure().await?;

    let db = cadre_health::db::connect(&url).await?;
    let plan = Plan::load("vn-2025")?.map_err(reorg::Refused)?;
    let effective = "2025-07-01".parse()?;
    let started = Instant::now();
    let dry = reorg::run(&db, &plan, effective, Mode::DryRun).await?;
    let reviewed = started.elapsed();
    let started = Instant::now();
    reorg::run(&db, &plan, effective, Mode::Apply).await?;
    let applied = started.elapsed();
    let totals = dry.lines().rev().nth(1).unwrap_or_default().to_owned();

    let after = measure().await?;
    println!("reorganise vn-2025 on PostgreSQL: dry run {reviewed:.1?}, apply {applied:.1?}");
    println!("  {totals}");
    println!("median of {ROUNDS} (ms)          before    after   ratio");
    for (((name, ..), b), a) in CASES.iter().zip(&before).zip(&after) {
        println!(
            "  {name:<42} {:>7.1} {:>8.1} {:>6.2}x",
            ms(*b),
            ms(*a),
            ms(*a) / ms(*b)
        );
    }
    Ok(())
}
