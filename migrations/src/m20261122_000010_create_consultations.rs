//! Consultations (hội chẩn): an expert council's review of a cadre with serious illness.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tenant;

#[derive(DeriveIden)]
enum Consultations {
    Table,
    CadreId,
    HeldOn,
    Council,
    Participants,
    Conclusion,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Consultations as C;
        let table = tenant::cadre_table(C::Table, C::CadreId)
            .col(date(C::HeldOn))
            .col(string_len(C::Council, 200))
            .col(string_len_null(C::Participants, 2000))
            .col(string_len_null(C::Conclusion, 4000))
            .to_owned();
        let indexes = ["consultations_tenant_date", "consultations_cadre_date"];
        tenant::create_dated(manager, &table, (C::CadreId, C::HeldOn), indexes).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        tenant::drop_table(manager, Consultations::Table).await
    }
}
