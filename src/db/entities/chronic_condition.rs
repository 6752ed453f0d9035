//! A chronic condition (bệnh mạn tính), active while `resolved_on` is null.

use sea_orm::entity::prelude::*;

super::tenant_entity!("chronic_conditions", Eq {
    pub cadre_id: Uuid,
    pub icd_code: String,
    pub diagnosed_on: Date,
    pub resolved_on: Option<Date>,
    pub note: Option<String>,
});
