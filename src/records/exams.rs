//! Health exams: recorded, corrected, and the two things kept in step with them (the cadre's
//! last exam date, and their enrolment in the exam's campaign).

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::boards::BoardTree;
use crate::db::entities::{cadre, campaign_enrolment, exam_campaign, health_exam};
use crate::domain::ExamKind;
use crate::error::{AppError, AppResult};
use crate::live::ExamEvent;
use crate::scope::{Scope, TenantKeys, TenantRow};

use super::{Writer, actions, changed, find_current, new_row};

/// The values of an exam (every clinical column), parsed and valid; its identity, keys and
/// bookkeeping come from the cadre or the stored exam, never from here.
#[derive(Clone)]
pub struct ExamValues(health_exam::Model);

impl ExamValues {
    /// An exam of `kind` with no values yet, for a parser to fill in through
    /// [`ExamValues::values_mut`].
    pub fn blank(kind: ExamKind) -> Self {
        let nobody = TenantKeys {
            board: String::new(),
            province: None,
            district: None,
        };
        ExamValues(new_row!(health_exam, nobody, {
            cadre_id: Uuid::nil(),
            campaign_id: None,
            examined_on: Utc::now().date_naive(),
            facility: None,
            kind: kind,
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
        }))
    }

    /// The clinical columns, to set. The ones that are not clinical are overwritten when the
    /// values are stored.
    pub fn values_mut(&mut self) -> &mut health_exam::Model {
        &mut self.0
    }
}

/// Records an exam of cadre `cadre`, kept by the cadre's board.
pub async fn record(
    writer: Writer<'_>,
    boards: &BoardTree,
    cadre: Uuid,
    values: ExamValues,
) -> AppResult<health_exam::Model> {
    let cadre = super::cadre(writer.db(), cadre).await?;
    let blank = ExamValues::blank(values.0.kind).0;
    let mut row = values.0;
    row.cadre_id = cadre.id;
    row.set_keys(&cadre.keys());
    let round = check_campaign(writer, boards, row.campaign_id, &row.keys()).await?;
    let mut fields = vec!["cadreId".to_owned()];
    fields.extend(changed_fields(&blank, &row));
    let row = writer
        .insert::<health_exam::Entity>(row, actions::RECORD_HEALTH_EXAM, &fields, "")
        .await?;
    sync_last_exam(writer, row.cadre_id).await?;
    if let Some(campaign) = row.campaign_id {
        sync_enrolment(writer, campaign, row.cadre_id).await?;
    }
    announce(writer, &row, round.into_iter().collect());
    Ok(row)
}

/// Corrects a recorded exam: `values` replace all of its values, if `version` is still its own.
/// The values come parsed: reading the stored exam is a clinical read, audited even when the
/// correction fails, and invalid values need nothing stored.
pub async fn correct(
    writer: Writer<'_>,
    boards: &BoardTree,
    id: Uuid,
    version: i32,
    values: ExamValues,
) -> AppResult<health_exam::Model> {
    let old = find_current::<health_exam::Entity>(writer.db(), id, version).await?;
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
        ..values.0
    };
    let round = check_campaign(writer, boards, row.campaign_id, &row.keys()).await?;
    let fields = changed_fields(&old, &row);
    let row = writer
        .update::<health_exam::Entity>(row, version, actions::CORRECT_HEALTH_EXAM, &fields, "")
        .await?;
    sync_last_exam(writer, row.cadre_id).await?;
    let mut campaigns = vec![old.campaign_id, row.campaign_id];
    campaigns.dedup();
    for campaign in campaigns.into_iter().flatten() {
        sync_enrolment(writer, campaign, row.cadre_id).await?;
    }
    // The campaign the exam left changes coverage too.
    let mut rounds: Vec<(i32, i32)> = round.into_iter().collect();
    if old.campaign_id != row.campaign_id
        && let Some(left) = old.campaign_id
        && let Some(left) = writer
            .db()
            .one(exam_campaign::Entity::find_by_id(left))
            .await?
    {
        rounds.push((left.year, i32::from(left.round)));
    }
    announce(writer, &row, rounds);
    Ok(row)
}

/// The names of the clinical columns that differ between two exams (names only: the audit
/// trail never holds clinical values).
fn changed_fields(old: &health_exam::Model, new: &health_exam::Model) -> Vec<String> {
    changed::<health_exam::Entity>(old, new, &[health_exam::Column::CadreId])
}

/// Tells live subscribers (`live/`) about `exam` once the request commits: its IDs and tenant
/// keys, and the campaign rounds whose coverage it may have changed; never a clinical value.
fn announce(writer: Writer<'_>, exam: &health_exam::Model, rounds: Vec<(i32, i32)>) {
    writer.db().announce(ExamEvent {
        exam: exam.id,
        cadre: exam.cadre_id,
        board: exam.board_code.clone(),
        province: exam.province_code.clone(),
        district: exam.district_code.clone(),
        rounds,
    });
}

/// A campaign an exam may belong to: visible to the viewer, and run by a board whose subtree
/// holds the cadre. Returns its `(year, round)`.
async fn check_campaign(
    writer: Writer<'_>,
    boards: &BoardTree,
    campaign: Option<Uuid>,
    cadre_keys: &TenantKeys,
) -> AppResult<Option<(i32, i32)>> {
    let Some(id) = campaign else { return Ok(None) };
    let refuse =
        || AppError::bad_input("campaignId", "campaignId: no such campaign for this cadre");
    let found = writer
        .db()
        .one(exam_campaign::Entity::find_by_id(id))
        .await?
        .ok_or_else(refuse)?;
    // The board that holds the campaign's records today (the campaign's own, or after a
    // reorganisation its successor): an old campaign still takes the exams of its cadres.
    let today = crate::domain::calendar::today();
    let holder = boards.holder(&found.board_code, today).ok_or_else(refuse)?;
    if boards
        .scope_of(holder, today)
        .covers(&Scope::of_keys(cadre_keys)?)
    {
        Ok(Some((found.year, i32::from(found.round))))
    } else {
        Err(refuse())
    }
}

/// Keeps a cadre's enrolment in `campaign` in step with their exams: `examined_on` is the date
/// of their first exam in the campaign, or null when none is left (a corrected exam moved to
/// another campaign). An enrolment outside the viewer's scope (the cadre was transferred away
/// from the board that enrolled them) is left as it is.
async fn sync_enrolment(writer: Writer<'_>, campaign: Uuid, cadre: Uuid) -> AppResult<()> {
    use campaign_enrolment::Column as E;
    let exams = writer
        .db()
        .all(
            health_exam::Entity::find()
                .filter(health_exam::Column::CampaignId.eq(campaign))
                .filter(health_exam::Column::CadreId.eq(cadre)),
        )
        .await?;
    let first = exams.iter().map(|e| e.examined_on).min();
    writer
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
async fn sync_last_exam(writer: Writer<'_>, cadre: Uuid) -> AppResult<()> {
    writer
        .update_where(
            cadre::Entity::update_many()
                .col_expr(cadre::Column::LastExamOn, cadre::last_exam_on_now())
                .filter(cadre::Column::Id.eq(cadre)),
        )
        .await?;
    Ok(())
}
