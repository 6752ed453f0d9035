//! A periodic exam campaign (đợt khám định kỳ).

use sea_orm::entity::prelude::*;

use crate::domain::Cohort;

super::tenant_entity!("exam_campaigns", Eq {
    pub name: String,
    pub year: i32,
    pub round: i16,
    pub cohort: Cohort,
    pub starts_on: Date,
    pub ends_on: Date,
});
