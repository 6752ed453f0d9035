use async_graphql::{Context, ID};

use crate::db::entities::health_exam;
use crate::domain::{CadreClass, ExamKind, GeneralClass};
use crate::error::AppResult;
use crate::graphql::loaders::CampaignKey;
use crate::graphql::request;
use crate::graphql::scalars::Date;

use super::ExamCampaign;
use super::records::codes;

/// A health exam (khám sức khỏe): vitals, labs, diagnoses and the two health classifications.
/// Clinical detail: only clinicians and admins reach it.
pub struct HealthExam(pub health_exam::Model);

impl HealthExam {
    /// The exam's campaign, through the scoped loader: `None` when there is none or it lies
    /// outside the viewer's scope.
    async fn visible_campaign(&self, ctx: &Context<'_>) -> AppResult<Option<ExamCampaign>> {
        let Some(id) = self.0.campaign_id else {
            return Ok(None);
        };
        let req = request(ctx)?;
        Ok(req
            .loader
            .load_one(CampaignKey(id))
            .await?
            .map(ExamCampaign))
    }
}

tenant_object!(HealthExam {
    /// The board that recorded the exam (the cadre's board).
    board;
    /// The cadre examined.
    cadre;
    {
        /// ID of the periodic campaign this exam belongs to. Null when there is none, or when the
        /// viewer cannot see the campaign, exactly as `campaign`: an ID is part of what lies above
        /// the viewer's scope.
        async fn campaign_id(&self, ctx: &Context<'_>) -> AppResult<Option<ID>> {
            Ok(self
                .visible_campaign(ctx)
                .await?
                .map(|c| ID(c.0.id.to_string())))
        }

        /// The periodic campaign this exam belongs to. Null when there is none, or when the
        /// campaign was run by a board above the viewer's (a district sees its exams in a
        /// provincial campaign, not the campaign itself) or by one the cadre has left.
        async fn campaign(&self, ctx: &Context<'_>) -> AppResult<Option<ExamCampaign>> {
            self.visible_campaign(ctx).await
        }

        /// Date of the exam.
        async fn examined_on(&self) -> Date {
            Date(self.0.examined_on)
        }

        /// Where the exam took place.
        async fn facility(&self) -> Option<&str> {
            self.0.facility.as_deref()
        }

        /// Periodic (campaign), routine or specialist.
        async fn kind(&self) -> ExamKind {
            self.0.kind
        }

        /// Height in centimetres.
        async fn height_cm(&self) -> Option<f64> {
            self.0.height_cm
        }

        /// Weight in kilograms.
        async fn weight_kg(&self) -> Option<f64> {
            self.0.weight_kg
        }

        /// Body-mass index, derived from height and weight.
        async fn bmi(&self) -> Option<f64> {
            self.0.bmi
        }

        /// Systolic blood pressure, mmHg.
        async fn systolic_mmhg(&self) -> Option<i32> {
            self.0.systolic_mmhg
        }

        /// Diastolic blood pressure, mmHg.
        async fn diastolic_mmhg(&self) -> Option<i32> {
            self.0.diastolic_mmhg
        }

        /// Pulse, beats per minute.
        async fn pulse_bpm(&self) -> Option<i32> {
            self.0.pulse_bpm
        }

        /// Fasting plasma glucose, mmol/L.
        async fn glucose_mmol_l(&self) -> Option<f64> {
            self.0.glucose_mmol_l
        }

        /// Glycated haemoglobin (HbA1c), percent.
        async fn hba1c_percent(&self) -> Option<f64> {
            self.0.hba1c_percent
        }

        /// Total cholesterol, mmol/L.
        async fn cholesterol_mmol_l(&self) -> Option<f64> {
            self.0.cholesterol_mmol_l
        }

        /// Triglycerides, mmol/L.
        async fn triglycerides_mmol_l(&self) -> Option<f64> {
            self.0.triglycerides_mmol_l
        }

        /// Serum creatinine, µmol/L.
        async fn creatinine_umol_l(&self) -> Option<f64> {
            self.0.creatinine_umol_l
        }

        /// ICD-10 diagnoses made at the exam.
        async fn diagnoses(&self) -> Vec<&str> {
            codes(&self.0.diagnoses)
        }

        /// Cadre health class A–D (Decision 1266/QĐ-BYT).
        async fn cadre_class(&self) -> Option<CadreClass> {
            self.0.cadre_class
        }

        /// General health class I–V.
        async fn general_class(&self) -> Option<GeneralClass> {
            self.0.general_class
        }

        /// The physician's conclusion.
        async fn conclusion(&self) -> Option<&str> {
            self.0.conclusion.as_deref()
        }

        /// Physician who signed the exam.
        async fn physician(&self) -> Option<&str> {
            self.0.physician.as_deref()
        }
    }
    version;
});
