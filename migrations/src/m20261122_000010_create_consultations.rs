//! Consultations (hội chẩn): an expert council's review of a cadre with serious illness.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tenant::{self, Tenant};

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
        manager
            .create_table(
                tenant::table(C::Table)
                    .col(uuid(C::CadreId))
                    .col(date(C::HeldOn))
                    .col(string_len(C::Council, 200))
                    .col(string_len_null(C::Participants, 2000))
                    .col(string_len_null(C::Conclusion, 4000))
                    .foreign_key(&mut tenant::cadre_fk(C::Table, C::CadreId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(tenant::index(
                "consultations_tenant_date",
                C::Table,
                vec![C::HeldOn.into_iden()],
            ))
            .await?;
        manager
            .create_index(tenant::plain_index(
                "consultations_cadre_date",
                C::Table,
                vec![
                    C::CadreId.into_iden(),
                    C::HeldOn.into_iden(),
                    Tenant::Id.into_iden(),
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Consultations::Table).to_owned())
            .await
    }
}
