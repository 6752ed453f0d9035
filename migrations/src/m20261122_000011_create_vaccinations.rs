//! Vaccinations (tiêm chủng): one row per dose; a dose number is recorded once per vaccine.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tenant;

#[derive(DeriveIden)]
enum Vaccinations {
    Table,
    CadreId,
    Vaccine,
    DoseNumber,
    GivenOn,
    Lot,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Vaccinations as V;
        manager
            .create_table(
                tenant::table(V::Table)
                    .col(uuid(V::CadreId))
                    .col(string_len(V::Vaccine, 100))
                    .col(
                        small_integer(V::DoseNumber).check(Expr::col(V::DoseNumber).between(1, 10)),
                    )
                    .col(date(V::GivenOn))
                    .col(string_len_null(V::Lot, 50))
                    .foreign_key(&mut tenant::cadre_fk(V::Table, V::CadreId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(tenant::index(
                "vaccinations_tenant_vaccine",
                V::Table,
                vec![V::Vaccine.into_iden(), V::DoseNumber.into_iden()],
            ))
            .await?;
        manager
            .create_index(
                tenant::plain_index(
                    "vaccinations_cadre_dose",
                    V::Table,
                    vec![
                        V::CadreId.into_iden(),
                        V::Vaccine.into_iden(),
                        V::DoseNumber.into_iden(),
                    ],
                )
                .unique()
                .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Vaccinations::Table).to_owned())
            .await
    }
}
