//! Fixtures: rows written straight into a test's database, each filed under its board's tenant
//! keys, for the tests that need data the write API would take long to make (or may not make:
//! another board's rows, an exam without a class).
//!
//! `app.add_cadre("412", "Nguyễn Văn Ân")`, `app.add_exam(cadre, "2025-03-10", B1)` and
//! [`add_records`] for the read tests; [`tenant_row!`] and [`insert_row!`] for any other row.

use cadre_health::db::entities::{
    audit_event, board, cadre, chronic_condition, clinic_visit, consultation, exam_campaign,
    health_exam, prescription, referral, vaccination,
};
use cadre_health::domain::{
    CadreClass, CadreStatus, Cohort, ExamKind, Gender, ManagementTier, ReferralStatus,
    ReferralUrgency, fold_name,
};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
};
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

/// The tenant keys a row is filed under: those of its board.
#[derive(Debug, Clone)]
pub struct Owner {
    pub board: String,
    pub province: Option<String>,
    pub district: Option<String>,
}

impl Owner {
    /// The keys of board `code`.
    pub async fn of_board(db: &DatabaseConnection, code: &str) -> Owner {
        let b = board::Entity::find_by_id(code)
            .one(db)
            .await
            .expect("query")
            .expect("board exists");
        Owner {
            board: b.code,
            province: b.province_code,
            district: b.district_code,
        }
    }

    /// The keys of cadre `id`'s current board: those of the cadre's records.
    pub async fn of_cadre(db: &DatabaseConnection, id: Uuid) -> Owner {
        let c = cadre::Entity::find_by_id(id)
            .one(db)
            .await
            .expect("query")
            .expect("cadre exists");
        Owner {
            board: c.board_code,
            province: c.province_code,
            district: c.district_code,
        }
    }
}

pub fn day(s: &str) -> NaiveDate {
    s.parse().expect("a YYYY-MM-DD date")
}

/// A `Model` of entity `$module` filed under `$owner` (an [`Owner`]), at version 1, created and
/// updated at `$at`, with the fields given (every other one, when `..$base` ends the list).
macro_rules! tenant_row {
    ($module:ident, $owner:expr, $at:expr, { $($field:ident $(: $value:expr)?),* $(,)? } $(, ..$base:expr)?) => {{
        let owner: &$crate::fixtures::Owner = &$owner;
        let at: chrono::DateTime<chrono::Utc> = $at;
        $module::Model {
            board_code: owner.board.clone(),
            province_code: owner.province.clone(),
            district_code: owner.district.clone(),
            version: 1,
            created_at: at,
            updated_at: at,
            $($field $(: $value)?,)*
            $(..$base)?
        }
    }};
}
pub(crate) use tenant_row;

/// Inserts a `Model` of entity `$module` into `$db` and answers it as stored.
macro_rules! insert {
    ($db:expr, $module:ident, $row:expr) => {
        sea_orm::ActiveModelTrait::insert($module::ActiveModel::from($row), $db)
            .await
            .expect(concat!("insert ", stringify!($module)))
    };
}
pub(crate) use insert;

/// Inserts a [`tenant_row!`]: `insert_row!(db, referral, owner, at, { id: ..., ... })`.
macro_rules! insert_row {
    ($db:expr, $module:ident, $($row:tt)*) => {
        $crate::fixtures::insert!($db, $module, $crate::fixtures::tenant_row!($module, $($row)*))
    };
}
pub(crate) use insert_row;

/// A periodic exam of `cadre` on `on` with nothing measured, classed or concluded, outside any
/// campaign: the base the exam fixtures fill in.
pub fn blank_exam(
    owner: &Owner,
    cadre: Uuid,
    on: NaiveDate,
    at: DateTime<Utc>,
) -> health_exam::Model {
    tenant_row!(health_exam, owner, at, {
        id: Uuid::now_v7(),
        cadre_id: cadre,
        campaign_id: None,
        examined_on: on,
        facility: None,
        kind: ExamKind::Periodic,
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
    })
}

impl TestApp {
    /// Adds a cadre on `board` directly in the database.
    pub async fn add_cadre(&self, board: &str, full_name: &str) -> Uuid {
        let id = Uuid::now_v7();
        insert_row!(&self.db, cadre, Owner::of_board(&self.db, board).await, Utc::now(), {
            id,
            full_name: full_name.to_owned(),
            name_folded: fold_name(full_name),
            gender: Gender::Male,
            birth_date: NaiveDate::from_ymd_opt(1965, 5, 19).expect("date"),
            position: Some("Phó Bí thư".into()),
            workplace: None,
            status: CadreStatus::Serving,
            management_tier: ManagementTier::Provincial,
            national_id: Some(format!("{:012}", id.as_u128() % 1_000_000_000_000)),
            insurance_number: Some("CB2400000012345".into()),
            last_exam_on: None,
        });
        id
    }

    /// Adds a periodic exam of `cadre` on `date` with `class`.
    pub async fn add_exam(&self, cadre_id: Uuid, date: &str, class: CadreClass) -> Uuid {
        let owner = Owner::of_cadre(&self.db, cadre_id).await;
        let exam = health_exam::Model {
            height_cm: Some(165.0),
            weight_kg: Some(60.0),
            bmi: Some(22.0),
            systolic_mmhg: Some(120),
            diastolic_mmhg: Some(80),
            pulse_bpm: Some(70),
            diagnoses: "I10".into(),
            cadre_class: Some(class),
            ..blank_exam(&owner, cadre_id, day(date), Utc::now())
        };
        let id = insert!(&self.db, health_exam, exam).id;
        // As the exam writes do: the cadre's stored last exam date follows their exams.
        cadre::Entity::update_many()
            .col_expr(cadre::Column::LastExamOn, cadre::last_exam_on_now())
            .filter(cadre::Column::Id.eq(cadre_id))
            .exec(&self.db)
            .await
            .expect("update last exam");
        id
    }
}

/// One condition (`icd`), one visit with one prescription, one referral, one consultation,
/// one vaccination and one audit event on `cadre_id`.
pub async fn add_records(app: &TestApp, cadre_id: Uuid, icd: &str) -> Records {
    let o = Owner::of_cadre(&app.db, cadre_id).await;
    let now = Utc::now();
    let ids: Vec<Uuid> = (0..7).map(|_| Uuid::now_v7()).collect();
    insert_row!(&app.db, chronic_condition, o, now, {
        id: ids[0],
        cadre_id,
        icd_code: icd.to_owned(),
        diagnosed_on: day("2020-01-15"),
        resolved_on: None,
        note: None,
    });
    insert_row!(&app.db, clinic_visit, o, now, {
        id: ids[1],
        cadre_id,
        visited_at: Utc.with_ymd_and_hms(2025, 4, 2, 8, 30, 0).single().expect("time"),
        complaint: Some("Đau đầu".into()),
        diagnoses: icd.to_owned(),
        physician: None,
    });
    insert_row!(&app.db, prescription, o, now, {
        id: ids[2],
        visit_id: ids[1],
        cadre_id,
        drug: "Amlodipin 5mg".into(),
        quantity: 30,
        dosage: Some("1 viên/ngày".into()),
    });
    insert_row!(&app.db, referral, o, now, {
        id: ids[3],
        cadre_id,
        referred_on: day("2025-04-03"),
        destination: "Bệnh viện Bạch Mai".into(),
        reason: None,
        urgency: ReferralUrgency::Urgent,
        status: ReferralStatus::Requested,
    });
    insert_row!(&app.db, consultation, o, now, {
        id: ids[4],
        cadre_id,
        held_on: day("2025-04-05"),
        council: "Hội đồng chuyên môn".into(),
        participants: None,
        conclusion: None,
    });
    insert_row!(&app.db, vaccination, o, now, {
        id: ids[5],
        cadre_id,
        vaccine: "COVID-19".into(),
        dose_number: 1,
        given_on: day("2021-08-01"),
        lot: None,
    });
    insert_row!(&app.db, audit_event, o, now, {
        id: ids[6],
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
    let month = if round == 1 { 3 } else { 9 };
    insert_row!(&app.db, exam_campaign, Owner::of_board(&app.db, board).await, Utc::now(), {
        id: Uuid::now_v7(),
        name: format!("Khám định kỳ đợt {round} năm {year}"),
        year,
        round,
        cohort: Cohort::All,
        starts_on: NaiveDate::from_ymd_opt(year, month, 1).expect("date"),
        ends_on: NaiveDate::from_ymd_opt(year, month, 28).expect("date"),
    })
    .id
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
