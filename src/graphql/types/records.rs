//! Clinical records kept on a cadre: chronic conditions, clinic visits with their
//! prescriptions, referrals, consultations and vaccinations. All of it is clinical detail:
//! the fields that reach these types are guarded by [`crate::graphql::Clinical`].

use async_graphql::Context;
use chrono::{DateTime, Utc};

use crate::db::entities::{
    chronic_condition, clinic_visit, consultation, prescription, referral, vaccination,
};
use crate::domain::{ReferralStatus, ReferralUrgency};
use crate::error::{AppError, AppResult};
use crate::graphql::loaders::{VisitKey, VisitPrescriptionsKey};
use crate::graphql::request;
use crate::graphql::scalars::Date;

/// ICD-10 codes stored comma-separated, as a list.
pub(crate) fn codes(stored: &str) -> Vec<&str> {
    stored.split(',').filter(|c| !c.is_empty()).collect()
}

/// A chronic condition (bệnh mạn tính), active until it is resolved.
pub struct ChronicCondition(pub chronic_condition::Model);

tenant_object!(ChronicCondition {
    /// The board that keeps this record (the cadre's board).
    board;
    /// The cadre who has the condition.
    cadre;
    {
        /// ICD-10 code, e.g. `I10` hypertension, `E11` type 2 diabetes.
        async fn icd_code(&self) -> &str {
            &self.0.icd_code
        }

        /// When the condition was diagnosed.
        async fn diagnosed_on(&self) -> Date {
            Date(self.0.diagnosed_on)
        }

        /// When the condition was resolved; null while it is active.
        async fn resolved_on(&self) -> Option<Date> {
            self.0.resolved_on.map(Date)
        }

        /// Whether the condition is still active (not resolved).
        async fn active(&self) -> bool {
            self.0.resolved_on.is_none()
        }

        /// Free-text note by the physician.
        async fn note(&self) -> Option<&str> {
            self.0.note.as_deref()
        }
    }
    version;
});

/// A clinic visit (khám, cấp phát thuốc): a cadre seen at the board's clinic, with what was
/// dispensed.
pub struct ClinicVisit(pub clinic_visit::Model);

tenant_object!(ClinicVisit {
    /// The board whose clinic saw the cadre.
    board;
    /// The cadre seen.
    cadre;
    {
        /// When the visit took place (UTC).
        async fn visited_at(&self) -> DateTime<Utc> {
            self.0.visited_at
        }

        /// What the cadre came with, in their words.
        async fn complaint(&self) -> Option<&str> {
            self.0.complaint.as_deref()
        }

        /// ICD-10 diagnoses made at the visit.
        async fn diagnoses(&self) -> Vec<&str> {
            codes(&self.0.diagnoses)
        }

        /// Physician who saw the cadre.
        async fn physician(&self) -> Option<&str> {
            self.0.physician.as_deref()
        }

        /// Drugs dispensed at this visit.
        async fn prescriptions(&self, ctx: &Context<'_>) -> AppResult<Vec<Prescription>> {
            let req = request(ctx)?;
            Ok(req
                .loader
                .load_one(VisitPrescriptionsKey(self.0.id))
                .await?
                .unwrap_or_default()
                .into_iter()
                .map(Prescription)
                .collect())
        }
    }
    version;
});

/// A drug dispensed at a clinic visit (cấp phát thuốc).
pub struct Prescription(pub prescription::Model);

tenant_object!(Prescription {
    /// The board whose clinic dispensed the drug.
    board;
    {
        /// The visit at which the drug was dispensed.
        async fn visit(&self, ctx: &Context<'_>) -> AppResult<ClinicVisit> {
            let req = request(ctx)?;
            req.loader
                .load_one(VisitKey(self.0.visit_id))
                .await?
                .map(ClinicVisit)
                .ok_or_else(|| {
                    AppError::Internal(format!("visit of prescription {} not visible", self.0.id))
                })
        }
    }
    /// The cadre the drug was dispensed to.
    cadre;
    {
        /// Drug name and strength.
        async fn drug(&self) -> &str {
            &self.0.drug
        }

        /// Units dispensed.
        async fn quantity(&self) -> i32 {
            self.0.quantity
        }

        /// How to take it, e.g. `1 viên/ngày`.
        async fn dosage(&self) -> Option<&str> {
            self.0.dosage.as_deref()
        }
    }
    version;
});

/// A referral (chuyển viện) of a cadre to a higher-level hospital.
pub struct Referral(pub referral::Model);

tenant_object!(Referral {
    /// The board that made the referral.
    board;
    /// The cadre referred.
    cadre;
    {
        /// When the referral was made.
        async fn referred_on(&self) -> Date {
            Date(self.0.referred_on)
        }

        /// The hospital the cadre is referred to.
        async fn destination(&self) -> &str {
            &self.0.destination
        }

        /// Why the cadre is referred.
        async fn reason(&self) -> Option<&str> {
            self.0.reason.as_deref()
        }

        /// How soon the cadre must be received.
        async fn urgency(&self) -> ReferralUrgency {
            self.0.urgency
        }

        /// Where the referral stands: requested, accepted, completed or cancelled.
        async fn status(&self) -> ReferralStatus {
            self.0.status
        }
    }
    version;
});

/// A consultation (hội chẩn): an expert council's review of a cadre with serious illness.
pub struct Consultation(pub consultation::Model);

tenant_object!(Consultation {
    /// The board that convened the council.
    board;
    /// The cadre reviewed.
    cadre;
    {
        /// When the council met.
        async fn held_on(&self) -> Date {
            Date(self.0.held_on)
        }

        /// The council (hội đồng) that held the consultation.
        async fn council(&self) -> &str {
            &self.0.council
        }

        /// Who took part.
        async fn participants(&self) -> Option<&str> {
            self.0.participants.as_deref()
        }

        /// What the council concluded.
        async fn conclusion(&self) -> Option<&str> {
            self.0.conclusion.as_deref()
        }
    }
    version;
});

/// One vaccine dose given to a cadre (tiêm chủng).
pub struct Vaccination(pub vaccination::Model);

tenant_object!(Vaccination {
    /// The board that recorded the dose.
    board;
    /// The cadre vaccinated.
    cadre;
    {
        /// The vaccine, e.g. `COVID-19`.
        async fn vaccine(&self) -> &str {
            &self.0.vaccine
        }

        /// Which dose of the vaccine this was (1, 2, 3, ...).
        async fn dose_number(&self) -> i32 {
            i32::from(self.0.dose_number)
        }

        /// When the dose was given.
        async fn given_on(&self) -> Date {
            Date(self.0.given_on)
        }

        /// Manufacturer's lot number.
        async fn lot(&self) -> Option<&str> {
            self.0.lot.as_deref()
        }
    }
    version;
});
