//! Relay connections with keyset pagination: `first`/`after` and `last`/`before`, an opaque
//! cursor holding the sort key of the row it points at, and `totalCount` computed only when
//! asked for.
//!
//! Every list goes through [`fetch`]: the cursor becomes a `WHERE (k1, k2) > (v1, v2)` on the
//! ordering's columns (which an index serves), never an `OFFSET`, so page N costs what page 1
//! costs.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, OutputType, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, NullOrdering};
use sea_orm::{EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, Select, Value};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::scope::{ScopedDb, Selection, Tenant};

/// The extra field every connection carries.
#[derive(SimpleObject)]
pub struct TotalCount {
    /// How many rows match the filter in the viewer's scope, across all pages.
    pub total_count: u64,
}

pub type Page<T> = Connection<String, T, TotalCount, EmptyFields>;

/// Checked paging arguments.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageArgs {
    /// How many rows the page holds.
    pub size: u64,
    /// Paging backwards (`last`/`before`).
    pub backward: bool,
    /// The sort key of the row the page starts after (or, backwards, ends before).
    pub cursor: Option<Vec<String>>,
}

pub const DEFAULT_PAGE_SIZE: u64 = 20;
const CURSOR_PREFIX: &str = "k1";
const SEPARATOR: char = '\u{1f}';

impl PageArgs {
    /// `first`/`after` or `last`/`before`, checked against `max` (the configured largest page);
    /// mixing the two directions is bad input.
    pub fn check(
        max: u32,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> AppResult<PageArgs> {
        let max = u64::from(max);
        let backward = last.is_some() || before.is_some();
        if backward && (first.is_some() || after.is_some()) {
            return Err(AppError::bad_input(
                "last",
                "page forwards (first/after) or backwards (last/before), not both",
            ));
        }
        let (field, size) = if backward {
            ("last", last)
        } else {
            ("first", first)
        };
        let size = match size {
            None => std::cmp::min(DEFAULT_PAGE_SIZE, max),
            Some(n) if n < 0 => {
                return Err(AppError::bad_input(
                    field,
                    format!("{field} must not be negative"),
                ));
            }
            Some(n) if n as u64 > max => {
                return Err(AppError::bad_input(
                    field,
                    format!("{field} must be at most {max}"),
                ));
            }
            Some(n) => n as u64,
        };
        let (cursor_field, cursor) = if backward {
            ("before", before)
        } else {
            ("after", after)
        };
        let cursor = cursor
            .map(|c| decode_cursor(&c).ok_or_else(|| bad_cursor_in(cursor_field)))
            .transpose()?;
        Ok(PageArgs {
            size,
            backward,
            cursor,
        })
    }

    /// The argument that carried the cursor.
    pub fn cursor_field(&self) -> &'static str {
        if self.backward { "before" } else { "after" }
    }
}

pub fn encode_cursor(parts: &[String]) -> String {
    let mut raw = String::from(CURSOR_PREFIX);
    for part in parts {
        raw.push(SEPARATOR);
        raw.push_str(part);
    }
    URL_SAFE_NO_PAD.encode(raw)
}

fn decode_cursor(cursor: &str) -> Option<Vec<String>> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let raw = String::from_utf8(bytes).ok()?;
    let mut parts = raw.split(SEPARATOR);
    if parts.next() != Some(CURSOR_PREFIX) {
        return None;
    }
    Some(parts.map(str::to_owned).collect())
}

/// The error for a cursor this API did not issue (or one tampered with).
pub fn bad_cursor() -> AppError {
    bad_cursor_in("after")
}

pub fn bad_cursor_in(field: &str) -> AppError {
    AppError::bad_input(field, format!("{field} is not a cursor this API issued"))
}

/// What a connection costs in the complexity limit: each of its (up to `first` or `last`) rows
/// costs what its selection costs, plus one for the list itself.
pub fn cost(first: Option<i32>, last: Option<i32>, child: usize) -> usize {
    let rows = first
        .or(last)
        .map_or(DEFAULT_PAGE_SIZE as usize, |n| Ord::max(n, 0) as usize);
    rows.saturating_mul(child).saturating_add(1)
}

/// Whether the client selected `totalCount`, so the count query runs only then.
pub fn wants_total(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

/// The type of one sort-key column, so a cursor's text turns back into a typed value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Text,
    Date,
    /// A date that may be null (a cadre never examined), written `""` in a cursor. Null sorts
    /// before every date: first ascending, last descending, on both databases. Only for the
    /// root lists' orderings; [`Ordering::precedes`] (the nested lists) takes non-null keys.
    NullableDate,
    DateTime,
    Uuid,
    Int,
}

/// A cursor's key value: `None` is SQL null.
type KeyValue = Option<Value>;

impl KeyKind {
    fn value(self, text: &str) -> Option<KeyValue> {
        Some(Some(match self {
            KeyKind::Text => Value::from(text.to_owned()),
            KeyKind::NullableDate if text.is_empty() => return Some(None),
            KeyKind::Date | KeyKind::NullableDate => Value::from(text.parse::<NaiveDate>().ok()?),
            KeyKind::DateTime => {
                Value::from(DateTime::parse_from_rfc3339(text).ok()?.with_timezone(&Utc))
            }
            KeyKind::Uuid => Value::from(text.parse::<Uuid>().ok()?),
            KeyKind::Int => Value::from(text.parse::<i64>().ok()?),
        }))
    }
}

/// Text of a nullable date in a cursor (see [`KeyKind::NullableDate`]).
pub fn nullable_date_key(on: Option<NaiveDate>) -> String {
    on.map(|d| d.to_string()).unwrap_or_default()
}

/// `col` equal to a cursor's key value (null equals null here, as in the sort order).
fn same(col: Expr, value: &KeyValue) -> Condition {
    match value {
        Some(v) => Condition::all().add(col.eq(v.clone())),
        None => Condition::all().add(col.is_null()),
    }
}

/// `col` strictly past a cursor's key value, going up (`later`) or down the column's order,
/// where null comes before every value. `None` when nothing can be past it (below null).
fn past(col: Expr, value: &KeyValue, later: bool, nullable: bool) -> Option<Condition> {
    Some(match (value, later) {
        (Some(v), true) => Condition::all().add(col.gt(v.clone())),
        (Some(v), false) if nullable => Condition::any()
            .add(col.clone().lt(v.clone()))
            .add(col.is_null()),
        (Some(v), false) => Condition::all().add(col.lt(v.clone())),
        (None, true) => Condition::all().add(col.is_not_null()),
        (None, false) => return None,
    })
}

/// Text of a datetime in a cursor, exact to the nanosecond.
pub fn datetime_key(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// A column type a list sorts on (dates, instants): its [`KeyKind`], and its text in a cursor.
pub trait KeyText {
    const KIND: KeyKind;
    fn key_text(&self) -> String;
}

impl KeyText for NaiveDate {
    const KIND: KeyKind = KeyKind::Date;
    fn key_text(&self) -> String {
        self.to_string()
    }
}

impl KeyText for DateTime<Utc> {
    const KIND: KeyKind = KeyKind::DateTime;
    fn key_text(&self) -> String {
        datetime_key(self)
    }
}

/// One column of a stable order; the last column of every ordering is the unique `id`.
pub struct SortKey<C> {
    pub col: C,
    pub kind: KeyKind,
    pub descending: bool,
}

/// A stable order over `E` and how to read a row's sort key.
pub struct Ordering<E: EntityTrait> {
    pub keys: Vec<SortKey<E::Column>>,
    pub key_of: fn(&E::Model) -> Vec<String>,
}

impl<E: EntityTrait> Ordering<E> {
    /// By `col` (of `kind`), then by the ID column `id`, which makes the order total; both
    /// descending or both ascending.
    pub fn then_id(
        col: E::Column,
        kind: KeyKind,
        id: E::Column,
        descending: bool,
        key_of: fn(&E::Model) -> Vec<String>,
    ) -> Self {
        let keys = vec![
            SortKey {
                col,
                kind,
                descending,
            },
            SortKey {
                col: id,
                kind: KeyKind::Uuid,
                descending,
            },
        ];
        Ordering { keys, key_of }
    }

    /// Rows strictly after the key `parts` in this order (before it when `backward`):
    /// `k1 > v1 OR (k1 = v1 AND k2 > v2) ...`, which the ordering's index serves.
    pub fn beyond(&self, parts: &[String], backward: bool) -> Option<Condition> {
        self.beyond_in(None, parts, backward)
    }

    /// [`Self::beyond`] for the rows of table alias `table` (a subquery's), or unqualified.
    pub fn beyond_in(
        &self,
        table: Option<&str>,
        parts: &[String],
        backward: bool,
    ) -> Option<Condition> {
        if parts.len() != self.keys.len() {
            return None;
        }
        let values = self
            .keys
            .iter()
            .zip(parts)
            .map(|(k, p)| k.kind.value(p))
            .collect::<Option<Vec<_>>>()?;
        let col = |c: E::Column| match table {
            Some(t) => Expr::col((Alias::new(t), c)),
            None => Expr::col(c),
        };
        let mut any = Condition::any();
        for i in 0..self.keys.len() {
            let key = &self.keys[i];
            let later = key.descending == backward;
            let nullable = key.kind == KeyKind::NullableDate;
            let Some(step) = past(col(key.col), &values[i], later, nullable) else {
                continue;
            };
            let mut all = Condition::all();
            for (key, value) in self.keys[..i].iter().zip(&values) {
                all = all.add(same(col(key.col), value));
            }
            any = any.add(all.add(step));
        }
        Some(any)
    }

    /// Row `a` comes before row `b` in this order (after it when `backward`), the two rows
    /// named by table aliases: how a batched loader ranks a cadre's rows without a window
    /// function.
    pub fn precedes(&self, a: &str, b: &str, backward: bool) -> Condition {
        debug_assert!(self.keys.iter().all(|k| k.kind != KeyKind::NullableDate));
        let mut any = Condition::any();
        for i in 0..self.keys.len() {
            let mut all = Condition::all();
            for key in &self.keys[..i] {
                all = all.add(Expr::col((Alias::new(a), key.col)).equals((Alias::new(b), key.col)));
            }
            let key = &self.keys[i];
            let (col_a, col_b) = (
                Expr::col((Alias::new(a), key.col)),
                Expr::col((Alias::new(b), key.col)),
            );
            let step = if key.descending != backward {
                col_a.gt(col_b)
            } else {
                col_a.lt(col_b)
            };
            any = any.add(all.add(step));
        }
        any
    }

    /// `query` ordered this way (reversed when `backward`).
    pub fn sorted(&self, mut query: Select<E>, backward: bool) -> Select<E> {
        for key in &self.keys {
            let (order, nulls) = if key.descending != backward {
                (Order::Desc, NullOrdering::Last)
            } else {
                (Order::Asc, NullOrdering::First)
            };
            query = if key.kind == KeyKind::NullableDate {
                query.order_by_with_nulls(key.col, order, nulls)
            } else {
                query.order_by(key.col, order)
            };
        }
        query
    }

    pub fn cursor(&self, row: &E::Model) -> String {
        encode_cursor(&(self.key_of)(row))
    }

    /// `query` cut to the page `args` asks for (with one extra row, which only tells whether
    /// there is more), in this order.
    pub fn page_query(&self, query: Select<E>, args: &PageArgs) -> AppResult<Select<E>> {
        let mut query = query;
        if let Some(parts) = &args.cursor {
            let beyond = self
                .beyond(parts, args.backward)
                .ok_or_else(|| bad_cursor_in(args.cursor_field()))?;
            query = query.filter(beyond);
        }
        Ok(self.sorted(query, args.backward).limit(args.size + 1))
    }
}

/// One page of `query` in the viewer's scope, in `order`, with `totalCount` when selected.
pub async fn fetch<E, T>(
    ctx: &Context<'_>,
    db: &ScopedDb,
    query: Select<E>,
    order: &Ordering<E>,
    args: &PageArgs,
    node: impl Fn(E::Model) -> T,
) -> AppResult<Page<T>>
where
    E: Tenant,
    E::Model: Sync,
    T: OutputType,
{
    let total = if wants_total(ctx) {
        db.count(query.clone()).await?
    } else {
        0
    };
    let page = Selection::new(order.page_query(query, args)?);
    let rows = db.page(page, args.size).await?;
    Ok(connection(rows, args, total, order, node))
}

/// Builds a connection from `rows` fetched by [`Ordering::page_query`].
pub fn connection<E: EntityTrait, T: OutputType>(
    mut rows: Vec<E::Model>,
    args: &PageArgs,
    total_count: u64,
    order: &Ordering<E>,
    node: impl Fn(E::Model) -> T,
) -> Page<T> {
    let more = rows.len() as u64 > args.size;
    rows.truncate(args.size as usize);
    if args.backward {
        rows.reverse();
    }
    // Without a cursor there is nothing on the near side; with one, the row it names was there.
    let (has_previous, has_next) = if args.backward {
        (more, args.cursor.is_some())
    } else {
        (args.cursor.is_some(), more)
    };
    let mut page =
        Connection::with_additional_fields(has_previous, has_next, TotalCount { total_count });
    page.edges.extend(
        rows.into_iter()
            .map(|r| Edge::new(order.cursor(&r), node(r))),
    );
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_tampering() {
        let c = encode_cursor(&["nguyen van an".into(), "0192".into()]);
        assert_eq!(
            decode_cursor(&c),
            Some(vec!["nguyen van an".to_owned(), "0192".to_owned()])
        );
        assert!(decode_cursor("not a cursor").is_none());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("x1\u{1f}a")).is_none());
    }

    #[test]
    fn paging_arguments_are_checked() {
        assert!(PageArgs::check(100, Some(101), None, None, None).is_err());
        assert!(PageArgs::check(100, Some(-1), None, None, None).is_err());
        assert!(PageArgs::check(100, Some(5), None, Some(5), None).is_err());
        let back = PageArgs::check(100, None, None, Some(5), None).ok();
        assert_eq!(back.map(|a| (a.size, a.backward)), Some((5, true)));
    }
}
