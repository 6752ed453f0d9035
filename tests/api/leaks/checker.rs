//! The checker: whether an answer leaked. Every object's scope, every count it can predict,
//! and where in an answer a refused field stands.

use std::collections::BTreeSet;

use serde_json::Value;

use super::generator::Predicted;
use super::schema::{Schema, snake, unwrap_type};
use super::world::{Row, World};

pub struct Checker<'a> {
    pub schema: &'a Schema,
    pub world: &'a World,
    pub viewer: &'a str,
    /// Tenant types seen with data, for the coverage check at the end.
    pub seen: BTreeSet<String>,
    pub cursors: Vec<String>,
}

impl Checker<'_> {
    /// Walks `value`, declared as `type_name`, checking every object's scope and every count it
    /// can predict.
    pub fn walk(&mut self, value: &Value, type_name: &str) -> Result<(), String> {
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

    pub fn expected_root_count(&self, node: &str, predicted: &Predicted) -> Option<usize> {
        let table = self.schema.table_of(node, self.world);
        match predicted {
            Predicted::All if node == "Board" => Some(
                self.world
                    .boards
                    .keys()
                    .filter(|c| {
                        self.world.board_visible(self.viewer, c) && self.world.board_open(c)
                    })
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
        self.world.board_visible(self.viewer, code) && self.world.held_under(row, code)
    }
}

/// The paths of the fields refused to the viewer's role.
pub fn forbidden_paths(body: &Value) -> Vec<Vec<Value>> {
    body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["extensions"]["code"] == "FORBIDDEN")
        .filter_map(|e| e["path"].as_array().cloned())
        .collect()
}

pub fn at_path<'v>(data: &'v Value, path: &[Value]) -> Option<&'v Value> {
    path.iter().try_fold(data, |v, seg| match seg {
        Value::String(k) => v.get(k),
        Value::Number(n) => v.get(n.as_u64()? as usize),
        _ => None,
    })
}

/// The declared type of the field at `path` from the root.
pub fn field_at_path<'s>(schema: &'s Schema, path: &[Value], data: &Value) -> Option<&'s Value> {
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
