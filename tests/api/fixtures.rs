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
use cadre_health::records::exams::ExamValues;
use cadre_health::scope::TenantRow;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, Iterable,
    PrimaryKeyTrait, QueryFilter,
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

/// The tenant keys a row is filed under: those of its board, as the API files them.
pub use cadre_health::scope::TenantKeys as Owner;

/// The keys of board `code`.
pub async fn board_keys(db: &DatabaseConnection, code: &str) -> Owner {
    Owner::of_board(&find::<board::Entity>(db, code).await)
}

/// The keys of cadre `id`'s current board: those of the cadre's records.
pub async fn cadre_keys(db: &DatabaseConnection, id: Uuid) -> Owner {
    find::<cadre::Entity>(db, id).await.keys()
}

/// Row `id` of entity `E`, which must exist.
async fn find<E: EntityTrait>(
    db: &DatabaseConnection,
    id: impl Into<<E::PrimaryKey as PrimaryKeyTrait>::ValueType> + std::fmt::Display,
) -> E::Model {
    let what = format!("{} {id}", E::default().table_name());
    E::find_by_id(id)
        .one(db)
        .await
        .unwrap_or_else(|e| panic!("read {what}: {e}"))
        .unwrap_or_else(|| panic!("{what} exists"))
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
/// campaign (the API's own blank exam, [`ExamValues::blank`]): the base the exam fixtures fill in.
pub fn blank_exam(
    owner: &Owner,
    cadre: Uuid,
    on: NaiveDate,
    at: DateTime<Utc>,
) -> health_exam::Model {
    let blank = ExamValues::blank(ExamKind::Periodic).values_mut().clone();
    tenant_row!(health_exam, owner, at, {
        id: Uuid::now_v7(),
        cadre_id: cadre,
        examined_on: on,
    }, ..blank)
}

impl TestApp {
    /// Adds a cadre on `board` directly in the database.
    pub async fn add_cadre(&self, board: &str, full_name: &str) -> Uuid {
        let id = Uuid::now_v7();
        insert_row!(&self.db, cadre, board_keys(&self.db, board).await, Utc::now(), {
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
        let owner = cadre_keys(&self.db, cadre_id).await;
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
    let o = cadre_keys(&app.db, cadre_id).await;
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
    insert_row!(&app.db, exam_campaign, board_keys(&app.db, board).await, Utc::now(), {
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
    edit_row::<health_exam::Entity>(app, exam, |e| e.campaign_id = Some(campaign)).await;
}

/// Changes a cadre's row directly.
pub async fn edit_cadre(app: &TestApp, id: Uuid, edit: impl FnOnce(&mut cadre::Model)) {
    edit_row::<cadre::Entity>(app, id, edit).await;
}

/// Changes an exam's row directly.
pub async fn edit_exam(app: &TestApp, id: Uuid, edit: impl FnOnce(&mut health_exam::Model)) {
    edit_row::<health_exam::Entity>(app, id, edit).await;
}

/// Resolves a chronic condition on a day.
pub async fn resolve_condition(app: &TestApp, id: Uuid, on: &str) {
    edit_row::<chronic_condition::Entity>(app, id, |c| c.resolved_on = Some(day(on))).await;
}

/// Changes row `id` of entity `E` directly: every column is written back, edited or not.
async fn edit_row<E>(app: &TestApp, id: Uuid, edit: impl FnOnce(&mut E::Model))
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: Send,
    Uuid: Into<<E::PrimaryKey as PrimaryKeyTrait>::ValueType>,
{
    let mut row = find::<E>(&app.db, id).await;
    edit(&mut row);
    let mut active = row.into_active_model();
    for column in E::Column::iter() {
        active.reset(column);
    }
    active.update(&app.db).await.expect("update the row");
}
