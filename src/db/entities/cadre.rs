//! A cadre (cán bộ) and the board that manages their health record.

use sea_orm::entity::prelude::*;

use crate::domain::{CadreStatus, Gender, ManagementTier};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cadres")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub board_code: String,
    pub province_code: Option<String>,
    pub district_code: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub full_name: String,
    pub name_folded: String,
    pub gender: Gender,
    pub birth_date: Date,
    pub position: Option<String>,
    pub workplace: Option<String>,
    pub status: CadreStatus,
    pub management_tier: ManagementTier,
    pub national_id: Option<String>,
    pub insurance_number: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
