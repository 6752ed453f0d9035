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

migration! {
    creates Referrals as R,
    up(manager) {
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
}
