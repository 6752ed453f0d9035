//! cadre-health: one GraphQL API for the central, provincial and district boards that look
//! after the health of cadres.
//!
//! - [`app`]: state and `router(state)`, the whole HTTP surface (GraphQL over HTTP included).
//! - [`auth`]: bearer token → [`auth::Viewer`].
//! - [`scope`]: the viewer's scope and the ONE place a query is cut down to it; a request's
//!   transaction begun, finished and audited.
//! - [`db`]: connection, migrations, planner statistics, SQLite's write gate, the scoped and
//!   system transactions, entities.
//! - [`graphql`]: schema, resolvers by domain, object types, DataLoaders.
//! - [`live`]: live updates: the event bus (PostgreSQL `LISTEN/NOTIFY`, or in process) and
//!   the `graphql-transport-ws` socket.
//! - [`records`]: what each write means: typed commands, state machines, cascades and syncs.
//! - [`domain`]: enumerations and name folding shared by storage and API.
//! - [`boards`]: the board tree with its history, kept in memory; custody by lineage.
//! - [`reorg`]: reorganising the tree by a dated plan (check, dry run, apply).
//! - [`seed`]: deterministic demo and national-scale data.
//! - [`stats`]: aggregate queries for dashboards, through the scoped database.
//! - [`cli`]: the command line (`serve`, `migrate`, `seed`, `token`, `schema`,
//!   `reorganise`).
//! - [`telemetry`]: logs (text or JSON, a line per request) and Prometheus metrics.
//! - [`config`], [`error`]: settings and the one error type.

pub mod app;
pub mod auth;
pub mod boards;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod live;
pub mod records;
pub mod reorg;
pub mod scope;
pub mod seed;
pub mod stats;
pub mod telemetry;
