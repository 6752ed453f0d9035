//! Exam campaigns (admins) and health exams: record, correct. BMI is derived, never sent.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{Datelike, Utc};

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::db::entities::{cadre, campaign_enrolment, exam_campaign, health_exam};
use crate::domain::valid::{self, Violations};
use crate::domain::{CadreClass, CadreStatus, Cohort, ExamKind, GeneralClass};
use crate::error::{AppError, AppResult};
use crate::graphql::scalars::Date;
use crate::graphql::types::{ExamCampaign, HealthExam, parse_id};
use crate::scope::{Scope, TenantKeys, TenantRow};

use super::{admin, board_for, cadre_for, find_current, new_id, writer};

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

/// The parsed values of an exam, ready to store on a row.
struct ExamValues {
    campaign_id: Option<uuid::Uuid>,
    row: health_exam::Model,
}

/// Parses `input` into the clinical columns of `base` (keys and bookkeeping untouched),
/// noting every violation.
fn parse_exam(
    v: &mut Violations,
    input: HealthExamValues,
    mut base: health_exam::Model,
) -> Option<ExamValues> {
    let campaign_id = match &input.campaign_id {
        None => Some(None),
        Some(id) => v
            .check(
                "campaignId",
                parse_id("campaignId", id).map_err(|_| "is not a valid ID".to_owned()),
            )
            .map(Some),
    };
    let examined_on = v.check("examinedOn", valid::past_date(input.examined_on.0));
    let facility = v.optional("facility", input.facility.as_deref(), |s| {
        valid::text(s, 200)
    });
    let height = v.optional("heightCm", input.height_cm, valid::height_cm);
    let weight = v.optional("weightKg", input.weight_kg, valid::weight_kg);
    let systolic = v.optional("systolicMmhg", input.systolic_mmhg, valid::systolic);
    let diastolic = v.optional("diastolicMmhg", input.diastolic_mmhg, valid::diastolic);
    match (systolic, diastolic) {
        (Some(Some(s)), Some(Some(d))) if s <= d => {
            v.add("systolicMmhg", "must be above diastolicMmhg")
        }
        (Some(Some(_)), Some(None)) => v.add("diastolicMmhg", "give both pressures or neither"),
        (Some(None), Some(Some(_))) => v.add("systolicMmhg", "give both pressures or neither"),
        _ => {}
    }
    let pulse = v.optional("pulseBpm", input.pulse_bpm, valid::pulse_bpm);
    let glucose = v.optional("glucoseMmolL", input.glucose_mmol_l, |x| {
        valid::lab(x, 0.5, 60.0, "mmol/L")
    });
    let hba1c = v.optional("hba1cPercent", input.hba1c_percent, |x| {
        valid::lab(x, 2.0, 25.0, "%")
    });
    let chol = v.optional("cholesterolMmolL", input.cholesterol_mmol_l, |x| {
        valid::lab(x, 0.5, 30.0, "mmol/L")
    });
    let trig = v.optional("triglyceridesMmolL", input.triglycerides_mmol_l, |x| {
        valid::lab(x, 0.1, 60.0, "mmol/L")
    });
    let creat = v.optional("creatinineUmolL", input.creatinine_umol_l, |x| {
        valid::lab(x, 10.0, 3000.0, "µmol/L")
    });
    let diagnoses = v.check("diagnoses", valid::icd_list(&input.diagnoses));
    let conclusion = v.optional("conclusion", input.conclusion.as_deref(), |s| {
        valid::text(s, valid::MAX_TEXT_CHARS)
    });
    let physician = v.optional("physician", input.physician.as_deref(), |s| {
        valid::text(s, 100)
    });
    let campaign_id = campaign_id?;
    base.campaign_id = campaign_id;
    base.examined_on = examined_on?;
    base.facility = facility?;
    base.kind = input.kind;
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
    base.cadre_class = input.cadre_class;
    base.general_class = input.general_class;
    base.conclusion = conclusion?;
    base.physician = physician?;
    Some(ExamValues {
        campaign_id,
        row: base,
    })
}

/// An exam with no values yet, for `parse_exam` to fill in: the base of a new exam, and of the
/// values a correction brings before the stored exam is read.
fn blank_exam(kind: ExamKind) -> health_exam::Model {
    let now = Utc::now();
    health_exam::Model {
        id: new_id(),
        board_code: String::new(),
        province_code: None,
        district_code: None,
        version: 1,
        created_at: now,
        updated_at: now,
        cadre_id: uuid::Uuid::nil(),
        campaign_id: None,
        examined_on: now.date_naive(),
        facility: None,
        kind,
        height_cm: None,
        weight_kg: None,
        bmi: None,
        systolic_mmhg: None,
        diastolic_mmhg: None,
        pulse_bpm: None,
        glucose_mmol_l: None,
        hba1c_percent: None,
        cholesterol_mmol_l: None,
        triglycerides_mmol_l: None,
        creatinine_umol_l: None,
        diagnoses: String::new(),
        cadre_class: None,
        general_class: None,
        conclusion: None,
        physician: None,
    }
}

/// The names of the clinical columns that differ between two exams (names only: the audit
/// trail never holds clinical values).
fn exam_changes(old: &health_exam::Model, new: &health_exam::Model) -> Vec<&'static str> {
    let pairs: [(&str, bool); 20] = [
        ("campaignId", old.campaign_id != new.campaign_id),
        ("examinedOn", old.examined_on != new.examined_on),
        ("facility", old.facility != new.facility),
        ("kind", old.kind != new.kind),
        ("heightCm", old.height_cm != new.height_cm),
        ("weightKg", old.weight_kg != new.weight_kg),
        ("bmi", old.bmi != new.bmi),
        ("systolicMmhg", old.systolic_mmhg != new.systolic_mmhg),
        ("diastolicMmhg", old.diastolic_mmhg != new.diastolic_mmhg),
        ("pulseBpm", old.pulse_bpm != new.pulse_bpm),
        ("glucoseMmolL", old.glucose_mmol_l != new.glucose_mmol_l),
        ("hba1cPercent", old.hba1c_percent != new.hba1c_percent),
        (
            "cholesterolMmolL",
            old.cholesterol_mmol_l != new.cholesterol_mmol_l,
        ),
        (
            "triglyceridesMmolL",
            old.triglycerides_mmol_l != new.triglycerides_mmol_l,
        ),
        (
            "creatinineUmolL",
            old.creatinine_umol_l != new.creatinine_umol_l,
        ),
        ("diagnoses", old.diagnoses != new.diagnoses),
        ("cadreClass", old.cadre_class != new.cadre_class),
        ("generalClass", old.general_class != new.general_class),
        ("conclusion", old.conclusion != new.conclusion),
        ("physician", old.physician != new.physician),
    ];
    pairs
        .into_iter()
        .filter(|(_, c)| *c)
        .map(|(f, _)| f)
        .collect()
}

/// A campaign an exam may belong to: visible, and its board's subtree holds the cadre.
async fn check_campaign(
    req: &crate::graphql::RequestData,
    campaign: Option<uuid::Uuid>,
    cadre_keys: &TenantKeys,
) -> AppResult<()> {
    let Some(id) = campaign else { return Ok(()) };
    let refuse =
        || AppError::bad_input("campaignId", "campaignId: no such campaign for this cadre");
    let found = req
        .db
        .one(<exam_campaign::Entity as sea_orm::EntityTrait>::find_by_id(
            id,
        ))
        .await?
        .ok_or_else(refuse)?;
    let board = req.boards.get(&found.board_code).ok_or_else(refuse)?;
    let covers = Scope::of_board(board)?.contains(
        cadre_keys.province.as_deref(),
        cadre_keys.district.as_deref(),
    );
    if covers { Ok(()) } else { Err(refuse()) }
}

/// Enrols every cadre due an exam in a new campaign: in its cohort (never the deceased) and
/// managed in its board's subtree now, each enrolment carrying the tenant keys of the cadre's
/// board at this moment (it does not move with a later transfer). See README "Statistics".
async fn enrol(
    req: &crate::graphql::RequestData,
    campaign: &exam_campaign::Model,
    board: &crate::db::entities::board::Model,
) -> AppResult<()> {
    let cohort = match campaign.cohort {
        Cohort::Serving => vec![CadreStatus::Serving],
        Cohort::Retired => vec![CadreStatus::Retired],
        Cohort::All => vec![CadreStatus::Serving, CadreStatus::Retired],
    };
    let subtree = Scope::of_board(board)?;
    let cadres = req
        .db
        .all(
            cadre::Entity::find()
                .filter(subtree.condition::<cadre::Entity>())
                .filter(cadre::Column::Status.is_in(cohort)),
        )
        .await?;
    let now = Utc::now();
    let rows = cadres
        .iter()
        .map(|c| {
            let keys = c.keys();
            campaign_enrolment::Model {
                id: new_id(),
                board_code: keys.board,
                province_code: keys.province,
                district_code: keys.district,
                version: 1,
                created_at: now,
                updated_at: now,
                campaign_id: campaign.id,
                cadre_id: c.id,
                year: campaign.year,
                round: campaign.round,
                examined_on: None,
            }
        })
        .collect();
    req.db
        .insert_batch::<campaign_enrolment::Entity>(rows, "the cadre is already enrolled")
        .await?;
    Ok(())
}

/// Keeps a cadre's enrolment in `campaign` in step with their exams: `examined_on` is the date
/// of their first exam in the campaign, or null when none is left (a corrected exam moved to
/// another campaign). An enrolment outside the viewer's scope (the cadre was transferred away
/// from the board that enrolled them) is left as it is.
async fn sync_enrolment(
    req: &crate::graphql::RequestData,
    campaign: uuid::Uuid,
    cadre: uuid::Uuid,
) -> AppResult<()> {
    use campaign_enrolment::Column as E;
    let exams = req
        .db
        .all(
            health_exam::Entity::find()
                .filter(health_exam::Column::CampaignId.eq(campaign))
                .filter(health_exam::Column::CadreId.eq(cadre)),
        )
        .await?;
    let first = exams.iter().map(|e| e.examined_on).min();
    req.db
        .update_where(
            campaign_enrolment::Entity::update_many()
                .col_expr(E::ExaminedOn, Expr::value(first))
                .col_expr(E::Version, Expr::col(E::Version).add(1))
                .col_expr(E::UpdatedAt, Expr::value(Utc::now()))
                .filter(E::CampaignId.eq(campaign))
                .filter(E::CadreId.eq(cadre)),
        )
        .await?;
    Ok(())
}

/// Keeps the cadre's stored last exam date (what the directory sorts on) in step with their
/// exams, recomputed rather than compared, so a correction to an earlier date is right too.
/// Their version is not bumped: the date is derived, and someone editing the cadre at the same
/// time has not lost anything.
async fn sync_last_exam(req: &crate::graphql::RequestData, cadre: uuid::Uuid) -> AppResult<()> {
    req.db
        .update_where(
            cadre::Entity::update_many()
                .col_expr(cadre::Column::LastExamOn, cadre::last_exam_on_now())
                .filter(cadre::Column::Id.eq(cadre)),
        )
        .await?;
    Ok(())
}

fn campaign_checks(
    v: &mut Violations,
    year: i32,
    starts: chrono::NaiveDate,
    ends: chrono::NaiveDate,
) {
    if starts > ends {
        v.add("endsOn", "must be on or after startsOn");
    }
    if starts.year() != year {
        v.add("startsOn", "must be in the campaign's year");
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
        let req = admin(ctx)?;
        let mut v = Violations::new();
        let name = v.check("name", valid::text(&input.name, 200));
        let year = v.check("year", valid::range(input.year, 2000, 2100, ""));
        let round = v.check(
            "round",
            match input.round {
                1 | 2 => Ok(input.round as i16),
                _ => Err("must be 1 or 2".into()),
            },
        );
        if let Some(year) = year {
            campaign_checks(&mut v, year, input.starts_on.0, input.ends_on.0);
        }
        v.finish()?;
        let (Some(name), Some(year), Some(round)) = (name, year, round) else {
            return Err(AppError::Internal("validated input missing".into()));
        };
        let board = board_for(req, &input.board_code)?;
        let keys = TenantKeys::of_board(&board);
        let now = Utc::now();
        let row = exam_campaign::Model {
            id: new_id(),
            board_code: keys.board,
            province_code: keys.province,
            district_code: keys.district,
            version: 1,
            created_at: now,
            updated_at: now,
            name,
            year,
            round,
            cohort: input.cohort,
            starts_on: input.starts_on.0,
            ends_on: input.ends_on.0,
        };
        let fields = [
            "boardCode",
            "name",
            "year",
            "round",
            "cohort",
            "startsOn",
            "endsOn",
            "enrolments",
        ];
        let row = req
            .db
            .insert::<exam_campaign::Entity>(
                row,
                "createExamCampaign",
                &fields,
                "round: this board already has a campaign for that year and round",
            )
            .await?;
        enrol(req, &row, &board).await?;
        Ok(ExamCampaign(row))
    }

    /// Changes a campaign's name, cohort or dates. Admins only.
    async fn update_exam_campaign(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        input: UpdateExamCampaignInput,
    ) -> AppResult<ExamCampaign> {
        let req = admin(ctx)?;
        let mut v = Violations::new();
        let name = v.optional("name", input.name.as_deref(), |s| valid::text(s, 200));
        v.finish()?;
        let old = find_current::<exam_campaign::Entity>(req, &id, version).await?;
        let mut row = old.clone();
        if let Some(Some(name)) = name {
            row.name = name;
        }
        if let Some(d) = input.starts_on {
            row.starts_on = d.0;
        }
        if let Some(d) = input.ends_on {
            row.ends_on = d.0;
        }
        let mut v = Violations::new();
        campaign_checks(&mut v, row.year, row.starts_on, row.ends_on);
        v.finish()?;
        let fields: Vec<&str> = [
            ("name", row.name != old.name),
            ("startsOn", row.starts_on != old.starts_on),
            ("endsOn", row.ends_on != old.ends_on),
        ]
        .into_iter()
        .filter(|(_, c)| *c)
        .map(|(f, _)| f)
        .collect();
        let row = req
            .db
            .update::<exam_campaign::Entity>(row, version, "updateExamCampaign", &fields, "")
            .await?;
        Ok(ExamCampaign(row))
    }

    /// Records a health exam of a cadre in your subtree. BMI is computed from height and weight.
    async fn record_health_exam(
        &self,
        ctx: &Context<'_>,
        input: RecordHealthExamInput,
    ) -> AppResult<HealthExam> {
        let req = writer(ctx)?;
        let blank = blank_exam(input.exam.kind);
        let mut v = Violations::new();
        let parsed = parse_exam(&mut v, input.exam, blank.clone());
        v.finish()?;
        let Some(ExamValues {
            campaign_id,
            mut row,
        }) = parsed
        else {
            return Err(AppError::Internal("validated input missing".into()));
        };
        let cadre = cadre_for(req, &input.cadre_id).await?;
        row.cadre_id = cadre.id;
        row.set_keys(&cadre.keys());
        check_campaign(req, campaign_id, &row.keys()).await?;
        let mut fields = vec!["cadreId"];
        fields.extend(exam_changes(&blank, &row));
        let row = req
            .db
            .insert::<health_exam::Entity>(row, "recordHealthExam", &fields, "")
            .await?;
        sync_last_exam(req, row.cadre_id).await?;
        if let Some(campaign) = row.campaign_id {
            sync_enrolment(req, campaign, row.cadre_id).await?;
        }
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
        let req = writer(ctx)?;
        // The input is checked before the stored exam is read: reading it is a clinical read,
        // audited even when the mutation fails, and an invalid input needs nothing stored.
        let mut v = Violations::new();
        let base = blank_exam(exam.kind);
        let parsed = parse_exam(&mut v, exam, base);
        v.finish()?;
        let Some(ExamValues {
            campaign_id,
            row: values,
        }) = parsed
        else {
            return Err(AppError::Internal("validated input missing".into()));
        };
        let old = find_current::<health_exam::Entity>(req, &id, version).await?;
        // The stored exam's identity, keys and bookkeeping; every clinical value from the input.
        let row = health_exam::Model {
            id: old.id,
            board_code: old.board_code.clone(),
            province_code: old.province_code.clone(),
            district_code: old.district_code.clone(),
            version: old.version,
            created_at: old.created_at,
            updated_at: old.updated_at,
            cadre_id: old.cadre_id,
            ..values
        };
        check_campaign(req, campaign_id, &row.keys()).await?;
        let fields = exam_changes(&old, &row);
        let row = req
            .db
            .update::<health_exam::Entity>(row, version, "correctHealthExam", &fields, "")
            .await?;
        sync_last_exam(req, row.cadre_id).await?;
        let mut campaigns = vec![old.campaign_id, row.campaign_id];
        campaigns.dedup();
        for campaign in campaigns.into_iter().flatten() {
            sync_enrolment(req, campaign, row.cadre_id).await?;
        }
        Ok(HealthExam(row))
    }
}
