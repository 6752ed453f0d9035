//! Audit events, for admins only, within their scope.

use async_graphql::{ID, InputObject};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, QueryFilter, Select};

use crate::db::entities::audit_event;
use crate::error::AppResult;
use crate::graphql::types::{AuditEvent, parse_id};
use crate::graphql::{Admin, RequestData};

use super::{Guarded, ListFilter};

#[derive(Default)]
pub struct AuditQuery;

/// Which audit events to list. All given conditions must hold; the scope always applies.
#[derive(InputObject, Default)]
pub struct AuditEventFilter {
    /// Events about this cadre.
    pub cadre_id: Option<ID>,
    /// Events by this user (the token subject).
    pub actor: Option<String>,
    /// At or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Before this time.
    pub to: Option<DateTime<Utc>>,
    /// This action, e.g. `createCadre`, `transferCadreIn` or `readClinical`.
    pub action: Option<String>,
}

impl ListFilter<audit_event::Entity> for AuditEventFilter {
    async fn narrow(
        self,
        _: &RequestData,
        mut query: Select<audit_event::Entity>,
    ) -> AppResult<Select<audit_event::Entity>> {
        use audit_event::Column;
        if let Some(id) = &self.cadre_id {
            query = query.filter(Column::CadreId.eq(parse_id("cadreId", id)?));
        }
        if let Some(actor) = self.actor {
            query = query.filter(Column::ActorSub.eq(actor));
        }
        if let Some(from) = self.from {
            query = query.filter(Column::OccurredAt.gte(from));
        }
        if let Some(to) = self.to {
            query = query.filter(Column::OccurredAt.lt(to));
        }
        if let Some(action) = self.action {
            query = query.filter(Column::Action.eq(action));
        }
        Ok(query)
    }
}

super::scoped_queries!(AuditQuery: Guarded, guard "Admin", cursors(
    "Cursor of the event the page starts after.",
    "Cursor of the event the page ends before."
);
    /// An audit event by ID, or null when absent or outside the viewer's scope. Admins only.
    audit_event,
    /// Audit events in the viewer's scope, most recent first. Admins only.
    audit_events(AuditEventFilter, "Which events; all given conditions must hold."):
        audit_event => AuditEvent;
);
