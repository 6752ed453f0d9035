//! The directory of a province, by name: an index on (province, folded name, ID).
//!
//! The tenant index (`cadres_tenant_name`) leads with both tenant keys, so it gives a
//! district's cadres in name order, but a province's only district by district: a province's
//! first page by name sorted every cadre of the province (about 4,000 at national scale), and a
//! province that merged two sorted twice as many. With this index a province's first page is
//! an index scan that stops after a page. A board holding several provinces (after a merger)
//! reads each province's page from it and merges them (`ScopedDb::page`).
//!
//! Expand-only: a new index, nothing rewritten.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum Cadres {
    Table,
    ProvinceCode,
    NameFolded,
    Id,
}

const INDEX: &str = "cadres_province_name";

migration! {
    up(manager) {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Cadres::Table)
                    .col(Cadres::ProvinceCode)
                    .col(Cadres::NameFolded)
                    .col(Cadres::Id)
                    .to_owned(),
            )
            .await
    }
    down(manager) {
        manager
            .drop_index(Index::drop().name(INDEX).table(Cadres::Table).to_owned())
            .await
    }
}
