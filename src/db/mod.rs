//! The database itself: connecting, migrating, planner statistics, SQLite's [`WriteGate`], and
//! the transactions every piece of work runs in (a scoped one, [`begin_scoped`], or the
//! service's own, [`begin_system`]). A request's life around its transaction (the statement
//! timeout, the `ScopedDb` its resolvers use, its audit events) is `scope::request`'s.

pub mod entities;

use std::sync::Arc;
use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, DbErr, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};
use tokio::sync::{Mutex, OwnedMutexGuard};
use tokio::time::Instant;

use crate::error::{AppError, AppResult};

/// What a request's transaction may do, known before it begins (a mutation writes; a query
/// only reads, its audit events aside). SQLite needs to know at `BEGIN`: see [`WriteGate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// SQLite's one writer at a time, as a queue in the process instead of a failure.
///
/// A deferred SQLite transaction that reads and later writes must upgrade its lock, and if
/// another writer committed since it began reading, SQLite refuses at once
/// (`SQLITE_BUSY_SNAPSHOT`; the busy timeout does not apply). So on SQLite every transaction
/// that will write takes its turn here first, then begins with `BEGIN IMMEDIATE` (holding the
/// write lock from its first statement), and nothing else in the process writes meanwhile.
/// Readers never come here: under WAL they read their snapshot while a writer writes. A
/// query's own audit events are written after its read transaction ends, in a short write
/// transaction of their own (see `scope::audit_unkept_reads`).
///
/// The queue is fair (tokio's mutex is first come, first served) and every wait ends at the
/// request's deadline. PostgreSQL has row locks and needs none of this.
#[derive(Clone, Default)]
pub struct WriteGate(Option<Arc<Mutex<()>>>);

/// A writer's turn; the next writer goes when it is dropped.
pub type WriteTurn = Option<OwnedMutexGuard<()>>;

impl WriteGate {
    pub fn for_backend(backend: DatabaseBackend) -> Self {
        match backend {
            DatabaseBackend::Sqlite => WriteGate(Some(Arc::new(Mutex::new(())))),
            _ => WriteGate(None),
        }
    }

    /// Waits for the turn to write, until `deadline` at the latest (`REQUEST_TIMEOUT`). No
    /// wait for readers, nor on PostgreSQL.
    pub async fn enter(&self, access: Access, deadline: Instant) -> AppResult<WriteTurn> {
        match (&self.0, access) {
            (Some(gate), Access::Write) => {
                tokio::time::timeout_at(deadline, gate.clone().lock_owned())
                    .await
                    .map(Some)
                    .map_err(|_| AppError::Timeout)
            }
            _ => Ok(None),
        }
    }
}

/// How long a request waits for a connection by default (`--db-acquire-timeout`).
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// Opens a pool on `url` (`sqlite://...` or `postgres://...`), waiting at most
/// [`DEFAULT_ACQUIRE_TIMEOUT`] for a connection.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, DEFAULT_ACQUIRE_TIMEOUT).await
}

/// Opens a pool on `url` whose every wait for a connection (a free one from the pool, or a new
/// one opened to the server) ends after `acquire_timeout`: with the database unreachable, a
/// request fails within that bound ([`crate::error::AppError::Unavailable`]) instead of
/// hanging. Connections are checked before use, so the pool drops the dead ones of an outage
/// and opens new ones once the server is back, without a restart.
pub async fn connect_with(
    url: &str,
    acquire_timeout: Duration,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(16)
        .connect_timeout(acquire_timeout)
        .acquire_timeout(acquire_timeout)
        .test_before_acquire(true)
        .sqlx_logging(false)
        // WAL lets dashboards read while a clinic writes; the busy timeout queues writers
        // instead of failing them when two requests write at once.
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(15))
                .foreign_keys(true)
        });
    Database::connect(options).await
}

/// Opens the embedded SQLite database at `url` for `cadre-health backup`: one connection, never
/// creating the file (a mistyped path is an error, not an empty copy), never migrating.
pub async fn open_for_backup(
    url: &str,
    acquire_timeout: Duration,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(1)
        .connect_timeout(acquire_timeout)
        .acquire_timeout(acquire_timeout)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(false)
                .busy_timeout(Duration::from_secs(15))
        });
    Database::connect(options).await
}

/// Writes a consistent copy of the SQLite database to `path` (`VACUUM INTO`): one read
/// transaction, so the copy is the database as of one moment while writers go on (WAL).
pub async fn vacuum_into(db: &DatabaseConnection, path: &std::path::Path) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Sqlite,
        "VACUUM INTO ?",
        [path.to_string_lossy().into_owned().into()],
    ))
    .await?;
    Ok(())
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Brings the query planner's statistics up to date where they are missing or stale. Called
/// after migrating (every start, cheap) and after seeding (`after_bulk_load`).
///
/// On SQLite, `PRAGMA optimize=0x10002` analyses the tables that have no statistics or have
/// grown or shrunk tenfold, each within a bounded sample (milliseconds). Without statistics
/// SQLite takes an equality on any index's first column for a selective one, and may scan a
/// whole province's rows through a tenant index where a page of cadres needs a dozen rows each.
/// On PostgreSQL, autovacuum analyses in the background; only a bulk load is worth an
/// immediate `ANALYZE`, so the first dashboards after it are planned on real figures.
pub async fn refresh_planner_statistics(
    db: &DatabaseConnection,
    after_bulk_load: bool,
) -> Result<(), DbErr> {
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            db.execute_unprepared("PRAGMA optimize=0x10002").await?;
        }
        DatabaseBackend::Postgres if after_bulk_load => {
            db.execute_unprepared("ANALYZE").await?;
        }
        _ => {}
    }
    Ok(())
}

/// What row-level security reads from a transaction: the part of the board tree it is cut to.
/// `scope::Scope` is the one implementation; this module needs only the settings, so it does
/// not depend on the scope.
pub trait RlsScope: Sync {
    /// The values PostgreSQL's row-level policies read (`migrations::tenant`):
    /// (`app.provinces`, `app.districts`, `app.all`), the lists comma-separated.
    fn rls_settings(&self) -> (String, String, &'static str);
}

/// A transaction bound to `scope` at the database, as every request's is.
///
/// On PostgreSQL it first sets the scope as transaction-local settings (`set_config(..., true)`,
/// read by the row-level policies) and switches to the application role for the rest of the
/// transaction (`set_config('role', ..., true)` is `SET LOCAL ROLE`). Both end with the
/// transaction, so nothing carries over to the next user of a pooled connection, and both hold
/// whatever user the connection string names. On SQLite it is a plain transaction.
pub async fn begin_scoped(
    db: &DatabaseConnection,
    scope: &impl RlsScope,
) -> Result<DatabaseTransaction, DbErr> {
    begin_scoped_as(db, scope, Access::Read, None).await
}

/// [`begin_scoped`] for `access`: on SQLite a transaction that will write begins with
/// `BEGIN IMMEDIATE`, taking the write lock at once (the caller holds its [`WriteGate`] turn).
/// On PostgreSQL a `statement_timeout` cuts off each of its statements (`SET LOCAL`, whole
/// milliseconds, at least 1), set by the same statement as the scope; SQLite's statements run
/// in-process and are bounded by the request timeout alone.
pub async fn begin_scoped_as(
    db: &DatabaseConnection,
    scope: &impl RlsScope,
    access: Access,
    statement_timeout: Option<Duration>,
) -> Result<DatabaseTransaction, DbErr> {
    let tx = match (db.get_database_backend(), access) {
        (DatabaseBackend::Sqlite, Access::Write) => {
            db.begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await?
        }
        _ => db.begin().await?,
    };
    if tx.get_database_backend() == DatabaseBackend::Postgres {
        let (provinces, districts, all) = scope.rls_settings();
        let millis =
            statement_timeout.map(|t| t.as_millis().clamp(1, i32::MAX as u128).to_string());
        // One statement, one round trip; without a timeout the session's own is set again.
        tx.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT set_config('app.provinces', $1, true), set_config('app.districts', $2, true), \
             set_config('app.all', $3, true), set_config('role', $4, true), \
             set_config('statement_timeout', \
                        coalesce($5, current_setting('statement_timeout')), true)",
            [
                provinces.into(),
                districts.into(),
                all.into(),
                migrations::tenant::APP_ROLE.into(),
                millis.into(),
            ],
        ))
        .await?;
    }
    Ok(tx)
}

/// A transaction for the service's own work (seeding, reading the board tree at start): the
/// whole tree, as the connecting user. Under forced row-level security even a table's owner
/// sees nothing without a scope, so this one sets the central scope. Never used for a request.
pub async fn begin_system(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let tx = db.begin().await?;
    if tx.get_database_backend() == DatabaseBackend::Postgres {
        tx.execute_unprepared("SELECT set_config('app.all', 'on', true)")
            .await?;
    }
    Ok(tx)
}
