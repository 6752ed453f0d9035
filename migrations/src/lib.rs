//! Schema migrations for cadre-health, one change per file.
//!
//! The same migrations run on SQLite (the embedded default) and PostgreSQL, so they use only
//! portable sea-query DDL. How to make a change safely (a new file per change, expand then
//! contract) is in the repository's `README.md`, under *Making schema changes*.

pub use sea_orm_migration::prelude::*;

/// A migration module's `Migration`: the sea-orm-migration boilerplate around its steps up and
/// down. Its name, as `DeriveMigrationName` gives it, is the file name of the module that calls
/// this (the name `seaql_migrations` records), exactly as if the module had written it out.
///
/// ```ignore
/// migration! {
///     up(manager) { /* ... */ }
///     down(manager) { /* ... */ }
/// }
/// ```
///
/// A migration that creates one table names the table's identifiers instead of a way down, which
/// drops the table (its indexes, and on PostgreSQL its policy and grants, go with it); with
/// `as C` the steps up call them `C`:
///
/// ```ignore
/// migration! {
///     creates ChronicConditions as C,
///     up(manager) { /* ... C::Table ... */ }
/// }
/// ```
macro_rules! migration {
    (up($up_manager:ident) $up:block down($down_manager:ident) $down:block) => {
        #[derive(DeriveMigrationName)]
        pub struct Migration;

        #[async_trait::async_trait]
        impl MigrationTrait for Migration {
            async fn up(&self, $up_manager: &SchemaManager) -> Result<(), DbErr> $up

            async fn down(&self, $down_manager: &SchemaManager) -> Result<(), DbErr> $down
        }
    };
    (creates $table:ident $(as $alias:ident)?, up($manager:ident) $up:block) => {
        migration! {
            up($manager) {
                $(use $table as $alias;)?
                $up
            }
            down(manager) {
                $crate::tenant::drop_table(manager, $table::Table).await
            }
        }
    };
}

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
mod m20261201_000061_cadres_by_province_name;

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
            Box::new(m20261201_000061_cadres_by_province_name::Migration),
        ]
    }
}
