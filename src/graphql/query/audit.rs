//! Audit events, for admins only, within their scope.

use async_graphql::{Context, ID, Object};
use sea_orm::EntityTrait;

use crate::db::entities::audit_event;
use crate::error::AppResult;
use crate::graphql::page::{self, Page, PageArgs};
use crate::graphql::types::{AuditEvent, parse_id};
use crate::graphql::{Admin, request};

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// An audit event by ID, or null when absent or outside the viewer's scope. Admins only.
    #[graphql(guard = "Admin")]
    async fn audit_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record\'s ID.")] id: ID,
    ) -> AppResult<Option<AuditEvent>> {
        let id = parse_id("id", &id)?;
        let row = request(ctx)?
            .db
            .one(audit_event::Entity::find_by_id(id))
            .await?;
        Ok(row.map(AuditEvent))
    }

    /// Audit events in the viewer's scope, most recent first. Admins only.
    #[graphql(
        guard = "Admin",
        complexity = "super::page_cost(first, last, child_complexity)"
    )]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the event the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the event the page ends before.")] before: Option<String>,
    ) -> AppResult<Option<Page<AuditEvent>>> {
        let args = PageArgs::parse_both(ctx, first, after, last, before)?;
        let query = audit_event::Entity::find();
        let order = AuditEvent::order();
        page::fetch(ctx, &request(ctx)?.db, query, &order, &args, AuditEvent)
            .await
            .map(Some)
    }
}
