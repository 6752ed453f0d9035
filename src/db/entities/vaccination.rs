//! One vaccine dose (tiêm chủng).

use sea_orm::entity::prelude::*;

super::tenant_entity!("vaccinations", Eq {
    pub cadre_id: Uuid,
    pub vaccine: String,
    pub dose_number: i16,
    pub given_on: Date,
    pub lot: Option<String>,
});
