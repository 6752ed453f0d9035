//! Audit events, for admins only, within their scope.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select};

use crate::db::entities::audit_event;
use crate::error::AppResult;
use crate::graphql::orders::Listed;
use crate::graphql::page::{self, Page, PageArgs};
use crate::graphql::types::{AuditEvent, parse_id};
use crate::graphql::{Admin, request};

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

impl AuditEventFilter {
    fn apply(
        self,
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

#[Object]
impl AuditQuery {
    /// An audit event by ID, or null when absent or outside the viewer's scope. Admins only.
    #[graphql(guard = "Admin")]
    async fn audit_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record\'s ID.")] id: ID,
    ) -> AppResult<Option<AuditEvent>> {
        Ok(super::by_id::<audit_event::Entity>(ctx, &id)
            .await?
            .map(AuditEvent))
    }

    /// Audit events in the viewer's scope, most recent first. Admins only.
    #[graphql(
        guard = "Admin",
        complexity = "crate::graphql::page::cost(first, last, child_complexity)"
    )]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which events; all given conditions must hold.")] filter: Option<
            AuditEventFilter,
        >,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the event the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the event the page ends before.")] before: Option<String>,
    ) -> AppResult<Option<Page<AuditEvent>>> {
        let req = request(ctx)?;
        let args = PageArgs::check(req.config.max_page_size, first, after, last, before)?;
        let query = filter
            .unwrap_or_default()
            .apply(audit_event::Entity::find())?;
        let order = audit_event::Entity::order();
        page::fetch(ctx, &req.db, query, &order, &args, AuditEvent)
            .await
            .map(Some)
    }
}
