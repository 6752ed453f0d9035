//! Referrals (chuyển viện): a cadre sent on to a higher-level hospital.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tenant::{self, Tenant};

#[derive(DeriveIden)]
enum Referrals {
    Table,
    CadreId,
    ReferredOn,
    Destination,
    Reason,
    Urgency,
    Status,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Referrals as R;
        manager
            .create_table(
                tenant::table(R::Table)
                    .col(uuid(R::CadreId))
                    .col(date(R::ReferredOn))
                    .col(string_len(R::Destination, 200))
                    .col(string_len_null(R::Reason, 1000))
                    .col(
                        string_len(R::Urgency, 16).check(Expr::col(R::Urgency).is_in([
                            "ROUTINE",
                            "URGENT",
                            "EMERGENCY",
                        ])),
                    )
                    .col(string_len(R::Status, 16).check(Expr::col(R::Status).is_in([
                        "REQUESTED",
                        "ACCEPTED",
                        "COMPLETED",
                        "CANCELLED",
                    ])))
                    .foreign_key(&mut tenant::cadre_fk(R::Table, R::CadreId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(tenant::index(
                "referrals_tenant_date",
                R::Table,
                vec![R::ReferredOn.into_iden()],
            ))
            .await?;
        manager
            .create_index(tenant::plain_index(
                "referrals_cadre_date",
                R::Table,
                vec![
                    R::CadreId.into_iden(),
                    R::ReferredOn.into_iden(),
                    Tenant::Id.into_iden(),
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Referrals::Table).to_owned())
            .await
    }
}
