//! Clinical records by ID and as lists across the viewer's scope: chronic conditions, clinic
//! visits, prescriptions, referrals, consultations, vaccinations. All clinical: analysts get
//! `FORBIDDEN`.

use async_graphql::InputObject;
use chrono::{Days, NaiveDate, Utc};
use sea_orm::{ColumnTrait, QueryFilter, Select};

use crate::db::entities::{
    chronic_condition, clinic_visit, consultation, prescription, referral, vaccination,
};
use crate::domain::calendar;
use crate::domain::{ReferralStatus, ReferralUrgency};
use crate::error::{AppError, AppResult};
use crate::graphql::scalars::Date;
use crate::graphql::types::{
    ChronicCondition, ClinicVisit, Consultation, Prescription, Referral, Vaccination,
};
use crate::graphql::{Clinical, RequestData};

use super::{Guarded, ListFilter};

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

impl ListFilter<clinic_visit::Entity> for ClinicVisitFilter {
    fn board_code(&self) -> Option<&str> {
        self.board_code.as_deref()
    }

    async fn narrow(
        self,
        _: &RequestData,
        mut query: Select<clinic_visit::Entity>,
    ) -> AppResult<Select<clinic_visit::Entity>> {
        use clinic_visit::Column;
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

impl ListFilter<referral::Entity> for ReferralFilter {
    fn board_code(&self) -> Option<&str> {
        self.board_code.as_deref()
    }

    async fn narrow(
        self,
        _: &RequestData,
        mut query: Select<referral::Entity>,
    ) -> AppResult<Select<referral::Entity>> {
        use referral::Column;
        query = super::on_days(query, Column::ReferredOn, self.from, self.to);
        if let Some(status) = self.status {
            query = query.filter(Column::Status.is_in(status));
        }
        if let Some(urgency) = self.urgency {
            query = query.filter(Column::Urgency.is_in(urgency));
        }
        Ok(query)
    }
}

super::scoped_queries!(RecordQuery: Guarded, guard "Clinical", cursors(
    "Cursor of the row the page starts after.",
    "Cursor of the row the page ends before."
);
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
