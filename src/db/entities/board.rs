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
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
