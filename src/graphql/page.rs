//! Relay connections with keyset pagination: `first`/`after`, an opaque cursor holding the sort
//! key of the last row seen, and `totalCount` computed only when asked for.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, OutputType, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{AppError, AppResult};

/// The extra field every connection carries.
#[derive(SimpleObject)]
pub struct TotalCount {
    /// How many rows match the filter in the viewer's scope, across all pages.
    pub total_count: u64,
}

pub type Page<T> = Connection<String, T, TotalCount, EmptyFields>;

/// Checked paging arguments.
pub struct PageArgs {
    pub first: u64,
    /// The sort key of the row before this page.
    pub after: Option<Vec<String>>,
}

const DEFAULT_PAGE_SIZE: u64 = 20;
const CURSOR_PREFIX: &str = "k1";
const SEPARATOR: char = '\u{1f}';

impl PageArgs {
    pub fn parse(
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<PageArgs> {
        let max = super::request(ctx)?.config.max_page_size;
        let first = match first {
            None => DEFAULT_PAGE_SIZE.min(u64::from(max)),
            Some(n) if n < 0 => {
                return Err(AppError::bad_input("first", "first must not be negative"));
            }
            Some(n) if n as u64 > u64::from(max) => {
                return Err(AppError::bad_input(
                    "first",
                    format!("first must be at most {max}"),
                ));
            }
            Some(n) => n as u64,
        };
        let after = after.map(|c| decode_cursor(&c)).transpose()?;
        Ok(PageArgs { first, after })
    }

    /// The key parts of the `after` cursor, which must have exactly `N` parts.
    pub fn after_key<const N: usize>(&self) -> AppResult<Option<[String; N]>> {
        self.after
            .clone()
            .map(|parts| <[String; N]>::try_from(parts).map_err(|_| bad_cursor()))
            .transpose()
    }
}

pub fn encode_cursor(parts: &[&str]) -> String {
    let mut raw = String::from(CURSOR_PREFIX);
    for part in parts {
        raw.push(SEPARATOR);
        raw.push_str(part);
    }
    URL_SAFE_NO_PAD.encode(raw)
}

fn decode_cursor(cursor: &str) -> AppResult<Vec<String>> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad_cursor())?;
    let raw = String::from_utf8(bytes).map_err(|_| bad_cursor())?;
    let mut parts = raw.split(SEPARATOR);
    if parts.next() != Some(CURSOR_PREFIX) {
        return Err(bad_cursor());
    }
    Ok(parts.map(str::to_owned).collect())
}

/// The error for a cursor this API did not issue (or one tampered with).
pub fn bad_cursor() -> AppError {
    AppError::bad_input("after", "after is not a cursor this API issued")
}

/// Whether the client selected `totalCount`, so the count query runs only then.
pub fn wants_total(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

/// Builds a connection from `rows` fetched with `limit first + 1`: the extra row only tells
/// whether there is a next page.
pub fn connection<R, T: OutputType>(
    mut rows: Vec<R>,
    args: &PageArgs,
    total_count: u64,
    cursor: impl Fn(&R) -> String,
    node: impl Fn(R) -> T,
) -> Page<T> {
    let has_next = rows.len() as u64 > args.first;
    rows.truncate(args.first as usize);
    let mut page = Connection::with_additional_fields(
        args.after.is_some(),
        has_next,
        TotalCount { total_count },
    );
    page.edges
        .extend(rows.into_iter().map(|r| Edge::new(cursor(&r), node(r))));
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_tampering() {
        let c = encode_cursor(&["nguyen van an", "0192"]);
        assert_eq!(
            decode_cursor(&c).ok(),
            Some(vec!["nguyen van an".to_owned(), "0192".to_owned()])
        );
        assert!(decode_cursor("not a cursor").is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("x1\u{1f}a")).is_err());
    }
}
