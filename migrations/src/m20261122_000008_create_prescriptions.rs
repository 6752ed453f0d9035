//! Prescriptions: drugs dispensed at a clinic visit. They carry the tenant keys and the cadre
//! themselves (not only through the visit) so scope checks never need a join.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tenant::{self, Tenant};

#[derive(DeriveIden)]
enum Prescriptions {
    Table,
    VisitId,
    CadreId,
    Drug,
    Quantity,
    Dosage,
}

#[derive(DeriveIden)]
enum ClinicVisits {
    Table,
    Id,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Prescriptions as P;
        manager
            .create_table(
                tenant::table(P::Table)
                    .col(uuid(P::VisitId))
                    .col(uuid(P::CadreId))
                    .col(string_len(P::Drug, 200))
                    .col(integer(P::Quantity).check(Expr::col(P::Quantity).gt(0)))
                    .col(string_len_null(P::Dosage, 200))
                    .foreign_key(
                        ForeignKey::create()
                            .from(P::Table, P::VisitId)
                            .to(ClinicVisits::Table, ClinicVisits::Id),
                    )
                    .foreign_key(&mut tenant::cadre_fk(P::Table, P::CadreId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(tenant::index(
                "prescriptions_tenant_visit",
                P::Table,
                vec![P::VisitId.into_iden()],
            ))
            .await?;
        manager
            .create_index(tenant::plain_index(
                "prescriptions_visit",
                P::Table,
                vec![P::VisitId.into_iden(), Tenant::Id.into_iden()],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Prescriptions::Table).to_owned())
            .await
    }
}
