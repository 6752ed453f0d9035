//! Clinical records of a cadre: chronic conditions, clinic visits with their prescriptions,
//! referrals, consultations, vaccinations. Each is kept by the cadre's board.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Duration, Utc};

use crate::db::entities::referral;
use crate::domain::columns;
use crate::domain::valid::{self, Icd10, Violations};
use crate::domain::{ReferralStatus, ReferralUrgency};
use crate::error::AppResult;
use crate::graphql::scalars::Date;
use crate::graphql::types::{
    ChronicCondition, ClinicVisit, Consultation, Referral, Vaccination, parse_id,
};
use crate::records::clinical::{
    self, NewClinicVisit, NewCondition, NewConsultation, NewPrescription, NewReferral,
    NewVaccination,
};

use super::{Input, apply, change_status, parsed, writer};

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

impl Input for AddConditionInput {
    type Command = NewCondition;

    fn parse(&self, v: &mut Violations) -> Option<NewCondition> {
        let icd = v.check("icdCode", Icd10::parse(&self.icd_code));
        let on = v.check("diagnosedOn", valid::past_date(self.diagnosed_on.0));
        let note = v.optional("note", self.note.as_deref(), |s| {
            valid::text(s, columns::CONDITION_NOTE)
        });
        Some(NewCondition {
            icd_code: icd?,
            diagnosed_on: on?,
            note: note?,
        })
    }
}

impl Input for RecordClinicVisitInput {
    type Command = NewClinicVisit;

    fn parse(&self, v: &mut Violations) -> Option<NewClinicVisit> {
        let at = v.check(
            "visitedAt",
            if self.visited_at > Utc::now() + Duration::minutes(5) {
                Err("must not be in the future".into())
            } else {
                valid::past_date(self.visited_at.date_naive()).map(|_| self.visited_at)
            },
        );
        let complaint = v.optional("complaint", self.complaint.as_deref(), |s| {
            valid::text(s, columns::COMPLAINT)
        });
        let diagnoses = v.check("diagnoses", valid::icd_list(&self.diagnoses));
        let physician = v.optional("physician", self.physician.as_deref(), |s| {
            valid::text(s, columns::PHYSICIAN)
        });
        if self.prescriptions.len() > valid::MAX_LIST_ITEMS {
            let most = format!("at most {} per visit", valid::MAX_LIST_ITEMS);
            v.add("prescriptions", &most);
        }
        let mut prescriptions = Vec::new();
        for (i, p) in self.prescriptions.iter().enumerate() {
            let drug = v.check(
                &format!("prescriptions[{i}].drug"),
                valid::text(&p.drug, columns::DRUG),
            );
            let quantity = v.check(
                &format!("prescriptions[{i}].quantity"),
                valid::range(p.quantity, 1, 10_000, ""),
            );
            let dosage = v.optional(
                &format!("prescriptions[{i}].dosage"),
                p.dosage.as_deref(),
                |s| valid::text(s, columns::DOSAGE),
            );
            if let (Some(drug), Some(quantity), Some(dosage)) = (drug, quantity, dosage) {
                prescriptions.push(NewPrescription {
                    drug,
                    quantity,
                    dosage,
                });
            }
        }
        Some(NewClinicVisit {
            visited_at: at?,
            complaint: complaint?,
            diagnoses: diagnoses?,
            physician: physician?,
            prescriptions,
        })
    }
}

impl Input for CreateReferralInput {
    type Command = NewReferral;

    fn parse(&self, v: &mut Violations) -> Option<NewReferral> {
        let on = v.check("referredOn", valid::past_date(self.referred_on.0));
        let destination = v.check(
            "destination",
            valid::text(&self.destination, columns::DESTINATION),
        );
        let reason = v.optional("reason", self.reason.as_deref(), |s| {
            valid::text(s, columns::REFERRAL_REASON)
        });
        Some(NewReferral {
            referred_on: on?,
            destination: destination?,
            reason: reason?,
            urgency: self.urgency,
        })
    }
}

impl Input for RecordConsultationInput {
    type Command = NewConsultation;

    fn parse(&self, v: &mut Violations) -> Option<NewConsultation> {
        let on = v.check("heldOn", valid::past_date(self.held_on.0));
        let council = v.check("council", valid::text(&self.council, columns::COUNCIL));
        let participants = v.optional("participants", self.participants.as_deref(), |s| {
            valid::text(s, columns::PARTICIPANTS)
        });
        let conclusion = v.optional("conclusion", self.conclusion.as_deref(), |s| {
            valid::text(s, columns::CONSULTATION_CONCLUSION)
        });
        Some(NewConsultation {
            held_on: on?,
            council: council?,
            participants: participants?,
            conclusion: conclusion?,
        })
    }
}

impl Input for RecordVaccinationInput {
    type Command = NewVaccination;

    fn parse(&self, v: &mut Violations) -> Option<NewVaccination> {
        let vaccine = v.check("vaccine", valid::text(&self.vaccine, columns::VACCINE));
        let dose = v.check(
            "doseNumber",
            valid::range(self.dose_number, 1, 10, "").map(|d| d as i16),
        );
        let on = v.check("givenOn", valid::past_date(self.given_on.0));
        let lot = v.optional("lot", self.lot.as_deref(), |s| valid::text(s, columns::LOT));
        Some(NewVaccination {
            vaccine: vaccine?,
            dose_number: dose?,
            given_on: on?,
            lot: lot?,
        })
    }
}

#[Object]
impl RecordMutation {
    /// Adds an active chronic condition to a cadre's record.
    async fn add_condition(
        &self,
        ctx: &Context<'_>,
        input: AddConditionInput,
    ) -> AppResult<ChronicCondition> {
        let (_, writer) = writer(ctx)?;
        let cadre = ("cadreId", &input.cadre_id);
        let row = apply(writer, &input, cadre, clinical::add_condition).await?;
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
        let (_, writer) = writer(ctx)?;
        let on = parsed(|v| v.check("resolvedOn", valid::past_date(resolved_on.0)))?;
        let id = parse_id("id", &id)?;
        let row = clinical::resolve_condition(writer, id, version, on).await?;
        Ok(ChronicCondition(row))
    }

    /// Records a clinic visit and the drugs dispensed at it, as one unit: if anything in it is
    /// invalid, nothing is stored.
    async fn record_clinic_visit(
        &self,
        ctx: &Context<'_>,
        input: RecordClinicVisitInput,
    ) -> AppResult<ClinicVisit> {
        let (_, writer) = writer(ctx)?;
        let cadre = ("cadreId", &input.cadre_id);
        let row = apply(writer, &input, cadre, clinical::record_clinic_visit).await?;
        Ok(ClinicVisit(row))
    }

    /// Refers a cadre to a higher-level hospital; the referral starts `REQUESTED`.
    async fn create_referral(
        &self,
        ctx: &Context<'_>,
        input: CreateReferralInput,
    ) -> AppResult<Referral> {
        let (_, writer) = writer(ctx)?;
        let cadre = ("cadreId", &input.cadre_id);
        let row = apply(writer, &input, cadre, clinical::create_referral).await?;
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
        let row = change_status::<referral::Entity>(ctx, &id, version, status).await?;
        Ok(Referral(row))
    }

    /// Records an expert-council consultation (hội chẩn).
    async fn record_consultation(
        &self,
        ctx: &Context<'_>,
        input: RecordConsultationInput,
    ) -> AppResult<Consultation> {
        let (_, writer) = writer(ctx)?;
        let cadre = ("cadreId", &input.cadre_id);
        let row = apply(writer, &input, cadre, clinical::record_consultation).await?;
        Ok(Consultation(row))
    }

    /// Records a vaccine dose. A dose number already recorded for the vaccine is `CONFLICT`.
    async fn record_vaccination(
        &self,
        ctx: &Context<'_>,
        input: RecordVaccinationInput,
    ) -> AppResult<Vaccination> {
        let (_, writer) = writer(ctx)?;
        let cadre = ("cadreId", &input.cadre_id);
        let row = apply(writer, &input, cadre, clinical::record_vaccination).await?;
        Ok(Vaccination(row))
    }
}
