//! A health exam (khám sức khỏe) with vitals, labs, diagnoses and both classifications.

use sea_orm::entity::prelude::*;

use crate::domain::{CadreClass, ExamKind, GeneralClass};

super::tenant_entity!("health_exams" {
    pub cadre_id: Uuid,
    pub campaign_id: Option<Uuid>,
    pub examined_on: Date,
    pub facility: Option<String>,
    pub kind: ExamKind,
    pub height_cm: Option<f64>,
    pub weight_kg: Option<f64>,
    pub bmi: Option<f64>,
    pub systolic_mmhg: Option<i32>,
    pub diastolic_mmhg: Option<i32>,
    pub pulse_bpm: Option<i32>,
    pub glucose_mmol_l: Option<f64>,
    pub hba1c_percent: Option<f64>,
    pub cholesterol_mmol_l: Option<f64>,
    pub triglycerides_mmol_l: Option<f64>,
    pub creatinine_umol_l: Option<f64>,
    /// ICD-10 codes, comma-separated.
    pub diagnoses: String,
    pub cadre_class: Option<CadreClass>,
    pub general_class: Option<GeneralClass>,
    pub conclusion: Option<String>,
    pub physician: Option<String>,
});

/// `SELECT 1 FROM health_exams newer WHERE` an exam of the same cadre as the exam `exam` (a
/// table name or alias) is later, by date then ID. `NOT EXISTS` of it picks each cadre's latest
/// exam, served by `health_exams_cadre_date`.
pub fn later_exam_than(
    exam: impl sea_orm::sea_query::IntoIden,
) -> sea_orm::sea_query::SelectStatement {
    use sea_orm::sea_query::{Alias, DynIden, Expr, ExprTrait, IntoIden, Query};
    let (exam, newer) = (exam.into_iden(), Alias::new("newer").into_iden());
    let col = |table: &DynIden, c: Column| Expr::col((table.clone(), c));
    Query::select()
        .expr(Expr::val(1))
        .from_as(Entity, newer.clone())
        .and_where(col(&newer, Column::CadreId).eq(col(&exam, Column::CadreId)))
        .and_where(
            col(&newer, Column::ExaminedOn)
                .gt(col(&exam, Column::ExaminedOn))
                .or(col(&newer, Column::ExaminedOn)
                    .eq(col(&exam, Column::ExaminedOn))
                    .and(col(&newer, Column::Id).gt(col(&exam, Column::Id)))),
        )
        .to_owned()
}
