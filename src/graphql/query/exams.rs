use async_graphql::{Context, ID, InputObject, Object};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select};

use crate::db::entities::{exam_campaign, health_exam};
use crate::domain::{CadreClass, ExamKind, GeneralClass};
use crate::error::AppResult;
use crate::graphql::orders::Listed;
use crate::graphql::page::{self, Page, PageArgs};
use crate::graphql::scalars::Date;
use crate::graphql::types::{ExamCampaign, HealthExam};
use crate::graphql::{Clinical, request};
use crate::graphql::{RequestData, types::parse_id as id_of};

#[derive(Default)]
pub struct ExamQuery;

/// Which health exams to list. All given conditions must hold.
#[derive(InputObject, Default)]
pub struct HealthExamFilter {
    /// Exams recorded by this board and every board under it. A board outside the viewer's
    /// scope matches nothing.
    pub board_code: Option<String>,
    /// Examined on this day or later.
    pub from: Option<Date>,
    /// Examined on this day or earlier.
    pub to: Option<Date>,
    /// Exams of this periodic campaign. A campaign outside the viewer's scope matches nothing.
    pub campaign_id: Option<ID>,
    /// Periodic, routine or specialist.
    pub kind: Option<ExamKind>,
    /// Cadre health class (A–D) given at the exam is one of these.
    pub cadre_class: Option<Vec<CadreClass>>,
    /// General health class (I–V) given at the exam is one of these.
    pub general_class: Option<Vec<GeneralClass>>,
}

impl HealthExamFilter {
    async fn apply(
        self,
        req: &RequestData,
        mut query: Select<health_exam::Entity>,
    ) -> AppResult<Select<health_exam::Entity>> {
        use health_exam::Column;
        if let Some(code) = &self.board_code {
            query = query.filter(super::board_subtree::<health_exam::Entity>(req, code));
        }
        if let Some(from) = self.from {
            query = query.filter(Column::ExaminedOn.gte(from.0));
        }
        if let Some(to) = self.to {
            query = query.filter(Column::ExaminedOn.lte(to.0));
        }
        if let Some(id) = &self.campaign_id {
            // A campaign the viewer cannot see (run by a board above theirs) matches nothing,
            // like a board outside the scope: its ID is not theirs to select by.
            let id = id_of("campaignId", id)?;
            let visible = req.db.one(exam_campaign::Entity::find_by_id(id)).await?;
            query = match visible {
                Some(_) => query.filter(Column::CampaignId.eq(id)),
                None => query.filter(super::nothing()),
            };
        }
        if let Some(kind) = self.kind {
            query = query.filter(Column::Kind.eq(kind));
        }
        if let Some(classes) = self.cadre_class {
            query = query.filter(Column::CadreClass.is_in(classes));
        }
        if let Some(classes) = self.general_class {
            query = query.filter(Column::GeneralClass.is_in(classes));
        }
        Ok(query)
    }
}

/// Which campaigns to list.
#[derive(InputObject, Default)]
pub struct ExamCampaignFilter {
    /// Campaigns run by this board and every board under it.
    pub board_code: Option<String>,
    /// Campaigns of this year.
    pub year: Option<i32>,
}

#[Object]
impl ExamQuery {
    /// A health exam by ID, or null when absent or outside the viewer's scope.
    #[graphql(guard = "Clinical")]
    async fn health_exam(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record\'s ID.")] id: ID,
    ) -> AppResult<Option<HealthExam>> {
        Ok(super::by_id::<health_exam::Entity>(ctx, &id)
            .await?
            .map(HealthExam))
    }

    /// Health exams in the viewer's scope, most recent first.
    #[graphql(
        guard = "Clinical",
        complexity = "crate::graphql::page::cost(first, last, child_complexity)"
    )]
    async fn health_exams(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which exams; all given conditions must hold.")] filter: Option<
            HealthExamFilter,
        >,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the exam the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the exam the page ends before.")] before: Option<String>,
    ) -> AppResult<Option<Page<HealthExam>>> {
        let req = request(ctx)?;
        let args = PageArgs::check(req.config.max_page_size, first, after, last, before)?;
        let query = filter
            .unwrap_or_default()
            .apply(req, health_exam::Entity::find())
            .await?;
        page::fetch(
            ctx,
            &req.db,
            query,
            &health_exam::Entity::order(),
            &args,
            HealthExam,
        )
        .await
        .map(Some)
    }

    /// An exam campaign by ID, or null when absent or outside the viewer's scope.
    async fn exam_campaign(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record\'s ID.")] id: ID,
    ) -> AppResult<Option<ExamCampaign>> {
        Ok(super::by_id::<exam_campaign::Entity>(ctx, &id)
            .await?
            .map(ExamCampaign))
    }

    /// Periodic exam campaigns run by boards in the viewer's scope, latest first.
    #[graphql(complexity = "crate::graphql::page::cost(first, last, child_complexity)")]
    async fn exam_campaigns(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which campaigns; all given conditions must hold.")] filter: Option<
            ExamCampaignFilter,
        >,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the campaign the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the campaign the page ends before.")] before: Option<String>,
    ) -> AppResult<Page<ExamCampaign>> {
        let req = request(ctx)?;
        let args = PageArgs::check(req.config.max_page_size, first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let mut query = exam_campaign::Entity::find();
        if let Some(code) = &filter.board_code {
            query = query.filter(super::board_subtree::<exam_campaign::Entity>(req, code));
        }
        if let Some(year) = filter.year {
            query = query.filter(exam_campaign::Column::Year.eq(year));
        }
        page::fetch(
            ctx,
            &req.db,
            query,
            &exam_campaign::Entity::order(),
            &args,
            ExamCampaign,
        )
        .await
    }
}
