//! The generator: who asks (viewers and roles, the proptest strategy over them) and what
//! (random query shapes drawn from the schema, with IDs, filters and cursors from the world).

use proptest::prelude::*;
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use uuid::Uuid;

use super::schema::{Schema, unwrap_type};
use super::world::{World, fold};

/// Boards the hunt acts as: every level, big and small provinces, districts in and out of them.
/// After the 2025 merger ([`MERGED_VIEWERS`]): the centre and provinces that took others in,
/// or none.
pub const VIEWERS: [&str; 9] = ["TW", "40", "01", "79", "412", "414", "001", "760", "02"];
pub const MERGED_VIEWERS: [&str; 7] = ["TW", "08", "19", "79", "01", "40", "96"];
pub const ROLES: [&str; 3] = ["analyst", "clinician", "admin"];
/// How deep the generator nests object types (cadre → exams → cadre).
const MAX_DEPTH: usize = 3;

/// One case of the property: a viewer, a role, and the seed of the question they ask.
pub fn cases_strategy(
    viewers: &'static [&'static str],
) -> impl Strategy<Value = (&'static str, &'static str, u64)> {
    (0..viewers.len(), 0..ROLES.len(), any::<u64>())
        .prop_map(move |(v, r, seed)| (viewers[v], ROLES[r], seed))
}

pub struct Generator<'a> {
    pub rng: ChaCha8Rng,
    /// The board asking: half the lookups draw IDs from its own scope, the rest from anywhere.
    pub viewer: &'a str,
    pub schema: &'a Schema,
    pub world: &'a World,
    pub cursors: &'a [String],
}

/// What the generator asked at the root, for the checks.
pub struct Ask {
    pub query: String,
    pub field: String,
    /// The `id` (or board `code`) of a lookup.
    pub key: Option<String>,
    /// The day of the tree asked for (`asOf`), when one was.
    pub as_of: Option<String>,
    /// Whether the root list's `totalCount` can be predicted, and how.
    pub count: Option<Predicted>,
}

pub enum Predicted {
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
    pub fn literal(&mut self, name: &str, t: &Value, of_type: &str) -> Option<String> {
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
    pub fn selection(&mut self, type_name: &str, depth: usize) -> String {
        let mut parts = vec!["__typename".to_owned()];
        for field in self.schema.fields(type_name) {
            let name = field["name"].as_str().unwrap_or_default();
            let r = unwrap_type(&field["type"]);
            let Some(args) = self.arguments(field, &r.name, false) else {
                continue;
            };
            match r.kind.as_str() {
                "SCALAR" | "ENUM" if name == "id" || name == "code" || self.chance(0.7) => {
                    parts.push(format!("{name}{args}"));
                }
                "SCALAR" | "ENUM" => {}
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

    pub fn root_fields(&self) -> Vec<Value> {
        self.schema
            .fields(&self.schema.query)
            .into_iter()
            .filter(|f| !f["name"].as_str().unwrap_or("__").starts_with("__"))
            .cloned()
            .collect()
    }

    /// A question on the root field `only`, or on one chosen at random.
    pub fn ask(&mut self, only: Option<&str>) -> Ask {
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
        let mut as_of = None;
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
                // The tree of a day before or after the 2025 merger.
                // Always this arm for `asOf`, so the check knows the day asked for.
                "asOf" if r.name == "Board" && !self.chance(0.4) => None,
                "asOf" if r.name == "Board" => {
                    let day = format!(
                        "{}-{:02}-{:02}",
                        self.rng.random_range(2024..=2026),
                        self.rng.random_range(1..=12),
                        self.rng.random_range(1..=28)
                    );
                    as_of = Some(day.clone());
                    predicted = None;
                    Some(format!("\"{day}\""))
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
            as_of,
            count: predicted,
        }
    }
}
