//! Referrals (chuyển viện): a cadre sent on to a higher-level hospital.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tenant;

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
        let urgencies = ["ROUTINE", "URGENT", "EMERGENCY"];
        let statuses = ["REQUESTED", "ACCEPTED", "COMPLETED", "CANCELLED"];
        let table = tenant::cadre_table(R::Table, R::CadreId)
            .col(date(R::ReferredOn))
            .col(string_len(R::Destination, 200))
            .col(string_len_null(R::Reason, 1000))
            .col(string_len(R::Urgency, 16).check(Expr::col(R::Urgency).is_in(urgencies)))
            .col(string_len(R::Status, 16).check(Expr::col(R::Status).is_in(statuses)))
            .to_owned();
        let indexes = ["referrals_tenant_date", "referrals_cadre_date"];
        tenant::create_dated(manager, &table, (R::CadreId, R::ReferredOn), indexes).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        tenant::drop_table(manager, Referrals::Table).await
    }
}
