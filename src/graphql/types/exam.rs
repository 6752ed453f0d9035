use async_graphql::{Context, ID, Object};

use crate::db::entities::health_exam;
use crate::domain::{CadreClass, ExamKind, GeneralClass};
use crate::error::{AppError, AppResult};
use crate::graphql::loaders::{BoardKey, CadreKey};
use crate::graphql::request;
use crate::graphql::scalars::Date;

use super::{Board, Cadre};

/// A health exam (khám sức khỏe): vitals, labs, diagnoses and the two health classifications.
/// Clinical detail: only clinicians and admins reach it.
pub struct HealthExam(pub health_exam::Model);

#[Object]
impl HealthExam {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The cadre examined.
    async fn cadre(&self, ctx: &Context<'_>) -> AppResult<Cadre> {
        let req = request(ctx)?;
        let cadre = req.loader.load_one(CadreKey(self.0.cadre_id)).await?;
        cadre
            .map(Cadre::listed)
            .ok_or_else(|| AppError::Internal(format!("cadre of exam {} not visible", self.0.id)))
    }

    /// The board that keeps this exam (the cadre's board when it was recorded).
    async fn board(&self, ctx: &Context<'_>) -> AppResult<Board> {
        let req = request(ctx)?;
        let board = req
            .loader
            .load_one(BoardKey(self.0.board_code.clone()))
            .await?;
        board
            .map(Board)
            .ok_or_else(|| AppError::Internal(format!("board of exam {} not visible", self.0.id)))
    }

    /// The periodic campaign this exam belongs to, if any.
    async fn campaign_id(&self) -> Option<ID> {
        self.0.campaign_id.map(|id| ID(id.to_string()))
    }

    async fn examined_on(&self) -> Date {
        Date(self.0.examined_on)
    }

    async fn facility(&self) -> Option<&str> {
        self.0.facility.as_deref()
    }

    async fn kind(&self) -> ExamKind {
        self.0.kind
    }

    async fn height_cm(&self) -> Option<f64> {
        self.0.height_cm
    }

    async fn weight_kg(&self) -> Option<f64> {
        self.0.weight_kg
    }

    /// Body-mass index, derived from height and weight.
    async fn bmi(&self) -> Option<f64> {
        self.0.bmi
    }

    async fn systolic_mmhg(&self) -> Option<i32> {
        self.0.systolic_mmhg
    }

    async fn diastolic_mmhg(&self) -> Option<i32> {
        self.0.diastolic_mmhg
    }

    async fn pulse_bpm(&self) -> Option<i32> {
        self.0.pulse_bpm
    }

    /// Fasting plasma glucose, mmol/L.
    async fn glucose_mmol_l(&self) -> Option<f64> {
        self.0.glucose_mmol_l
    }

    async fn hba1c_percent(&self) -> Option<f64> {
        self.0.hba1c_percent
    }

    /// Total cholesterol, mmol/L.
    async fn cholesterol_mmol_l(&self) -> Option<f64> {
        self.0.cholesterol_mmol_l
    }

    async fn triglycerides_mmol_l(&self) -> Option<f64> {
        self.0.triglycerides_mmol_l
    }

    async fn creatinine_umol_l(&self) -> Option<f64> {
        self.0.creatinine_umol_l
    }

    /// ICD-10 diagnoses made at the exam.
    async fn diagnoses(&self) -> Vec<&str> {
        self.0
            .diagnoses
            .split(',')
            .filter(|c| !c.is_empty())
            .collect()
    }

    /// Cadre health class A–D (Decision 1266/QĐ-BYT).
    async fn cadre_class(&self) -> Option<CadreClass> {
        self.0.cadre_class
    }

    /// General health class I–V.
    async fn general_class(&self) -> Option<GeneralClass> {
        self.0.general_class
    }

    async fn conclusion(&self) -> Option<&str> {
        self.0.conclusion.as_deref()
    }

    async fn physician(&self) -> Option<&str> {
        self.0.physician.as_deref()
    }

    async fn version(&self) -> i32 {
        self.0.version
    }
}
