//! The HTTP application: the state every request shares, and (in [`router`]) the routes that
//! serve it. `router(state)` needs no socket, so tests drive it with
//! `tower::ServiceExt::oneshot`.
//!
//! - `router.rs`: the routes (`/graphql`, `/graphql/ws`, `/healthz`, `/readyz`) and their
//!   middleware.
//! - `graphql_http.rs`: GraphQL over HTTP, from the request's parsing to the shaped reply.
//! - `rate_limit.rs`: requests per user (`--rate-limit`).
//! - `browser.rs`: CORS for the configured origins, compressed answers.
//! - `persisted.rs`: documents named by hash (trusted manifest, automatic persisted queries).
//! - `etag.rs`: `ETag` and 304 for GET answers, per viewer.
//! - `server.rs`: the socket: connections accepted up to a cap, slow clients dropped, and a
//!   drain within a deadline on shutdown.
//! - `web.rs`: what a browser gets: GraphiQL, the reference dashboard, their files (all
//!   compiled in, nothing from a CDN).

mod browser;
mod etag;
mod graphql_http;
mod persisted;
mod rate_limit;
mod router;
mod server;
mod web;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::TokenKeys;
use crate::boards::{BoardTree, LiveTree};
use crate::config::Config;
use crate::db::WriteGate;
use crate::error::AppResult;
use crate::graphql::{AppSchema, serving_schema};
use crate::live::LiveHub;

pub use browser::parse_origin;
pub use persisted::{PersistedDocuments, TrustedDocuments};
pub use rate_limit::RateLimit;
pub use router::router;
pub use server::{Drain, ServeOptions, serve};

/// What every request handler shares.
pub struct AppState {
    /// The connection pool. Requests never use it directly: they open a scoped transaction.
    pub db: DatabaseConnection,
    /// Settings, read once at start.
    pub config: Arc<Config>,
    /// Verifies bearer tokens.
    pub keys: TokenKeys,
    /// The board tree, for token checks, scopes and board-code filters; read again after a
    /// reorganisation (`LiveTree::refresh_every`).
    pub boards: Arc<LiveTree>,
    /// The GraphQL schema, built once.
    pub schema: AppSchema,
    /// SQLite's writers, one at a time (nothing on PostgreSQL).
    pub write_gate: WriteGate,
    /// Requests per user (`--rate-limit`).
    pub rate_limit: RateLimit,
    /// Documents named by hash: the trusted manifest and the automatic store.
    pub persisted: PersistedDocuments,
    /// Live updates: the event bus and the live sockets (`live/`).
    pub live: Arc<LiveHub>,
}

impl AppState {
    /// The state for serving `db` with `config`: reads the board tree once and builds the
    /// schema.
    pub async fn new(
        db: DatabaseConnection,
        config: Config,
        keys: TokenKeys,
    ) -> AppResult<AppState> {
        let boards = Arc::new(LiveTree::new(BoardTree::load(&db).await?));
        let schema = serving_schema(&config);
        let write_gate = WriteGate::for_backend(db.get_database_backend());
        let rate_limit = RateLimit::new(config.rate_limit, config.rate_limit_burst);
        let persisted =
            PersistedDocuments::new(config.trusted_documents.clone(), config.only_trusted);
        let live = Arc::new(LiveHub::start(&db, config.live.clone()).await?);
        Ok(AppState {
            db,
            config: Arc::new(config),
            keys,
            boards,
            schema,
            write_gate,
            rate_limit,
            persisted,
            live,
        })
    }
}
