//! GraphQL object types. They wrap entity rows and decide what each field shows to whom.
//! Every type that carries tenant data has an `id` and a `board` (the owning board).

mod audit;
mod board;
mod cadre;
mod campaign;
mod exam;
mod records;
mod statistics;
mod viewer;

pub use audit::AuditEvent;
pub use board::Board;
pub use cadre::Cadre;
pub use campaign::ExamCampaign;
pub use exam::HealthExam;
pub use records::{
    ChronicCondition, ClinicVisit, Consultation, Prescription, Referral, Vaccination,
};
pub use statistics::Statistics;
pub use viewer::ViewerInfo;

use async_graphql::ID;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// Parses an `ID` argument; anything but a UUID is bad input, not a lookup.
pub fn parse_id(field: &str, id: &ID) -> AppResult<Uuid> {
    Uuid::parse_str(id.as_str())
        .map_err(|_| AppError::bad_input(field, format!("{field} is not a valid ID")))
}
