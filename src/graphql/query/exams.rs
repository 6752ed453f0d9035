//! Health exams (clinical) and the periodic exam campaigns (read by every role): by ID, and
//! as filtered lists in the viewer's scope.

use async_graphql::{ID, InputObject};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select};

use crate::db::entities::{exam_campaign, health_exam};
use crate::domain::{CadreClass, ExamKind, GeneralClass};
use crate::error::AppResult;
use crate::graphql::page::Page;
use crate::graphql::scalars::Date;
use crate::graphql::types::{ExamCampaign, HealthExam};
use crate::graphql::{AnyRole, Clinical, RequestData, types::parse_id as id_of};

use super::{Guarded, ListFilter};

#[derive(Default)]
pub struct ExamQuery;

#[derive(Default)]
pub struct CampaignQuery;

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

impl ListFilter<health_exam::Entity> for HealthExamFilter {
    fn board_code(&self) -> Option<&str> {
        self.board_code.as_deref()
    }

    async fn narrow(
        self,
        req: &RequestData,
        mut query: Select<health_exam::Entity>,
    ) -> AppResult<Select<health_exam::Entity>> {
        use health_exam::Column;
        query = super::on_days(query, Column::ExaminedOn, self.from, self.to);
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

impl ListFilter<exam_campaign::Entity> for ExamCampaignFilter {
    fn board_code(&self) -> Option<&str> {
        self.board_code.as_deref()
    }

    async fn narrow(
        self,
        _: &RequestData,
        query: Select<exam_campaign::Entity>,
    ) -> AppResult<Select<exam_campaign::Entity>> {
        Ok(match self.year {
            Some(year) => query.filter(exam_campaign::Column::Year.eq(year)),
            None => query,
        })
    }
}

super::scoped_queries!(ExamQuery: Guarded, guard "Clinical", cursors(
    "Cursor of the exam the page starts after.",
    "Cursor of the exam the page ends before."
);
    /// A health exam by ID, or null when absent or outside the viewer's scope.
    health_exam,
    /// Health exams in the viewer's scope, most recent first.
    health_exams(HealthExamFilter, "Which exams; all given conditions must hold."):
        health_exam => HealthExam;
);

super::scoped_queries!(CampaignQuery: Page, guard "AnyRole", cursors(
    "Cursor of the campaign the page starts after.",
    "Cursor of the campaign the page ends before."
);
    /// An exam campaign by ID, or null when absent or outside the viewer's scope.
    exam_campaign,
    /// Periodic exam campaigns run by boards in the viewer's scope, latest first.
    exam_campaigns(ExamCampaignFilter, "Which campaigns; all given conditions must hold."):
        exam_campaign => ExamCampaign;
);
