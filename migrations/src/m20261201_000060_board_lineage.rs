//! The board tree gets a history (issue 14): a board opens and closes on dates, a closed board
//! names its successor, and each applied reorganisation is recorded once.
//!
//! Records keep the tenant keys they were written with. Custody follows the lineage instead:
//! a board's scope is the set of keys whose boards lead to it (`BoardTree::scope_of`), so the
//! row-level policies now read lists of provinces and districts (`app.provinces`,
//! `app.districts`) rather than one of each. See the README, *Reorganising the board tree*.

use sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

use crate::tenant::{self, Boards};

#[derive(DeriveIden)]
enum Lineage {
    OpenedOn,
    ClosedOn,
    SuccessorCode,
}

#[derive(DeriveIden)]
enum Reorganisations {
    Table,
    Digest,
    Plan,
    EffectiveOn,
    Steps,
    AppliedAt,
}

/// Every table under row-level security: each gets its policy again with the new predicate.
const PROTECTED: [&str; 12] = [
    "boards",
    "cadres",
    "chronic_conditions",
    "exam_campaigns",
    "health_exams",
    "clinic_visits",
    "prescriptions",
    "referrals",
    "consultations",
    "vaccinations",
    "audit_events",
    "campaign_enrolments",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for col in [
            date_null(Lineage::OpenedOn),
            date_null(Lineage::ClosedOn),
            string_len_null(Lineage::SuccessorCode, 8),
        ] {
            let mut col = col;
            manager
                .alter_table(
                    Table::alter()
                        .table(Boards::Table)
                        .add_column(&mut col)
                        .to_owned(),
                )
                .await?;
        }
        tenant::execute_on(
            manager,
            DatabaseBackend::Postgres,
            "ALTER TABLE boards ADD CONSTRAINT fk_boards_successor
               FOREIGN KEY (successor_code) REFERENCES boards (code)",
        )
        .await?;
        // The service's own record of what it applied; the application role gets no grant.
        let table = Table::create()
            .table(Reorganisations::Table)
            .col(string_len(Reorganisations::Digest, 64).primary_key())
            .col(string_len(Reorganisations::Plan, 200))
            .col(date(Reorganisations::EffectiveOn))
            .col(integer(Reorganisations::Steps))
            .col(timestamp_with_time_zone(Reorganisations::AppliedAt))
            .to_owned();
        manager.create_table(table).await?;
        for table in PROTECTED {
            tenant::replace_policy(manager, table, tenant::SCOPE_PREDICATE).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in PROTECTED {
            tenant::replace_policy(manager, table, tenant::SINGLE_KEY_PREDICATE).await?;
        }
        tenant::drop_table(manager, Reorganisations::Table).await?;
        for col in [Lineage::SuccessorCode, Lineage::ClosedOn, Lineage::OpenedOn] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Boards::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
