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

/// The role every API request runs as on PostgreSQL (`SET LOCAL ROLE`): no login, no superuser,
/// no `BYPASSRLS`, owner of nothing, so row-level policies always apply to it.
pub const APP_ROLE: &str = "cadre_health_app";

/// What the application role may do with a protected table. Never `DELETE`: health records are
/// not hard-deleted, and audit events are append-only.
#[derive(Clone, Copy)]
pub enum Access {
    /// Records the API creates and changes.
    ReadWrite,
    /// Audit events: read and append, never change.
    AppendOnly,
    /// The board tree: read only.
    ReadOnly,
}

impl Access {
    fn privileges(self) -> &'static str {
        match self {
            Access::ReadWrite => "SELECT, INSERT, UPDATE",
            Access::AppendOnly => "SELECT, INSERT",
            Access::ReadOnly => "SELECT",
        }
    }
}

/// The scope test of every row-level policy, on the row's own tenant keys (no join).
///
/// Each setting is read once per statement (an init plan, not a function call per row) and an
/// empty or missing setting is NULL, so with no scope set nothing matches: it fails closed.
/// `app.all = 'on'` is the central scope; otherwise the province must match, and the district
/// too when one is set.
pub const SCOPE_PREDICATE: &str = "\
(select nullif(current_setting('app.all', true), '')) = 'on' \
OR (province_code = (select nullif(current_setting('app.province', true), '')) \
AND ((select nullif(current_setting('app.district', true), '')) IS NULL \
OR district_code = (select nullif(current_setting('app.district', true), ''))))";

/// Puts a tenant table under row-level security on PostgreSQL (a no-op on SQLite, where the
/// application's scope filter is the only guard): enables and forces RLS (so the table's owner
/// is bound too), adds one policy with both `USING` and `WITH CHECK`, and grants the
/// application role `access`. Every new tenant table's migration calls this.
pub async fn protect(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    protect_with(manager, table, Access::ReadWrite).await
}

/// [`protect`] with an explicit grant.
pub async fn protect_with(
    manager: &SchemaManager<'_>,
    table: &str,
    access: Access,
) -> Result<(), DbErr> {
    if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return Ok(());
    }
    let privileges = access.privileges();
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
             ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
             CREATE POLICY {table}_in_scope ON {table} FOR ALL
               USING ({SCOPE_PREDICATE}) WITH CHECK ({SCOPE_PREDICATE});
             GRANT {privileges} ON {table} TO {APP_ROLE};"
        ))
        .await?;
    Ok(())
}

/// Undoes [`protect`].
pub async fn unprotect(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return Ok(());
    }
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "DROP POLICY IF EXISTS {table}_in_scope ON {table};
             ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY;
             ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;
             REVOKE ALL ON {table} FROM {APP_ROLE};"
        ))
        .await?;
    Ok(())
}
