//! A clinic visit (khám, cấp phát thuốc).

use sea_orm::entity::prelude::*;

super::tenant_entity!("clinic_visits", Eq {
    pub cadre_id: Uuid,
    pub visited_at: DateTimeUtc,
    pub complaint: Option<String>,
    /// ICD-10 codes, comma-separated.
    pub diagnoses: String,
    pub physician: Option<String>,
});
