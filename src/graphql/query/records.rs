//! Clinical records by ID and as lists across the viewer's scope: chronic conditions, clinic
//! visits, prescriptions, referrals, consultations, vaccinations. All clinical: analysts get
//! `FORBIDDEN`.

use async_graphql::{Context, ID, Object};
use sea_orm::EntityTrait;

use crate::db::entities::{
    chronic_condition, clinic_visit, consultation, prescription, referral, vaccination,
};
use crate::error::AppResult;
use crate::graphql::page::{self, Page, PageArgs};
use crate::graphql::types::{
    ChronicCondition, ClinicVisit, Consultation, Prescription, Referral, Vaccination, parse_id,
};
use crate::graphql::{Clinical, request};

#[derive(Default)]
pub struct RecordQuery;

#[Object]
impl RecordQuery {
    /// A chronic condition by ID, or null when absent or outside the viewer's scope.
    #[graphql(guard = "Clinical")]
    async fn chronic_condition(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> AppResult<Option<ChronicCondition>> {
        let id = parse_id("id", &id)?;
        let row = request(ctx)?
            .db
            .one(chronic_condition::Entity::find_by_id(id))
            .await?;
        Ok(row.map(ChronicCondition))
    }

    /// Chronic conditions in the viewer's scope, most recently diagnosed first.
    #[graphql(guard = "Clinical")]
    async fn chronic_conditions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the row the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the row the page ends before.")] before: Option<String>,
    ) -> AppResult<Page<ChronicCondition>> {
        let args = PageArgs::parse_both(ctx, first, after, last, before)?;
        let query = chronic_condition::Entity::find();
        let order = ChronicCondition::order();
        page::fetch(
            ctx,
            &request(ctx)?.db,
            query,
            &order,
            &args,
            ChronicCondition,
        )
        .await
    }

    /// A clinic visit by ID, or null when absent or outside the viewer's scope.
    #[graphql(guard = "Clinical")]
    async fn clinic_visit(&self, ctx: &Context<'_>, id: ID) -> AppResult<Option<ClinicVisit>> {
        let id = parse_id("id", &id)?;
        let row = request(ctx)?
            .db
            .one(clinic_visit::Entity::find_by_id(id))
            .await?;
        Ok(row.map(ClinicVisit))
    }

    /// Clinic visits in the viewer's scope, most recent first.
    #[graphql(guard = "Clinical")]
    async fn clinic_visits(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the row the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the row the page ends before.")] before: Option<String>,
    ) -> AppResult<Page<ClinicVisit>> {
        let args = PageArgs::parse_both(ctx, first, after, last, before)?;
        let query = clinic_visit::Entity::find();
        let order = ClinicVisit::order();
        page::fetch(ctx, &request(ctx)?.db, query, &order, &args, ClinicVisit).await
    }

    /// A prescription by ID, or null when absent or outside the viewer's scope.
    #[graphql(guard = "Clinical")]
    async fn prescription(&self, ctx: &Context<'_>, id: ID) -> AppResult<Option<Prescription>> {
        let id = parse_id("id", &id)?;
        let row = request(ctx)?
            .db
            .one(prescription::Entity::find_by_id(id))
            .await?;
        Ok(row.map(Prescription))
    }

    /// Prescriptions dispensed in the viewer's scope, newest first.
    #[graphql(guard = "Clinical")]
    async fn prescriptions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the row the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the row the page ends before.")] before: Option<String>,
    ) -> AppResult<Page<Prescription>> {
        let args = PageArgs::parse_both(ctx, first, after, last, before)?;
        let query = prescription::Entity::find();
        let order = Prescription::order();
        page::fetch(ctx, &request(ctx)?.db, query, &order, &args, Prescription).await
    }

    /// A referral by ID, or null when absent or outside the viewer's scope.
    #[graphql(guard = "Clinical")]
    async fn referral(&self, ctx: &Context<'_>, id: ID) -> AppResult<Option<Referral>> {
        let id = parse_id("id", &id)?;
        let row = request(ctx)?
            .db
            .one(referral::Entity::find_by_id(id))
            .await?;
        Ok(row.map(Referral))
    }

    /// Referrals in the viewer's scope, most recent first.
    #[graphql(guard = "Clinical")]
    async fn referrals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the row the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the row the page ends before.")] before: Option<String>,
    ) -> AppResult<Page<Referral>> {
        let args = PageArgs::parse_both(ctx, first, after, last, before)?;
        let query = referral::Entity::find();
        let order = Referral::order();
        page::fetch(ctx, &request(ctx)?.db, query, &order, &args, Referral).await
    }

    /// A consultation by ID, or null when absent or outside the viewer's scope.
    #[graphql(guard = "Clinical")]
    async fn consultation(&self, ctx: &Context<'_>, id: ID) -> AppResult<Option<Consultation>> {
        let id = parse_id("id", &id)?;
        let row = request(ctx)?
            .db
            .one(consultation::Entity::find_by_id(id))
            .await?;
        Ok(row.map(Consultation))
    }

    /// Consultations in the viewer's scope, most recent first.
    #[graphql(guard = "Clinical")]
    async fn consultations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the row the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the row the page ends before.")] before: Option<String>,
    ) -> AppResult<Page<Consultation>> {
        let args = PageArgs::parse_both(ctx, first, after, last, before)?;
        let query = consultation::Entity::find();
        let order = Consultation::order();
        page::fetch(ctx, &request(ctx)?.db, query, &order, &args, Consultation).await
    }

    /// A vaccine dose by ID, or null when absent or outside the viewer's scope.
    #[graphql(guard = "Clinical")]
    async fn vaccination(&self, ctx: &Context<'_>, id: ID) -> AppResult<Option<Vaccination>> {
        let id = parse_id("id", &id)?;
        let row = request(ctx)?
            .db
            .one(vaccination::Entity::find_by_id(id))
            .await?;
        Ok(row.map(Vaccination))
    }

    /// Vaccine doses given in the viewer's scope, most recent first.
    #[graphql(guard = "Clinical")]
    async fn vaccinations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the row the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the row the page ends before.")] before: Option<String>,
    ) -> AppResult<Page<Vaccination>> {
        let args = PageArgs::parse_both(ctx, first, after, last, before)?;
        let query = vaccination::Entity::find();
        let order = Vaccination::order();
        page::fetch(ctx, &request(ctx)?.db, query, &order, &args, Vaccination).await
    }
}
