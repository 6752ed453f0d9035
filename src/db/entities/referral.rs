//! A referral (chuyển viện) to a higher-level hospital.

use sea_orm::entity::prelude::*;

use crate::domain::{ReferralStatus, ReferralUrgency};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "referrals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub board_code: String,
    pub province_code: Option<String>,
    pub district_code: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub cadre_id: Uuid,
    pub referred_on: Date,
    pub destination: String,
    pub reason: Option<String>,
    pub urgency: ReferralUrgency,
    pub status: ReferralStatus,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
