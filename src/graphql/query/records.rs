//! Clinical records by ID and as lists across the viewer's scope: chronic conditions, clinic
//! visits, prescriptions, referrals, consultations, vaccinations. All clinical: analysts get
//! `FORBIDDEN`.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{Days, NaiveDate, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::db::entities::{
    chronic_condition, clinic_visit, consultation, prescription, referral, vaccination,
};
use crate::domain::calendar;
use crate::domain::{ReferralStatus, ReferralUrgency};
use crate::error::{AppError, AppResult};
use crate::graphql::page::{self, Page, PageArgs};
use crate::graphql::scalars::Date;
use crate::graphql::types::{
    ChronicCondition, ClinicVisit, Consultation, Prescription, Referral, Vaccination,
};
use crate::graphql::{Clinical, request};

#[derive(Default)]
pub struct RecordQuery;

/// Which clinic visits to list. All given conditions must hold.
#[derive(InputObject, Default)]
pub struct ClinicVisitFilter {
    /// Visits to this board's clinic or any under it. A board outside the viewer's scope
    /// matches nothing.
    pub board_code: Option<String>,
    /// Visits on this day or later (days in Vietnam time, UTC+7).
    pub from: Option<Date>,
    /// Visits on this day or earlier (days in Vietnam time, UTC+7).
    pub to: Option<Date>,
}

/// Which referrals to list. All given conditions must hold.
#[derive(InputObject, Default)]
pub struct ReferralFilter {
    /// Referrals made by this board and every board under it. A board outside the viewer's
    /// scope matches nothing.
    pub board_code: Option<String>,
    /// Referred on this day or later.
    pub from: Option<Date>,
    /// Referred on this day or earlier.
    pub to: Option<Date>,
    /// Referrals in one of these states.
    pub status: Option<Vec<ReferralStatus>>,
    /// Referrals of one of these urgencies.
    pub urgency: Option<Vec<ReferralUrgency>>,
}

/// The first instant of `day` in Vietnam (UTC+7), where the clinics are.
fn start_of_day(field: &str, day: NaiveDate) -> AppResult<chrono::DateTime<Utc>> {
    calendar::start_of_day(day)
        .ok_or_else(|| AppError::bad_input(field, format!("{field} is out of range")))
}

#[Object]
impl RecordQuery {
    /// A chronic condition by ID, or null when absent or outside the viewer's scope.
    #[graphql(guard = "Clinical")]
    async fn chronic_condition(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record\'s ID.")] id: ID,
    ) -> AppResult<Option<ChronicCondition>> {
        Ok(super::by_id::<chronic_condition::Entity>(ctx, &id)
            .await?
            .map(ChronicCondition))
    }

    /// Chronic conditions in the viewer's scope, most recently diagnosed first.
    #[graphql(
        guard = "Clinical",
        complexity = "crate::graphql::page::cost(first, last, child_complexity)"
    )]
    async fn chronic_conditions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the row the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the row the page ends before.")] before: Option<String>,
    ) -> AppResult<Option<Page<ChronicCondition>>> {
        let req = request(ctx)?;
        let args = PageArgs::check(req.config.max_page_size, first, after, last, before)?;
        let query = chronic_condition::Entity::find();
        let order = ChronicCondition::order();
        page::fetch(ctx, &req.db, query, &order, &args, ChronicCondition)
            .await
            .map(Some)
    }

    /// A clinic visit by ID, or null when absent or outside the viewer's scope.
    #[graphql(guard = "Clinical")]
    async fn clinic_visit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record\'s ID.")] id: ID,
    ) -> AppResult<Option<ClinicVisit>> {
        Ok(super::by_id::<clinic_visit::Entity>(ctx, &id)
            .await?
            .map(ClinicVisit))
    }

    /// Clinic visits in the viewer's scope, most recent first.
    #[graphql(
        guard = "Clinical",
        complexity = "crate::graphql::page::cost(first, last, child_complexity)"
    )]
    async fn clinic_visits(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which visits; all given conditions must hold.")] filter: Option<
            ClinicVisitFilter,
        >,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the row the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the row the page ends before.")] before: Option<String>,
    ) -> AppResult<Option<Page<ClinicVisit>>> {
        let req = request(ctx)?;
        let args = PageArgs::check(req.config.max_page_size, first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let mut query = clinic_visit::Entity::find();
        if let Some(code) = &filter.board_code {
            query = query.filter(super::board_subtree::<clinic_visit::Entity>(req, code));
        }
        if let Some(from) = filter.from {
            let from = start_of_day("from", from.0)?;
            query = query.filter(clinic_visit::Column::VisitedAt.gte(from));
        }
        if let Some(to) = filter.to {
            let next = to.0.checked_add_days(Days::new(1));
            let end = start_of_day("to", next.unwrap_or(to.0))?;
            query = query.filter(clinic_visit::Column::VisitedAt.lt(end));
        }
        let order = ClinicVisit::order();
        page::fetch(ctx, &req.db, query, &order, &args, ClinicVisit)
            .await
            .map(Some)
    }

    /// A prescription by ID, or null when absent or outside the viewer's scope.
    #[graphql(guard = "Clinical")]
    async fn prescription(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record\'s ID.")] id: ID,
    ) -> AppResult<Option<Prescription>> {
        Ok(super::by_id::<prescription::Entity>(ctx, &id)
            .await?
            .map(Prescription))
    }

    /// Prescriptions dispensed in the viewer's scope, newest first.
    #[graphql(
        guard = "Clinical",
        complexity = "crate::graphql::page::cost(first, last, child_complexity)"
    )]
    async fn prescriptions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the row the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the row the page ends before.")] before: Option<String>,
    ) -> AppResult<Option<Page<Prescription>>> {
        let req = request(ctx)?;
        let args = PageArgs::check(req.config.max_page_size, first, after, last, before)?;
        let query = prescription::Entity::find();
        let order = Prescription::order();
        page::fetch(ctx, &req.db, query, &order, &args, Prescription)
            .await
            .map(Some)
    }

    /// A referral by ID, or null when absent or outside the viewer's scope.
    #[graphql(guard = "Clinical")]
    async fn referral(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record\'s ID.")] id: ID,
    ) -> AppResult<Option<Referral>> {
        Ok(super::by_id::<referral::Entity>(ctx, &id)
            .await?
            .map(Referral))
    }

    /// Referrals in the viewer's scope, most recent first.
    #[graphql(
        guard = "Clinical",
        complexity = "crate::graphql::page::cost(first, last, child_complexity)"
    )]
    async fn referrals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which referrals; all given conditions must hold.")] filter: Option<
            ReferralFilter,
        >,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the row the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the row the page ends before.")] before: Option<String>,
    ) -> AppResult<Option<Page<Referral>>> {
        let req = request(ctx)?;
        let args = PageArgs::check(req.config.max_page_size, first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let mut query = referral::Entity::find();
        if let Some(code) = &filter.board_code {
            query = query.filter(super::board_subtree::<referral::Entity>(req, code));
        }
        if let Some(from) = filter.from {
            query = query.filter(referral::Column::ReferredOn.gte(from.0));
        }
        if let Some(to) = filter.to {
            query = query.filter(referral::Column::ReferredOn.lte(to.0));
        }
        if let Some(status) = filter.status {
            query = query.filter(referral::Column::Status.is_in(status));
        }
        if let Some(urgency) = filter.urgency {
            query = query.filter(referral::Column::Urgency.is_in(urgency));
        }
        let order = Referral::order();
        page::fetch(ctx, &req.db, query, &order, &args, Referral)
            .await
            .map(Some)
    }

    /// A consultation by ID, or null when absent or outside the viewer's scope.
    #[graphql(guard = "Clinical")]
    async fn consultation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record\'s ID.")] id: ID,
    ) -> AppResult<Option<Consultation>> {
        Ok(super::by_id::<consultation::Entity>(ctx, &id)
            .await?
            .map(Consultation))
    }

    /// Consultations in the viewer's scope, most recent first.
    #[graphql(
        guard = "Clinical",
        complexity = "crate::graphql::page::cost(first, last, child_complexity)"
    )]
    async fn consultations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the row the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the row the page ends before.")] before: Option<String>,
    ) -> AppResult<Option<Page<Consultation>>> {
        let req = request(ctx)?;
        let args = PageArgs::check(req.config.max_page_size, first, after, last, before)?;
        let query = consultation::Entity::find();
        let order = Consultation::order();
        page::fetch(ctx, &req.db, query, &order, &args, Consultation)
            .await
            .map(Some)
    }

    /// A vaccine dose by ID, or null when absent or outside the viewer's scope.
    #[graphql(guard = "Clinical")]
    async fn vaccination(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record\'s ID.")] id: ID,
    ) -> AppResult<Option<Vaccination>> {
        Ok(super::by_id::<vaccination::Entity>(ctx, &id)
            .await?
            .map(Vaccination))
    }

    /// Vaccine doses given in the viewer's scope, most recent first.
    #[graphql(
        guard = "Clinical",
        complexity = "crate::graphql::page::cost(first, last, child_complexity)"
    )]
    async fn vaccinations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the row the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the row the page ends before.")] before: Option<String>,
    ) -> AppResult<Option<Page<Vaccination>>> {
        let req = request(ctx)?;
        let args = PageArgs::check(req.config.max_page_size, first, after, last, before)?;
        let query = vaccination::Entity::find();
        let order = Vaccination::order();
        page::fetch(ctx, &req.db, query, &order, &args, Vaccination)
            .await
            .map(Some)
    }
}
