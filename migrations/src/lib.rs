//! Schema migrations for cadre-health, one change per file.
//!
//! The same migrations run on SQLite (the embedded default) and PostgreSQL, so they use only
//! portable sea-query DDL. How to make a change safely (a new file per change, expand then
//! contract) is in the repository's `README.md`, under *Making schema changes*.

pub use sea_orm_migration::prelude::*;

pub mod tenant;

mod m20261122_000001_create_boards;
mod m20261122_000002_load_board_tree;
mod m20261122_000003_create_cadres;
mod m20261122_000004_create_chronic_conditions;
mod m20261122_000005_create_exam_campaigns;
mod m20261122_000006_create_health_exams;
mod m20261122_000007_create_clinic_visits;
mod m20261122_000008_create_prescriptions;
mod m20261122_000009_create_referrals;
mod m20261122_000010_create_consultations;
mod m20261122_000011_create_vaccinations;
mod m20261122_000012_create_audit_events;
mod m20261122_000013_row_level_security;
mod m20261122_000014_create_campaign_enrolments;
mod m20261122_000015_index_health_exams_by_date;
mod m20261122_000016_cadre_name_trigram;
mod m20261122_000017_cadre_last_exam_on;
mod m20261122_000050_audit_append_only;
mod m20261201_000060_board_lineage;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_boards::Migration),
            Box::new(m20261122_000002_load_board_tree::Migration),
            Box::new(m20261122_000003_create_cadres::Migration),
            Box::new(m20261122_000004_create_chronic_conditions::Migration),
            Box::new(m20261122_000005_create_exam_campaigns::Migration),
            Box::new(m20261122_000006_create_health_exams::Migration),
            Box::new(m20261122_000007_create_clinic_visits::Migration),
            Box::new(m20261122_000008_create_prescriptions::Migration),
            Box::new(m20261122_000009_create_referrals::Migration),
            Box::new(m20261122_000010_create_consultations::Migration),
            Box::new(m20261122_000011_create_vaccinations::Migration),
            Box::new(m20261122_000012_create_audit_events::Migration),
            Box::new(m20261122_000013_row_level_security::Migration),
            Box::new(m20261122_000014_create_campaign_enrolments::Migration),
            Box::new(m20261122_000015_index_health_exams_by_date::Migration),
            Box::new(m20261122_000016_cadre_name_trigram::Migration),
            Box::new(m20261122_000017_cadre_last_exam_on::Migration),
            Box::new(m20261122_000050_audit_append_only::Migration),
            Box::new(m20261201_000060_board_lineage::Migration),
        ]
    }
}
