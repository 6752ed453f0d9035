//! Cadres (cán bộ): the people whose health the boards look after.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tenant::{self, Tenant, cols};

#[derive(DeriveIden)]
enum Cadres {
    Table,
    FullName,
    /// Lower-case, diacritics removed, đ → d: what name search matches against.
    NameFolded,
    Gender,
    BirthDate,
    Position,
    Workplace,
    Status,
    ManagementTier,
    NationalId,
    InsuranceNumber,
}

migration! {
    creates Cadres,
    up(manager) {
        let table = tenant::table(Cadres::Table)
            .col(string_len(Cadres::FullName, 100))
            .col(string_len(Cadres::NameFolded, 100))
            .col(
                string_len(Cadres::Gender, 8)
                    .check(Expr::col(Cadres::Gender).is_in(["MALE", "FEMALE"])),
            )
            .col(date(Cadres::BirthDate))
            .col(string_len_null(Cadres::Position, 200))
            .col(string_len_null(Cadres::Workplace, 200))
            .col(
                string_len(Cadres::Status, 16)
                    .check(Expr::col(Cadres::Status).is_in(["SERVING", "RETIRED", "DECEASED"])),
            )
            .col(string_len(Cadres::ManagementTier, 16).check(
                Expr::col(Cadres::ManagementTier).is_in([
                    "POLITBURO",
                    "CENTRAL",
                    "PROVINCIAL",
                    "DISTRICT",
                ]),
            ))
            .col(string_len_null(Cadres::NationalId, 12).unique_key())
            .col(string_len_null(Cadres::InsuranceNumber, 15))
            .to_owned();
        let indexes = [
            tenant::index("cadres_tenant_name", cols![Cadres::NameFolded, Tenant::Id]),
            tenant::index("cadres_tenant_board", cols![Tenant::BoardCode, Tenant::Id]),
        ];
        tenant::create(manager, &table, indexes).await
    }
}
