//! Limits that keep one request from knocking the API over, each answered with its own
//! `extensions.code`: size (`QUERY_TOO_COMPLEX`), depth (`QUERY_TOO_DEEP`), complexity
//! (`QUERY_TOO_COMPLEX`), aliases (`TOO_MANY_ALIASES`).
//!
//! A document is read in three steps, each bounded by what the one before it established:
//! 1. its characters are scanned once, counting tokens and bracket nesting, and its length is
//!    checked (the parser takes about 100 ns a byte, comments and strings included: 1 MiB of
//!    comment costs it 70 ms), so the parser only ever sees a document of at most
//!    `max_document_bytes` bytes and `max_tokens` tokens, nested at most [`MAX_NESTING`] deep;
//! 2. it is parsed;
//! 3. one pass over the parsed document costs each fragment once (fragments in dependency
//!    order, a spread then costs what its fragment was found to cost), finds fragment cycles, and
//!    counts the nodes validation would visit with every spread expanded, the aliases (a
//!    fragment's counted each time it is spread) and the depth of fields.
//!
//! Only a document within every budget reaches async-graphql's validation, whose rules and
//! complexity visitor expand each spread: unchecked, a 1 KB document of fragments that each
//! spread the one before twice costs 2^n. Its complexity limit is async-graphql's own check,
//! given a code here. Depth and aliases are counted here because async-graphql has no alias
//! limit and its depth limit counts introspection too (GraphiQL's own schema query is about a
//! dozen levels deep). The three steps run on the blocking pool, off the async workers, so a
//! large document never holds up other requests and the request timeout can fire while it is
//! read. Batch size, body size and request time are checked by the HTTP handler (`app/graphql_http.rs`).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest, NextValidation,
};
use async_graphql::parser::types::{
    Directive, ExecutableDocument, FragmentDefinition, Selection, SelectionSet,
};
use async_graphql::{
    Name, Positioned, Request, ServerError, ServerResult, ValidationResult, Value,
};
use async_graphql_value::Value as DocumentValue;

/// Deepest nesting of brackets (`{`, `[`, `(`) a document may have. Field depth is limited far
/// below this (`max_depth`); this bounds the recursion of everything that reads a document,
/// values in arguments included (the parser limits only selection sets, to 64).
pub const MAX_NESTING: usize = 64;

/// How deep introspection (`__schema`, `__type`) may go: tools such as GraphiQL ask for
/// type references nested about a dozen levels, which the query limit would refuse.
const INTROSPECTION_DEPTH: usize = 20;

/// The limits extension: document size, nodes, aliases and depth.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_aliases: usize,
    pub max_depth: usize,
    /// Longest document, in bytes (variables travel beside it).
    pub max_document_bytes: usize,
    /// Most tokens (names, punctuation, literals) a document may hold.
    pub max_tokens: usize,
    /// Most nodes (fields, fragments, arguments, values, directives) validation may visit, with
    /// every fragment spread expanded.
    pub max_nodes: usize,
}

/// Marks a request whose document [`Limits::read`] has already read within the budgets and
/// set as its parsed query (the HTTP handler reads it first, to know whether it will write),
/// so that the extension does not read it twice.
pub struct DocumentRead;

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
    /// Reads the document here, within the budgets, and hands it to async-graphql parsed, so
    /// its own parser and checks never see a document that broke one.
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        if request
            .data
            .contains_key(&std::any::TypeId::of::<DocumentRead>())
        {
            return next.run(ctx, request).await;
        }
        let limits = *self;
        // Moved to the blocking task and back: a 1 MiB document is not copied.
        let query = std::mem::take(&mut request.query);
        let (query, document) = tokio::task::spawn_blocking(move || {
            let document = limits.read(&query);
            (query, document)
        })
        .await
        .map_err(|err| {
            tracing::error!(error = %err, "reading a document failed");
            coded("internal error", "INTERNAL_SERVER_ERROR")
        })?;
        request.query = query;
        request.set_parsed_query(document?);
        next.run(ctx, request).await
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
                    "Query is too complex." => {
                        crate::telemetry::refused("max_complexity");
                        coded(
                            "the query is more complex than the configured limit; ask for \
                         smaller pages (first/last) or fewer fields",
                            "QUERY_TOO_COMPLEX",
                        )
                    }
                    _ => e,
                })
                .collect()
        })
    }
}

impl Limits {
    /// The budgets the settings give.
    pub fn of(config: &crate::config::Config) -> Limits {
        Limits {
            max_aliases: config.max_aliases,
            max_depth: config.max_depth,
            max_document_bytes: config.max_document_bytes,
            max_tokens: config.max_tokens,
            max_nodes: config.max_nodes,
        }
    }

    /// Scans, parses and measures `query`: the parsed document if it is within every budget.
    /// Its cost is linear in the length of `query`, whatever the document holds.
    pub fn read(&self, query: &str) -> ServerResult<ExecutableDocument> {
        // The scan first (a millisecond for 1 MiB): its refusals say more than the length's.
        scan(query, self.max_tokens).map_err(|r| r.to_error(self))?;
        if query.len() > self.max_document_bytes {
            return Err(Refused::TooLong.to_error(self));
        }
        let document = async_graphql::parser::parse_query(query)?;
        self.check(&document).map_err(|r| r.to_error(self))?;
        Ok(document)
    }

    fn check(&self, document: &ExecutableDocument) -> Result<(), Refused> {
        let shape = shape(document)?;
        if shape.nodes > self.max_nodes {
            return Err(Refused::TooManyNodes);
        }
        if shape.aliases > self.max_aliases {
            return Err(Refused::TooManyAliases);
        }
        if shape.depth > self.max_depth || shape.introspection_depth > INTROSPECTION_DEPTH {
            return Err(Refused::TooDeep);
        }
        Ok(())
    }
}

/// Why a document was refused before validation.
#[derive(Debug, PartialEq, Eq)]
enum Refused {
    TooLong,
    TooManyTokens,
    NestedTooDeep,
    FragmentCycle(String),
    TooManyNodes,
    TooManyAliases,
    TooDeep,
}

impl Refused {
    fn to_error(&self, limits: &Limits) -> ServerError {
        crate::telemetry::refused(self.setting());
        let message = match self {
            Refused::TooLong => format!(
                "the document is longer than {} bytes; send long values as variables",
                limits.max_document_bytes
            ),
            Refused::TooManyTokens => {
                format!("the document holds more than {} tokens", limits.max_tokens)
            }
            Refused::NestedTooDeep => {
                format!("the document nests brackets deeper than {MAX_NESTING}")
            }
            Refused::FragmentCycle(name) => format!("fragment \"{name}\" is spread within itself"),
            Refused::TooManyNodes => format!(
                "the query is larger than {} nodes once its fragments are spread; \
                 ask for fewer fields",
                limits.max_nodes
            ),
            Refused::TooManyAliases => {
                format!("the query uses more than {} aliases", limits.max_aliases)
            }
            Refused::TooDeep => format!("the query nests fields deeper than {}", limits.max_depth),
        };
        coded(message, self.code())
    }

    /// The setting that refused (the `limit` label of `cadre_health_refused_total`).
    fn setting(&self) -> &'static str {
        match self {
            Refused::TooLong => "max_document_bytes",
            Refused::TooManyTokens => "max_tokens",
            Refused::NestedTooDeep => "nesting",
            Refused::FragmentCycle(_) => "fragment_cycle",
            Refused::TooManyNodes => "max_nodes",
            Refused::TooManyAliases => "max_aliases",
            Refused::TooDeep => "max_depth",
        }
    }

    /// The error's `extensions.code`.
    fn code(&self) -> &'static str {
        match self {
            Refused::TooLong | Refused::TooManyTokens | Refused::TooManyNodes => {
                "QUERY_TOO_COMPLEX"
            }
            Refused::NestedTooDeep | Refused::TooDeep => "QUERY_TOO_DEEP",
            Refused::FragmentCycle(_) => "BAD_USER_INPUT",
            Refused::TooManyAliases => "TOO_MANY_ALIASES",
        }
    }
}

/// Counts the tokens of a document and the nesting of its brackets, stopping at the first
/// budget broken, so the parser (which recurses once per bracket, and is not linear in what it
/// builds) only ever sees a bounded document. Whitespace, commas and comments are not tokens;
/// a string (block strings too) is one. It need not agree with the parser on documents that
/// do not parse: those fail there, at the first place they go wrong.
fn scan(query: &str, max_tokens: usize) -> Result<(), Refused> {
    let bytes = query.as_bytes();
    let (mut i, mut tokens, mut nesting) = (0, 0usize, 0usize);
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                i += 1;
                continue;
            }
            b'#' => {
                while bytes.get(i).is_some_and(|b| !matches!(b, b'\n' | b'\r')) {
                    i += 1;
                }
                continue;
            }
            _ => {}
        }
        tokens += 1;
        if tokens > max_tokens {
            return Err(Refused::TooManyTokens);
        }
        i = match byte {
            b'{' | b'[' | b'(' => {
                nesting += 1;
                if nesting > MAX_NESTING {
                    return Err(Refused::NestedTooDeep);
                }
                i + 1
            }
            b'}' | b']' | b')' => {
                nesting = nesting.saturating_sub(1);
                i + 1
            }
            b'"' => string_end(bytes, i),
            b'.' if bytes[i..].starts_with(b"...") => i + 3,
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                word_end(bytes, i, |b| b == b'_' || b.is_ascii_alphanumeric())
            }
            // Numbers: `-12`, `1.5e+3`.
            b'-' | b'0'..=b'9' => word_end(bytes, i, |b| {
                b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'+' | b'-')
            }),
            // Other punctuation, and anything the parser will refuse, one byte each.
            _ => i + 1,
        };
    }
    Ok(())
}

fn word_end(bytes: &[u8], start: usize, part: impl Fn(u8) -> bool) -> usize {
    let mut i = start + 1;
    while bytes.get(i).is_some_and(|&b| part(b)) {
        i += 1;
    }
    i
}

/// Where the string starting at `start` (a `"`) ends: after its closing quote, or at the end
/// of the line (a plain string cannot span lines) or of the document.
fn string_end(bytes: &[u8], start: usize) -> usize {
    const BLOCK: &[u8] = b"\"\"\"";
    if bytes[start..].starts_with(BLOCK) {
        let mut i = start + 3;
        while i < bytes.len() {
            if bytes[i..].starts_with(b"\\\"\"\"") {
                i += 4;
            } else if bytes[i..].starts_with(BLOCK) {
                return i + 3;
            } else {
                i += 1;
            }
        }
        return bytes.len();
    }
    let mut i = start + 1;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'\n' | b'\r' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// What validation would meet in a selection set, a fragment or a whole document, with every
/// fragment spread expanded. Counts saturate: a fragment bomb's 2^60 nodes is simply too many.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Shape {
    /// Fields, spreads, inline fragments, arguments, values and directives.
    nodes: usize,
    aliases: usize,
    /// Deepest field nesting outside introspection.
    depth: usize,
    /// Deepest field nesting inside it (`__schema`, `__type`, `__typename` and below).
    introspection_depth: usize,
    /// Deepest field nesting of any kind: what `introspection_depth` is when the set is itself
    /// inside introspection.
    height: usize,
}

impl Shape {
    /// `other` beside `self`, at the same depth.
    fn add(&mut self, other: &Shape) {
        self.nodes = self.nodes.saturating_add(other.nodes);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.depth = self.depth.max(other.depth);
        self.introspection_depth = self.introspection_depth.max(other.introspection_depth);
        self.height = self.height.max(other.height);
    }
}

/// The document's shape: every operation with its fragments spread where they are, plus every
/// fragment definition once (validation reads each definition on its own as well). Each
/// fragment is costed once, after the fragments it spreads, so the work is linear in the
/// document's size however often fragments are spread.
fn shape(document: &ExecutableDocument) -> Result<Shape, Refused> {
    let mut costs: HashMap<&Name, Shape> = HashMap::new();
    let mut total = Shape::default();
    for name in fragment_order(&document.fragments)? {
        let fragment = &document.fragments[name].node;
        let mut cost = set_shape(&fragment.selection_set, &costs);
        cost.nodes = cost
            .nodes
            .saturating_add(directive_nodes(&fragment.directives));
        total.nodes = total.nodes.saturating_add(cost.nodes);
        costs.insert(name, cost);
    }
    for (_, operation) in document.operations.iter() {
        let operation = &operation.node;
        let mut cost = set_shape(&operation.selection_set, &costs);
        cost.nodes = cost
            .nodes
            .saturating_add(directive_nodes(&operation.directives));
        for variable in &operation.variable_definitions {
            let variable = &variable.node;
            let default = variable
                .default_value
                .as_ref()
                .map_or(0, |v| const_value_nodes(&v.node));
            cost.nodes = cost
                .nodes
                .saturating_add(1 + default)
                .saturating_add(directive_nodes(&variable.directives));
        }
        total.add(&cost);
    }
    Ok(total)
}

/// The fragments in dependency order (each after every fragment it spreads), or the first
/// cycle found. A walk with its own stack: a chain of thousands of fragments, each spreading
/// the next, must not exhaust the thread's.
fn fragment_order(
    fragments: &HashMap<Name, Positioned<FragmentDefinition>>,
) -> Result<Vec<&Name>, Refused> {
    let spreads: HashMap<&Name, Vec<&Name>> = fragments
        .iter()
        .map(|(name, fragment)| {
            let mut found = Vec::new();
            spreads_in(&fragment.node.selection_set, &mut found);
            // A spread of an unknown fragment is validation's to report; it costs nothing here.
            found.retain(|name| fragments.contains_key(*name));
            (name, found)
        })
        .collect();
    #[derive(PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    let mut marks: HashMap<&Name, Mark> = HashMap::new();
    let mut order = Vec::with_capacity(fragments.len());
    for root in fragments.keys() {
        if marks.contains_key(root) {
            continue;
        }
        marks.insert(root, Mark::Open);
        // Each entry: a fragment, and how many of its spreads have been followed.
        let mut stack = vec![(root, 0)];
        while let Some(&(name, next)) = stack.last() {
            match spreads[name].get(next) {
                Some(&child) => {
                    if let Some(top) = stack.last_mut() {
                        top.1 += 1;
                    }
                    match marks.get(child) {
                        Some(Mark::Open) => return Err(Refused::FragmentCycle(child.to_string())),
                        Some(Mark::Done) => {}
                        None => {
                            marks.insert(child, Mark::Open);
                            stack.push((child, 0));
                        }
                    }
                }
                None => {
                    marks.insert(name, Mark::Done);
                    order.push(name);
                    stack.pop();
                }
            }
        }
    }
    Ok(order)
}

/// The fragments spread anywhere in `set`.
fn spreads_in<'a>(set: &'a Positioned<SelectionSet>, found: &mut Vec<&'a Name>) {
    for item in &set.node.items {
        match &item.node {
            Selection::Field(field) => spreads_in(&field.node.selection_set, found),
            Selection::InlineFragment(fragment) => spreads_in(&fragment.node.selection_set, found),
            Selection::FragmentSpread(spread) => found.push(&spread.node.fragment_name.node),
        }
    }
}

/// The shape of `set`, a spread costing what `costs` holds for its fragment. Recurses once per
/// level of fields, which the scan has bounded.
fn set_shape(set: &Positioned<SelectionSet>, costs: &HashMap<&Name, Shape>) -> Shape {
    let mut shape = Shape::default();
    for item in &set.node.items {
        match &item.node {
            Selection::Field(field) => {
                let field = &field.node;
                let inner = set_shape(&field.selection_set, costs);
                let arguments = field.arguments.iter().fold(0usize, |n, (_, value)| {
                    n.saturating_add(1).saturating_add(value_nodes(&value.node))
                });
                let mut own = Shape {
                    nodes: inner
                        .nodes
                        .saturating_add(1)
                        .saturating_add(arguments)
                        .saturating_add(directive_nodes(&field.directives)),
                    aliases: inner.aliases + usize::from(field.alias.is_some()),
                    height: inner.height + 1,
                    ..Shape::default()
                };
                if field.name.node.starts_with("__") {
                    // Everything below introspection is introspection.
                    own.introspection_depth = inner.height + 1;
                } else {
                    own.depth = inner.depth + 1;
                    if inner.introspection_depth > 0 {
                        own.introspection_depth = inner.introspection_depth + 1;
                    }
                }
                shape.add(&own);
            }
            Selection::InlineFragment(fragment) => {
                let mut inner = set_shape(&fragment.node.selection_set, costs);
                inner.nodes = inner
                    .nodes
                    .saturating_add(1)
                    .saturating_add(directive_nodes(&fragment.node.directives));
                shape.add(&inner);
            }
            Selection::FragmentSpread(spread) => {
                let mut inner = costs
                    .get(&spread.node.fragment_name.node)
                    .copied()
                    .unwrap_or_default();
                inner.nodes = inner
                    .nodes
                    .saturating_add(1)
                    .saturating_add(directive_nodes(&spread.node.directives));
                shape.add(&inner);
            }
        }
    }
    shape
}

fn directive_nodes(directives: &[Positioned<Directive>]) -> usize {
    directives.iter().fold(0usize, |n, directive| {
        directive
            .node
            .arguments
            .iter()
            .fold(n.saturating_add(1), |n, (_, value)| {
                n.saturating_add(1).saturating_add(value_nodes(&value.node))
            })
    })
}

/// Nodes of a value: 1, plus its items or fields (a field is one more). Recursion bounded by
/// the scan's nesting. One body for a value in the document (`value_nodes`) and a constant, a
/// variable's default value (`const_value_nodes`).
macro_rules! value_nodes {
    ($($name:ident: $value:ident;)+) => {$(
        fn $name(value: &$value) -> usize {
            match value {
                $value::List(items) => items.iter().fold(1usize, |n, v| n.saturating_add($name(v))),
                $value::Object(fields) => fields
                    .values()
                    .fold(1usize, |n, v| n.saturating_add(1).saturating_add($name(v))),
                _ => 1,
            }
        }
    )+};
}

value_nodes!(
    value_nodes: DocumentValue;
    const_value_nodes: Value;
);

#[cfg(test)]
mod tests {
    use super::*;

    fn shape_of(query: &str) -> Result<Shape, Refused> {
        shape(&async_graphql::parser::parse_query(query).expect("parses"))
    }

    /// `F0 { viewer { role } }`, and each `Fi` spreading `F(i-1)` twice.
    fn bomb(n: usize) -> String {
        let mut doc = format!("query {{ ...F{n} }} fragment F0 on Query {{ viewer {{ role }} }}");
        for i in 1..=n {
            doc += &format!(" fragment F{i} on Query {{ ...F{p} ...F{p} }}", p = i - 1);
        }
        doc
    }

    const LIMITS: Limits = Limits {
        max_aliases: 30,
        max_depth: 10,
        max_document_bytes: 100 * 1024,
        max_tokens: 10_000,
        max_nodes: 50_000,
    };

    #[test]
    fn counts_aliases_through_fragments_and_depth_apart_from_introspection() {
        let s = shape_of(
            "query { a: viewer { role } ...F ...F __schema { types { fields { type { ofType { name } } } } } }
             fragment F on Query { b: viewer { board { c: name } } }",
        )
        .expect("no cycle");
        assert_eq!(s.aliases, 5);
        assert_eq!(s.depth, 3);
        assert_eq!(s.introspection_depth, 6);
        let s = shape_of("{ viewer { __typename } }").expect("no cycle");
        assert_eq!((s.depth, s.introspection_depth), (1, 2));
        // Introspection spread into a fragment counts as introspection.
        let s = shape_of("{ __schema { ...T } } fragment T on __Schema { types { name } }")
            .expect("no cycle");
        assert_eq!((s.depth, s.introspection_depth), (0, 3));
    }

    #[test]
    fn a_fragment_is_costed_once_and_counted_once_per_spread() {
        // F0: viewer, role = 2 nodes; Fi = 2 spreads + 2 × F(i-1).
        let s = shape_of(&bomb(3)).expect("no cycle");
        let f = [2usize, 6, 14, 30];
        // The operation (1 spread + F3) and each definition once.
        assert_eq!(s.nodes, 1 + f[3] + f.iter().sum::<usize>());
        assert_eq!(s.depth, 2);
        // At 64 levels the count saturates instead of overflowing.
        assert_eq!(shape_of(&bomb(64)).expect("no cycle").nodes, usize::MAX);
        assert_eq!(LIMITS.check(&parse(&bomb(30))), Err(Refused::TooManyNodes));
    }

    fn parse(query: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(query).expect("parses")
    }

    #[test]
    fn cycles_are_found_however_long() {
        let cycle = shape_of(
            "{ ...A } fragment A on Query { ...B } fragment B on Query { viewer { role } ...A }",
        );
        assert!(matches!(cycle, Err(Refused::FragmentCycle(_))), "{cycle:?}");
        assert!(matches!(
            shape_of("{ ...G } fragment G on Query { x: viewer { role } ...G }"),
            Err(Refused::FragmentCycle(_))
        ));
        // A chain of 20,000 fragments is walked without recursion, and its cycle found.
        let n = 20_000;
        let mut doc = String::from("{ ...F0 }");
        for i in 0..n {
            doc += &format!(" fragment F{i} on Query {{ ...F{} }}", (i + 1) % n);
        }
        assert!(matches!(shape_of(&doc), Err(Refused::FragmentCycle(_))));
        // Unknown fragments are left to validation.
        assert!(shape_of("{ ...Missing viewer { role } }").is_ok());
    }

    #[test]
    fn arguments_values_and_directives_are_nodes() {
        let s = shape_of(r#"{ cadres(first: 1, filter: {status: [SERVING, RETIRED]}) @include(if: true) { totalCount } }"#)
            .expect("no cycle");
        // cadres, first + 1, filter + {status: [2 items]} = 1+1+(1+3), @include + if + true, totalCount
        assert_eq!(s.nodes, 1 + 2 + 1 + 1 + 1 + 3 + 3 + 1);
    }

    #[test]
    fn the_scan_counts_tokens_and_nesting_outside_strings_and_comments() {
        assert_eq!(scan("{ viewer { role } }", 6), Ok(()));
        assert_eq!(scan("{ viewer { role } }", 5), Err(Refused::TooManyTokens));
        // Commas, comments and a string's brackets are not counted.
        assert_eq!(
            scan(
                "{ a(x: \"{{{{ \\\" [[[\", y: \"\"\"\n{{{ \\\"\"\" ((\n\"\"\") # {{{{\n, }",
                11
            ),
            Ok(())
        );
        assert_eq!(scan("query { ...F } ", 5), Ok(()));
        assert_eq!(
            scan(&"a ".repeat(1_000_000), 10_000),
            Err(Refused::TooManyTokens)
        );
        let deep = |n: usize| format!("{}{}", "{a".repeat(n), "}".repeat(n));
        assert_eq!(scan(&deep(MAX_NESTING), 10_000), Ok(()));
        assert_eq!(
            scan(&deep(MAX_NESTING + 1), 10_000),
            Err(Refused::NestedTooDeep)
        );
        assert_eq!(
            scan(&"[".repeat(1 << 20), usize::MAX),
            Err(Refused::NestedTooDeep)
        );
        // Numbers are one token each.
        assert_eq!(scan("{ a(x: -1.5e+3, y: 12) }", 12), Ok(()));
    }

    #[test]
    fn reading_refuses_with_a_code() {
        let code = |query: &str| {
            LIMITS
                .read(query)
                .err()
                .and_then(|e| e.extensions)
                .and_then(|e| e.get("code").cloned())
        };
        assert_eq!(code(&bomb(30)), Some(Value::from("QUERY_TOO_COMPLEX")));
        assert_eq!(
            code(&format!(
                "{{ a(x: {}1{}) }}",
                "[".repeat(100),
                "]".repeat(100)
            )),
            Some(Value::from("QUERY_TOO_DEEP"))
        );
        assert_eq!(
            code(&format!(
                "{{ viewer {{ role }} }} #{}",
                "x".repeat(100 * 1024)
            )),
            Some(Value::from("QUERY_TOO_COMPLEX"))
        );
        assert_eq!(code("{ viewer { role } }"), None);
    }
}
