//! A referral (chuyển viện) to a higher-level hospital.

use sea_orm::entity::prelude::*;

use crate::domain::{ReferralStatus, ReferralUrgency};

super::tenant_entity!("referrals", Eq {
    pub cadre_id: Uuid,
    pub referred_on: Date,
    pub destination: String,
    pub reason: Option<String>,
    pub urgency: ReferralUrgency,
    pub status: ReferralStatus,
});
