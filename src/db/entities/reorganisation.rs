//! A reorganisation of the board tree that was applied: the service's own record, so the same
//! plan is never applied twice. No tenant keys: only the service reads it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reorganisations")]
pub struct Model {
    /// SHA-256 of the plan's steps, hex.
    #[sea_orm(primary_key, auto_increment = false)]
    pub digest: String,
    /// Where the plan came from (`vn-2025` or a file name).
    pub plan: String,
    pub effective_on: Date,
    pub steps: i32,
    pub applied_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
