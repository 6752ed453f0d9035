//! The audit trail's rows: what a request changed or read, written append-only.
//!
//! Events carry the tenant keys of the cadre concerned (of the board, for a campaign), so an
//! admin's audit query is cut to the scope like everything else. Field *names* are recorded for
//! changes, never values: the trail must not become a second copy of clinical data.

use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, IntoActiveModel, Statement};
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

/// Rows per insert on SQLite: well under its bound-parameter limit (17 columns each).
const CHUNK: usize = 500;

/// Appends `events` by `actor` on `conn`, in one statement on PostgreSQL and one insert per
/// 500 events on SQLite.
pub async fn write_events<'a>(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    events: impl Iterator<Item = &'a Change>,
) -> AppResult<()> {
    let now = Utc::now();
    let rows: Vec<audit_event::Model> = events
        .map(|e| audit_event::Model {
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
        })
        .collect();
    let written = match conn.get_database_backend() {
        DatabaseBackend::Postgres => insert_as_one(conn, &rows).await,
        _ => insert_in_chunks(conn, &rows).await,
    };
    written.map_err(|e| AppError::from_write(e, "audit event clash"))?;
    crate::telemetry::audit_events_written(rows.len());
    Ok(())
}

async fn insert_in_chunks(
    conn: &impl ConnectionTrait,
    rows: &[audit_event::Model],
) -> Result<(), DbErr> {
    for chunk in rows.chunks(CHUNK) {
        let chunk = chunk
            .iter()
            .cloned()
            .map(IntoActiveModel::into_active_model);
        audit_event::Entity::insert_many(chunk)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// PostgreSQL: every row in one statement whose text never changes, so it is prepared once
/// per connection (a multi-row `VALUES` is a new statement for each row count, with 17
/// parameters a row). What the request's events share (actor, time, request ID) is bound once;
/// what differs is one JSON array.
const INSERT_AS_ONE: &str = "INSERT INTO audit_events (id, board_code, province_code, \
     district_code, version, created_at, updated_at, actor_sub, actor_board, actor_role, action, \
     entity, entity_id, cadre_id, request_id, changed_fields, occurred_at) \
     SELECT e.id, e.board_code, e.province_code, e.district_code, 1, $1, $1, $2, $3, $4, \
     e.action, e.entity, e.entity_id, e.cadre_id, $5, e.changed_fields, $1 \
     FROM jsonb_to_recordset($6) AS e(id uuid, board_code text, province_code text, \
     district_code text, action text, entity text, entity_id uuid, cadre_id uuid, \
     changed_fields text)";

async fn insert_as_one(
    conn: &impl ConnectionTrait,
    rows: &[audit_event::Model],
) -> Result<(), DbErr> {
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let events: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id,
                "board_code": r.board_code,
                "province_code": r.province_code,
                "district_code": r.district_code,
                "action": r.action,
                "entity": r.entity,
                "entity_id": r.entity_id,
                "cadre_id": r.cadre_id,
                "changed_fields": r.changed_fields,
            })
        })
        .collect();
    conn.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        INSERT_AS_ONE,
        [
            first.occurred_at.into(),
            first.actor_sub.clone().into(),
            first.actor_board.clone().into(),
            first.actor_role.clone().into(),
            first.request_id.clone().into(),
            serde_json::Value::Array(events).into(),
        ],
    ))
    .await?;
    Ok(())
}
