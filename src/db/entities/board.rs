//! A board (Ban BVCSSK): central, provincial or district.

use sea_orm::entity::prelude::*;

use crate::domain::BoardLevel;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "boards")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name: String,
    pub level: BoardLevel,
    pub parent_code: Option<String>,
    pub province_code: Option<String>,
    pub district_code: Option<String>,
    /// The day it opened; null for a board of the tree as first loaded (there from the start).
    pub opened_on: Option<Date>,
    /// The day it closed (no longer open on that day); null while open.
    pub closed_on: Option<Date>,
    /// For a closed board, the board its records passed to.
    pub successor_code: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
