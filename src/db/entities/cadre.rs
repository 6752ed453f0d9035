//! A cadre (cán bộ) and the board that manages their health record.

use sea_orm::entity::prelude::*;

use crate::domain::{CadreStatus, Gender, ManagementTier};

super::tenant_entity!("cadres", Eq {
    pub full_name: String,
    pub name_folded: String,
    pub gender: Gender,
    pub birth_date: Date,
    pub position: Option<String>,
    pub workplace: Option<String>,
    pub status: CadreStatus,
    pub management_tier: ManagementTier,
    pub national_id: Option<String>,
    pub insurance_number: Option<String>,
    /// Date of the cadre's latest health exam, null before the first. Kept by the exam writes
    /// (`last_exam_on_now`), never by a whole-row update of the cadre: see `Tenant::derived`.
    pub last_exam_on: Option<Date>,
});

/// `last_exam_on` recomputed from the cadre's exams, for `UPDATE cadres SET last_exam_on = ...`:
/// always right after any exam write, however the exams changed.
pub fn last_exam_on_now() -> sea_orm::sea_query::SimpleExpr {
    use super::health_exam::{Column as E, Entity as Exams};
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    Query::select()
        .expr(Expr::col((Exams, E::ExaminedOn)).max())
        .from(Exams)
        .and_where(Expr::col((Exams, E::CadreId)).equals((Entity, Column::Id)))
        .to_owned()
        .into()
}
