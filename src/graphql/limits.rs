//! Limits that keep one request from knocking the API over, each answered with its own
//! `extensions.code`: depth (`QUERY_TOO_DEEP`), complexity (`QUERY_TOO_COMPLEX`), aliases
//! (`TOO_MANY_ALIASES`). Complexity is async-graphql's own check, given a code here. Depth and
//! aliases are counted here in one walk over the parsed document, because async-graphql has no
//! alias limit and its depth limit counts introspection too (GraphiQL's own schema query is
//! about a dozen levels deep). Batch size, body size and request time are checked by the HTTP
//! handler (`app.rs`).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, FragmentDefinition, SelectionSet};
use async_graphql::{
    Name, Positioned, ServerError, ServerResult, ValidationResult, Value, Variables,
};

/// The limits extension: aliases per request and depth of fields.
#[derive(Clone, Copy)]
pub struct Limits {
    pub max_aliases: usize,
    pub max_depth: usize,
}

impl ExtensionFactory for Limits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

fn coded(message: impl Into<String>, code: &str) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", Value::from(code));
    error.extensions = Some(extensions);
    error
}

#[async_graphql::async_trait::async_trait]
impl Extension for Limits {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let cap = self
            .max_aliases
            .max(self.max_depth)
            .max(INTROSPECTION_DEPTH);
        let shape = shape(&document, cap);
        if shape.aliases > self.max_aliases {
            return Err(coded(
                format!("the query uses more than {} aliases", self.max_aliases),
                "TOO_MANY_ALIASES",
            ));
        }
        if shape.depth > self.max_depth || shape.introspection_depth > INTROSPECTION_DEPTH {
            return Err(coded(
                format!("the query nests fields deeper than {}", self.max_depth),
                "QUERY_TOO_DEEP",
            ));
        }
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        // async-graphql reports its complexity limit with a fixed message and no code.
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|e| match e.message.as_str() {
                    "Query is too complex." => coded(
                        "the query is more complex than the configured limit; ask for \
                         smaller pages (first/last) or fewer fields",
                        "QUERY_TOO_COMPLEX",
                    ),
                    _ => e,
                })
                .collect()
        })
    }
}

/// How deep introspection (`__schema`, `__type`) may go: tools such as GraphiQL ask for
/// type references nested about a dozen levels, which the query limit would refuse.
const INTROSPECTION_DEPTH: usize = 20;

/// What the walk over a document found.
#[derive(Debug, Default, PartialEq, Eq)]
struct Shape {
    aliases: usize,
    /// Deepest field nesting outside introspection.
    depth: usize,
    /// Deepest field nesting inside it.
    introspection_depth: usize,
}

/// Aliases and depth of every operation, a fragment counted each time it is spread. Stops
/// descending past `cap` fields deep or `cap` aliases (and never follows a fragment into
/// itself), so a hostile document cannot make the walk itself expensive.
fn shape(document: &ExecutableDocument, cap: usize) -> Shape {
    let mut walker = Walker {
        fragments: &document.fragments,
        stack: Vec::new(),
        shape: Shape::default(),
        cap,
    };
    for (_, operation) in document.operations.iter() {
        walker.selection_set(&operation.node.selection_set, 0, false);
    }
    walker.shape
}

struct Walker<'a> {
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    stack: Vec<&'a Name>,
    shape: Shape,
    cap: usize,
}

impl<'a> Walker<'a> {
    fn selection_set(&mut self, set: &'a Positioned<SelectionSet>, depth: usize, intro: bool) {
        use async_graphql::parser::types::Selection;
        if depth > self.cap || self.shape.aliases > self.cap {
            return;
        }
        for item in &set.node.items {
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    if field.alias.is_some() {
                        self.shape.aliases += 1;
                    }
                    let intro = intro || field.name.node.starts_with("__");
                    let depth = depth + 1;
                    if intro {
                        self.shape.introspection_depth = self.shape.introspection_depth.max(depth);
                    } else {
                        self.shape.depth = self.shape.depth.max(depth);
                    }
                    self.selection_set(&field.selection_set, depth, intro);
                }
                Selection::InlineFragment(fragment) => {
                    self.selection_set(&fragment.node.selection_set, depth, intro);
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    if self.stack.contains(&name) {
                        continue;
                    }
                    if let Some(fragment) = self.fragments.get(name) {
                        self.stack.push(name);
                        self.selection_set(&fragment.node.selection_set, depth, intro);
                        self.stack.pop();
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape_of(query: &str) -> Shape {
        let doc = async_graphql::parser::parse_query(query).expect("parses");
        shape(&doc, 100)
    }

    #[test]
    fn counts_aliases_through_fragments_and_depth_apart_from_introspection() {
        let s = shape_of(
            "query { a: viewer { role } ...F ...F __schema { types { fields { type { ofType { name } } } } } }
             fragment F on Query { b: viewer { board { c: name } } }",
        );
        assert_eq!(s.aliases, 5);
        assert_eq!(s.depth, 3);
        assert_eq!(s.introspection_depth, 6);
        // A fragment spread inside itself is not followed (validation refuses it later).
        let s = shape_of("query { ...G } fragment G on Query { x: viewer { role } ...G }");
        assert_eq!(s.aliases, 1);
    }
}
