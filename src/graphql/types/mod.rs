//! GraphQL object types. They wrap entity rows and decide what each field shows to whom.
//! Every type that carries tenant data has an `id` and a `board` (the owning board).

/// The `#[Object]` impl of a type wrapping a row a board keeps (`.0`, with `id`, `board_code`
/// and, for the fields asked for, `cadre_id` and `version`), its fields in the order the
/// schema lists them: `id` always first, then in the order given:
///
/// - `/// doc` `board;` the owning board, with the type's own doc string;
/// - `/// doc` `cadre;` the cadre the record is kept on, with the type's own doc string;
/// - `version;` the row version;
/// - `{ ... }` the type's own fields, as in any `#[Object]` impl.
macro_rules! tenant_object {
    ($ty:ident { $($items:tt)* }) => {
        tenant_object!(@fields $ty [
            /// The record\'s ID (a UUID v7), stable and never reused.
            async fn id(&self) -> async_graphql::ID {
                async_graphql::ID(self.0.id.to_string())
            }
        ] $($items)*);
    };
    (@fields $ty:ident [$($done:tt)*] $(#[doc = $doc:tt])+ board; $($rest:tt)*) => {
        tenant_object!(@link $ty [$($done)*] [$(#[doc = $doc])+]
            board: Board = owning(board_code); $($rest)*);
    };
    (@fields $ty:ident [$($done:tt)*] $(#[doc = $doc:tt])+ cadre; $($rest:tt)*) => {
        tenant_object!(@link $ty [$($done)*] [$(#[doc = $doc])+]
            cadre: Cadre = of(cadre_id); $($rest)*);
    };
    (@link $ty:ident [$($done:tt)*] [$($doc:tt)+]
        $field:ident: $owner:ident = $load:ident($key:ident); $($rest:tt)*) => {
        tenant_object!(@fields $ty [$($done)*
            $($doc)+
            async fn $field(
                &self,
                ctx: &async_graphql::Context<'_>,
            ) -> $crate::error::AppResult<$crate::graphql::types::$owner> {
                $crate::graphql::types::$owner::$load(ctx, &self.0.$key).await
            }
        ] $($rest)*);
    };
    (@fields $ty:ident [$($done:tt)*] version; $($rest:tt)*) => {
        tenant_object!(@fields $ty [$($done)*
            /// Row version, for optimistic concurrency on updates.
            async fn version(&self) -> i32 {
                self.0.version
            }
        ] $($rest)*);
    };
    (@fields $ty:ident [$($done:tt)*] { $($own:tt)* } $($rest:tt)*) => {
        tenant_object!(@fields $ty [$($done)* $($own)*] $($rest)*);
    };
    (@fields $ty:ident [$($done:tt)*]) => {
        #[async_graphql::Object]
        impl $ty {
            $($done)*
        }
    };
}

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
pub use statistics::{CoverageCell, Statistics, StatisticsTree, coverage_cell};
pub use viewer::ViewerInfo;

use async_graphql::ID;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// Parses an `ID` argument; anything but a UUID is bad input, not a lookup.
pub fn parse_id(field: &str, id: &ID) -> AppResult<Uuid> {
    Uuid::parse_str(id.as_str())
        .map_err(|_| AppError::bad_input(field, format!("{field} is not a valid ID")))
}
