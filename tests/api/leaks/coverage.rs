//! What the hunt covers: the tenant tables, each with the schema type through which the hunt
//! meets its rows. The one list to hold against a registry of tenant tables.

use std::collections::{BTreeMap, BTreeSet};

use super::schema::Schema;
use super::world::World;

/// Every tenant table the hunt covers, with the type that shows its rows: each table with tenant
/// keys and rows (found in the database's catalog by [`World::read`]) that an object type of
/// the schema maps to ([`Schema::table_of`]: `HealthExam` → `health_exams`), and `boards`, whose
/// every `Board` in an answer the checker judges by its code. A tenant table that no type shows
/// (`campaign_enrolments`: statistics count its rows, no answer lists them) is not in it.
pub fn covered_tables(schema: &Schema, world: &World) -> BTreeMap<String, String> {
    let mut tables: BTreeMap<String, String> = schema
        .types
        .keys()
        .filter(|t| !t.starts_with("__"))
        .filter_map(|t| Some((schema.table_of(t, world)?, t.clone())))
        .collect();
    tables.insert("boards".into(), "Board".into());
    tables
}

/// Every object type of the schema that carries tenant data in rows (boards, keyed by code,
/// aside): the types the hunt must meet with data.
pub fn tenant_types(schema: &Schema, world: &World) -> BTreeSet<String> {
    covered_tables(schema, world)
        .into_values()
        .filter(|t| t != "Board")
        .collect()
}
