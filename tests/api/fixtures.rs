//! Fixtures for the read API: one of every clinical record on a cadre, inserted directly (the
//! write API is another issue's work).

use cadre_health::db::entities::{
    audit_event, cadre, chronic_condition, clinic_visit, consultation, exam_campaign, health_exam,
    prescription, referral, vaccination,
};
use cadre_health::domain::{Cohort, ReferralStatus, ReferralUrgency};
use chrono::{NaiveDate, TimeZone, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel};
use uuid::Uuid;

use crate::helpers::TestApp;

/// The IDs of one cadre's records.
#[derive(Debug, Clone, Copy)]
pub struct Records {
    pub cadre: Uuid,
    pub condition: Uuid,
    pub visit: Uuid,
    pub prescription: Uuid,
    pub referral: Uuid,
    pub consultation: Uuid,
    pub vaccination: Uuid,
    pub audit: Uuid,
}

/// The tenant keys and bookkeeping of a record on `cadre`.
pub struct Owner {
    pub board: String,
    pub province: Option<String>,
    pub district: Option<String>,
}

pub async fn owner(app: &TestApp, cadre_id: Uuid) -> Owner {
    let c = cadre::Entity::find_by_id(cadre_id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("cadre exists");
    Owner {
        board: c.board_code,
        province: c.province_code,
        district: c.district_code,
    }
}

pub fn day(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

/// One condition (`icd`), one visit with one prescription, one referral, one consultation,
/// one vaccination and one audit event on `cadre_id`.
pub async fn add_records(app: &TestApp, cadre_id: Uuid, icd: &str) -> Records {
    let o = owner(app, cadre_id).await;
    let now = Utc::now();
    let ids: Vec<Uuid> = (0..7).map(|_| Uuid::now_v7()).collect();
    macro_rules! row {
        ($module:ident, $id:expr, { $($field:ident: $value:expr),* $(,)? }) => {
            $module::Model {
                id: $id,
                board_code: o.board.clone(),
                province_code: o.province.clone(),
                district_code: o.district.clone(),
                version: 1,
                created_at: now,
                updated_at: now,
                $($field: $value,)*
            }
            .into_active_model()
            .insert(&app.db)
            .await
            .expect(concat!("insert ", stringify!($module)));
        };
    }
    row!(chronic_condition, ids[0], {
        cadre_id: cadre_id,
        icd_code: icd.to_owned(),
        diagnosed_on: day("2020-01-15"),
        resolved_on: None,
        note: None,
    });
    row!(clinic_visit, ids[1], {
        cadre_id: cadre_id,
        visited_at: Utc.with_ymd_and_hms(2025, 4, 2, 8, 30, 0).single().expect("time"),
        complaint: Some("Đau đầu".into()),
        diagnoses: icd.to_owned(),
        physician: None,
    });
    row!(prescription, ids[2], {
        visit_id: ids[1],
        cadre_id: cadre_id,
        drug: "Amlodipin 5mg".into(),
        quantity: 30,
        dosage: Some("1 viên/ngày".into()),
    });
    row!(referral, ids[3], {
        cadre_id: cadre_id,
        referred_on: day("2025-04-03"),
        destination: "Bệnh viện Bạch Mai".into(),
        reason: None,
        urgency: ReferralUrgency::Urgent,
        status: ReferralStatus::Requested,
    });
    row!(consultation, ids[4], {
        cadre_id: cadre_id,
        held_on: day("2025-04-05"),
        council: "Hội đồng chuyên môn".into(),
        participants: None,
        conclusion: None,
    });
    row!(vaccination, ids[5], {
        cadre_id: cadre_id,
        vaccine: "COVID-19".into(),
        dose_number: 1,
        given_on: day("2021-08-01"),
        lot: None,
    });
    row!(audit_event, ids[6], {
        actor_sub: "admin@test".into(),
        actor_board: o.board.clone(),
        actor_role: "admin".into(),
        action: "readClinical".into(),
        entity: "cadre".into(),
        entity_id: Some(cadre_id),
        cadre_id: Some(cadre_id),
        request_id: None,
        changed_fields: String::new(),
        occurred_at: now,
    });
    Records {
        cadre: cadre_id,
        condition: ids[0],
        visit: ids[1],
        prescription: ids[2],
        referral: ids[3],
        consultation: ids[4],
        vaccination: ids[5],
        audit: ids[6],
    }
}

/// A campaign of `board` for `year` and `round`.
pub async fn add_campaign(app: &TestApp, board: &str, year: i32, round: i16) -> Uuid {
    let b = cadre_health::db::entities::board::Entity::find_by_id(board)
        .one(&app.db)
        .await
        .expect("query")
        .expect("board exists");
    let now = Utc::now();
    let id = Uuid::now_v7();
    let month = if round == 1 { 3 } else { 9 };
    exam_campaign::Model {
        id,
        board_code: b.code,
        province_code: b.province_code,
        district_code: b.district_code,
        version: 1,
        created_at: now,
        updated_at: now,
        name: format!("Khám định kỳ đợt {round} năm {year}"),
        year,
        round,
        cohort: Cohort::All,
        starts_on: NaiveDate::from_ymd_opt(year, month, 1).expect("date"),
        ends_on: NaiveDate::from_ymd_opt(year, month, 28).expect("date"),
    }
    .into_active_model()
    .insert(&app.db)
    .await
    .expect("insert campaign");
    id
}

/// Puts exam `exam` into campaign `campaign`.
pub async fn put_in_campaign(app: &TestApp, exam: Uuid, campaign: Uuid) {
    let mut e = health_exam::Entity::find_by_id(exam)
        .one(&app.db)
        .await
        .expect("query")
        .expect("exam exists")
        .into_active_model();
    e.campaign_id = sea_orm::ActiveValue::Set(Some(campaign));
    e.update(&app.db).await.expect("update exam");
}

/// Changes a cadre's row directly.
pub async fn edit_cadre(app: &TestApp, id: Uuid, edit: impl FnOnce(&mut cadre::Model)) {
    let mut row = cadre::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("cadre exists");
    edit(&mut row);
    let mut active = row.into_active_model();
    for col in [
        cadre::Column::Gender,
        cadre::Column::BirthDate,
        cadre::Column::Status,
        cadre::Column::ManagementTier,
    ] {
        active.reset(col);
    }
    active.update(&app.db).await.expect("update cadre");
}

/// Changes an exam's row directly.
pub async fn edit_exam(app: &TestApp, id: Uuid, edit: impl FnOnce(&mut health_exam::Model)) {
    let mut row = health_exam::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("exam exists");
    edit(&mut row);
    let mut active = row.into_active_model();
    for col in [
        health_exam::Column::Kind,
        health_exam::Column::GeneralClass,
        health_exam::Column::CadreClass,
        health_exam::Column::CampaignId,
    ] {
        active.reset(col);
    }
    active.update(&app.db).await.expect("update exam");
}

/// Resolves a chronic condition on a day.
pub async fn resolve_condition(app: &TestApp, id: Uuid, on: &str) {
    let mut c = chronic_condition::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("condition exists")
        .into_active_model();
    c.resolved_on = sea_orm::ActiveValue::Set(Some(day(on)));
    c.update(&app.db).await.expect("update condition");
}
