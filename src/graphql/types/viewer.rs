use async_graphql::{Context, Object};

use crate::domain::Role;
use crate::error::AppResult;
use crate::graphql::request;

use super::Board;

/// The user making the request, from their token.
pub struct ViewerInfo;

#[Object(name = "Viewer")]
impl ViewerInfo {
    /// The token's subject.
    async fn subject(&self, ctx: &Context<'_>) -> AppResult<String> {
        Ok(request(ctx)?.viewer.subject.clone())
    }

    /// What the user may do: analyst, clinician or admin.
    async fn role(&self, ctx: &Context<'_>) -> AppResult<Role> {
        Ok(request(ctx)?.viewer.role)
    }

    /// The board the user works for; their scope is its subtree.
    async fn board(&self, ctx: &Context<'_>) -> AppResult<Board> {
        Ok(Board(request(ctx)?.viewer.board.clone()))
    }
}
