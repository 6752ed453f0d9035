//! Rows written straight into the test database (the write API comes later), each with the
//! tenant keys of its board, for datasets whose statistics can be counted by hand.

use cadre_health::db::entities::{
    board, cadre, campaign_enrolment, chronic_condition, clinic_visit, exam_campaign, health_exam,
    prescription, referral, vaccination,
};
use cadre_health::domain::{
    CadreClass, CadreStatus, Cohort, ExamKind, Gender, GeneralClass, ManagementTier,
    ReferralStatus, ReferralUrgency, fold_name,
};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, IntoActiveModel};
use uuid::Uuid;

pub fn day(s: &str) -> NaiveDate {
    s.parse().expect("a YYYY-MM-DD date")
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

pub struct Fixture<'a> {
    pub db: &'a DatabaseConnection,
}

/// Tenant keys of a board.
struct Keys(String, Option<String>, Option<String>);

impl Fixture<'_> {
    async fn keys(&self, code: &str) -> Keys {
        let b = board::Entity::find_by_id(code)
            .one(self.db)
            .await
            .expect("query")
            .expect("board exists");
        Keys(b.code, b.province_code, b.district_code)
    }

    async fn keys_of_cadre(&self, id: Uuid) -> Keys {
        let c = cadre::Entity::find_by_id(id)
            .one(self.db)
            .await
            .expect("query")
            .expect("cadre exists");
        Keys(c.board_code, c.province_code, c.district_code)
    }

    pub async fn cadre(
        &self,
        board: &str,
        status: CadreStatus,
        gender: Gender,
        tier: ManagementTier,
        born: &str,
    ) -> Uuid {
        let Keys(board_code, province_code, district_code) = self.keys(board).await;
        let id = Uuid::now_v7();
        let name = format!("Cán bộ {}", id.simple());
        cadre::Model {
            id,
            board_code,
            province_code,
            district_code,
            version: 1,
            created_at: now(),
            updated_at: now(),
            name_folded: fold_name(&name),
            full_name: name,
            gender,
            birth_date: day(born),
            position: None,
            workplace: None,
            status,
            management_tier: tier,
            national_id: None,
            insurance_number: None,
            last_exam_on: None,
        }
        .into_active_model()
        .insert(self.db)
        .await
        .expect("insert cadre");
        id
    }

    pub async fn campaign(&self, board: &str, year: i32, round: i16, starts: &str) -> Uuid {
        let Keys(board_code, province_code, district_code) = self.keys(board).await;
        let id = Uuid::now_v7();
        exam_campaign::Model {
            id,
            board_code,
            province_code,
            district_code,
            version: 1,
            created_at: now(),
            updated_at: now(),
            name: format!("{year} round {round}"),
            year,
            round,
            cohort: Cohort::All,
            starts_on: day(starts),
            ends_on: day(starts) + chrono::Duration::days(60),
        }
        .into_active_model()
        .insert(self.db)
        .await
        .expect("insert campaign");
        id
    }

    /// Enrols `cadre` in `campaign` as managed by `board` at its start.
    pub async fn enrol(
        &self,
        campaign: Uuid,
        cadre: Uuid,
        board: &str,
        (year, round): (i32, i16),
        examined_on: Option<&str>,
    ) {
        let Keys(board_code, province_code, district_code) = self.keys(board).await;
        campaign_enrolment::Model {
            id: Uuid::now_v7(),
            board_code,
            province_code,
            district_code,
            version: 1,
            created_at: now(),
            updated_at: now(),
            campaign_id: campaign,
            cadre_id: cadre,
            year,
            round,
            examined_on: examined_on.map(day),
        }
        .into_active_model()
        .insert(self.db)
        .await
        .expect("insert enrolment");
    }

    /// An exam of `cadre`, filed under the cadre's current board.
    pub async fn exam(
        &self,
        cadre: Uuid,
        on: &str,
        kind: ExamKind,
        campaign: Option<Uuid>,
        classes: (Option<CadreClass>, Option<GeneralClass>),
    ) {
        let Keys(board_code, province_code, district_code) = self.keys_of_cadre(cadre).await;
        health_exam::Model {
            id: Uuid::now_v7(),
            board_code,
            province_code,
            district_code,
            version: 1,
            created_at: now(),
            updated_at: now(),
            cadre_id: cadre,
            campaign_id: campaign,
            examined_on: day(on),
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
            cadre_class: classes.0,
            general_class: classes.1,
            conclusion: None,
            physician: None,
        }
        .into_active_model()
        .insert(self.db)
        .await
        .expect("insert exam");
    }

    pub async fn condition(&self, cadre: Uuid, code: &str, resolved_on: Option<&str>) {
        let Keys(board_code, province_code, district_code) = self.keys_of_cadre(cadre).await;
        chronic_condition::Model {
            id: Uuid::now_v7(),
            board_code,
            province_code,
            district_code,
            version: 1,
            created_at: now(),
            updated_at: now(),
            cadre_id: cadre,
            icd_code: code.to_owned(),
            diagnosed_on: day("2020-01-15"),
            resolved_on: resolved_on.map(day),
            note: None,
        }
        .into_active_model()
        .insert(self.db)
        .await
        .expect("insert condition");
    }

    pub async fn vaccination(&self, cadre: Uuid, vaccine: &str, dose: i16) {
        let Keys(board_code, province_code, district_code) = self.keys_of_cadre(cadre).await;
        vaccination::Model {
            id: Uuid::now_v7(),
            board_code,
            province_code,
            district_code,
            version: 1,
            created_at: now(),
            updated_at: now(),
            cadre_id: cadre,
            vaccine: vaccine.to_owned(),
            dose_number: dose,
            given_on: day("2021-08-01") + chrono::Duration::days(60 * i64::from(dose)),
            lot: None,
        }
        .into_active_model()
        .insert(self.db)
        .await
        .expect("insert vaccination");
    }

    /// A clinic visit at `at` (RFC 3339) with `drugs` prescription lines.
    pub async fn visit(&self, cadre: Uuid, at: &str, drugs: usize) {
        let Keys(board_code, province_code, district_code) = self.keys_of_cadre(cadre).await;
        let at: DateTime<Utc> = at.parse().expect("an RFC 3339 instant");
        let visit_id = Uuid::now_v7();
        clinic_visit::Model {
            id: visit_id,
            board_code: board_code.clone(),
            province_code: province_code.clone(),
            district_code: district_code.clone(),
            version: 1,
            created_at: at,
            updated_at: at,
            cadre_id: cadre,
            visited_at: at,
            complaint: None,
            diagnoses: String::new(),
            physician: None,
        }
        .into_active_model()
        .insert(self.db)
        .await
        .expect("insert visit");
        for _ in 0..drugs {
            prescription::Model {
                id: Uuid::now_v7(),
                board_code: board_code.clone(),
                province_code: province_code.clone(),
                district_code: district_code.clone(),
                version: 1,
                created_at: at,
                updated_at: at,
                visit_id,
                cadre_id: cadre,
                drug: "Amlodipin 5mg".into(),
                quantity: 30,
                dosage: None,
            }
            .into_active_model()
            .insert(self.db)
            .await
            .expect("insert prescription");
        }
    }

    pub async fn referral(&self, cadre: Uuid, on: &str) {
        let Keys(board_code, province_code, district_code) = self.keys_of_cadre(cadre).await;
        referral::Model {
            id: Uuid::now_v7(),
            board_code,
            province_code,
            district_code,
            version: 1,
            created_at: now(),
            updated_at: now(),
            cadre_id: cadre,
            referred_on: day(on),
            destination: "Bệnh viện Hữu nghị".into(),
            reason: None,
            urgency: ReferralUrgency::Routine,
            status: ReferralStatus::Completed,
        }
        .into_active_model()
        .insert(self.db)
        .await
        .expect("insert referral");
    }
}
