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

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Mutex, RwLock};

use cadre_health::scope::AppFilter;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{TestApp, error_codes};

/// Boards the hunt acts as: every level, big and small provinces, districts in and out of them.
const VIEWERS: [&str; 9] = ["TW", "40", "01", "79", "412", "414", "001", "760", "02"];
const ROLES: [&str; 3] = ["analyst", "clinician", "admin"];
/// How deep the generator nests object types (cadre → exams → cadre).
const MAX_DEPTH: usize = 3;

fn cases() -> u32 {
    std::env::var("LEAK_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000)
}

// ---------------------------------------------------------------------------------------------
// The independent reading of the seeded rows.

/// A tenant row's keys, and the IDs of the rows it points to (`cadre_id`, ...).
struct Row {
    table: String,
    province: Option<String>,
    district: Option<String>,
    links: HashMap<String, String>,
}

struct Cadre {
    id: String,
    status: String,
    words: Vec<String>,
}

struct World {
    rows: HashMap<String, Row>,
    /// Board code → (province, district).
    boards: HashMap<String, (Option<String>, Option<String>)>,
    ids: Vec<String>,
    cadres: Vec<Cadre>,
    /// Audit events at or after this time may not be in `rows` yet.
    audit_since: chrono::DateTime<chrono::Utc>,
}

async fn text_rows(db: &DatabaseConnection, sql: &str) -> Vec<Vec<Option<String>>> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .expect(sql);
    rows.iter()
        .map(|r| {
            (0..r.column_names().len())
                .map(|i| {
                    r.try_get_by_index::<Option<String>>(i)
                        .ok()
                        .flatten()
                        .or_else(|| {
                            r.try_get_by_index::<Option<Uuid>>(i)
                                .ok()
                                .flatten()
                                .map(|u| u.to_string())
                        })
                })
                .collect()
        })
        .collect()
}

/// Every table with tenant keys, and its columns, from the catalog of either database.
async fn tenant_columns(db: &DatabaseConnection) -> Vec<(String, Vec<String>)> {
    let sql = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        }
        _ => {
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' ORDER BY m.name, p.cid"
        }
    };
    let mut tables: Vec<(String, Vec<String>)> = vec![];
    for row in text_rows(db, sql).await {
        let (Some(table), Some(column)) = (row[0].clone(), row[1].clone()) else {
            continue;
        };
        match tables.last_mut() {
            Some((t, cols)) if *t == table => cols.push(column),
            _ => tables.push((table, vec![column])),
        }
    }
    tables.retain(|(_, cols)| cols.iter().any(|c| c == "province_code"));
    tables
}

impl World {
    async fn read(db: &DatabaseConnection) -> World {
        let mut world = World {
            rows: HashMap::new(),
            boards: HashMap::new(),
            ids: vec![],
            cadres: vec![],
            audit_since: chrono::Utc::now(),
        };
        for row in text_rows(db, "SELECT code, province_code, district_code FROM boards").await {
            let code = row[0].clone().expect("code");
            world.boards.insert(code, (row[1].clone(), row[2].clone()));
        }
        for (table, columns) in tenant_columns(db).await {
            if table == "boards" {
                continue;
            }
            let links: Vec<&String> = columns.iter().filter(|c| c.ends_with("_id")).collect();
            let mut select = vec!["id", "province_code", "district_code"];
            select.extend(links.iter().map(|c| c.as_str()));
            let sql = format!("SELECT {} FROM {table}", select.join(", "));
            for row in text_rows(db, &sql).await {
                let id = row[0].clone().expect("id");
                let links = links
                    .iter()
                    .zip(&row[3..])
                    .filter_map(|(c, v)| v.clone().map(|v| ((*c).clone(), v)))
                    .collect();
                world.ids.push(id.clone());
                world.rows.insert(
                    id,
                    Row {
                        table: table.clone(),
                        province: row[1].clone(),
                        district: row[2].clone(),
                        links,
                    },
                );
            }
        }
        for row in text_rows(db, "SELECT id, status, full_name FROM cadres").await {
            let name = row[2].clone().expect("name");
            world.cadres.push(Cadre {
                id: row[0].clone().expect("id"),
                status: row[1].clone().expect("status"),
                words: fold(&name),
            });
        }
        world
    }

    /// An audit event written after the world was read.
    fn add_audit(&mut self, e: cadre_health::db::entities::audit_event::Model) {
        self.audit_since = self.audit_since.max(e.occurred_at);
        let id = e.id.to_string();
        if self.rows.contains_key(&id) {
            return;
        }
        let mut links = HashMap::new();
        if let Some(entity) = e.entity_id {
            links.insert("entity_id".to_owned(), entity.to_string());
        }
        if let Some(cadre) = e.cadre_id {
            links.insert("cadre_id".to_owned(), cadre.to_string());
        }
        self.ids.push(id.clone());
        self.rows.insert(
            id,
            Row {
                table: "audit_events".into(),
                province: e.province_code,
                district: e.district_code,
                links,
            },
        );
    }

    /// Whether a row with these keys lies in the scope of `viewer`'s board (DESIGN, "Tenancy").
    fn visible(&self, viewer: &str, province: &Option<String>, district: &Option<String>) -> bool {
        let (vp, vd) = &self.boards[viewer];
        match (vp, vd) {
            (None, _) => true,
            (Some(p), None) => province.as_ref() == Some(p),
            (Some(_), Some(d)) => district.as_ref() == Some(d),
        }
    }

    fn board_visible(&self, viewer: &str, code: &str) -> bool {
        self.boards
            .get(code)
            .is_some_and(|(p, d)| self.visible(viewer, p, d))
    }

    fn row_visible(&self, viewer: &str, row: &Row) -> bool {
        self.visible(viewer, &row.province, &row.district)
    }

    fn count(&self, viewer: &str, table: &str, link: Option<(&str, &str)>) -> usize {
        self.rows
            .values()
            .filter(|r| r.table == table && self.row_visible(viewer, r))
            .filter(|r| {
                link.is_none_or(|(col, id)| r.links.get(col).map(String::as_str) == Some(id))
            })
            .count()
    }
}

/// Case and diacritics folded, đ included: written here again, apart from the server's code.
fn fold(text: &str) -> Vec<String> {
    deunicode::deunicode(&text.replace(['đ', 'Đ'], "d"))
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The schema, by introspection.

const INTROSPECTION: &str = r#"{ __schema { queryType { name } types { kind name
  fields { name type { ...T } args { name defaultValue type { ...T } } }
  inputFields { name type { ...T } } enumValues { name } } } }
  fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }"#;

struct Schema {
    types: HashMap<String, Value>,
    query: String,
}

/// A type reference with its wrappers taken off.
struct TypeRef {
    name: String,
    kind: String,
    list: bool,
}

fn unwrap_type(t: &Value) -> TypeRef {
    let mut list = false;
    let mut t = t;
    while t["kind"] == "NON_NULL" || t["kind"] == "LIST" {
        list |= t["kind"] == "LIST";
        t = &t["ofType"];
    }
    TypeRef {
        name: t["name"].as_str().unwrap_or_default().to_owned(),
        kind: t["kind"].as_str().unwrap_or_default().to_owned(),
        list,
    }
}

impl Schema {
    async fn read(app: &TestApp) -> Schema {
        let data = app.as_board("TW", "admin").data(INTROSPECTION).await;
        let types = data["__schema"]["types"]
            .as_array()
            .expect("types")
            .iter()
            .map(|t| (t["name"].as_str().expect("name").to_owned(), t.clone()))
            .collect();
        Schema {
            types,
            query: data["__schema"]["queryType"]["name"]
                .as_str()
                .expect("query type")
                .to_owned(),
        }
    }

    fn fields(&self, type_name: &str) -> Vec<&Value> {
        self.types
            .get(type_name)
            .and_then(|t| t["fields"].as_array())
            .map(|f| f.iter().collect())
            .unwrap_or_default()
    }

    fn field(&self, type_name: &str, field: &str) -> Option<&Value> {
        self.fields(type_name)
            .into_iter()
            .find(|f| f["name"] == field)
    }

    /// The table behind a type that carries tenant data: an object with an `id` whose table
    /// (by convention `HealthExam` → `health_exams`) has tenant keys. `Board` is keyed by code.
    fn table_of(&self, type_name: &str, world: &World) -> Option<String> {
        self.field(type_name, "id")?;
        let table = format!("{}s", snake(type_name));
        world
            .rows
            .values()
            .any(|r| r.table == table)
            .then_some(table)
    }

    /// The node type of a connection type, when `type_name` is one.
    fn node_of(&self, type_name: &str) -> Option<String> {
        let edges = self.field(type_name, "edges")?;
        let edge = unwrap_type(&edges["type"]).name;
        Some(unwrap_type(&self.field(&edge, "node")?["type"]).name)
    }
}

fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The generator.

struct Generator<'a> {
    rng: ChaCha8Rng,
    /// The board asking: half the lookups draw IDs from its own scope, the rest from anywhere.
    viewer: &'a str,
    schema: &'a Schema,
    world: &'a World,
    cursors: &'a [String],
}

/// What the generator asked at the root, for the checks.
struct Ask {
    query: String,
    field: String,
    /// The `id` (or board `code`) of a lookup.
    key: Option<String>,
    /// Whether the root list's `totalCount` can be predicted, and how.
    count: Option<Predicted>,
}

enum Predicted {
    All,
    Cadres {
        board: Option<String>,
        status: Option<String>,
        search: Vec<String>,
    },
}

const STATUSES: [&str; 3] = ["SERVING", "RETIRED", "DECEASED"];

impl Generator<'_> {
    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    fn board_code(&mut self) -> String {
        if self.chance(0.5) {
            VIEWERS.choose(&mut self.rng).expect("viewers").to_string()
        } else {
            let codes: Vec<&String> = self.world.boards.keys().collect();
            codes.choose(&mut self.rng).expect("boards").to_string()
        }
    }

    fn any_id(&mut self) -> String {
        if self.chance(0.1) {
            return Uuid::now_v7().to_string();
        }
        self.world.ids.choose(&mut self.rng).expect("ids").clone()
    }

    /// An ID of the table behind `type_name` when there is one, from any province.
    fn id_for(&mut self, type_name: &str) -> String {
        let table = self.schema.table_of(type_name, self.world);
        if let Some(table) = table.filter(|_| self.chance(0.8)) {
            let own = self.chance(0.5);
            let ids: Vec<&String> = self
                .world
                .rows
                .iter()
                .filter(|(_, r)| r.table == table)
                .filter(|(_, r)| !own || self.world.row_visible(self.viewer, r))
                .map(|(id, _)| id)
                .collect();
            if let Some(id) = ids.choose(&mut self.rng) {
                return (*id).clone();
            }
        }
        self.any_id()
    }

    fn search(&mut self) -> String {
        let cadre = self.world.cadres.choose(&mut self.rng).expect("cadres");
        let words = cadre.words.clone();
        let n = self.rng.random_range(1..=words.len().min(3));
        words[..n]
            .iter()
            .map(|w| {
                let keep = self.rng.random_range(1..=w.len());
                w[..keep].to_owned()
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A GraphQL literal for an argument or input field, or `None` when it cannot make one.
    fn literal(&mut self, name: &str, t: &Value, of_type: &str) -> Option<String> {
        let r = unwrap_type(t);
        let one = match (r.kind.as_str(), r.name.as_str()) {
            ("ENUM", enum_name) => {
                let values = self.schema.types[enum_name]["enumValues"].as_array()?;
                values.choose(&mut self.rng)?["name"].as_str()?.to_owned()
            }
            ("INPUT_OBJECT", input) => self.input_object(input)?,
            (_, "ID") => format!("\"{}\"", self.id_for(of_type)),
            (_, "Boolean") => self.chance(0.5).to_string(),
            (_, "Int") => match name {
                "first" | "last" => self.rng.random_range(1..=5).to_string(),
                "year" => self.rng.random_range(2020..=2026).to_string(),
                "round" => self.rng.random_range(1..=2).to_string(),
                n if n.contains("Year") => self.rng.random_range(1940..=2005).to_string(),
                _ => self.rng.random_range(0..=10).to_string(),
            },
            (_, "Date") => format!(
                "\"{}-{:02}-{:02}\"",
                self.rng.random_range(2021..=2026),
                self.rng.random_range(1..=12),
                self.rng.random_range(1..=28)
            ),
            (_, "String") => {
                let lower = name.to_lowercase();
                if lower.contains("code") && !lower.contains("icd") && !lower.contains("codes") {
                    format!("\"{}\"", self.board_code())
                } else if lower.contains("search") || lower.contains("name") {
                    format!("\"{}\"", self.search())
                } else {
                    format!(
                        "\"{}\"",
                        ["I10", "E11", "I2", "J", "COVID-19"].choose(&mut self.rng)?
                    )
                }
            }
            _ => return None,
        };
        Some(if r.list { format!("[{one}]") } else { one })
    }

    fn input_object(&mut self, input: &str) -> Option<String> {
        let fields = self.schema.types[input]["inputFields"].as_array()?.clone();
        let mut parts = vec![];
        for f in &fields {
            let name = f["name"].as_str()?;
            let required = f["type"]["kind"] == "NON_NULL";
            if required || self.chance(0.3) {
                parts.push(format!("{name}: {}", self.literal(name, &f["type"], "")?));
            }
        }
        Some(format!("{{{}}}", parts.join(", ")))
    }

    /// Arguments for `field` of `of_type`: every required one, some optional ones. Nested lists
    /// get only a small `first`, so their counts stay predictable.
    fn arguments(&mut self, field: &Value, of_type: &str, root: bool) -> Option<String> {
        let mut parts = vec![];
        for arg in field["args"].as_array()? {
            let name = arg["name"].as_str()?;
            let required = arg["type"]["kind"] == "NON_NULL";
            let include = match name {
                "after" | "before" | "last" => false,
                "first" => true,
                _ => required || (root && self.chance(0.4)),
            };
            if !include {
                continue;
            }
            let value = if name == "first" && root {
                self.rng.random_range(1..=100).to_string()
            } else {
                self.literal(name, &arg["type"], of_type)?
            };
            parts.push(format!("{name}: {value}"));
        }
        Some(if parts.is_empty() {
            String::new()
        } else {
            format!("({})", parts.join(", "))
        })
    }

    /// A selection of `type_name`: its leaves and, down to `MAX_DEPTH`, its objects and lists.
    fn selection(&mut self, type_name: &str, depth: usize) -> String {
        let mut parts = vec!["__typename".to_owned()];
        for field in self.schema.fields(type_name) {
            let name = field["name"].as_str().unwrap_or_default();
            let r = unwrap_type(&field["type"]);
            let Some(args) = self.arguments(field, &r.name, false) else {
                continue;
            };
            match r.kind.as_str() {
                "SCALAR" | "ENUM" => {
                    if name == "id" || name == "code" || self.chance(0.7) {
                        parts.push(format!("{name}{args}"));
                    }
                }
                "OBJECT" if r.name == "Board" => {
                    parts.push(format!("{name}{args} {{ __typename code }}"));
                }
                "OBJECT" if depth < MAX_DEPTH && self.chance(0.5) => {
                    let inner = match self.schema.node_of(&r.name) {
                        Some(node) => format!(
                            "{{ totalCount edges {{ cursor node {} }} }}",
                            self.selection(&node, depth + 1)
                        ),
                        None => self.selection(&r.name, depth + 1),
                    };
                    parts.push(format!("{name}{args} {inner}"));
                }
                _ => {}
            }
        }
        format!("{{ {} }}", parts.join(" "))
    }

    fn root_fields(&self) -> Vec<Value> {
        self.schema
            .fields(&self.schema.query)
            .into_iter()
            .filter(|f| !f["name"].as_str().unwrap_or("__").starts_with("__"))
            .cloned()
            .collect()
    }

    /// A question on the root field `only`, or on one chosen at random.
    fn ask(&mut self, only: Option<&str>) -> Ask {
        let fields = self.root_fields();
        let field = match only {
            Some(name) => fields.iter().find(|f| f["name"] == name),
            None => fields.choose(&mut self.rng),
        }
        .expect("root fields")
        .clone();
        let name = field["name"].as_str().expect("name").to_owned();
        let r = unwrap_type(&field["type"]);
        let mut args = vec![];
        let mut key = None;
        let mut predicted = Some(Predicted::All);
        for arg in field["args"].as_array().expect("args") {
            let arg_name = arg["name"].as_str().expect("name");
            let required = arg["type"]["kind"] == "NON_NULL";
            let value = match arg_name {
                "first" => Some(self.rng.random_range(1..=100).to_string()),
                "after" if !self.cursors.is_empty() && self.chance(0.15) => {
                    let cursor = self.cursors.choose(&mut self.rng).expect("cursor");
                    Some(format!("\"{cursor}\""))
                }
                "id" | "code" => {
                    let k = if arg_name == "id" {
                        self.id_for(&r.name)
                    } else {
                        self.board_code()
                    };
                    key = Some(k.clone());
                    Some(format!("\"{k}\""))
                }
                "filter" if name == "cadres" && self.chance(0.6) => {
                    let board = self.chance(0.5).then(|| self.board_code());
                    let status = self
                        .chance(0.3)
                        .then(|| STATUSES.choose(&mut self.rng).expect("status").to_string());
                    let search = self.chance(0.5).then(|| self.search());
                    let mut parts = vec![];
                    if let Some(b) = &board {
                        parts.push(format!("boardCode: \"{b}\""));
                    }
                    if let Some(s) = &status {
                        parts.push(format!("status: {s}"));
                    }
                    if let Some(s) = &search {
                        parts.push(format!("search: \"{s}\""));
                    }
                    predicted = Some(Predicted::Cadres {
                        board,
                        status,
                        search: search.map(|s| fold(&s)).unwrap_or_default(),
                    });
                    Some(format!("{{{}}}", parts.join(", ")))
                }
                _ if required || self.chance(0.4) => {
                    if !required {
                        predicted = None;
                    }
                    self.literal(arg_name, &arg["type"], &r.name)
                }
                _ => None,
            };
            if let Some(v) = value {
                args.push(format!("{arg_name}: {v}"));
            }
        }
        let args = if args.is_empty() {
            String::new()
        } else {
            format!("({})", args.join(", "))
        };
        let selection = match r.kind.as_str() {
            "OBJECT" => match self.schema.node_of(&r.name) {
                Some(node) => format!(
                    "{{ totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {} }} }}",
                    self.selection(&node, 1)
                ),
                None => self.selection(&r.name, 1),
            },
            _ => String::new(),
        };
        Ask {
            query: format!("{{ {name}{args} {selection} }}"),
            field: name,
            key,
            count: predicted,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The checks.

struct Checker<'a> {
    schema: &'a Schema,
    world: &'a World,
    viewer: &'a str,
    /// Tenant types seen with data, for the coverage check at the end.
    seen: BTreeSet<String>,
    cursors: Vec<String>,
}

impl Checker<'_> {
    /// Walks `value`, declared as `type_name`, checking every object's scope and every count it
    /// can predict.
    fn walk(&mut self, value: &Value, type_name: &str) -> Result<(), String> {
        match value {
            Value::Array(items) => items.iter().try_for_each(|item| self.walk(item, type_name)),
            Value::Object(obj) => {
                let actual = obj
                    .get("__typename")
                    .and_then(Value::as_str)
                    .unwrap_or(type_name)
                    .to_owned();
                // The tenant object this is, for the lists nested under it.
                let mut owner = None;
                if actual == "Board" {
                    let code = obj["code"].as_str().ok_or("a board without its code")?;
                    if !self.world.board_visible(self.viewer, code) {
                        return Err(format!("board {code} is outside the scope"));
                    }
                } else if let Some(table) = self.schema.table_of(&actual, self.world) {
                    let id = obj["id"].as_str().ok_or("a tenant object without its id")?;
                    let row = self
                        .world
                        .rows
                        .get(id)
                        .ok_or(format!("{actual} {id} is no seeded row"))?;
                    if row.table != table || !self.world.row_visible(self.viewer, row) {
                        return Err(format!("{actual} {id} is outside the scope"));
                    }
                    self.seen.insert(actual.clone());
                    owner = Some((snake(&actual), id.to_owned()));
                }
                for edge in obj
                    .get("edges")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(c) = edge["cursor"].as_str() {
                        self.cursors.push(c.to_owned());
                    }
                }
                for (key, v) in obj {
                    let Some(field) = self.schema.field(&actual, key) else {
                        continue;
                    };
                    let field_type = unwrap_type(&field["type"]).name;
                    if let (Some(node), Some((owner, id))) =
                        (self.schema.node_of(&field_type), &owner)
                    {
                        self.check_nested_count(v, &node, owner, id)?;
                    }
                    self.walk(v, &field_type)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A list under a tenant object (`cadre { exams }`) counts that object's rows in scope.
    fn check_nested_count(
        &self,
        connection: &Value,
        node: &str,
        owner: &str,
        owner_id: &str,
    ) -> Result<(), String> {
        let (Some(total), Some(table)) = (
            connection.get("totalCount").and_then(Value::as_u64),
            self.schema.table_of(node, self.world),
        ) else {
            return Ok(());
        };
        let link = format!("{owner}_id");
        if !self
            .world
            .rows
            .values()
            .any(|r| r.table == table && r.links.contains_key(&link))
        {
            return Ok(());
        }
        let expected = self
            .world
            .count(self.viewer, &table, Some((link.as_str(), owner_id)));
        if total as usize != expected {
            return Err(format!(
                "{owner} {owner_id}: {table} totalCount {total}, expected {expected}"
            ));
        }
        Ok(())
    }

    fn expected_root_count(&self, node: &str, predicted: &Predicted) -> Option<usize> {
        let table = self.schema.table_of(node, self.world);
        match predicted {
            Predicted::All if node == "Board" => Some(
                self.world
                    .boards
                    .keys()
                    .filter(|c| self.world.board_visible(self.viewer, c))
                    .count(),
            ),
            Predicted::All => Some(self.world.count(self.viewer, &table?, None)),
            Predicted::Cadres {
                board,
                status,
                search,
            } => Some(
                self.world
                    .cadres
                    .iter()
                    .filter(|c| {
                        let row = &self.world.rows[&c.id];
                        self.world.row_visible(self.viewer, row)
                            && board.as_ref().is_none_or(|b| self.in_subtree(row, b))
                            && status.as_ref().is_none_or(|s| *s == c.status)
                            && search
                                .iter()
                                .all(|t| c.words.iter().any(|w| w.starts_with(t.as_str())))
                    })
                    .count(),
            ),
        }
    }

    /// Whether `row` lies under board `code`, which must itself be in the viewer's scope.
    fn in_subtree(&self, row: &Row, code: &str) -> bool {
        self.world.board_visible(self.viewer, code) && {
            let (p, d) = &self.world.boards[code];
            match (p, d) {
                (None, _) => true,
                (Some(p), None) => row.province.as_ref() == Some(p),
                (Some(_), Some(d)) => row.district.as_ref() == Some(d),
            }
        }
    }
}

/// The paths of the fields refused to the viewer's role.
fn forbidden_paths(body: &Value) -> Vec<Vec<Value>> {
    body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["extensions"]["code"] == "FORBIDDEN")
        .filter_map(|e| e["path"].as_array().cloned())
        .collect()
}

fn at_path<'v>(data: &'v Value, path: &[Value]) -> Option<&'v Value> {
    path.iter().try_fold(data, |v, seg| match seg {
        Value::String(k) => v.get(k),
        Value::Number(n) => v.get(n.as_u64()? as usize),
        _ => None,
    })
}

/// The declared type of the field at `path` from the root.
fn field_at_path<'s>(schema: &'s Schema, path: &[Value], data: &Value) -> Option<&'s Value> {
    let mut type_name = schema.query.clone();
    let mut field = None;
    for (i, seg) in path.iter().enumerate() {
        let Value::String(key) = seg else { continue };
        let actual = at_path(data, &path[..i])
            .and_then(|v| v.get("__typename"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or(type_name.clone());
        let f = schema.field(&actual, key)?;
        type_name = unwrap_type(&f["type"]).name;
        field = Some(f);
    }
    field
}

struct Hunt {
    app: TestApp,
    /// The seeded rows, plus the audit events the hunt's own clinical reads append.
    world: RwLock<World>,
    schema: Schema,
    seen: Mutex<BTreeSet<String>>,
    cursors: Mutex<Vec<String>>,
    asked: Mutex<HashSet<String>>,
}

impl Hunt {
    async fn new(app: TestApp) -> Hunt {
        crate::rls::add_audit_events(&app.db).await;
        let world = World::read(&app.db).await;
        let schema = Schema::read(&app).await;
        Hunt {
            app,
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
                None => root_type == "Board" && world.board_visible(viewer, key),
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
                    .query(&ask.query.replace(key.as_str(), &missing))
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
        {
            if total as usize != expected {
                return Err(context(format!("totalCount {total}, expected {expected}")));
            }
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
    fn run(&self, cases: u32) {
        let mut runner = TestRunner::new(ProptestConfig {
            cases,
            failure_persistence: None,
            ..ProptestConfig::default()
        });
        let strategy = (0..VIEWERS.len(), 0..ROLES.len(), any::<u64>());
        let handle = tokio::runtime::Handle::current();
        let result = runner.run(&strategy, |(v, r, seed)| {
            let outcome = tokio::task::block_in_place(|| {
                handle.block_on(self.case(VIEWERS[v], ROLES[r], seed, None))
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

    /// Every argument of every root field (statistics aside), and every field of every input
    /// argument, set alone with a few generated values, asked by analysts of each level; then
    /// every clinical value is changed ([`scramble`]) and the same questions are asked again.
    /// An analyst's answer that changed depended on clinical data.
    ///
    /// Why a difference and not "a clinical filter must answer FORBIDDEN": that check would need
    /// a list of which arguments are clinical, and an argument missing from the list (a new
    /// filter) would never be checked. Comparing answers needs no such list, and costs one
    /// database: the scramble is a handful of `UPDATE`s on the hunt's own.
    // The lock is only ever taken by this one task.
    #[allow(clippy::await_holding_lock)]
    async fn analysts_try_every_argument(&self) {
        let probes = {
            let world = self.world.read().expect("world");
            probes(&self.schema, &world)
        };
        assert!(
            probes.iter().any(|p| p.contains("activeCondition")),
            "the probes reach the cadre directory's filters"
        );
        let viewers = ["TW", "40", "412"];
        let mut before = vec![];
        for viewer in viewers {
            let analyst = self.app.as_board(viewer, "analyst");
            for probe in &probes {
                before.push(analyst.query(probe).await);
            }
        }
        scramble(&self.app.db).await;
        let mut before = before.into_iter();
        for viewer in viewers {
            let analyst = self.app.as_board(viewer, "analyst");
            for probe in &probes {
                let was = before.next().expect("an answer before");
                let now = analyst.query(probe).await;
                for code in error_codes(&now) {
                    assert!(
                        ["FORBIDDEN", "NOT_FOUND", "BAD_USER_INPUT"].contains(&code.as_str()),
                        "error code {code} for analyst {viewer}: {probe}\n{now}"
                    );
                }
                assert_eq!(
                    was, now,
                    "analyst {viewer}'s answer depends on clinical data: {probe}"
                );
            }
        }
    }
}

/// The questions [`Hunt::analysts_try_every_argument`] asks: for each root field but
/// `statistics`, each argument but the paging ones (each field of an input argument) alone,
/// with the field's required arguments, three values each, and a fixed selection.
fn probes(schema: &Schema, world: &World) -> Vec<String> {
    let mut out = vec![];
    let mut generator = Generator {
        rng: ChaCha8Rng::seed_from_u64(11),
        viewer: "TW",
        schema,
        world,
        cursors: &[],
    };
    for field in generator.root_fields() {
        let name = field["name"].as_str().expect("name").to_owned();
        if name == "statistics" {
            continue;
        }
        let r = unwrap_type(&field["type"]);
        let selection = match r.kind.as_str() {
            "OBJECT" => match schema.node_of(&r.name) {
                Some(node) => format!(
                    "{{ totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {} }} }}",
                    generator.selection(&node, 1)
                ),
                None => generator.selection(&r.name, 1),
            },
            _ => String::new(),
        };
        let args = field["args"].as_array().expect("args");
        let required = |g: &mut Generator, except: &str| -> Option<Vec<String>> {
            args.iter()
                .filter(|a| a["type"]["kind"] == "NON_NULL" && a["name"] != except)
                .map(|a| {
                    let n = a["name"].as_str()?;
                    Some(format!("{n}: {}", g.literal(n, &a["type"], &r.name)?))
                })
                .collect()
        };
        // No optional argument at all, then each argument alone, and each field of an input
        // argument alone.
        if let Some(parts) = required(&mut generator, "") {
            let args = if parts.is_empty() {
                String::new()
            } else {
                format!("({})", parts.join(", "))
            };
            out.push(format!("{{ {name}{args} {selection} }}"));
        }
        let mut settings: Vec<(String, Value, Option<String>)> = vec![];
        for arg in args {
            let arg_name = arg["name"].as_str().expect("name");
            if ["first", "last", "after", "before"].contains(&arg_name) {
                continue;
            }
            let t = unwrap_type(&arg["type"]);
            if t.kind == "INPUT_OBJECT" {
                for f in schema.types[&t.name]["inputFields"]
                    .as_array()
                    .expect("input fields")
                {
                    let f_name = f["name"].as_str().expect("name").to_owned();
                    settings.push((arg_name.to_owned(), f.clone(), Some(f_name)));
                }
            } else {
                settings.push((arg_name.to_owned(), arg.clone(), None));
            }
        }
        for (arg_name, typed, input_field) in settings {
            for _ in 0..3 {
                let Some(mut parts) = required(&mut generator, &arg_name) else {
                    continue;
                };
                let literal_name = input_field.as_deref().unwrap_or(&arg_name);
                let Some(value) = generator.literal(literal_name, &typed["type"], &r.name) else {
                    continue;
                };
                parts.push(match &input_field {
                    Some(f) => format!("{arg_name}: {{{f}: {value}}}"),
                    None => format!("{arg_name}: {value}"),
                });
                if args.iter().any(|a| a["name"] == "first") {
                    parts.push("first: 100".to_owned());
                }
                out.push(format!("{{ {name}({}) {selection} }}", parts.join(", ")));
            }
        }
    }
    out
}

/// Columns of the clinical tables that [`scramble`] leaves alone: identity, tenant keys, links
/// and dates. Analysts see when cadres were examined and in which campaign (`lastExamOn`,
/// `dueInCampaign`, exam coverage), so exam dates and campaigns must stay; the other records'
/// dates stay with them (what was found then is scrambled).
const KEPT: [&str; 16] = [
    "id",
    "board_code",
    "province_code",
    "district_code",
    "version",
    "created_at",
    "updated_at",
    "cadre_id",
    "visit_id",
    "campaign_id",
    "examined_on",
    "diagnosed_on",
    "visited_at",
    "referred_on",
    "held_on",
    "given_on",
];

/// Every other column of every clinical table, with an expression (the same on SQLite and
/// PostgreSQL) that changes each value and keeps it valid: whatever a filter could select by.
const SCRAMBLE: [(&str, &str, &str); 37] = [
    (
        "chronic_conditions",
        "icd_code",
        "CASE WHEN icd_code LIKE 'I%' THEN 'E11' ELSE 'I10' END",
    ),
    (
        "chronic_conditions",
        "resolved_on",
        "CASE WHEN resolved_on IS NULL THEN diagnosed_on ELSE NULL END",
    ),
    ("chronic_conditions", "note", "note || 'x'"),
    ("health_exams", "facility", "facility || 'x'"),
    (
        "health_exams",
        "kind",
        "CASE kind WHEN 'PERIODIC' THEN 'ROUTINE' WHEN 'ROUTINE' THEN 'SPECIALIST' ELSE 'PERIODIC' END",
    ),
    ("health_exams", "height_cm", "height_cm + 1"),
    ("health_exams", "weight_kg", "weight_kg + 1"),
    ("health_exams", "bmi", "bmi + 1"),
    ("health_exams", "systolic_mmhg", "systolic_mmhg + 1"),
    ("health_exams", "diastolic_mmhg", "diastolic_mmhg + 1"),
    ("health_exams", "pulse_bpm", "pulse_bpm + 1"),
    ("health_exams", "glucose_mmol_l", "glucose_mmol_l + 1"),
    ("health_exams", "hba1c_percent", "hba1c_percent + 1"),
    (
        "health_exams",
        "cholesterol_mmol_l",
        "cholesterol_mmol_l + 1",
    ),
    (
        "health_exams",
        "triglycerides_mmol_l",
        "triglycerides_mmol_l + 1",
    ),
    ("health_exams", "creatinine_umol_l", "creatinine_umol_l + 1"),
    (
        "health_exams",
        "diagnoses",
        "CASE WHEN diagnoses = '' THEN 'Z00' ELSE '' END",
    ),
    (
        "health_exams",
        "cadre_class",
        "CASE cadre_class WHEN 'A' THEN 'D' WHEN 'B1' THEN 'A' WHEN 'B2' THEN 'B1' WHEN 'C' THEN 'B2' WHEN 'D' THEN 'C' ELSE 'A' END",
    ),
    (
        "health_exams",
        "general_class",
        "CASE general_class WHEN 'I' THEN 'V' WHEN 'II' THEN 'I' WHEN 'III' THEN 'II' WHEN 'IV' THEN 'III' WHEN 'V' THEN 'IV' ELSE 'I' END",
    ),
    ("health_exams", "conclusion", "conclusion || 'x'"),
    ("health_exams", "physician", "physician || 'x'"),
    ("clinic_visits", "complaint", "complaint || 'x'"),
    (
        "clinic_visits",
        "diagnoses",
        "CASE WHEN diagnoses = '' THEN 'Z00' ELSE '' END",
    ),
    ("clinic_visits", "physician", "physician || 'x'"),
    ("prescriptions", "drug", "drug || 'x'"),
    ("prescriptions", "quantity", "quantity + 1"),
    ("prescriptions", "dosage", "dosage || 'x'"),
    ("referrals", "destination", "destination || 'x'"),
    ("referrals", "reason", "reason || 'x'"),
    (
        "referrals",
        "urgency",
        "CASE urgency WHEN 'ROUTINE' THEN 'URGENT' WHEN 'URGENT' THEN 'EMERGENCY' ELSE 'ROUTINE' END",
    ),
    (
        "referrals",
        "status",
        "CASE status WHEN 'REQUESTED' THEN 'ACCEPTED' WHEN 'ACCEPTED' THEN 'COMPLETED' WHEN 'COMPLETED' THEN 'CANCELLED' ELSE 'REQUESTED' END",
    ),
    ("consultations", "council", "council || 'x'"),
    ("consultations", "participants", "participants || 'x'"),
    ("consultations", "conclusion", "conclusion || 'x'"),
    // Injective, so a cadre's doses stay unique.
    ("vaccinations", "vaccine", "vaccine || 'x'"),
    ("vaccinations", "dose_number", "11 - dose_number"),
    ("vaccinations", "lot", "lot || 'x'"),
];

/// Changes every clinical value in the database ([`SCRAMBLE`]), after checking against the
/// catalog that every column of every clinical table (a table with a `cadre_id`, but the
/// directory, the enrolments and the audit trail) is either scrambled or [`KEPT`].
async fn scramble(db: &DatabaseConnection) {
    let mut by_table: HashMap<&str, Vec<String>> = HashMap::new();
    for (table, column, expression) in SCRAMBLE {
        by_table
            .entry(table)
            .or_default()
            .push(format!("{column} = {expression}"));
    }
    for (table, columns) in tenant_columns(db).await {
        let clinical = columns.iter().any(|c| c == "cadre_id")
            && !["cadres", "campaign_enrolments", "audit_events"].contains(&table.as_str());
        if !clinical {
            continue;
        }
        for column in &columns {
            let scrambled = SCRAMBLE.iter().any(|(t, c, _)| *t == table && c == column);
            assert!(
                KEPT.contains(&column.as_str()) || scrambled,
                "{table}.{column} is neither scrambled nor kept: add it to SCRAMBLE in leaks.rs"
            );
        }
        let sets = by_table.remove(table.as_str()).unwrap_or_default();
        assert!(!sets.is_empty(), "{table} has no scrambled column");
        let sql = format!("UPDATE {table} SET {}", sets.join(", "));
        db.execute_raw(Statement::from_string(
            db.get_database_backend(),
            sql.clone(),
        ))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    assert!(by_table.is_empty(), "no such clinical tables: {by_table:?}");
}

/// Every object type of the schema that carries tenant data.
fn tenant_types(schema: &Schema, world: &World) -> BTreeSet<String> {
    schema
        .types
        .keys()
        .filter(|t| !t.starts_with("__") && schema.table_of(t, world).is_some())
        .cloned()
        .collect()
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
}
