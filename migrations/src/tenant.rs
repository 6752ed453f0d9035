//! The tenant keys every board-owned table carries, and the index that leads with them.
//!
//! Every row that belongs to a board stores its owning board and the province and district it
//! sits under (null above that level), so the scope filter and PostgreSQL's row-level policies
//! read the row itself and never reach the tree through a join.

use sea_orm::DatabaseBackend;
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

impl Tenant {
    /// Every column [`table`] gives a board-owned table, in its order: what no audit event names
    /// as changed and no scramble of clinical values touches.
    pub const ALL: [Tenant; 7] = [
        Tenant::Id,
        Tenant::BoardCode,
        Tenant::ProvinceCode,
        Tenant::DistrictCode,
        Tenant::Version,
        Tenant::CreatedAt,
        Tenant::UpdatedAt,
    ];
}

/// The board tree's table (migration 1 creates it, migration 2 loads it, every tenant table
/// references it).
#[derive(DeriveIden)]
pub enum Boards {
    Table,
    Code,
    Name,
    Level,
    ParentCode,
}

/// The tables other tables reference, by their `id`.
#[derive(DeriveIden)]
pub enum Parent {
    Cadres,
    ExamCampaigns,
    ClinicVisits,
}

/// Index columns of any identifier types, in order: `cols![C::CadreId, Tenant::Id]`.
macro_rules! cols {
    ($($col:expr),* $(,)?) => {
        vec![$(sea_orm_migration::prelude::IntoIden::into_iden($col)),*]
    };
}
pub(crate) use cols;

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

/// A new table of one cadre's clinical records: [`table`], then the record's `cadre` column (a
/// UUID, never null) with its foreign key to the cadre. Callers add their own columns after it.
pub fn cadre_table(name: impl IntoIden, cadre: impl IntoIden) -> TableCreateStatement {
    let cadre = cadre.into_iden();
    let mut t = table(name);
    t.col(uuid(cadre.clone())).references(cadre, Parent::Cadres);
    t
}

/// Foreign keys to the ID of a [`Parent`] row, on a table being created.
pub trait References {
    /// Adds a foreign key from this table's `col` to the ID of a row of `to`.
    fn references(&mut self, col: impl IntoIden, to: Parent) -> &mut Self;
}

impl References for TableCreateStatement {
    fn references(&mut self, col: impl IntoIden, to: Parent) -> &mut Self {
        let mut fk = ForeignKey::create();
        if let Some(table) = self.get_table_name() {
            fk.from_tbl(table.clone());
        }
        fk.from_col(col).to(to, Tenant::Id);
        self.foreign_key(&mut fk)
    }
}

/// An index that leads with the tenant keys, then `rest`. Province first: a district scope also
/// pins the province, so one index serves every scope level. [`create`] sets its table.
pub fn index(name: &str, rest: Vec<DynIden>) -> IndexCreateStatement {
    let keys = cols![Tenant::ProvinceCode, Tenant::DistrictCode];
    plain_index(name, keys.into_iter().chain(rest).collect())
}

/// A plain index, for lookups by a parent row's ID (the DataLoaders' access path). [`create`]
/// sets its table.
pub fn plain_index(name: &str, cols: Vec<DynIden>) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name);
    for col in cols {
        i.col(col);
    }
    i.to_owned()
}

/// Creates `table`, then its `indexes` on it, in the order given.
pub async fn create(
    manager: &SchemaManager<'_>,
    table: &TableCreateStatement,
    indexes: impl IntoIterator<Item = IndexCreateStatement>,
) -> Result<(), DbErr> {
    manager.create_table(table.to_owned()).await?;
    let name = table.get_table_name().cloned();
    let name = name.ok_or_else(|| DbErr::Migration("a table without a name".into()))?;
    create_indexes(manager, name, indexes).await
}

/// Creates `indexes` on `table`, in the order given.
pub async fn create_indexes(
    manager: &SchemaManager<'_>,
    table: impl IntoTableRef,
    indexes: impl IntoIterator<Item = IndexCreateStatement>,
) -> Result<(), DbErr> {
    let table = table.into_table_ref();
    for mut index in indexes {
        manager
            .create_index(index.table(table.clone()).take())
            .await?;
    }
    Ok(())
}

/// Creates a table of records about a `cadre` dated by `date`, with its two indexes: the first
/// named on the tenant keys then `date` (a scope's records by date), the second on the cadre,
/// `date` then ID (one cadre's history: the DataLoaders' access path).
pub async fn create_dated(
    manager: &SchemaManager<'_>,
    table: &TableCreateStatement,
    (cadre, date): (impl IntoIden, impl IntoIden),
    [tenant_index, cadre_index]: [&str; 2],
) -> Result<(), DbErr> {
    let date = date.into_iden();
    let indexes = [
        index(tenant_index, cols![date.clone()]),
        plain_index(cadre_index, cols![cadre, date, Tenant::Id]),
    ];
    create(manager, table, indexes).await
}

/// Drops a table (its indexes, and on PostgreSQL its policy and grants, go with it).
pub async fn drop_table(manager: &SchemaManager<'_>, table: impl IntoIden) -> Result<(), DbErr> {
    manager
        .drop_table(Table::drop().table(table).to_owned())
        .await
}

/// Runs `sql` when the database is `backend`; does nothing on the other.
pub async fn execute_on(
    manager: &SchemaManager<'_>,
    backend: DatabaseBackend,
    sql: &str,
) -> Result<(), DbErr> {
    if manager.get_database_backend() == backend {
        manager.get_connection().execute_unprepared(sql).await?;
    }
    Ok(())
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
/// `app.all = 'on'` is the central scope; otherwise the row's province must be one of
/// `app.provinces`, and its district one of `app.districts` when that is set. The settings are
/// comma-separated lists because after a reorganisation a board also holds its predecessors'
/// records, which keep the keys they were written with (`BoardTree::scope_of`).
pub const SCOPE_PREDICATE: &str = "\
(select nullif(current_setting('app.all', true), '')) = 'on' \
OR (province_code = ANY (CAST((select string_to_array(nullif(current_setting('app.provinces', true), ''), ',')) AS text[])) \
AND ((select nullif(current_setting('app.districts', true), '')) IS NULL \
OR district_code = ANY (CAST((select string_to_array(nullif(current_setting('app.districts', true), ''), ',')) AS text[]))))";

/// The predicate before the board tree had a history (one province, one district): what
/// undoing the lineage migration puts back.
pub const SINGLE_KEY_PREDICATE: &str = "\
(select nullif(current_setting('app.all', true), '')) = 'on' \
OR (province_code = (select nullif(current_setting('app.province', true), '')) \
AND ((select nullif(current_setting('app.district', true), '')) IS NULL \
OR district_code = (select nullif(current_setting('app.district', true), ''))))";

/// Replaces the row-level policy of `table` on PostgreSQL with one testing `predicate` for
/// both `USING` and `WITH CHECK`; a no-op on SQLite.
pub async fn replace_policy(
    manager: &SchemaManager<'_>,
    table: &str,
    predicate: &str,
) -> Result<(), DbErr> {
    let sql = format!(
        "DROP POLICY IF EXISTS {table}_in_scope ON {table};
         CREATE POLICY {table}_in_scope ON {table} FOR ALL
           USING ({predicate}) WITH CHECK ({predicate});"
    );
    execute_on(manager, DatabaseBackend::Postgres, &sql).await
}

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
    let privileges = access.privileges();
    let sql = format!(
        "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
         ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
         GRANT {privileges} ON {table} TO {APP_ROLE};"
    );
    execute_on(manager, DatabaseBackend::Postgres, &sql).await?;
    replace_policy(manager, table, SCOPE_PREDICATE).await
}

/// Undoes [`protect`].
pub async fn unprotect(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    let sql = format!(
        "DROP POLICY IF EXISTS {table}_in_scope ON {table};
         ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY;
         ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;
         REVOKE ALL ON {table} FROM {APP_ROLE};"
    );
    execute_on(manager, DatabaseBackend::Postgres, &sql).await
}
