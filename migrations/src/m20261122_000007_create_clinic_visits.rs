//! Clinic visits (khám, cấp phát thuốc): a cadre seen at the board's clinic.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tenant::{self, Tenant};

#[derive(DeriveIden)]
enum ClinicVisits {
    Table,
    CadreId,
    VisitedAt,
    Complaint,
    /// ICD-10 codes, comma-separated.
    Diagnoses,
    Physician,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ClinicVisits as V;
        manager
            .create_table(
                tenant::table(V::Table)
                    .col(uuid(V::CadreId))
                    .col(timestamp_with_time_zone(V::VisitedAt))
                    .col(string_len_null(V::Complaint, 1000))
                    .col(string_len(V::Diagnoses, 400).default(""))
                    .col(string_len_null(V::Physician, 100))
                    .foreign_key(&mut tenant::cadre_fk(V::Table, V::CadreId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(tenant::index(
                "clinic_visits_tenant_time",
                V::Table,
                vec![V::VisitedAt.into_iden()],
            ))
            .await?;
        manager
            .create_index(tenant::plain_index(
                "clinic_visits_cadre_time",
                V::Table,
                vec![
                    V::CadreId.into_iden(),
                    V::VisitedAt.into_iden(),
                    Tenant::Id.into_iden(),
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ClinicVisits::Table).to_owned())
            .await
    }
}
