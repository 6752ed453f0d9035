//! Chronic conditions (bệnh mạn tính): an ICD-10 code per cadre, active until resolved.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tenant::{self, Tenant};

#[derive(DeriveIden)]
enum ChronicConditions {
    Table,
    CadreId,
    IcdCode,
    DiagnosedOn,
    /// Null while the condition is active.
    ResolvedOn,
    Note,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ChronicConditions as C;
        manager
            .create_table(
                tenant::table(C::Table)
                    .col(uuid(C::CadreId))
                    .col(string_len(C::IcdCode, 8))
                    .col(date(C::DiagnosedOn))
                    .col(date_null(C::ResolvedOn))
                    .col(string_len_null(C::Note, 500))
                    .foreign_key(&mut tenant::cadre_fk(C::Table, C::CadreId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(tenant::index(
                "chronic_conditions_tenant_code",
                C::Table,
                vec![C::IcdCode.into_iden(), C::CadreId.into_iden()],
            ))
            .await?;
        manager
            .create_index(tenant::plain_index(
                "chronic_conditions_cadre",
                C::Table,
                vec![C::CadreId.into_iden(), Tenant::Id.into_iden()],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ChronicConditions::Table).to_owned())
            .await
    }
}
