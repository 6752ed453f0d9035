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
use crate::scope::{Scope, Tenant};

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

/// Rows of `E` in the subtree of board `code`. A board outside the viewer's scope (above it,
/// beside it, or unknown) matches nothing, exactly as if it did not exist. Inside, its subtree
/// is the same tenant condition a scope uses; `ScopedDb` still ANDs the viewer's own scope in.
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

pub(crate) fn board_subtree<E: Tenant>(req: &RequestData, code: &str) -> Condition {
    let subtree = req
        .boards
        .get(code)
        .filter(|b| {
            req.viewer
                .scope
                .contains(b.province_code.as_deref(), b.district_code.as_deref())
        })
        .and_then(|b| Scope::of_board(b).ok());
    match subtree {
        Some(subtree) => subtree.condition::<E>(),
        None => nothing(),
    }
}

/// A condition no row meets.
pub(crate) fn nothing() -> Condition {
    Condition::any()
}
