//! Connecting, migrating, and opening each request's scoped transaction.

pub mod entities;

use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DbErr,
    Statement, TransactionTrait,
};

use crate::scope::{Scope, ScopedDb};

/// Opens a pool on `url` (`sqlite://...` or `postgres://...`).
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(16)
        .connect_timeout(Duration::from_secs(10))
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

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Opens a request's transaction and sets the viewer's scope in it.
///
/// On PostgreSQL the scope goes into transaction-local settings (`set_config(..., true)`), which
/// end with the transaction and so never leak to the next user of a pooled connection.
pub async fn begin_request(db: &DatabaseConnection, scope: Scope) -> Result<ScopedDb, DbErr> {
    let tx = db.begin().await?;
    if tx.get_database_backend() == DatabaseBackend::Postgres {
        let (province, district, all) = scope.settings();
        tx.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT set_config('app.province', $1, true), set_config('app.district', $2, true), \
             set_config('app.all', $3, true)",
            [province.into(), district.into(), all.into()],
        ))
        .await?;
    }
    Ok(ScopedDb::new(scope, tx))
}
