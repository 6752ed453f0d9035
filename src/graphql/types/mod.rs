//! GraphQL object types. They wrap entity rows and decide what each field shows to whom.

mod board;
mod cadre;
mod exam;
mod statistics;
mod viewer;

pub use board::Board;
pub use cadre::Cadre;
pub use exam::HealthExam;
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
