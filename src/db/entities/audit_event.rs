//! An audit event (nhật ký truy cập). Append-only.

use sea_orm::entity::prelude::*;

super::tenant_entity!("audit_events", Eq {
    pub actor_sub: String,
    pub actor_board: String,
    pub actor_role: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<Uuid>,
    pub cadre_id: Option<Uuid>,
    pub request_id: Option<String>,
    pub changed_fields: String,
    pub occurred_at: DateTimeUtc,
});
