//! The driver: runs the cases (generate, ask, check), the sweep of every root field, and the
//! coverage checks at the end.

use std::collections::{BTreeSet, HashSet};
use std::sync::{Mutex, RwLock};

use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use uuid::Uuid;

use super::checker::{Checker, at_path, field_at_path, forbidden_paths};
use super::coverage::tenant_types;
use super::generator::{Generator, VIEWERS, cases_strategy};
use super::schema::{Schema, unwrap_type};
use super::world::World;
use crate::helpers::{TestApp, error_codes};

pub struct Hunt {
    pub app: TestApp,
    /// The boards the hunt acts as.
    viewers: &'static [&'static str],
    /// The seeded rows, plus the audit events the hunt's own clinical reads append.
    pub world: RwLock<World>,
    pub schema: Schema,
    seen: Mutex<BTreeSet<String>>,
    cursors: Mutex<Vec<String>>,
    asked: Mutex<HashSet<String>>,
}

impl Hunt {
    pub async fn new(app: TestApp) -> Hunt {
        Hunt::acting_as(app, &VIEWERS).await
    }

    /// A hunt acting as `viewers` (which must be open boards: a closed board's token is
    /// refused outright, see `reorganisation.rs`).
    pub async fn acting_as(app: TestApp, viewers: &'static [&'static str]) -> Hunt {
        crate::rls::add_audit_events(&app.db).await;
        let world = World::read(&app.db).await;
        let schema = Schema::read(&app).await;
        Hunt {
            app,
            viewers,
            world: RwLock::new(world),
            schema,
            seen: Mutex::default(),
            cursors: Mutex::default(),
            asked: Mutex::default(),
        }
    }

    /// Adds the audit events written since the last case (the hunt's clinical reads are
    /// audited, and those events are rows in scope like any other).
    async fn refresh_audit(&self) {
        use cadre_health::db::entities::audit_event;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let since = self.world.read().expect("world").audit_since;
        let fresh = audit_event::Entity::find()
            .filter(audit_event::Column::OccurredAt.gte(since))
            .all(&self.app.db)
            .await
            .expect("audit events");
        let mut world = self.world.write().expect("world");
        for event in fresh {
            world.add_audit(event);
        }
    }

    // The lock is only ever taken by this one task (cases run one after another).
    #[allow(clippy::await_holding_lock)]
    async fn case(
        &self,
        viewer: &str,
        role: &str,
        seed: u64,
        only: Option<&str>,
    ) -> Result<(), String> {
        self.refresh_audit().await;
        let world = self.world.read().expect("world");
        let cursors = self.cursors.lock().expect("cursors").clone();
        let ask = Generator {
            rng: ChaCha8Rng::seed_from_u64(seed),
            viewer,
            schema: &self.schema,
            world: &world,
            cursors: &cursors,
        }
        .ask(only);
        let body = self.app.as_board(viewer, role).query(&ask.query).await;
        let context = |e: String| {
            format!(
                "{e}\nviewer {viewer} {role}\nquery {}\nanswer {body}",
                ask.query
            )
        };
        for code in error_codes(&body) {
            if !["FORBIDDEN", "NOT_FOUND", "BAD_USER_INPUT"].contains(&code.as_str()) {
                return Err(context(format!("error code {code}")));
            }
        }
        let data = &body["data"];
        for path in forbidden_paths(&body) {
            if at_path(data, &path) != Some(&Value::Null) {
                return Err(context(format!("refused field at {path:?} is not null")));
            }
            if let Some(field) = field_at_path(&self.schema, &path, data)
                && field["type"]["kind"] == "NON_NULL"
            {
                return Err(context(format!("refused field at {path:?} is non-null")));
            }
        }
        let mut checker = Checker {
            schema: &self.schema,
            world: &world,
            viewer,
            seen: BTreeSet::new(),
            cursors: vec![],
        };
        let root = self
            .schema
            .field(&self.schema.query, &ask.field)
            .expect("root field");
        let root_type = unwrap_type(&root["type"]).name;
        let answer = data.get(&ask.field).unwrap_or(&Value::Null);
        checker.walk(answer, &root_type).map_err(context)?;
        if !answer.is_null() {
            self.asked.lock().expect("asked").insert(ask.field.clone());
        }

        // Lookups: out of scope answers exactly like an ID that does not exist.
        if let Some(key) = &ask.key {
            let visible = match world.rows.get(key) {
                Some(row) => {
                    self.schema.table_of(&root_type, &world).as_ref() == Some(&row.table)
                        && world.row_visible(viewer, row)
                }
                None => {
                    root_type == "Board"
                        && world.board_visible(viewer, key)
                        && world.board_open_on(key, ask.as_of.as_deref())
                }
            };
            let forbidden = error_codes(&body).iter().any(|c| c == "FORBIDDEN");
            if !visible && !answer.is_null() {
                return Err(context("an out-of-scope lookup answered".into()));
            }
            if visible && answer.is_null() && !forbidden && error_codes(&body).is_empty() {
                return Err(context("an in-scope lookup answered null".into()));
            }
            if !visible {
                let missing = if root_type == "Board" {
                    "ZZ".to_owned()
                } else {
                    Uuid::now_v7().to_string()
                };
                let other = self
                    .app
                    .as_board(viewer, role)
                    .query(
                        &ask.query
                            .replace(&format!("\"{key}\""), &format!("\"{missing}\"")),
                    )
                    .await;
                let strip = |v: &Value| {
                    v.to_string()
                        .replace(key.as_str(), "K")
                        .replace(&missing, "K")
                };
                if strip(&body) != strip(&other) {
                    return Err(context(format!(
                        "differs from a missing ID's answer {other}"
                    )));
                }
            }
        }

        // Root lists: totalCount against the independent count.
        if let (Some(node), Some(predicted), Some(total)) = (
            self.schema.node_of(&root_type),
            &ask.count,
            answer.get("totalCount").and_then(Value::as_u64),
        ) && let Some(expected) = checker.expected_root_count(&node, predicted)
            && total as usize != expected
        {
            return Err(context(format!("totalCount {total}, expected {expected}")));
        }
        self.seen.lock().expect("seen").extend(checker.seen);
        let mut pool = self.cursors.lock().expect("cursors");
        if pool.len() < 500 {
            pool.extend(checker.cursors.into_iter().take(5));
        }
        Ok(())
    }

    /// Runs the property over `cases` random (viewer, role, query) triples, then checks that
    /// every tenant type was seen with data and every root field answered at least once.
    pub fn run(&self, cases: u32) {
        let mut runner = TestRunner::new(ProptestConfig {
            cases,
            failure_persistence: None,
            ..ProptestConfig::default()
        });
        let handle = tokio::runtime::Handle::current();
        let result = runner.run(&cases_strategy(self.viewers), |(viewer, role, seed)| {
            let outcome = tokio::task::block_in_place(|| {
                handle.block_on(self.case(viewer, role, seed, None))
            });
            prop_assert!(outcome.is_ok(), "{}", outcome.err().unwrap_or_default());
            Ok(())
        });
        if let Err(failure) = result {
            panic!("leak hunt failed: {failure}");
        }
        let roots: Vec<String> = Generator {
            rng: ChaCha8Rng::seed_from_u64(0),
            viewer: "TW",
            schema: &self.schema,
            world: &self.world.read().expect("world"),
            cursors: &[],
        }
        .root_fields()
        .iter()
        .filter_map(|f| f["name"].as_str().map(str::to_owned))
        .collect();
        // A sweep that does not depend on chance: each root field, asked by the central admin
        // (checked like every case) until it answers with data.
        for root in &roots {
            for seed in 0..40 {
                if self.asked.lock().expect("asked").contains(root) {
                    break;
                }
                let outcome = tokio::task::block_in_place(|| {
                    handle.block_on(self.case("TW", "admin", seed, Some(root)))
                });
                if let Err(failure) = outcome {
                    panic!("leak hunt failed: {failure}");
                }
            }
        }
        let asked = self.asked.lock().expect("asked");
        let never: Vec<&String> = roots.iter().filter(|f| !asked.contains(*f)).collect();
        assert!(never.is_empty(), "root fields never answered: {never:?}");
        let seen = self.seen.lock().expect("seen");
        let tenant_types = tenant_types(&self.schema, &self.world.read().expect("world"));
        let unseen: Vec<&String> = tenant_types.iter().filter(|t| !seen.contains(*t)).collect();
        assert!(
            unseen.is_empty(),
            "tenant types never reached with data: {unseen:?}"
        );
        drop(seen);
        // Last, since it changes the clinical data under the world read above.
        tokio::task::block_in_place(|| handle.block_on(self.analysts_try_every_argument()));
    }
}
