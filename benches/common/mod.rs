//! The setup every bench binary shares: a database (`BENCH_DATABASE_URL`, or a fresh SQLite
//! file), migrated and, when asked, seeded with the demo data if empty; the real router over
//! it; a token for one user. And the requests and figures they share: [`post`], [`ask`], [`ms`].
//!
//! Each bench binary compiles this module on its own and reads only some of its fields.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
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

pub struct BenchApp {
    pub router: Router,
    /// A bearer token for the user the bench asked for.
    pub token: String,
    /// `SQLite` or `PostgreSQL`, for the printed figures.
    pub backend: &'static str,
    /// The request body limit the router enforces.
    pub body_limit: usize,
    /// Holds the SQLite file until the bench ends.
    _dir: tempfile::TempDir,
}

/// The app as `role` of `board` sees it; `seed` fills an empty database with the demo data.
pub async fn bench_app(board: &str, role: Role, seed: bool) -> anyhow::Result<BenchApp> {
    let dir = tempfile::tempdir()?;
    let url = std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| {
        format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        )
    });
    let db = db::connect(&url).await?;
    db::migrate(&db).await?;
    if seed {
        let cadres = {
            let tx = db::begin_system(&db).await?;
            cadre::Entity::find().count(&tx).await?
        };
        if cadres == 0 {
            let started = Instant::now();
            cadre_health::seed::seed(&db, cadre_health::seed::Scale::Demo).await?;
            eprintln!("seeded demo data in {:.1?}", started.elapsed());
        }
    }
    let mut config = cadre_health::cli::Cli::parse_from(["cadre-health"]).config;
    config.database_url = Some(url.clone());
    // Every client of a bench is the same user: measure the API, not the per-user rate limit.
    config.rate_limit = 0;
    let body_limit = config.max_body_bytes;
    let keys = TokenKeys::hs256(SECRET, config.max_token_lifetime);
    let token = keys
        .issue(board, role, "bench", Duration::from_secs(3600))
        .map_err(|e| anyhow::anyhow!(e.public_message()))?;
    let state = AppState::new(db, config, keys)
        .await
        .map_err(|e| anyhow::anyhow!(e.public_message()))?;
    Ok(BenchApp {
        router: router(state),
        token,
        backend: if url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        body_limit,
        _dir: dir,
    })
}

/// Posts `body` (JSON) to `/graphql` with `token`; the status and the raw answer.
pub async fn post(router: &Router, token: &str, body: String) -> anyhow::Result<(u16, Bytes)> {
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(body))?;
    let response = router.clone().oneshot(request).await?;
    let status = response.status().as_u16();
    Ok((status, response.into_body().collect().await?.to_bytes()))
}

/// Asks `query` with `variables` as `token`'s user; the answer, which must be JSON.
pub async fn ask(
    router: &Router,
    token: &str,
    query: &str,
    variables: Value,
) -> anyhow::Result<Value> {
    let body = json!({ "query": query, "variables": variables }).to_string();
    let (_, bytes) = post(router, token, body).await?;
    Ok(serde_json::from_slice(&bytes)?)
}

/// A duration in milliseconds, for the printed figures.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
