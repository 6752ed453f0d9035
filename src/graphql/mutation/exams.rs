//! Exam campaigns (admins) and health exams: record, correct. BMI is derived, never sent.

use async_graphql::{Context, ID, InputObject, Object};

use crate::domain::columns;
use crate::domain::valid::{self, Violations};
use crate::domain::{CadreClass, Cohort, ExamKind, GeneralClass};
use crate::error::AppResult;
use crate::graphql::scalars::Date;
use crate::graphql::types::{ExamCampaign, HealthExam, parse_id};
use crate::records::campaigns::{self, CampaignChanges, NewCampaign};
use crate::records::exams::{self, ExamValues};

use super::{Input, admin, apply, board_for, parsed, writer};

#[derive(Default)]
pub struct ExamMutation;

/// A periodic exam campaign (đợt khám định kỳ) of a board in your subtree.
#[derive(InputObject)]
pub struct CreateExamCampaignInput {
    pub board_code: String,
    /// 1–200 characters.
    pub name: String,
    /// 2000–2100.
    pub year: i32,
    /// 1 or 2.
    pub round: i32,
    pub cohort: Cohort,
    /// In `year`, on or before `endsOn`.
    pub starts_on: Date,
    pub ends_on: Date,
}

/// Changes to a campaign; absent fields stay as they are. The cohort is fixed: cadres are
/// enrolled when the campaign is created.
#[derive(InputObject, Default)]
pub struct UpdateExamCampaignInput {
    pub name: Option<String>,
    pub starts_on: Option<Date>,
    pub ends_on: Option<Date>,
}

/// What an exam records. BMI is not an input: it is computed from height and weight.
#[derive(InputObject)]
pub struct HealthExamValues {
    /// The campaign the exam belongs to, if any: visible to you, and run by a board above the
    /// cadre's.
    pub campaign_id: Option<ID>,
    /// Not in the future.
    pub examined_on: Date,
    pub facility: Option<String>,
    pub kind: ExamKind,
    /// 100–230.
    pub height_cm: Option<f64>,
    /// 25–250.
    pub weight_kg: Option<f64>,
    /// 60–280, above diastolic; give both or neither.
    pub systolic_mmhg: Option<i32>,
    /// 30–180.
    pub diastolic_mmhg: Option<i32>,
    /// 30–220.
    pub pulse_bpm: Option<i32>,
    pub glucose_mmol_l: Option<f64>,
    pub hba1c_percent: Option<f64>,
    pub cholesterol_mmol_l: Option<f64>,
    pub triglycerides_mmol_l: Option<f64>,
    pub creatinine_umol_l: Option<f64>,
    /// ICD-10 codes, `A00`–`Z99` with an optional `.x`; upper-cased.
    #[graphql(default)]
    pub diagnoses: Vec<String>,
    pub cadre_class: Option<CadreClass>,
    pub general_class: Option<GeneralClass>,
    pub conclusion: Option<String>,
    pub physician: Option<String>,
}

/// A new health exam of a cadre; it is kept by the cadre's board.
#[derive(InputObject)]
pub struct RecordHealthExamInput {
    pub cadre_id: ID,
    pub exam: HealthExamValues,
}

impl Input for HealthExamValues {
    type Command = ExamValues;

    /// The exam's values, BMI computed from height and weight.
    fn parse(&self, v: &mut Violations) -> Option<ExamValues> {
        let campaign_id = match &self.campaign_id {
            None => Some(None),
            Some(id) => v
                .check(
                    "campaignId",
                    parse_id("campaignId", id).map_err(|_| "is not a valid ID".to_owned()),
                )
                .map(Some),
        };
        let examined_on = v.check("examinedOn", valid::past_date(self.examined_on.0));
        let facility = v.optional("facility", self.facility.as_deref(), |s| {
            valid::text(s, columns::FACILITY)
        });
        let height = v.optional("heightCm", self.height_cm, valid::height_cm);
        let weight = v.optional("weightKg", self.weight_kg, valid::weight_kg);
        let systolic = v.optional("systolicMmhg", self.systolic_mmhg, valid::systolic);
        let diastolic = v.optional("diastolicMmhg", self.diastolic_mmhg, valid::diastolic);
        match (systolic, diastolic) {
            (Some(Some(s)), Some(Some(d))) if s <= d => {
                v.add("systolicMmhg", "must be above diastolicMmhg")
            }
            (Some(Some(_)), Some(None)) => v.add("diastolicMmhg", "give both pressures or neither"),
            (Some(None), Some(Some(_))) => v.add("systolicMmhg", "give both pressures or neither"),
            _ => {}
        }
        let pulse = v.optional("pulseBpm", self.pulse_bpm, valid::pulse_bpm);
        let glucose = v.optional("glucoseMmolL", self.glucose_mmol_l, |x| {
            valid::lab(x, 0.5, 60.0, "mmol/L")
        });
        let hba1c = v.optional("hba1cPercent", self.hba1c_percent, |x| {
            valid::lab(x, 2.0, 25.0, "%")
        });
        let chol = v.optional("cholesterolMmolL", self.cholesterol_mmol_l, |x| {
            valid::lab(x, 0.5, 30.0, "mmol/L")
        });
        let trig = v.optional("triglyceridesMmolL", self.triglycerides_mmol_l, |x| {
            valid::lab(x, 0.1, 60.0, "mmol/L")
        });
        let creat = v.optional("creatinineUmolL", self.creatinine_umol_l, |x| {
            valid::lab(x, 10.0, 3000.0, "µmol/L")
        });
        let diagnoses = v.check("diagnoses", valid::icd_list(&self.diagnoses));
        let conclusion = v.optional("conclusion", self.conclusion.as_deref(), |s| {
            valid::text(s, columns::EXAM_CONCLUSION)
        });
        let physician = v.optional("physician", self.physician.as_deref(), |s| {
            valid::text(s, columns::PHYSICIAN)
        });
        let mut values = ExamValues::blank(self.kind);
        let base = values.values_mut();
        base.campaign_id = campaign_id?;
        base.examined_on = examined_on?;
        base.facility = facility?;
        base.kind = self.kind;
        base.height_cm = height?;
        base.weight_kg = weight?;
        base.bmi = match (base.height_cm, base.weight_kg) {
            (Some(h), Some(w)) => Some(valid::bmi(h, w)),
            _ => None,
        };
        base.systolic_mmhg = systolic?;
        base.diastolic_mmhg = diastolic?;
        base.pulse_bpm = pulse?;
        base.glucose_mmol_l = glucose?;
        base.hba1c_percent = hba1c?;
        base.cholesterol_mmol_l = chol?;
        base.triglycerides_mmol_l = trig?;
        base.creatinine_umol_l = creat?;
        base.diagnoses = diagnoses?;
        base.cadre_class = self.cadre_class;
        base.general_class = self.general_class;
        base.conclusion = conclusion?;
        base.physician = physician?;
        Some(values)
    }
}

impl Input for CreateExamCampaignInput {
    type Command = NewCampaign;

    fn parse(&self, v: &mut Violations) -> Option<NewCampaign> {
        let name = v.check("name", valid::text(&self.name, columns::CAMPAIGN_NAME));
        let year = v.check("year", valid::range(self.year, 2000, 2100, ""));
        let round = v.check(
            "round",
            match self.round {
                1 | 2 => Ok(self.round as i16),
                _ => Err("must be 1 or 2".into()),
            },
        );
        if let Some(year) = year {
            campaigns::check_dates(v, year, self.starts_on.0, self.ends_on.0);
        }
        Some(NewCampaign {
            name: name?,
            year: year?,
            round: round?,
            cohort: self.cohort,
            starts_on: self.starts_on.0,
            ends_on: self.ends_on.0,
        })
    }
}

impl Input for UpdateExamCampaignInput {
    type Command = CampaignChanges;

    fn parse(&self, v: &mut Violations) -> Option<CampaignChanges> {
        let name = v.optional("name", self.name.as_deref(), |s| {
            valid::text(s, columns::CAMPAIGN_NAME)
        });
        Some(CampaignChanges {
            name: name?,
            starts_on: self.starts_on.map(|d| d.0),
            ends_on: self.ends_on.map(|d| d.0),
        })
    }
}

#[Object]
impl ExamMutation {
    /// Opens an exam campaign for a board in your subtree. Admins only.
    async fn create_exam_campaign(
        &self,
        ctx: &Context<'_>,
        input: CreateExamCampaignInput,
    ) -> AppResult<ExamCampaign> {
        let (req, admin) = admin(ctx)?;
        let new = parsed(|v| input.parse(v))?;
        let board = board_for(req, "boardCode", &input.board_code)?;
        let holds = req.boards.scope_of(board, req.viewer.today);
        Ok(ExamCampaign(
            campaigns::create(admin, board, &holds, new).await?,
        ))
    }

    /// Changes a campaign's name, cohort or dates. Admins only.
    async fn update_exam_campaign(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        input: UpdateExamCampaignInput,
    ) -> AppResult<ExamCampaign> {
        let (_, admin) = admin(ctx)?;
        let update = |admin, id, changes| campaigns::update(admin, id, version, changes);
        let row = apply(admin, &input, ("id", &id), update).await?;
        Ok(ExamCampaign(row))
    }

    /// Records a health exam of a cadre in your subtree. BMI is computed from height and weight.
    async fn record_health_exam(
        &self,
        ctx: &Context<'_>,
        input: RecordHealthExamInput,
    ) -> AppResult<HealthExam> {
        let (req, writer) = writer(ctx)?;
        let record = |writer, cadre, values| exams::record(writer, &req.boards, cadre, values);
        let row = apply(writer, &input.exam, ("cadreId", &input.cadre_id), record).await?;
        Ok(HealthExam(row))
    }

    /// Corrects a recorded exam: `exam` replaces all its values. `version` is the one you read.
    async fn correct_health_exam(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        exam: HealthExamValues,
    ) -> AppResult<HealthExam> {
        let (req, writer) = writer(ctx)?;
        // The input is checked before the stored exam is read: reading it is a clinical read,
        // audited even when the mutation fails, and an invalid input needs nothing stored.
        let correct = |writer, id, values| exams::correct(writer, &req.boards, id, version, values);
        let row = apply(writer, &exam, ("id", &id), correct).await?;
        Ok(HealthExam(row))
    }
}
