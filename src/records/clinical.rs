//! A cadre's other clinical records: chronic conditions, clinic visits with their
//! prescriptions, referrals, consultations, vaccinations. Each is kept by the cadre's board.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::db::entities::{
    cadre, chronic_condition, clinic_visit, consultation, prescription, referral, vaccination,
};
use crate::domain::valid::Icd10;
use crate::domain::{ReferralStatus, ReferralUrgency};
use crate::error::{AppError, AppResult};

use crate::scope::TenantRow;

use super::{Status, WithStatus, Writer, actions, add_to_cadre, edited, named, new_row, on_cadre};

impl Status for ReferralStatus {
    const ROW: &'static str = "referral";
    const MOVES: &'static str = "REQUESTED → ACCEPTED → COMPLETED, or CANCELLED";

    /// `REQUESTED → ACCEPTED → COMPLETED`, or to `CANCELLED` before it is completed.
    fn may_become(self, to: ReferralStatus) -> bool {
        use ReferralStatus::*;
        matches!(
            (self, to),
            (Requested, Accepted)
                | (Accepted, Completed)
                | (Requested, Cancelled)
                | (Accepted, Cancelled)
        )
    }
}

impl WithStatus for referral::Model {
    type Status = ReferralStatus;
    const CHANGE_STATUS: &'static str = actions::CHANGE_REFERRAL_STATUS;

    fn status_mut(&mut self) -> &mut ReferralStatus {
        &mut self.status
    }
}

/// An active chronic condition.
pub struct NewCondition {
    pub icd_code: Icd10,
    pub diagnosed_on: NaiveDate,
    pub note: Option<String>,
}

/// A clinic visit and the drugs dispensed at it, stored as one unit.
pub struct NewClinicVisit {
    pub visited_at: DateTime<Utc>,
    pub complaint: Option<String>,
    /// ICD-10 codes, comma-separated as stored.
    pub diagnoses: String,
    pub physician: Option<String>,
    pub prescriptions: Vec<NewPrescription>,
}

pub struct NewPrescription {
    pub drug: String,
    pub quantity: i32,
    pub dosage: Option<String>,
}

/// A referral to a higher-level hospital; it starts `REQUESTED`.
pub struct NewReferral {
    pub referred_on: NaiveDate,
    pub destination: String,
    pub reason: Option<String>,
    pub urgency: ReferralUrgency,
}

/// An expert-council consultation (hội chẩn).
pub struct NewConsultation {
    pub held_on: NaiveDate,
    pub council: String,
    pub participants: Option<String>,
    pub conclusion: Option<String>,
}

/// A vaccine dose; one already recorded for that vaccine is `CONFLICT`.
pub struct NewVaccination {
    pub vaccine: String,
    pub dose_number: i16,
    pub given_on: NaiveDate,
    pub lot: Option<String>,
}

pub async fn add_condition(
    writer: Writer<'_>,
    cadre: Uuid,
    new: NewCondition,
) -> AppResult<chronic_condition::Model> {
    let fields = [
        ("icdCode", true),
        ("diagnosedOn", true),
        ("note", new.note.is_some()),
    ];
    let row = |cadre: &cadre::Model| {
        on_cadre!(chronic_condition, cadre, {
            icd_code: new.icd_code.into_inner(),
            diagnosed_on: new.diagnosed_on,
            resolved_on: None,
            note: new.note,
        })
    };
    add_to_cadre::<chronic_condition::Entity>(
        &writer,
        cadre,
        actions::ADD_CONDITION,
        &fields,
        "",
        row,
    )
    .await
}

/// Marks an active condition resolved on `on`: not before its diagnosis, and only once.
pub async fn resolve_condition(
    writer: Writer<'_>,
    id: Uuid,
    version: i32,
    on: NaiveDate,
) -> AppResult<chronic_condition::Model> {
    let resolve = |row: &mut chronic_condition::Model| {
        if row.resolved_on.is_some() {
            return Err(AppError::bad_input(
                "id",
                "id: the condition is already resolved",
            ));
        }
        if on < row.diagnosed_on {
            return Err(AppError::bad_input(
                "resolvedOn",
                "resolvedOn: must not be before the diagnosis",
            ));
        }
        row.resolved_on = Some(on);
        Ok(())
    };
    let (row, fields) =
        edited::<chronic_condition::Entity>(writer.db(), id, version, &[], resolve).await?;
    let action = actions::RESOLVE_CONDITION;
    writer
        .update::<chronic_condition::Entity>(row, version, action, &fields, "")
        .await
}

/// Records a visit and its prescriptions; if any write fails, the request stores nothing.
pub async fn record_clinic_visit(
    writer: Writer<'_>,
    cadre: Uuid,
    new: NewClinicVisit,
) -> AppResult<clinic_visit::Model> {
    let fields = [
        ("visitedAt", true),
        ("complaint", new.complaint.is_some()),
        ("diagnoses", !new.diagnoses.is_empty()),
        ("physician", new.physician.is_some()),
        ("prescriptions", !new.prescriptions.is_empty()),
    ];
    let visit = |cadre: &cadre::Model| {
        on_cadre!(clinic_visit, cadre, {
            visited_at: new.visited_at,
            complaint: new.complaint,
            diagnoses: new.diagnoses,
            physician: new.physician,
        })
    };
    let action = actions::RECORD_CLINIC_VISIT;
    let visit =
        add_to_cadre::<clinic_visit::Entity>(&writer, cadre, action, &fields, "", visit).await?;
    for p in new.prescriptions {
        let fields = named(&[
            ("drug", true),
            ("quantity", true),
            ("dosage", p.dosage.is_some()),
        ]);
        // Kept with the visit: the cadre's record, under the cadre's (the visit's) keys.
        let row = new_row!(prescription, visit.keys(), {
            cadre_id: visit.cadre_id,
            visit_id: visit.id,
            drug: p.drug,
            quantity: p.quantity,
            dosage: p.dosage,
        });
        writer
            .insert::<prescription::Entity>(row, action, &fields, "")
            .await?;
    }
    Ok(visit)
}

pub async fn create_referral(
    writer: Writer<'_>,
    cadre: Uuid,
    new: NewReferral,
) -> AppResult<referral::Model> {
    let fields = [
        ("referredOn", true),
        ("destination", true),
        ("reason", new.reason.is_some()),
        ("urgency", true),
    ];
    let row = |cadre: &cadre::Model| {
        on_cadre!(referral, cadre, {
            referred_on: new.referred_on,
            destination: new.destination,
            reason: new.reason,
            urgency: new.urgency,
            status: ReferralStatus::Requested,
        })
    };
    add_to_cadre::<referral::Entity>(&writer, cadre, actions::CREATE_REFERRAL, &fields, "", row)
        .await
}

pub async fn record_consultation(
    writer: Writer<'_>,
    cadre: Uuid,
    new: NewConsultation,
) -> AppResult<consultation::Model> {
    let fields = [
        ("heldOn", true),
        ("council", true),
        ("participants", new.participants.is_some()),
        ("conclusion", new.conclusion.is_some()),
    ];
    let row = |cadre: &cadre::Model| {
        on_cadre!(consultation, cadre, {
            held_on: new.held_on,
            council: new.council,
            participants: new.participants,
            conclusion: new.conclusion,
        })
    };
    let action = actions::RECORD_CONSULTATION;
    add_to_cadre::<consultation::Entity>(&writer, cadre, action, &fields, "", row).await
}

pub async fn record_vaccination(
    writer: Writer<'_>,
    cadre: Uuid,
    new: NewVaccination,
) -> AppResult<vaccination::Model> {
    let fields = [
        ("vaccine", true),
        ("doseNumber", true),
        ("givenOn", true),
        ("lot", new.lot.is_some()),
    ];
    let row = |cadre: &cadre::Model| {
        on_cadre!(vaccination, cadre, {
            vaccine: new.vaccine,
            dose_number: new.dose_number,
            given_on: new.given_on,
            lot: new.lot,
        })
    };
    let action = actions::RECORD_VACCINATION;
    let clash = "doseNumber: this dose of this vaccine is already recorded for the cadre";
    add_to_cadre::<vaccination::Entity>(&writer, cadre, action, &fields, clash, row).await
}

#[cfg(test)]
mod tests {
    use crate::domain::ReferralStatus::*;
    use crate::records::Status;

    #[test]
    fn referrals_move_forward_or_are_cancelled() {
        assert!(Requested.may_become(Accepted) && Accepted.may_become(Completed));
        assert!(Requested.may_become(Cancelled) && Accepted.may_become(Cancelled));
        for (from, to) in [
            (Requested, Completed),
            (Completed, Cancelled),
            (Cancelled, Accepted),
            (Accepted, Requested),
        ] {
            assert!(!from.may_become(to));
        }
    }
}
