//! Exam campaigns (đợt khám định kỳ) and the enrolment of the cadres due an exam.

use chrono::{Datelike, NaiveDate};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::db::entities::{board, cadre, campaign_enrolment, exam_campaign};
use crate::domain::valid::Violations;
use crate::domain::{CadreStatus, Cohort};
use crate::error::AppResult;
use crate::scope::{Scope, TenantKeys};

use super::{Admin, actions, edited, new_row, on_cadre, replace};

/// A campaign (of a board in the viewer's scope), checked by [`check_dates`].
pub struct NewCampaign {
    pub name: String,
    pub year: i32,
    /// 1 or 2.
    pub round: i16,
    pub cohort: Cohort,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// Changes to a campaign; the cohort is fixed (cadres are enrolled when it is created).
#[derive(Default)]
pub struct CampaignChanges {
    pub name: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

impl Cohort {
    /// The statuses of the cadres a campaign of this cohort examines (never the deceased).
    pub fn statuses(self) -> Vec<CadreStatus> {
        match self {
            Cohort::Serving => vec![CadreStatus::Serving],
            Cohort::Retired => vec![CadreStatus::Retired],
            Cohort::All => vec![CadreStatus::Serving, CadreStatus::Retired],
        }
    }
}

/// A campaign's dates: in its year, and not ending before they start.
pub fn check_dates(v: &mut Violations, year: i32, starts: NaiveDate, ends: NaiveDate) {
    if starts > ends {
        v.add("endsOn", "must be on or after startsOn");
    }
    if starts.year() != year {
        v.add("startsOn", "must be in the campaign's year");
    }
}

/// Opens a campaign of `board` and enrols every cadre due an exam among the records it holds
/// (`holds`, its scope today: see [`enrol`]).
pub async fn create(
    admin: Admin<'_>,
    board: &board::Model,
    holds: &Scope,
    new: NewCampaign,
) -> AppResult<exam_campaign::Model> {
    let row = new_row!(exam_campaign, TenantKeys::of_board(board), {
        name: new.name,
        year: new.year,
        round: new.round,
        cohort: new.cohort,
        starts_on: new.starts_on,
        ends_on: new.ends_on,
    });
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
    let row = admin
        .writer()
        .insert::<exam_campaign::Entity>(
            row,
            actions::CREATE_EXAM_CAMPAIGN,
            &fields,
            "round: this board already has a campaign for that year and round",
        )
        .await?;
    enrol(admin, &row, holds).await?;
    Ok(row)
}

/// Changes a campaign's name or dates, if `version` is still its own.
pub async fn update(
    admin: Admin<'_>,
    id: Uuid,
    version: i32,
    changes: CampaignChanges,
) -> AppResult<exam_campaign::Model> {
    let writer = admin.writer();
    let change = |row: &mut exam_campaign::Model| {
        replace(&mut row.name, changes.name);
        replace(&mut row.starts_on, changes.starts_on);
        replace(&mut row.ends_on, changes.ends_on);
        let mut v = Violations::new();
        check_dates(&mut v, row.year, row.starts_on, row.ends_on);
        v.finish()
    };
    let (row, fields) =
        edited::<exam_campaign::Entity>(writer.db(), id, version, &[], change).await?;
    writer
        .update::<exam_campaign::Entity>(row, version, actions::UPDATE_EXAM_CAMPAIGN, &fields, "")
        .await
}

/// Enrols every cadre due an exam in a new campaign: in its cohort and managed in its board's
/// subtree now, each enrolment carrying the tenant keys of the cadre's board at this moment (it
/// does not move with a later transfer). See README "Statistics".
async fn enrol(
    admin: Admin<'_>,
    campaign: &exam_campaign::Model,
    subtree: &Scope,
) -> AppResult<()> {
    let writer = admin.writer();
    let cadres = writer
        .db()
        .all(
            cadre::Entity::find()
                .filter(subtree.condition::<cadre::Entity>())
                .filter(cadre::Column::Status.is_in(campaign.cohort.statuses())),
        )
        .await?;
    let rows = cadres
        .iter()
        .map(|c| {
            on_cadre!(campaign_enrolment, c, {
                campaign_id: campaign.id,
                year: campaign.year,
                round: campaign.round,
                examined_on: None,
            })
        })
        .collect();
    writer
        .insert_batch::<campaign_enrolment::Entity>(rows, "the cadre is already enrolled")
        .await?;
    Ok(())
}
