//! An audit event (nhật ký truy cập). Append-only.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub board_code: String,
    pub province_code: Option<String>,
    pub district_code: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
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
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
