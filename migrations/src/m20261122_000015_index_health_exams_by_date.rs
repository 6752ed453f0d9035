//! An index for statistics over a year of exams from the centre, which has no tenant key to
//! lead with: the year's exams by date, carrying every column `healthClassDistribution` reads
//! (cadre, ID for the latest-exam order, both classes, the tenant keys the scope and row-level
//! policies test), so PostgreSQL answers from the index alone.

use sea_orm_migration::prelude::*;

use crate::tenant::{self, Tenant, cols};

#[derive(DeriveIden)]
enum HealthExams {
    Table,
    ExaminedOn,
    CadreId,
    CadreClass,
    GeneralClass,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use HealthExams as H;
        manager
            .create_index(tenant::plain_index(
                "health_exams_date_cadre_classes",
                H::Table,
                cols![
                    H::ExaminedOn,
                    H::CadreId,
                    Tenant::Id,
                    H::CadreClass,
                    H::GeneralClass,
                    Tenant::ProvinceCode,
                    Tenant::DistrictCode,
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("health_exams_date_cadre_classes")
                    .table(HealthExams::Table)
                    .to_owned(),
            )
            .await
    }
}
