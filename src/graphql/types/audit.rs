use async_graphql::{Context, ID};
use chrono::{DateTime, Utc};

use crate::db::entities::audit_event;
use crate::error::AppResult;
use crate::graphql::loaders::CadreKey;
use crate::graphql::request;

use super::Cadre;

/// An audit event (nhật ký truy cập): who did or read what, when, on which cadre. Append-only;
/// only admins query them.
pub struct AuditEvent(pub audit_event::Model);

tenant_object!(AuditEvent {
    /// The board whose records the event concerns.
    board;
    {
        /// When it happened (UTC).
        async fn occurred_at(&self) -> DateTime<Utc> {
            self.0.occurred_at
        }

        /// The token subject of the user who acted.
        async fn actor_subject(&self) -> &str {
            &self.0.actor_sub
        }

        /// Code of the board the user works for.
        async fn actor_board_code(&self) -> &str {
            &self.0.actor_board
        }

        /// The user's role at the time, lower-case as in the token (`analyst`, `clinician`, `admin`).
        async fn actor_role(&self) -> &str {
            &self.0.actor_role
        }

        /// What was done, e.g. `createCadre` or `readClinical`.
        async fn action(&self) -> &str {
            &self.0.action
        }

        /// Which kind of record: its table, e.g. `cadres`, `health_exams`, `prescriptions`.
        async fn entity(&self) -> &str {
            &self.0.entity
        }

        /// ID of the record acted on, when there is one.
        async fn entity_id(&self) -> Option<ID> {
            self.0.entity_id.map(|id| ID(id.to_string()))
        }

        /// ID of the cadre the event concerns, even when the cadre is no longer visible (moved to
        /// another board since).
        async fn cadre_id(&self) -> Option<ID> {
            self.0.cadre_id.map(|id| ID(id.to_string()))
        }

        /// The cadre whose record it was, when still visible to the viewer.
        async fn cadre(&self, ctx: &Context<'_>) -> AppResult<Option<Cadre>> {
            let Some(id) = self.0.cadre_id else {
                return Ok(None);
            };
            let req = request(ctx)?;
            Ok(req.loader.load_one(CadreKey(id)).await?.map(Cadre::listed))
        }

        /// Names of the fields a mutation changed.
        async fn changed_fields(&self) -> Vec<&str> {
            self.0
                .changed_fields
                .split(',')
                .filter(|f| !f.is_empty())
                .collect()
        }

        /// The HTTP request the event belongs to, for correlating with logs.
        async fn request_id(&self) -> Option<&str> {
            self.0.request_id.as_deref()
        }
    }
});
