//! The leak hunt: random viewers asking random questions of a database holding every province,
//! and every answer checked against an independent reading of the same rows.
//!
//! Query shapes are generated from the schema itself (introspection), so every type, field and
//! query added later is hunted without anyone editing this file: by-ID lookups with IDs drawn
//! from every province, lists with random filters, page sizes and foreign cursors, nested
//! traversals (cadre → exams → cadre), `totalCount`, search. The checks:
//! - every object of a tenant type in an answer (any depth) lies in the viewer's scope, and so
//!   does every `Board`;
//! - every `totalCount` this file can predict (unfiltered lists, nested lists of a parent, the
//!   cadre directory's board / status / search filters) equals a count over the seeded rows;
//! - a lookup by ID answers exactly as for an ID that does not exist when the row is out of scope;
//! - no answer is an internal error; a field refused to an analyst is `null` and nullable;
//! - no analyst's answer depends on clinical data: every argument of every root field, and
//!   every field of every input argument, is asked by analysts at each level before and after
//!   every clinical value in the database is changed, and the answers must be identical
//!   (statistics aside: aggregates are theirs by design).
//!
//! `LEAK_CASES` sets the number of cases (default 2,000). On PostgreSQL the hunt runs a second
//! time with the application's scope filter turned off (`AppFilter::Off`), so row-level
//! security alone must hold.
//!
//! The files: `world.rs` reads the seeded rows independently, `schema.rs` reads the schema,
//! `generator.rs` makes viewers and questions, `checker.rs` judges an answer, `hunt.rs` drives
//! the cases, `clinical.rs` holds analysts' answers against scrambled clinical data, and
//! `coverage.rs` says which tenant tables the hunt covers; `subscriptions.rs` hunts live
//! updates (events delivered over `/graphql/ws`).

mod checker;
mod clinical;
mod coverage;
mod generator;
pub(crate) mod hunt;
mod schema;
mod subscriptions;
mod world;

use std::collections::BTreeSet;

use cadre_health::scope::AppFilter;

use crate::helpers::TestApp;
use cadre_health::scope::registry::{TableKind, tenant_tables};
use coverage::tenant_types;
use hunt::Hunt;
use schema::{Schema, unwrap_type};
use world::World;

fn cases() -> u32 {
    std::env::var("LEAK_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_answer_ever_leaves_the_viewers_scope() {
    let hunt = Hunt::new(TestApp::seeded_with(unlimited).await).await;
    hunt.run(cases());
}

/// The hunt checks scope, not the query-shape limits (`limits.rs` does): its random queries
/// must all run, so depth, complexity and aliases are lifted.
fn unlimited(config: &mut cadre_health::config::Config) {
    config.max_depth = 1_000;
    config.max_complexity = usize::MAX;
    config.max_aliases = 10_000;
}

/// The same hunt with the application's scope filter off: on PostgreSQL, row-level security
/// alone must keep every answer in scope. (SQLite has no second guard, so it is not run there.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row_level_security_alone_keeps_every_answer_in_scope() {
    if crate::helpers::TestDatabase::postgres_admin_url().is_none() {
        return;
    }
    let app = TestApp::seeded_with(|config| {
        unlimited(config);
        config.app_filter = AppFilter::Off;
    })
    .await;
    let hunt = Hunt::new(app).await;
    hunt.run(cases());
}

/// The hunt again on a database where the 2025 plan has been applied, acting as the centre and
/// as provinces that hold merged provinces' records, with the application filter on and (on
/// PostgreSQL) off: custody passes to the successor and to nobody else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_answer_leaves_the_scope_after_the_2025_merger() {
    for filter in [AppFilter::On, AppFilter::Off] {
        if filter == AppFilter::Off && crate::helpers::TestDatabase::postgres_admin_url().is_none()
        {
            continue;
        }
        let app = TestApp::seeded_with(|config| {
            unlimited(config);
            config.app_filter = filter;
        })
        .await;
        app.reorganise("vn-2025", "2025-07-01").await;
        let hunt = Hunt::acting_as(app, &generator::MERGED_VIEWERS).await;
        hunt.run(cases() / 2);
    }
}

/// Every type that carries tenant data can be reached by the hunt: it has an `id`, a table with
/// tenant keys, and a `board`; and it is reachable from the query root. A new type that misses
/// any of these fails here, before it can leak.
#[tokio::test]
async fn every_tenant_type_in_the_schema_is_covered_by_the_hunt() {
    let app = TestApp::seeded().await;
    crate::rls::add_audit_events(&app.db).await;
    let world = World::read(&app.db).await;
    let schema = Schema::read(&app).await;

    // Objects with an `id` are tenant data; each must map to a table the world knows. (Boards
    // are keyed by code, and the hunt checks every `Board` it meets by its code.)
    let with_id: Vec<&String> = schema
        .types
        .iter()
        .filter(|(n, t)| !n.starts_with("__") && *n != "Board" && t["kind"] == "OBJECT")
        .filter(|(n, _)| schema.field(n, "id").is_some())
        .map(|(n, _)| n)
        .collect();
    for name in &with_id {
        assert!(
            schema.table_of(name, &world).is_some(),
            "{name} has an id but no table with tenant keys and rows: add it to the seed and the hunt"
        );
        assert!(
            schema.field(name, "board").is_some(),
            "{name} carries tenant data but has no `board` field"
        );
    }

    // Reachable from the root through fields the generator can ask.
    let mut reached = BTreeSet::new();
    let mut stack = vec![schema.query.clone()];
    while let Some(t) = stack.pop() {
        if !reached.insert(t.clone()) {
            continue;
        }
        for f in schema.fields(&t) {
            let r = unwrap_type(&f["type"]);
            if r.kind == "OBJECT" {
                stack.push(r.name);
            }
        }
    }
    for t in tenant_types(&schema, &world) {
        assert!(
            reached.contains(&t),
            "{t} cannot be reached from the query root"
        );
    }

    // Every table of the registry is hunted, but those no answer lists row by row: a campaign's
    // enrolments (statistics count them, no type shows them).
    let hunted = coverage::covered_tables(&schema, &world);
    for table in tenant_tables() {
        if table.kind == TableKind::CadreSnapshot {
            assert!(
                !hunted.contains_key(table.name),
                "{} is now listed: hunt it",
                table.name
            );
            continue;
        }
        assert!(
            hunted.contains_key(table.name),
            "{} is in the registry but no type the hunt asks for shows its rows",
            table.name
        );
    }
}
