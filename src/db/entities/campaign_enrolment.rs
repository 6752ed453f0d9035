//! A cadre's enrolment in an exam campaign (danh sách khám): due an exam, managed by this
//! row's board at the campaign's start, examined on `examined_on` (null while not examined).
//!
//! Unlike the cadre's other records, an enrolment does not move when the cadre is transferred:
//! it records where they were managed when the campaign started.

use sea_orm::entity::prelude::*;

super::tenant_entity!("campaign_enrolments", Eq {
    pub campaign_id: Uuid,
    pub cadre_id: Uuid,
    pub year: i32,
    pub round: i16,
    pub examined_on: Option<Date>,
});
