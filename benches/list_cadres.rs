//! Benchmark: a provincial clinician lists 50 cadres of their province with each one's board
//! and latest exam, through the real router (token check, scoped transaction, GraphQL), on the
//! seeded demo data. A bench binary, not a timed test:
//!
//! ```sh
//! cargo bench --bench list_cadres                     # SQLite, a fresh seeded file
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cadre_bench cargo bench --bench list_cadres
//! ```
//!
//! A database that already holds cadres is used as it is; an empty one is migrated and seeded
//! (`Scale::Demo`, ~4,400 cadres, ~1,500 in Nghệ An). Prints min / median / p95 / mean per
//! request for the first page and a page deep into the list (page N should cost what page 1
//! costs), by name and by last exam date, and for a name search.

mod common;

use std::time::{Duration, Instant};

use cadre_health::domain::Role;
use common::ms;
use serde_json::{Value, json};

const ROUNDS: usize = 200;

const LIST: &str = "query ($after: String, $order: CadreOrder) {
    cadres(first: 50, after: $after, orderBy: $order) { totalCount
    pageInfo { endCursor } edges { node { id fullName status
    board { code name } latestExam { examinedOn cadreClass generalClass systolicMmhg } } } } }";

const SEARCH: &str = r#"{ cadres(first: 50, filter: {search: "nguyen van"}) { totalCount
    edges { node { id fullName board { code } latestExam { examinedOn cadreClass } } } } }"#;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let bench = common::bench_app("40", Role::Clinician, true).await?;
    let (app, token, backend) = (bench.router.clone(), bench.token.clone(), bench.backend);

    let ask = |query: &'static str, variables: Value| {
        let app = app.clone();
        let token = token.clone();
        async move {
            let body = common::ask(&app, &token, query, variables).await?;
            anyhow::ensure!(body.get("errors").is_none(), "errors: {body}");
            Ok::<Value, anyhow::Error>(body)
        }
    };

    // In each order, page 1 and page 20 (rows 951-1000, whose cursor is found by paging there).
    let mut cases = Vec::new();
    for (label, field) in [
        ("by name, board + latest exam", "NAME"),
        ("by last exam date", "LAST_EXAM_DATE"),
    ] {
        let order = json!({ "field": field });
        let mut after = Value::Null;
        for _ in 0..19 {
            let body = ask(LIST, json!({ "after": after, "order": order })).await?;
            after = body["data"]["cadres"]["pageInfo"]["endCursor"].clone();
        }
        let first = json!({ "after": null, "order": order });
        cases.push((format!("page 1 of 50 {label}"), LIST, first));
        let deep = json!({ "after": after, "order": order });
        cases.push((format!("page 20 of 50 {label}"), LIST, deep));
    }
    let search = "search \"nguyen van\", 50, board + latest exam".to_owned();
    cases.push((search, SEARCH, json!({})));
    let first = ask(LIST, json!({ "after": null })).await?;
    println!(
        "{backend}: province 40 has {} cadres in scope; {} on a page",
        first["data"]["cadres"]["totalCount"],
        first["data"]["cadres"]["edges"]
            .as_array()
            .map_or(0, Vec::len)
    );

    for (name, query, variables) in cases {
        for _ in 0..20 {
            ask(query, variables.clone()).await?;
        }
        let mut times = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let started = Instant::now();
            ask(query, variables.clone()).await?;
            times.push(started.elapsed());
        }
        times.sort();
        let mean = times.iter().sum::<Duration>() / ROUNDS as u32;
        println!(
            "{backend} | {name:<42} | min {:>6.2} ms | median {:>6.2} ms | p95 {:>6.2} ms | mean {:>6.2} ms",
            ms(times[0]),
            ms(times[ROUNDS / 2]),
            ms(times[ROUNDS * 95 / 100]),
            ms(mean)
        );
    }
    Ok(())
}
