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

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, header};
use cadre_health::app::{AppState, router};
use cadre_health::auth::TokenKeys;
use cadre_health::db::{self, entities::cadre};
use cadre_health::domain::Role;
use clap::Parser;
use http_body_util::BodyExt;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use tower::ServiceExt;

const SECRET: &[u8] = b"bench-secret-bench-secret-bench-secret-0123";
const ROUNDS: usize = 200;

const LIST: &str = "query ($after: String, $order: CadreOrder) {
    cadres(first: 50, after: $after, orderBy: $order) { totalCount
    pageInfo { endCursor } edges { node { id fullName status
    board { code name } latestExam { examinedOn cadreClass generalClass systolicMmhg } } } } }";

const SEARCH: &str = r#"{ cadres(first: 50, filter: {search: "nguyen van"}) { totalCount
    edges { node { id fullName board { code } latestExam { examinedOn cadreClass } } } } }"#;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| {
        format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        )
    });
    let db = db::connect(&url).await?;
    db::migrate(&db).await?;
    let cadres = {
        let tx = db::begin_system(&db).await?;
        cadre::Entity::find().count(&tx).await?
    };
    if cadres == 0 {
        let started = Instant::now();
        cadre_health::seed::seed(&db, cadre_health::seed::Scale::Demo).await?;
        eprintln!("seeded demo data in {:.1?}", started.elapsed());
    }
    let mut config = cadre_health::cli::Cli::parse_from(["cadre-health"]).config;
    config.database_url = Some(url.clone());
    let max_lifetime = config.max_token_lifetime;
    let keys = TokenKeys::hs256(SECRET, max_lifetime);
    let token = keys
        .issue("40", Role::Clinician, "bench", Duration::from_secs(3600))
        .map_err(|e| anyhow::anyhow!(e.public_message()))?;
    let state = AppState::new(db, config, TokenKeys::hs256(SECRET, max_lifetime))
        .await
        .map_err(|e| anyhow::anyhow!(e.public_message()))?;
    let app = router(state);
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };

    let ask = |query: &'static str, variables: Value| {
        let app = app.clone();
        let token = token.clone();
        async move {
            let request = Request::post("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::from(
                    json!({ "query": query, "variables": variables }).to_string(),
                ))?;
            let response = app.oneshot(request).await?;
            let bytes = response.into_body().collect().await?.to_bytes();
            let body: Value = serde_json::from_slice(&bytes)?;
            anyhow::ensure!(body.get("errors").is_none(), "errors: {body}");
            Ok::<Value, anyhow::Error>(body)
        }
    };

    // The cursor of page 20 (rows 951-1000) in each order, for the deep-page cases.
    let by_name = json!({ "field": "NAME" });
    let by_exam = json!({ "field": "LAST_EXAM_DATE" });
    let mut deep = Vec::new();
    for order in [&by_name, &by_exam] {
        let mut after = Value::Null;
        for _ in 0..19 {
            let body = ask(LIST, json!({ "after": after, "order": order })).await?;
            after = body["data"]["cadres"]["pageInfo"]["endCursor"].clone();
        }
        deep.push(after);
    }
    let first = ask(LIST, json!({ "after": null })).await?;
    println!(
        "{backend}: province 40 has {} cadres in scope; {} on a page",
        first["data"]["cadres"]["totalCount"],
        first["data"]["cadres"]["edges"]
            .as_array()
            .map_or(0, Vec::len)
    );

    for (name, query, variables) in [
        (
            "page 1 of 50 by name, board + latest exam",
            LIST,
            json!({ "after": null, "order": by_name }),
        ),
        (
            "page 20 of 50 by name, board + latest exam",
            LIST,
            json!({ "after": deep[0], "order": by_name }),
        ),
        (
            "page 1 of 50 by last exam date",
            LIST,
            json!({ "after": null, "order": by_exam }),
        ),
        (
            "page 20 of 50 by last exam date",
            LIST,
            json!({ "after": deep[1], "order": by_exam }),
        ),
        (
            "search \"nguyen van\", 50, board + latest exam",
            SEARCH,
            json!({}),
        ),
    ] {
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

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
