//! A consultation (hội chẩn) by an expert council.

use sea_orm::entity::prelude::*;

super::tenant_entity!("consultations", Eq {
    pub cadre_id: Uuid,
    pub held_on: Date,
    pub council: String,
    pub participants: Option<String>,
    pub conclusion: Option<String>,
});
