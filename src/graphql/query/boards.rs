use async_graphql::{Context, Object};
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};

use crate::db::entities::board;
use crate::domain::BoardLevel;
use crate::error::AppResult;
use crate::graphql::page::{self, KeyKind, Ordering, Page, PageArgs, SortKey};
use crate::graphql::request;
use crate::graphql::scalars::Date;
use crate::graphql::types::Board;

#[derive(Default)]
pub struct BoardQuery;

#[allow(
    clippy::too_many_arguments,
    reason = "`boards` takes two filters, the day of the tree and the four paging arguments"
)]
#[Object]
impl BoardQuery {
    /// A board by its code, or null when it does not exist, lies outside the viewer's scope,
    /// or was not open on `asOf` (today by default: a closed board is found with the day
    /// before it closed).
    async fn board(
        &self,
        ctx: &Context<'_>,
        code: String,
        #[graphql(desc = "The day of the tree to answer for; today by default.")] as_of: Option<
            Date,
        >,
    ) -> AppResult<Option<Board>> {
        let req = request(ctx)?;
        let on = as_of.map_or(req.viewer.today, |d| d.0);
        Ok(req
            .db
            .one(board::Entity::find_by_id(code).filter(open_on(on)))
            .await?
            .map(Board))
    }

    /// Boards in the viewer's scope, ordered by code.
    #[graphql(complexity = "crate::graphql::page::cost(first, last, child_complexity)")]
    async fn boards(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the direct children of this board.")] parent_code: Option<String>,
        #[graphql(desc = "Only boards of this level.")] level: Option<BoardLevel>,
        #[graphql(desc = "The day of the tree to answer for; today by default.")] as_of: Option<
            Date,
        >,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the board the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the board the page ends before.")] before: Option<String>,
    ) -> AppResult<Page<Board>> {
        use board::Column;
        let req = request(ctx)?;
        let args = PageArgs::check(req.config.max_page_size, first, after, last, before)?;
        let on = as_of.map_or(req.viewer.today, |d| d.0);
        let mut query = board::Entity::find().filter(open_on(on));
        if let Some(parent) = parent_code {
            query = query.filter(Column::ParentCode.eq(parent));
        }
        if let Some(level) = level {
            query = query.filter(Column::Level.eq(level));
        }
        page::fetch(ctx, &req.db, query, &board_order(), &args, Board).await
    }
}

/// Boards open on `on`: opened on or before it (or there from the start), not closed by then.
fn open_on(on: NaiveDate) -> Condition {
    use board::Column;
    Condition::all()
        .add(
            Condition::any()
                .add(Column::OpenedOn.is_null())
                .add(Column::OpenedOn.lte(on)),
        )
        .add(
            Condition::any()
                .add(Column::ClosedOn.is_null())
                .add(Column::ClosedOn.gt(on)),
        )
}

/// Boards by code.
fn board_order() -> Ordering<board::Entity> {
    Ordering {
        keys: vec![SortKey {
            col: board::Column::Code,
            kind: KeyKind::Text,
            descending: false,
        }],
        key_of: |b| vec![b.code.clone()],
    }
}
