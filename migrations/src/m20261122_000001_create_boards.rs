//! The board tree: the central board `TW`, one board per province and per district.
//!
//! Boards are keyed by their official administrative code (public, stable, never reused after a
//! merger), and carry the same tenant keys as every other table so one scope filter fits all.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tenant::{self, Boards, Tenant, cols};

migration! {
    creates Boards,
    up(manager) {
        let table = Table::create()
            .table(Boards::Table)
            .col(string_len(Boards::Code, 8).primary_key())
            .col(string_len(Boards::Name, 200))
            .col(
                string_len(Boards::Level, 16)
                    .check(Expr::col(Boards::Level).is_in(["CENTRAL", "PROVINCE", "DISTRICT"])),
            )
            .col(string_len_null(Boards::ParentCode, 8))
            .col(string_len_null(Tenant::ProvinceCode, 8))
            .col(string_len_null(Tenant::DistrictCode, 8))
            .foreign_key(
                ForeignKey::create()
                    .from(Boards::Table, Boards::ParentCode)
                    .to(Boards::Table, Boards::Code),
            )
            .to_owned();
        let indexes = [
            tenant::plain_index("boards_parent", cols![Boards::ParentCode]),
            tenant::index("boards_tenant", vec![]),
        ];
        tenant::create(manager, &table, indexes).await
    }
}
