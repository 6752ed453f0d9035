//! The audit trail's rows: what a request changed or read, written append-only.
//!
//! Events carry the tenant keys of the cadre concerned (of the board, for a campaign), so an
//! admin's audit query is cut to the scope like everything else. Field *names* are recorded for
//! changes, never values: the trail must not become a second copy of clinical data.

use chrono::Utc;
use sea_orm::{ConnectionTrait, EntityTrait, IntoActiveModel};
use uuid::Uuid;

use crate::db::entities::audit_event;
use crate::error::{AppError, AppResult};

use super::{Tenant, TenantKeys, TenantRow};

/// Who made the request, for every event it leaves.
#[derive(Debug, Clone)]
pub struct Actor {
    pub subject: String,
    pub board: String,
    pub role: &'static str,
    /// The `x-request-id` of the HTTP request, to correlate with logs.
    pub request_id: Option<String>,
}

/// One event: an action on an entity, or a read of a cadre's clinical records.
#[derive(Debug, Clone)]
pub struct Change {
    pub action: String,
    pub entity: String,
    pub entity_id: Option<Uuid>,
    pub cadre_id: Option<Uuid>,
    pub keys: TenantKeys,
    pub fields: Vec<String>,
}

/// The action of a clinical read event.
pub const READ_CLINICAL: &str = "readClinical";

impl Change {
    /// `action` on `row` of table `E`, with the names of the fields written.
    pub fn of<E: Tenant, R: TenantRow>(
        row: &R,
        action: &str,
        fields: &[impl AsRef<str>],
    ) -> Change {
        Change {
            action: action.to_owned(),
            entity: E::default().table_name().to_owned(),
            entity_id: Some(row.row_id()),
            cadre_id: row.cadre_of(),
            keys: row.keys(),
            fields: fields.iter().map(|f| f.as_ref().to_owned()).collect(),
        }
    }

    /// A read of `cadre`'s clinical records.
    pub fn read(cadre: Uuid, keys: TenantKeys) -> Change {
        Change {
            action: READ_CLINICAL.to_owned(),
            entity: "cadres".to_owned(),
            entity_id: Some(cadre),
            cadre_id: Some(cadre),
            keys,
            fields: Vec::new(),
        }
    }
}

/// Rows per insert: well under SQLite's bound-parameter limit (17 columns each).
const CHUNK: usize = 500;

/// Appends `events` by `actor` in one insert (per 500 events) on `conn`.
pub async fn write_events<'a>(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    events: impl Iterator<Item = &'a Change>,
) -> AppResult<()> {
    let now = Utc::now();
    let rows: Vec<audit_event::ActiveModel> = events
        .map(|e| {
            audit_event::Model {
                id: Uuid::now_v7(),
                board_code: e.keys.board.clone(),
                province_code: e.keys.province.clone(),
                district_code: e.keys.district.clone(),
                version: 1,
                created_at: now,
                updated_at: now,
                actor_sub: actor.subject.chars().take(200).collect(),
                actor_board: actor.board.clone(),
                actor_role: actor.role.to_owned(),
                action: e.action.clone(),
                entity: e.entity.clone(),
                entity_id: e.entity_id,
                cadre_id: e.cadre_id,
                request_id: actor
                    .request_id
                    .as_ref()
                    .map(|r| r.chars().take(64).collect()),
                changed_fields: e.fields.join(","),
                occurred_at: now,
            }
            .into_active_model()
        })
        .collect();
    for chunk in rows.chunks(CHUNK) {
        audit_event::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await
            .map_err(|e| AppError::from_write(e, "audit event clash"))?;
    }
    crate::telemetry::audit_events_written(rows.len());
    Ok(())
}
