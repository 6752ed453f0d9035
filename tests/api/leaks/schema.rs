//! The schema as the hunt sees it, by introspection: its types and fields, the table behind a
//! type, the node type of a connection.

use std::collections::HashMap;

use serde_json::Value;

use super::world::World;
use crate::helpers::TestApp;

const INTROSPECTION: &str = r#"{ __schema { queryType { name } types { kind name
  fields { name type { ...T } args { name defaultValue type { ...T } } }
  inputFields { name type { ...T } } enumValues { name } } } }
  fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }"#;

pub struct Schema {
    pub types: HashMap<String, Value>,
    pub query: String,
}

/// A type reference with its wrappers taken off.
pub struct TypeRef {
    pub name: String,
    pub kind: String,
    pub list: bool,
}

pub fn unwrap_type(t: &Value) -> TypeRef {
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
    pub async fn read(app: &TestApp) -> Schema {
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

    pub fn fields(&self, type_name: &str) -> Vec<&Value> {
        self.types
            .get(type_name)
            .and_then(|t| t["fields"].as_array())
            .map(|f| f.iter().collect())
            .unwrap_or_default()
    }

    pub fn field(&self, type_name: &str, field: &str) -> Option<&Value> {
        self.fields(type_name)
            .into_iter()
            .find(|f| f["name"] == field)
    }

    /// The table behind a type that carries tenant data: an object with an `id` whose table
    /// (by convention `HealthExam` → `health_exams`) has tenant keys. `Board` is keyed by code.
    pub fn table_of(&self, type_name: &str, world: &World) -> Option<String> {
        self.field(type_name, "id")?;
        let table = format!("{}s", snake(type_name));
        world
            .rows
            .values()
            .any(|r| r.table == table)
            .then_some(table)
    }

    /// The node type of a connection type, when `type_name` is one.
    pub fn node_of(&self, type_name: &str) -> Option<String> {
        let edges = self.field(type_name, "edges")?;
        let edge = unwrap_type(&edges["type"]).name;
        Some(unwrap_type(&self.field(&edge, "node")?["type"]).name)
    }
}

pub fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}
