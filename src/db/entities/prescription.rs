//! A drug dispensed at a clinic visit.

use sea_orm::entity::prelude::*;

super::tenant_entity!("prescriptions", Eq {
    pub visit_id: Uuid,
    pub cadre_id: Uuid,
    pub drug: String,
    pub quantity: i32,
    pub dosage: Option<String>,
});
