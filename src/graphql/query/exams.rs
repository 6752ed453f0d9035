use async_graphql::{Context, ID, Object};
use sea_orm::EntityTrait;

use crate::db::entities::{exam_campaign, health_exam};
use crate::error::AppResult;
use crate::graphql::page::{self, Page, PageArgs};
use crate::graphql::types::{ExamCampaign, HealthExam, parse_id};
use crate::graphql::{Clinical, request};

#[derive(Default)]
pub struct ExamQuery;

#[Object]
impl ExamQuery {
    /// A health exam by ID, or null when absent or outside the viewer's scope.
    #[graphql(guard = "Clinical")]
    async fn health_exam(&self, ctx: &Context<'_>, id: ID) -> AppResult<Option<HealthExam>> {
        let req = request(ctx)?;
        let id = parse_id("id", &id)?;
        Ok(req
            .db
            .one(health_exam::Entity::find_by_id(id))
            .await?
            .map(HealthExam))
    }

    /// Health exams in the viewer's scope, most recent first.
    #[graphql(guard = "Clinical")]
    async fn health_exams(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the exam the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the exam the page ends before.")] before: Option<String>,
    ) -> AppResult<Page<HealthExam>> {
        let req = request(ctx)?;
        let args = PageArgs::parse_both(ctx, first, after, last, before)?;
        let query = health_exam::Entity::find();
        page::fetch(ctx, &req.db, query, &HealthExam::order(), &args, HealthExam).await
    }

    /// An exam campaign by ID, or null when absent or outside the viewer's scope.
    async fn exam_campaign(&self, ctx: &Context<'_>, id: ID) -> AppResult<Option<ExamCampaign>> {
        let req = request(ctx)?;
        let id = parse_id("id", &id)?;
        Ok(req
            .db
            .one(exam_campaign::Entity::find_by_id(id))
            .await?
            .map(ExamCampaign))
    }

    /// Periodic exam campaigns run by boards in the viewer's scope, latest first.
    async fn exam_campaigns(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the campaign the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the campaign the page ends before.")] before: Option<String>,
    ) -> AppResult<Page<ExamCampaign>> {
        let req = request(ctx)?;
        let args = PageArgs::parse_both(ctx, first, after, last, before)?;
        let query = exam_campaign::Entity::find();
        page::fetch(
            ctx,
            &req.db,
            query,
            &ExamCampaign::order(),
            &args,
            ExamCampaign,
        )
        .await
    }
}
