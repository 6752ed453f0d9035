//! The board tree: the central board `TW`, one board per province and per district.
//!
//! Boards are keyed by their official administrative code (public, stable, never reused after a
//! merger), and carry the same tenant keys as every other table so one scope filter fits all.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tenant::Tenant;

#[derive(DeriveIden)]
enum Boards {
    Table,
    Code,
    Name,
    Level,
    ParentCode,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Boards::Table)
                    .col(string_len(Boards::Code, 8).primary_key())
                    .col(string_len(Boards::Name, 200))
                    .col(
                        string_len(Boards::Level, 16).check(
                            Expr::col(Boards::Level).is_in(["CENTRAL", "PROVINCE", "DISTRICT"]),
                        ),
                    )
                    .col(string_len_null(Boards::ParentCode, 8))
                    .col(string_len_null(Tenant::ProvinceCode, 8))
                    .col(string_len_null(Tenant::DistrictCode, 8))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Boards::Table, Boards::ParentCode)
                            .to(Boards::Table, Boards::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("boards_parent")
                    .table(Boards::Table)
                    .col(Boards::ParentCode)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(crate::tenant::index("boards_tenant", Boards::Table, vec![]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Boards::Table).to_owned())
            .await
    }
}
