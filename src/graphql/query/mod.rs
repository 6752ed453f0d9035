//! The query root, merged from one object per domain.

mod boards;
mod cadres;
mod exams;
mod statistics;

use async_graphql::{Context, MergedObject, Object};

use crate::error::AppResult;
use crate::graphql::request;
use crate::graphql::types::ViewerInfo;

#[derive(MergedObject, Default)]
pub struct Query(
    ViewerQuery,
    boards::BoardQuery,
    cadres::CadreQuery,
    exams::ExamQuery,
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
