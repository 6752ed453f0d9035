//! Black-box tests: GraphQL over HTTP through the real router, a fresh database per test.
//! `cargo test` uses SQLite; with `TEST_DATABASE_URL=postgres://...` the same suite runs on
//! PostgreSQL, each test in a database of its own, dropped afterwards.

mod helpers;

mod auth;
mod browser;
mod clinical_reads;
mod concurrency;
mod dashboard;
mod documents;
mod filters;
mod first_run;
mod fixtures;
mod graphql_http;
mod http;
mod leaks;
mod limits;
mod live;
mod n_plus_one;
mod operating;
mod ops;
mod oversized;
mod records;
mod registry;
mod reorganisation;
mod rls;
mod schema;
mod scope;
mod seeding;
mod statistics;
mod write_rules;
mod writes;

/// A query over the default complexity limit (100 cadres × 100 exams each).
pub fn limits_query() -> String {
    "{ cadres(first: 100) { edges { node { exams(first: 100) { edges { node { id } } } } } } }"
        .into()
}
