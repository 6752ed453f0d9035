//! Clinical records of a cadre: chronic conditions, clinic visits with their prescriptions,
//! referrals, consultations, vaccinations. Each is kept by the cadre's board.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Duration, Utc};

use crate::db::entities::{
    cadre, chronic_condition, clinic_visit, consultation, prescription, referral, vaccination,
};
use crate::domain::valid::{self, Icd10, Violations};
use crate::domain::{ReferralStatus, ReferralUrgency};
use crate::error::{AppError, AppResult};
use crate::graphql::scalars::Date;
use crate::graphql::types::{ChronicCondition, ClinicVisit, Consultation, Referral, Vaccination};
use crate::scope::{TenantKeys, TenantRow};

use super::{cadre_for, find_current, new_id, writer};

#[derive(Default)]
pub struct RecordMutation;

#[derive(InputObject)]
pub struct AddConditionInput {
    pub cadre_id: ID,
    /// ICD-10, e.g. `I10`; upper-cased.
    pub icd_code: String,
    /// Not in the future.
    pub diagnosed_on: Date,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct PrescriptionInput {
    /// 1–200 characters.
    pub drug: String,
    /// 1–10000.
    pub quantity: i32,
    pub dosage: Option<String>,
}

#[derive(InputObject)]
pub struct RecordClinicVisitInput {
    pub cadre_id: ID,
    /// Not in the future.
    pub visited_at: DateTime<Utc>,
    pub complaint: Option<String>,
    #[graphql(default)]
    pub diagnoses: Vec<String>,
    pub physician: Option<String>,
    /// Dispensed at the visit; stored with it, all or nothing.
    #[graphql(default)]
    pub prescriptions: Vec<PrescriptionInput>,
}

#[derive(InputObject)]
pub struct CreateReferralInput {
    pub cadre_id: ID,
    /// Not in the future.
    pub referred_on: Date,
    pub destination: String,
    pub reason: Option<String>,
    pub urgency: ReferralUrgency,
}

#[derive(InputObject)]
pub struct RecordConsultationInput {
    pub cadre_id: ID,
    pub held_on: Date,
    pub council: String,
    pub participants: Option<String>,
    pub conclusion: Option<String>,
}

#[derive(InputObject)]
pub struct RecordVaccinationInput {
    pub cadre_id: ID,
    /// As written on the card, trimmed (e.g. `COVID-19`).
    pub vaccine: String,
    /// 1–10; a dose already recorded for this vaccine is `CONFLICT`.
    pub dose_number: i32,
    pub given_on: Date,
    pub lot: Option<String>,
}

/// Whether a referral may move from one status to another: `REQUESTED → ACCEPTED →
/// COMPLETED`, or to `CANCELLED` before it is completed.
fn may_move(from: ReferralStatus, to: ReferralStatus) -> bool {
    use ReferralStatus::*;
    matches!(
        (from, to),
        (Requested, Accepted)
            | (Accepted, Completed)
            | (Requested, Cancelled)
            | (Accepted, Cancelled)
    )
}

/// Bookkeeping of a new row kept with `cadre`'s record.
macro_rules! on_cadre {
    ($module:ident, $cadre:expr, { $($field:ident: $value:expr),* $(,)? }) => {{
        let keys: TenantKeys = $cadre.keys();
        let now = Utc::now();
        $module::Model {
            id: new_id(),
            board_code: keys.board,
            province_code: keys.province,
            district_code: keys.district,
            version: 1,
            created_at: now,
            updated_at: now,
            cadre_id: $cadre.id,
            $($field: $value,)*
        }
    }};
}

fn missing() -> AppError {
    AppError::Internal("validated input missing".into())
}

fn given<'a>(fields: &[(&'a str, bool)]) -> Vec<&'a str> {
    fields.iter().filter(|(_, g)| *g).map(|(f, _)| *f).collect()
}

#[Object]
impl RecordMutation {
    /// Adds an active chronic condition to a cadre's record.
    async fn add_condition(
        &self,
        ctx: &Context<'_>,
        input: AddConditionInput,
    ) -> AppResult<ChronicCondition> {
        let req = writer(ctx)?;
        let mut v = Violations::new();
        let icd = v.check("icdCode", Icd10::parse(&input.icd_code));
        let on = v.check("diagnosedOn", valid::past_date(input.diagnosed_on.0));
        let note = v.optional("note", input.note.as_deref(), |s| valid::text(s, 1000));
        v.finish()?;
        let (Some(icd), Some(on), Some(note)) = (icd, on, note) else {
            return Err(missing());
        };
        let cadre: cadre::Model = cadre_for(req, &input.cadre_id).await?;
        let fields = given(&[
            ("cadreId", true),
            ("icdCode", true),
            ("diagnosedOn", true),
            ("note", note.is_some()),
        ]);
        let row = on_cadre!(chronic_condition, cadre, {
            icd_code: icd.into_inner(),
            diagnosed_on: on,
            resolved_on: None,
            note: note,
        });
        let row = req
            .db
            .insert::<chronic_condition::Entity>(row, "addCondition", &fields, "")
            .await?;
        Ok(ChronicCondition(row))
    }

    /// Marks an active condition resolved on `resolvedOn` (not before its diagnosis, not in the
    /// future).
    async fn resolve_condition(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        resolved_on: Date,
    ) -> AppResult<ChronicCondition> {
        let req = writer(ctx)?;
        let mut v = Violations::new();
        let on = v.check("resolvedOn", valid::past_date(resolved_on.0));
        v.finish()?;
        let mut row = find_current::<chronic_condition::Entity>(req, &id, version).await?;
        let on = on.ok_or_else(missing)?;
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
        let row = req
            .db
            .update::<chronic_condition::Entity>(
                row,
                version,
                "resolveCondition",
                &["resolvedOn"],
                "",
            )
            .await?;
        Ok(ChronicCondition(row))
    }

    /// Records a clinic visit and the drugs dispensed at it, as one unit: if anything in it is
    /// invalid, nothing is stored.
    async fn record_clinic_visit(
        &self,
        ctx: &Context<'_>,
        input: RecordClinicVisitInput,
    ) -> AppResult<ClinicVisit> {
        let req = writer(ctx)?;
        let mut v = Violations::new();
        let at = v.check(
            "visitedAt",
            if input.visited_at > Utc::now() + Duration::minutes(5) {
                Err("must not be in the future".into())
            } else {
                valid::past_date(input.visited_at.date_naive()).map(|_| input.visited_at)
            },
        );
        let complaint = v.optional("complaint", input.complaint.as_deref(), |s| {
            valid::text(s, 1000)
        });
        let diagnoses = v.check("diagnoses", valid::icd_list(&input.diagnoses));
        let physician = v.optional("physician", input.physician.as_deref(), |s| {
            valid::text(s, 100)
        });
        if input.prescriptions.len() > valid::MAX_LIST_ITEMS {
            let most = format!("at most {} per visit", valid::MAX_LIST_ITEMS);
            v.add("prescriptions", &most);
        }
        let mut drugs = Vec::new();
        for (i, p) in input.prescriptions.iter().enumerate() {
            let drug = v.check(
                &format!("prescriptions[{i}].drug"),
                valid::text(&p.drug, 200),
            );
            let quantity = v.check(
                &format!("prescriptions[{i}].quantity"),
                valid::range(p.quantity, 1, 10_000, ""),
            );
            let dosage = v.optional(
                &format!("prescriptions[{i}].dosage"),
                p.dosage.as_deref(),
                |s| valid::text(s, 200),
            );
            drugs.push((drug, quantity, dosage));
        }
        v.finish()?;
        let (Some(at), Some(complaint), Some(diagnoses), Some(physician)) =
            (at, complaint, diagnoses, physician)
        else {
            return Err(missing());
        };
        let cadre = cadre_for(req, &input.cadre_id).await?;
        let fields = given(&[
            ("cadreId", true),
            ("visitedAt", true),
            ("complaint", complaint.is_some()),
            ("diagnoses", !diagnoses.is_empty()),
            ("physician", physician.is_some()),
            ("prescriptions", !drugs.is_empty()),
        ]);
        let visit = on_cadre!(clinic_visit, cadre, {
            visited_at: at,
            complaint: complaint,
            diagnoses: diagnoses,
            physician: physician,
        });
        let visit = req
            .db
            .insert::<clinic_visit::Entity>(visit, "recordClinicVisit", &fields, "")
            .await?;
        for (drug, quantity, dosage) in drugs {
            let (Some(drug), Some(quantity), Some(dosage)) = (drug, quantity, dosage) else {
                return Err(missing());
            };
            let fields = given(&[
                ("drug", true),
                ("quantity", true),
                ("dosage", dosage.is_some()),
            ]);
            let row = on_cadre!(prescription, cadre, {
                visit_id: visit.id,
                drug: drug,
                quantity: quantity,
                dosage: dosage,
            });
            req.db
                .insert::<prescription::Entity>(row, "recordClinicVisit", &fields, "")
                .await?;
        }
        Ok(ClinicVisit(visit))
    }

    /// Refers a cadre to a higher-level hospital; the referral starts `REQUESTED`.
    async fn create_referral(
        &self,
        ctx: &Context<'_>,
        input: CreateReferralInput,
    ) -> AppResult<Referral> {
        let req = writer(ctx)?;
        let mut v = Violations::new();
        let on = v.check("referredOn", valid::past_date(input.referred_on.0));
        let destination = v.check("destination", valid::text(&input.destination, 200));
        let reason = v.optional("reason", input.reason.as_deref(), |s| valid::text(s, 1000));
        v.finish()?;
        let (Some(on), Some(destination), Some(reason)) = (on, destination, reason) else {
            return Err(missing());
        };
        let cadre = cadre_for(req, &input.cadre_id).await?;
        let fields = given(&[
            ("cadreId", true),
            ("referredOn", true),
            ("destination", true),
            ("reason", reason.is_some()),
            ("urgency", true),
        ]);
        let row = on_cadre!(referral, cadre, {
            referred_on: on,
            destination: destination,
            reason: reason,
            urgency: input.urgency,
            status: ReferralStatus::Requested,
        });
        let row = req
            .db
            .insert::<referral::Entity>(row, "createReferral", &fields, "")
            .await?;
        Ok(Referral(row))
    }

    /// Moves a referral on: `REQUESTED → ACCEPTED → COMPLETED`, or `CANCELLED` before it is
    /// completed. Any other move is `BAD_USER_INPUT`.
    async fn change_referral_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        status: ReferralStatus,
    ) -> AppResult<Referral> {
        let req = writer(ctx)?;
        let mut row = find_current::<referral::Entity>(req, &id, version).await?;
        if !may_move(row.status, status) {
            return Err(AppError::bad_input(
                "status",
                format!(
                    "status: a {} referral cannot become {} (REQUESTED → ACCEPTED → COMPLETED, or CANCELLED)",
                    row.status.as_str(),
                    status.as_str()
                ),
            ));
        }
        row.status = status;
        let row = req
            .db
            .update::<referral::Entity>(row, version, "changeReferralStatus", &["status"], "")
            .await?;
        Ok(Referral(row))
    }

    /// Records an expert-council consultation (hội chẩn).
    async fn record_consultation(
        &self,
        ctx: &Context<'_>,
        input: RecordConsultationInput,
    ) -> AppResult<Consultation> {
        let req = writer(ctx)?;
        let mut v = Violations::new();
        let on = v.check("heldOn", valid::past_date(input.held_on.0));
        let council = v.check("council", valid::text(&input.council, 200));
        let participants = v.optional("participants", input.participants.as_deref(), |s| {
            valid::text(s, 1000)
        });
        let conclusion = v.optional("conclusion", input.conclusion.as_deref(), |s| {
            valid::text(s, valid::MAX_TEXT_CHARS)
        });
        v.finish()?;
        let (Some(on), Some(council), Some(participants), Some(conclusion)) =
            (on, council, participants, conclusion)
        else {
            return Err(missing());
        };
        let cadre = cadre_for(req, &input.cadre_id).await?;
        let fields = given(&[
            ("cadreId", true),
            ("heldOn", true),
            ("council", true),
            ("participants", participants.is_some()),
            ("conclusion", conclusion.is_some()),
        ]);
        let row = on_cadre!(consultation, cadre, {
            held_on: on,
            council: council,
            participants: participants,
            conclusion: conclusion,
        });
        let row = req
            .db
            .insert::<consultation::Entity>(row, "recordConsultation", &fields, "")
            .await?;
        Ok(Consultation(row))
    }

    /// Records a vaccine dose. A dose number already recorded for the vaccine is `CONFLICT`.
    async fn record_vaccination(
        &self,
        ctx: &Context<'_>,
        input: RecordVaccinationInput,
    ) -> AppResult<Vaccination> {
        let req = writer(ctx)?;
        let mut v = Violations::new();
        let vaccine = v.check("vaccine", valid::text(&input.vaccine, 100));
        let dose = v.check(
            "doseNumber",
            valid::range(input.dose_number, 1, 10, "").map(|d| d as i16),
        );
        let on = v.check("givenOn", valid::past_date(input.given_on.0));
        let lot = v.optional("lot", input.lot.as_deref(), |s| valid::text(s, 50));
        v.finish()?;
        let (Some(vaccine), Some(dose), Some(on), Some(lot)) = (vaccine, dose, on, lot) else {
            return Err(missing());
        };
        let cadre = cadre_for(req, &input.cadre_id).await?;
        let fields = given(&[
            ("cadreId", true),
            ("vaccine", true),
            ("doseNumber", true),
            ("givenOn", true),
            ("lot", lot.is_some()),
        ]);
        let row = on_cadre!(vaccination, cadre, {
            vaccine: vaccine,
            dose_number: dose,
            given_on: on,
            lot: lot,
        });
        let row = req
            .db
            .insert::<vaccination::Entity>(
                row,
                "recordVaccination",
                &fields,
                "doseNumber: this dose of this vaccine is already recorded for the cadre",
            )
            .await?;
        Ok(Vaccination(row))
    }
}

#[cfg(test)]
mod tests {
    use super::may_move;
    use crate::domain::ReferralStatus::*;

    #[test]
    fn referrals_move_forward_or_are_cancelled() {
        assert!(may_move(Requested, Accepted) && may_move(Accepted, Completed));
        assert!(may_move(Requested, Cancelled) && may_move(Accepted, Cancelled));
        for (from, to) in [
            (Requested, Completed),
            (Completed, Cancelled),
            (Cancelled, Accepted),
            (Accepted, Requested),
        ] {
            assert!(!may_move(from, to));
        }
    }
}
