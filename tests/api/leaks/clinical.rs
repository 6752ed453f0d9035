//! Analysts and clinical data: every argument of every root field asked by analysts before and
//! after every clinical value in the database is changed; their answers must not move.

use std::collections::HashMap;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sea_orm::sea_query::Iden;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::Value;

use super::generator::Generator;
use super::hunt::Hunt;
use super::schema::{Schema, unwrap_type};
use super::world::{World, tenant_columns};
use crate::helpers::error_codes;
use migrations::tenant::Tenant;

impl Hunt {
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
    pub async fn analysts_try_every_argument(&self) {
        let probes = {
            let world = self.world.read().expect("world");
            probes(&self.schema, &world)
        };
        assert!(
            probes.iter().any(|p| p.contains("activeCondition")),
            "the probes reach the cadre directory's filters"
        );
        // Every level, and a province that holds a merged one's records; closed boards' tokens
        // are refused outright.
        let viewers: Vec<&str> = {
            let world = self.world.read().expect("world");
            ["TW", "40", "412", "08"]
                .into_iter()
                .filter(|b| world.board_open(b))
                .collect()
        };
        let mut before = vec![];
        for viewer in &viewers {
            let analyst = self.app.as_board(viewer, "analyst");
            for probe in &probes {
                before.push(analyst.query(probe).await);
            }
        }
        scramble(&self.app.db).await;
        let mut before = before.into_iter();
        for viewer in &viewers {
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

/// Columns of the clinical tables that [`scramble`] leaves alone: the columns every tenant table
/// has (identity, tenant keys, bookkeeping: [`Tenant::ALL`]), then links and dates. Analysts see
/// when cadres were examined and in which campaign (`lastExamOn`, `dueInCampaign`, exam
/// coverage), so exam dates and campaigns must stay; the other records' dates stay with them
/// (what was found then is scrambled).
const KEPT: [&str; 9] = [
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

/// Whether [`scramble`] leaves `column` alone.
fn kept(column: &str) -> bool {
    KEPT.contains(&column) || Tenant::ALL.iter().any(|c| c.to_string() == column)
}

/// How [`scramble`] changes every other column of every clinical table: with an expression (the
/// same on SQLite and PostgreSQL) that changes each value and keeps it valid, whatever a filter
/// could select by. `(table, column, expression)`.
fn scrambles() -> Vec<(&'static str, &'static str, String)> {
    let mut all = vec![];
    for (table, columns) in APPENDED {
        all.extend(columns.iter().map(|c| (table, *c, format!("{c} || 'x'"))));
    }
    for (table, columns) in INCREMENTED {
        all.extend(columns.iter().map(|c| (table, *c, format!("{c} + 1"))));
    }
    for (table, column, values) in CYCLED {
        let next = values.iter().zip(values.iter().skip(1));
        let whens: Vec<String> = next
            .map(|(v, n)| format!("WHEN '{v}' THEN '{n}'"))
            .collect();
        let first = values[0];
        let expression = format!("CASE {column} {} ELSE '{first}' END", whens.join(" "));
        all.push((table, column, expression));
    }
    all.extend(REWRITTEN.map(|(table, column, e)| (table, column, e.to_owned())));
    all
}

/// Text columns of the clinical tables, scrambled by appending a letter (injective, so a
/// cadre's doses of a vaccine stay unique).
const APPENDED: [(&str, &[&str]); 7] = [
    ("chronic_conditions", &["note"]),
    ("health_exams", &["facility", "conclusion", "physician"]),
    ("clinic_visits", &["complaint", "physician"]),
    ("prescriptions", &["drug", "dosage"]),
    ("referrals", &["destination", "reason"]),
    ("consultations", &["council", "participants", "conclusion"]),
    ("vaccinations", &["vaccine", "lot"]),
];

/// Numeric columns of the clinical tables, scrambled by adding one.
const INCREMENTED: [(&str, &[&str]); 2] = [
    (
        "health_exams",
        &[
            "height_cm",
            "weight_kg",
            "bmi",
            "systolic_mmhg",
            "diastolic_mmhg",
            "pulse_bpm",
            "glucose_mmol_l",
            "hba1c_percent",
            "cholesterol_mmol_l",
            "triglycerides_mmol_l",
            "creatinine_umol_l",
        ],
    ),
    ("prescriptions", &["quantity"]),
];

/// Columns of the clinical tables that take one of a few values, scrambled by moving each value
/// to the next one in the list (the last one, and null, to the first).
const CYCLED: [(&str, &str, &[&str]); 5] = [
    (
        "health_exams",
        "kind",
        &["PERIODIC", "ROUTINE", "SPECIALIST"],
    ),
    ("health_exams", "cadre_class", &["A", "B1", "B2", "C", "D"]),
    (
        "health_exams",
        "general_class",
        &["I", "II", "III", "IV", "V"],
    ),
    ("referrals", "urgency", &["ROUTINE", "URGENT", "EMERGENCY"]),
    (
        "referrals",
        "status",
        &["REQUESTED", "ACCEPTED", "COMPLETED", "CANCELLED"],
    ),
];

/// The clinical columns scrambled each in a way of its own.
const REWRITTEN: [(&str, &str, &str); 5] = [
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
    (
        "health_exams",
        "diagnoses",
        "CASE WHEN diagnoses = '' THEN 'Z00' ELSE '' END",
    ),
    (
        "clinic_visits",
        "diagnoses",
        "CASE WHEN diagnoses = '' THEN 'Z00' ELSE '' END",
    ),
    // A cadre's doses stay unique.
    ("vaccinations", "dose_number", "11 - dose_number"),
];

/// Changes every clinical value in the database ([`scrambles`]), after checking against the
/// catalog that every column of every clinical table (a table with a `cadre_id`, but the
/// directory, the enrolments and the audit trail) is either scrambled or [`KEPT`].
async fn scramble(db: &DatabaseConnection) {
    let scrambles = scrambles();
    let mut by_table: HashMap<&str, Vec<String>> = HashMap::new();
    for (table, column, expression) in &scrambles {
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
            let scrambled = scrambles.iter().any(|(t, c, _)| *t == table && c == column);
            assert!(
                kept(column) || scrambled,
                "{table}.{column} is neither scrambled nor kept: add it to scrambles() in leaks/clinical.rs"
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
