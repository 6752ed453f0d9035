//! Rows written straight into the test database, each with the tenant keys of its board, for
//! datasets whose statistics can be counted by hand.

use cadre_health::db::entities::{
    cadre, campaign_enrolment, chronic_condition, clinic_visit, exam_campaign, health_exam,
    prescription, referral, vaccination,
};
use cadre_health::domain::{
    CadreClass, CadreStatus, Cohort, ExamKind, Gender, GeneralClass, ManagementTier,
    ReferralStatus, ReferralUrgency, fold_name,
};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

pub use crate::fixtures::day;
use crate::fixtures::{Owner, blank_exam, board_keys, cadre_keys, insert, insert_row};

pub struct Fixture<'a> {
    pub db: &'a DatabaseConnection,
}

impl Fixture<'_> {
    async fn board(&self, code: &str) -> Owner {
        board_keys(self.db, code).await
    }

    async fn cadres_board(&self, id: Uuid) -> Owner {
        cadre_keys(self.db, id).await
    }

    pub async fn cadre(
        &self,
        board: &str,
        status: CadreStatus,
        gender: Gender,
        tier: ManagementTier,
        born: &str,
    ) -> Uuid {
        let id = Uuid::now_v7();
        let name = format!("Cán bộ {}", id.simple());
        insert_row!(self.db, cadre, self.board(board).await, Utc::now(), {
            id,
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
        });
        id
    }

    pub async fn campaign(&self, board: &str, year: i32, round: i16, starts: &str) -> Uuid {
        insert_row!(self.db, exam_campaign, self.board(board).await, Utc::now(), {
            id: Uuid::now_v7(),
            name: format!("{year} round {round}"),
            year,
            round,
            cohort: Cohort::All,
            starts_on: day(starts),
            ends_on: day(starts) + chrono::Duration::days(60),
        })
        .id
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
        insert_row!(self.db, campaign_enrolment, self.board(board).await, Utc::now(), {
            id: Uuid::now_v7(),
            campaign_id: campaign,
            cadre_id: cadre,
            year,
            round,
            examined_on: examined_on.map(day),
        });
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
        let owner = self.cadres_board(cadre).await;
        let exam = health_exam::Model {
            campaign_id: campaign,
            kind,
            cadre_class: classes.0,
            general_class: classes.1,
            ..blank_exam(&owner, cadre, day(on), Utc::now())
        };
        insert!(self.db, health_exam, exam);
    }

    pub async fn condition(&self, cadre: Uuid, code: &str, resolved_on: Option<&str>) {
        insert_row!(self.db, chronic_condition, self.cadres_board(cadre).await, Utc::now(), {
            id: Uuid::now_v7(),
            cadre_id: cadre,
            icd_code: code.to_owned(),
            diagnosed_on: day("2020-01-15"),
            resolved_on: resolved_on.map(day),
            note: None,
        });
    }

    pub async fn vaccination(&self, cadre: Uuid, vaccine: &str, dose: i16) {
        insert_row!(self.db, vaccination, self.cadres_board(cadre).await, Utc::now(), {
            id: Uuid::now_v7(),
            cadre_id: cadre,
            vaccine: vaccine.to_owned(),
            dose_number: dose,
            given_on: day("2021-08-01") + chrono::Duration::days(60 * i64::from(dose)),
            lot: None,
        });
    }

    /// A clinic visit at `at` (RFC 3339) with `drugs` prescription lines.
    pub async fn visit(&self, cadre: Uuid, at: &str, drugs: usize) {
        let owner = self.cadres_board(cadre).await;
        let at: DateTime<Utc> = at.parse().expect("an RFC 3339 instant");
        let visit_id = Uuid::now_v7();
        insert_row!(self.db, clinic_visit, owner, at, {
            id: visit_id,
            cadre_id: cadre,
            visited_at: at,
            complaint: None,
            diagnoses: String::new(),
            physician: None,
        });
        for _ in 0..drugs {
            insert_row!(self.db, prescription, owner, at, {
                id: Uuid::now_v7(),
                visit_id,
                cadre_id: cadre,
                drug: "Amlodipin 5mg".into(),
                quantity: 30,
                dosage: None,
            });
        }
    }

    pub async fn referral(&self, cadre: Uuid, on: &str) {
        insert_row!(self.db, referral, self.cadres_board(cadre).await, Utc::now(), {
            id: Uuid::now_v7(),
            cadre_id: cadre,
            referred_on: day(on),
            destination: "Bệnh viện Hữu nghị".into(),
            reason: None,
            urgency: ReferralUrgency::Routine,
            status: ReferralStatus::Completed,
        });
    }
}
