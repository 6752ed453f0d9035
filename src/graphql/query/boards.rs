use async_graphql::{Context, Object};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::db::entities::board;
use crate::domain::BoardLevel;
use crate::error::AppResult;
use crate::graphql::page::{self, Page, PageArgs};
use crate::graphql::request;
use crate::graphql::types::Board;

#[derive(Default)]
pub struct BoardQuery;

#[Object]
impl BoardQuery {
    /// A board by its code, or null when it does not exist or lies outside the viewer's scope.
    async fn board(&self, ctx: &Context<'_>, code: String) -> AppResult<Option<Board>> {
        let req = request(ctx)?;
        Ok(req
            .db
            .one(board::Entity::find_by_id(code))
            .await?
            .map(Board))
    }

    /// Boards in the viewer's scope, ordered by code.
    async fn boards(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the direct children of this board.")] parent_code: Option<String>,
        #[graphql(desc = "Only boards of this level.")] level: Option<BoardLevel>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last board of the previous page.")] after: Option<String>,
    ) -> AppResult<Page<Board>> {
        use board::Column;
        let req = request(ctx)?;
        let args = PageArgs::parse(ctx, first, after)?;
        let mut query = board::Entity::find();
        if let Some(parent) = parent_code {
            query = query.filter(Column::ParentCode.eq(parent));
        }
        if let Some(level) = level {
            query = query.filter(Column::Level.eq(level));
        }
        let total = if page::wants_total(ctx) {
            req.db.count(query.clone()).await?
        } else {
            0
        };
        if let Some([code]) = args.after_key::<1>()? {
            query = query.filter(Column::Code.gt(code));
        }
        let rows = req
            .db
            .all(query.order_by_asc(Column::Code).limit(args.first + 1))
            .await?;
        Ok(page::connection(
            rows,
            &args,
            total,
            |b| page::encode_cursor(&[&b.code]),
            Board,
        ))
    }
}
