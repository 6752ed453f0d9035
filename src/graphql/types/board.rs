use async_graphql::{Context, ID, Object};

use crate::db::entities::board;
use crate::domain::BoardLevel;
use crate::error::{AppError, AppResult};
use crate::graphql::loaders::BoardKey;
use crate::graphql::request;
use crate::graphql::scalars::Date;

/// A board (Ban Bảo vệ, chăm sóc sức khỏe cán bộ): central, provincial or district.
pub struct Board(pub board::Model);

#[Object]
impl Board {
    /// The board's ID: its code.
    async fn id(&self) -> ID {
        ID(self.0.code.clone())
    }

    /// Official administrative code: `TW` for the central board, 2 digits for a province,
    /// 3 for a district.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// Name of the administrative unit the board serves.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Central, provincial or district.
    async fn level(&self) -> BoardLevel {
        self.0.level
    }

    /// The day it opened; null for a board there from the start.
    async fn opened_on(&self) -> Option<Date> {
        self.0.opened_on.map(Date)
    }

    /// The day it closed (a reorganisation); null while open.
    async fn closed_on(&self) -> Option<Date> {
        self.0.closed_on.map(Date)
    }

    /// For a closed board, the board its records passed to, when that lies inside the
    /// viewer's scope.
    async fn successor(&self, ctx: &Context<'_>) -> AppResult<Option<Board>> {
        Board::visible(ctx, self.0.successor_code.as_deref()).await
    }

    /// The boards that closed into this one (merged or dissolved into it), ordered by code:
    /// those inside the viewer's scope.
    async fn predecessors(&self, ctx: &Context<'_>) -> AppResult<Vec<Board>> {
        let req = request(ctx)?;
        let codes = req
            .boards
            .predecessors(&self.0.code)
            .iter()
            .map(|b| BoardKey(b.code.clone()));
        let mut found: Vec<board::Model> =
            req.loader.load_many(codes).await?.into_values().collect();
        found.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(found.into_iter().map(Board).collect())
    }

    /// The board above this one, when it lies inside the viewer's scope.
    async fn parent(&self, ctx: &Context<'_>) -> AppResult<Option<Board>> {
        Board::visible(ctx, self.0.parent_code.as_deref()).await
    }
}

impl Board {
    /// The board `code` names, when there is one and it lies inside the viewer's scope.
    async fn visible(ctx: &Context<'_>, code: Option<&str>) -> AppResult<Option<Board>> {
        let Some(code) = code else { return Ok(None) };
        let req = request(ctx)?;
        Ok(req
            .loader
            .load_one(BoardKey(code.to_owned()))
            .await?
            .map(Board))
    }

    /// The board owning a row the viewer can see. A row in scope always has its board in scope,
    /// so a miss is a broken invariant, not a client error.
    pub async fn owning(ctx: &Context<'_>, code: &str) -> AppResult<Board> {
        let req = request(ctx)?;
        req.loader
            .load_one(BoardKey(code.to_owned()))
            .await?
            .map(Board)
            .ok_or_else(|| AppError::Internal(format!("owning board {code} not visible")))
    }
}
