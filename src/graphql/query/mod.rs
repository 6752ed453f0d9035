//! The query root, merged from one object per domain.

mod audit;
mod boards;
mod cadres;
mod exams;
mod records;
mod statistics;

use async_graphql::{Context, Enum, ID, MergedObject, Object};
use sea_orm::PrimaryKeyTrait;
use sea_orm::sea_query::Condition;
use uuid::Uuid;

use crate::error::AppResult;
use crate::graphql::types::{ViewerInfo, parse_id};
use crate::graphql::{RequestData, request};
use crate::scope::Tenant;

#[derive(MergedObject, Default)]
pub struct Query(
    ViewerQuery,
    boards::BoardQuery,
    cadres::CadreQuery,
    exams::ExamQuery,
    records::RecordQuery,
    audit::AuditQuery,
    statistics::StatisticsQuery,
);

#[derive(Default)]
pub struct ViewerQuery;

#[Object]
impl ViewerQuery {
    /// Who is asking: subject, role and board, from the bearer token.
    async fn viewer(&self, ctx: &Context<'_>) -> AppResult<ViewerInfo> {
        request(ctx)?;
        Ok(ViewerInfo)
    }
}

/// Ascending or descending.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortDirection {
    #[default]
    Asc,
    Desc,
}

/// The row of `E` whose ID is the `id` argument, or `None` when it is absent or outside the
/// viewer's scope (the two look alike); an `id` that is no UUID is bad input.
pub(crate) async fn by_id<E>(ctx: &Context<'_>, id: &ID) -> AppResult<Option<E::Model>>
where
    E: Tenant,
    E::PrimaryKey: PrimaryKeyTrait<ValueType = Uuid>,
{
    let id = parse_id("id", id)?;
    request(ctx)?.db.one(E::find_by_id(id)).await
}

/// Rows of `E` in the subtree of board `code`, when it is in the viewer's scope; nothing
/// otherwise (see `BoardTree::subtree`).
pub(crate) fn board_subtree<E: Tenant>(req: &RequestData, code: &str) -> Condition {
    req.boards
        .subtree::<E>(&req.viewer.scope, code, req.viewer.today)
}

pub(crate) use crate::boards::nothing;
