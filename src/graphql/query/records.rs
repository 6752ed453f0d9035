//! Clinical records by ID and as lists across the viewer's scope: chronic conditions, clinic
//! visits, prescriptions, referrals, consultations, vaccinations. All clinical: analysts get
//! `FORBIDDEN`.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{Days, NaiveDate, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select};

use crate::db::entities::{
    chronic_condition, clinic_visit, consultation, prescription, referral, vaccination,
};
use crate::domain::calendar;
use crate::domain::{ReferralStatus, ReferralUrgency};
use crate::error::{AppError, AppResult};
use crate::graphql::orders::Listed;
use crate::graphql::page::{self, Page, PageArgs};
use crate::graphql::scalars::Date;
use crate::graphql::types::{
    ChronicCondition, ClinicVisit, Consultation, Prescription, Referral, Vaccination,
};
use crate::graphql::{Clinical, RequestData, request};

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

impl ClinicVisitFilter {
    fn apply(
        self,
        req: &RequestData,
        mut query: Select<clinic_visit::Entity>,
    ) -> AppResult<Select<clinic_visit::Entity>> {
        use clinic_visit::Column;
        if let Some(code) = &self.board_code {
            query = query.filter(super::board_subtree::<clinic_visit::Entity>(req, code));
        }
        if let Some(from) = self.from {
            let from = start_of_day("from", from.0)?;
            query = query.filter(Column::VisitedAt.gte(from));
        }
        if let Some(to) = self.to {
            let next = to.0.checked_add_days(Days::new(1));
            let end = start_of_day("to", next.unwrap_or(to.0))?;
            query = query.filter(Column::VisitedAt.lt(end));
        }
        Ok(query)
    }
}

impl ReferralFilter {
    fn apply(
        self,
        req: &RequestData,
        mut query: Select<referral::Entity>,
    ) -> AppResult<Select<referral::Entity>> {
        use referral::Column;
        if let Some(code) = &self.board_code {
            query = query.filter(super::board_subtree::<referral::Entity>(req, code));
        }
        if let Some(from) = self.from {
            query = query.filter(Column::ReferredOn.gte(from.0));
        }
        if let Some(to) = self.to {
            query = query.filter(Column::ReferredOn.lte(to.0));
        }
        if let Some(status) = self.status {
            query = query.filter(Column::Status.is_in(status));
        }
        if let Some(urgency) = self.urgency {
            query = query.filter(Column::Urgency.is_in(urgency));
        }
        Ok(query)
    }
}

/// The `#[Object]` impl of [`RecordQuery`]: for each kind of record, in the order given, a
/// lookup by ID (`one`) and a list in the viewer's scope (`many`, with an optional `filter`
/// argument of the given input type, applied by its `apply`), both clinical. One arm, so the
/// `complexity` expression and the arguments it names share their hygiene.
macro_rules! record_queries {
    ($(
        $(#[doc = $one_doc:tt])+
        $one:ident,
        $(#[doc = $many_doc:tt])+
        $many:ident$(($filter:ty, $filter_doc:tt))?: $entity:ident => $node:ident;
    )+) => {
        #[Object]
        impl RecordQuery {
            $(
                $(#[doc = $one_doc])+
                #[graphql(guard = "Clinical")]
                async fn $one(
                    &self,
                    ctx: &Context<'_>,
                    #[graphql(desc = "The record\'s ID.")] id: ID,
                ) -> AppResult<Option<$node>> {
                    Ok(super::by_id::<$entity::Entity>(ctx, &id).await?.map($node))
                }

                $(#[doc = $many_doc])+
                #[graphql(
                    guard = "Clinical",
                    complexity = "crate::graphql::page::cost(first, last, child_complexity)"
                )]
                async fn $many(
                    &self,
                    ctx: &Context<'_>,
                    $(#[graphql(desc = $filter_doc)] filter: Option<$filter>,)?
                    #[graphql(desc = "Page size from the start, at most 100 (default 20).")]
                    first: Option<i32>,
                    #[graphql(desc = "Cursor of the row the page starts after.")]
                    after: Option<String>,
                    #[graphql(desc = "Page size from the end, at most 100.")]
                    last: Option<i32>,
                    #[graphql(desc = "Cursor of the row the page ends before.")]
                    before: Option<String>,
                ) -> AppResult<Option<Page<$node>>> {
                    let req = request(ctx)?;
                    let max = req.config.max_page_size;
                    let args = PageArgs::check(max, first, after, last, before)?;
                    let query = $entity::Entity::find();
                    $(let query = Option::<$filter>::unwrap_or_default(filter).apply(req, query)?;)?
                    page::fetch(ctx, &req.db, query, &<$entity::Entity as Listed>::order(), &args, $node)
                        .await
                        .map(Some)
                }
            )+
        }
    };
}

record_queries!(
    /// A chronic condition by ID, or null when absent or outside the viewer's scope.
    chronic_condition,
    /// Chronic conditions in the viewer's scope, most recently diagnosed first.
    chronic_conditions: chronic_condition => ChronicCondition;

    /// A clinic visit by ID, or null when absent or outside the viewer's scope.
    clinic_visit,
    /// Clinic visits in the viewer's scope, most recent first.
    clinic_visits(ClinicVisitFilter, "Which visits; all given conditions must hold."):
        clinic_visit => ClinicVisit;

    /// A prescription by ID, or null when absent or outside the viewer's scope.
    prescription,
    /// Prescriptions dispensed in the viewer's scope, newest first.
    prescriptions: prescription => Prescription;

    /// A referral by ID, or null when absent or outside the viewer's scope.
    referral,
    /// Referrals in the viewer's scope, most recent first.
    referrals(ReferralFilter, "Which referrals; all given conditions must hold."):
        referral => Referral;

    /// A consultation by ID, or null when absent or outside the viewer's scope.
    consultation,
    /// Consultations in the viewer's scope, most recent first.
    consultations: consultation => Consultation;

    /// A vaccine dose by ID, or null when absent or outside the viewer's scope.
    vaccination,
    /// Vaccine doses given in the viewer's scope, most recent first.
    vaccinations: vaccination => Vaccination;
);
