//! Every input is bounded, and text is text. Before validation and execution, one walk over the
//! request's argument values (literals and the variables they use, at any nesting) refuses
//! with `BAD_USER_INPUT`, naming the field:
//!
//! - a string longer than `valid::MAX_TEXT_CHARS` (`valid::MAX_TOKEN_CHARS` for IDs, dates,
//!   date-times and enum names);
//! - a string with a control character other than tab and newline (NUL included);
//! - a list longer than its enum's number of values, or than `valid::MAX_LIST_ITEMS`;
//! - a value nested deeper than any input type of the schema goes.
//!
//! So no resolver, and no SQL, ever sees such a value, and a new argument or input field is
//! covered without an edit. Each field's own rule (a name's 100 characters, a search's 8
//! words) is still checked where the field is parsed (`domain`).
//!
//! The walk visits each fragment definition once, not once per spread, and each variable once,
//! so its cost is linear in the size of the request.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{
    Directive, ExecutableDocument, OperationType, Selection, SelectionSet,
};
use async_graphql::registry::{MetaType, MetaTypeName, Registry};
use async_graphql::{Name, Pos, Positioned, ServerResult, Value, Variables};

use crate::domain::valid::{
    MAX_LIST_ITEMS, MAX_TEXT_CHARS, MAX_TOKEN_CHARS, at_most_chars, plain_text,
};
use crate::error::AppError;

/// How deep an input value may nest (lists and objects); the schema's deepest input, an exam's
/// diagnoses (`input.exam.diagnoses[0]`), is three levels down.
const MAX_NESTING: usize = 8;

/// The most violations reported at once: enough to mark a form, not a reply the size of the
/// request.
const MAX_REPORTED: usize = 20;

/// The extension: see the module documentation.
#[derive(Clone, Copy, Default)]
pub struct InputBounds;

impl ExtensionFactory for InputBounds {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(InputBounds)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for InputBounds {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        check(&ctx.schema_env.registry, &document, variables)?;
        Ok(document)
    }
}

/// Refuses `document` with `variables` when any input value is beyond its bounds.
pub fn check(
    registry: &Registry,
    document: &ExecutableDocument,
    variables: &Variables,
) -> ServerResult<()> {
    let mut walk = Walk {
        registry,
        variables,
        seen_variables: HashSet::new(),
        found: Vec::new(),
        pos: None,
    };
    for (_, operation) in document.operations.iter() {
        let operation = &operation.node;
        let root = match operation.ty {
            OperationType::Query => Some(registry.query_type.as_str()),
            OperationType::Mutation => registry.mutation_type.as_deref(),
            OperationType::Subscription => registry.subscription_type.as_deref(),
        };
        // A default is used when the request leaves its variable out, so it is an input too.
        for definition in &operation.variable_definitions {
            let definition = &definition.node;
            if let Some(default) = &definition.default_value {
                let ty = definition.var_type.node.to_string();
                let name = format!("${}", definition.name.node);
                walk.argument(&name, default.pos, &default.node, Some(&ty));
            }
        }
        walk.directives(&operation.directives);
        walk.selection_set(&operation.selection_set.node, root);
    }
    for fragment in document.fragments.values() {
        let fragment = &fragment.node;
        walk.directives(&fragment.directives);
        let on = fragment.type_condition.node.on.node.as_str();
        walk.selection_set(&fragment.selection_set.node, Some(on));
    }
    match AppError::violations(walk.found) {
        Some(err) => {
            let pos = walk.pos.unwrap_or_default();
            Err(async_graphql::Error::from(err).into_server_error(pos))
        }
        None => Ok(()),
    }
}

struct Walk<'a> {
    registry: &'a Registry,
    variables: &'a Variables,
    /// Variables already checked: one used by many arguments is walked once.
    seen_variables: HashSet<Name>,
    /// `(field, message)` of each violation, as `AppError::violations` takes them.
    found: Vec<(String, String)>,
    /// Where the first violating argument is.
    pos: Option<Pos>,
}

impl<'a> Walk<'a> {
    /// `ty` is the type the selection set is on; `None` when the schema has no such type or
    /// field (validation will refuse the document, but its values are checked all the same).
    fn selection_set(&mut self, set: &'a SelectionSet, ty: Option<&'a str>) {
        for item in &set.items {
            if self.found.len() >= MAX_REPORTED {
                return;
            }
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let meta = ty
                        .and_then(|t| self.registry.types.get(t))
                        .and_then(|t| t.field_by_name(&field.name.node));
                    for (name, value) in &field.arguments {
                        let arg_ty = meta
                            .and_then(|m| m.args.get(name.node.as_str()))
                            .map(|a| a.ty.as_str());
                        let Ok(resolved) =
                            value.node.clone().into_const_with(self.variable_values());
                        self.argument(&name.node, value.pos, &resolved, arg_ty);
                    }
                    self.directives(&field.directives);
                    let child = meta.map(|m| MetaTypeName::concrete_typename(&m.ty));
                    self.selection_set(&field.selection_set.node, child);
                }
                Selection::InlineFragment(fragment) => {
                    let fragment = &fragment.node;
                    self.directives(&fragment.directives);
                    let on = match &fragment.type_condition {
                        Some(condition) => Some(condition.node.on.node.as_str()),
                        None => ty,
                    };
                    self.selection_set(&fragment.selection_set.node, on);
                }
                // The fragment itself is walked once, on its own.
                Selection::FragmentSpread(spread) => self.directives(&spread.node.directives),
            }
        }
    }

    fn directives(&mut self, directives: &'a [Positioned<Directive>]) {
        for directive in directives {
            let directive = &directive.node;
            let meta = self.registry.directives.get(directive.name.node.as_str());
            for (name, value) in &directive.arguments {
                let ty = meta
                    .and_then(|m| m.args.get(name.node.as_str()))
                    .map(|a| a.ty.as_str());
                let Ok(resolved) = value.node.clone().into_const_with(self.variable_values());
                self.argument(&name.node, value.pos, &resolved, ty);
            }
        }
    }

    /// Resolves the variables in an argument: each variable's value only the first time it is
    /// met (it has been checked then); afterwards, and when absent, null.
    fn variable_values(&mut self) -> impl FnMut(Name) -> Result<Value, Infallible> + '_ {
        |variable| {
            Ok(match self.variables.get(&variable) {
                Some(value) if self.seen_variables.insert(variable) => value.clone(),
                _ => Value::Null,
            })
        }
    }

    /// One argument, given with its variables resolved.
    fn argument(&mut self, name: &str, pos: Pos, value: &Value, ty: Option<&str>) {
        let before = self.found.len();
        self.value(value, ty, name, "", 0);
        if self.found.len() > before {
            self.pos.get_or_insert(pos);
        }
    }

    /// Checks `value` of type `ty` (a type reference such as `[CadreClass!]!`; `None` when
    /// unknown). `here` names the value in a violation; `prefix` is what its object fields are
    /// named under (empty for an argument's own fields: `search`, not `filter.search`).
    fn value(&mut self, value: &Value, ty: Option<&str>, here: &str, prefix: &str, depth: usize) {
        if self.found.len() >= MAX_REPORTED {
            return;
        }
        if depth > MAX_NESTING {
            self.violation(
                here,
                format!("must not nest deeper than {MAX_NESTING} levels"),
            );
            return;
        }
        let ty = ty.map(non_null);
        match value {
            Value::String(s) => {
                let max = match ty.map(MetaTypeName::concrete_typename) {
                    None | Some("String") => MAX_TEXT_CHARS,
                    Some(_) => MAX_TOKEN_CHARS,
                };
                if let Err(message) = at_most_chars(s, max).and_then(|()| plain_text(s)) {
                    self.violation(here, message);
                }
            }
            Value::List(items) => {
                let item_ty = ty.and_then(list_item);
                let max = item_ty
                    .and_then(|t| self.enum_size(t))
                    .unwrap_or(MAX_LIST_ITEMS);
                if items.len() > max {
                    self.violation(here, format!("must have at most {max} items"));
                    return;
                }
                for (i, item) in items.iter().enumerate() {
                    let path = format!("{here}[{i}]");
                    self.value(item, item_ty, &path, &path, depth + 1);
                }
            }
            Value::Object(fields) => {
                let input_fields = ty
                    .and_then(|t| self.registry.types.get(MetaTypeName::concrete_typename(t)))
                    .and_then(|t| match t {
                        MetaType::InputObject { input_fields, .. } => Some(input_fields),
                        _ => None,
                    });
                for (name, field) in fields {
                    let field_ty = input_fields
                        .and_then(|f| f.get(name.as_str()))
                        .map(|f| f.ty.as_str());
                    let path = if prefix.is_empty() {
                        name.to_string()
                    } else {
                        format!("{prefix}.{name}")
                    };
                    self.value(field, field_ty, &path, &path, depth + 1);
                }
            }
            Value::Null
            | Value::Number(_)
            | Value::Boolean(_)
            | Value::Enum(_)
            | Value::Binary(_) => {}
        }
    }

    /// How many values the enum `ty` (a type reference to a named type) has, when it is one.
    fn enum_size(&self, ty: &str) -> Option<usize> {
        match self
            .registry
            .types
            .get(MetaTypeName::concrete_typename(ty))?
        {
            MetaType::Enum { enum_values, .. } => Some(enum_values.len()),
            _ => None,
        }
    }

    fn violation(&mut self, field: &str, message: String) {
        self.found
            .push((field.to_owned(), format!("{field}: {message}")));
    }
}

/// `T!` as `T`.
fn non_null(ty: &str) -> &str {
    ty.strip_suffix('!').unwrap_or(ty)
}

/// The item type of a list type reference (`[T!]` gives `T!`).
fn list_item(ty: &str) -> Option<&str> {
    match MetaTypeName::create(ty) {
        MetaTypeName::List(item) => Some(item),
        _ => None,
    }
}
