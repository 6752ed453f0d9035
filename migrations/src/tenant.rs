//! The tenant keys every board-owned table carries, and the index that leads with them.
//!
//! Every row that belongs to a board stores its owning board and the province and district it
//! sits under (null above that level), so the scope filter and PostgreSQL's row-level policies
//! read the row itself and never reach the tree through a join.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
pub enum Tenant {
    Id,
    BoardCode,
    ProvinceCode,
    DistrictCode,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum Boards {
    Table,
    Code,
}

#[derive(DeriveIden)]
pub enum Cadres {
    Table,
    Id,
}

/// A new board-owned table: UUID primary key, the three tenant keys (each a board code) and the
/// bookkeeping columns. Callers add their own columns.
pub fn table(name: impl IntoIden) -> TableCreateStatement {
    let name = name.into_iden();
    let mut t = Table::create();
    t.table(name.clone())
        .col(pk_uuid(Tenant::Id))
        .col(string_len(Tenant::BoardCode, 8))
        .col(string_len_null(Tenant::ProvinceCode, 8))
        .col(string_len_null(Tenant::DistrictCode, 8))
        .col(integer(Tenant::Version).default(1))
        .col(timestamp_with_time_zone(Tenant::CreatedAt))
        .col(timestamp_with_time_zone(Tenant::UpdatedAt))
        .foreign_key(
            ForeignKey::create()
                .from(name, Tenant::BoardCode)
                .to(Boards::Table, Boards::Code),
        );
    t
}

/// A foreign key to the cadre a clinical record belongs to.
pub fn cadre_fk(from: impl IntoIden, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from, col)
        .to(Cadres::Table, Cadres::Id)
        .to_owned()
}

/// An index that leads with the tenant keys, then `rest`. Province first: a district scope also
/// pins the province, so one index serves every scope level.
pub fn index(name: &str, table: impl IntoIden, rest: Vec<DynIden>) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name)
        .table(table)
        .col(Tenant::ProvinceCode)
        .col(Tenant::DistrictCode);
    for col in rest {
        i.col(col);
    }
    i.to_owned()
}

/// A plain index, for lookups by a parent row's ID (the DataLoaders' access path).
pub fn plain_index(name: &str, table: impl IntoIden, cols: Vec<DynIden>) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for col in cols {
        i.col(col);
    }
    i.to_owned()
}
