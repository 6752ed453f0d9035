//! A cadre's enrolment in an exam campaign (danh sách khám): due an exam, managed by this
//! row's board at the campaign's start, examined on `examined_on` (null while not examined).
//!
//! Unlike the cadre's other records, an enrolment does not move when the cadre is transferred:
//! it records where they were managed when the campaign started.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign_enrolments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub board_code: String,
    pub province_code: Option<String>,
    pub district_code: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub campaign_id: Uuid,
    pub cadre_id: Uuid,
    pub year: i32,
    pub round: i16,
    pub examined_on: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
