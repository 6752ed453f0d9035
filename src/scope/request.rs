//! A request's life at the database: its scoped transaction begun (row-level security, the
//! statement timeout, the [`ScopedDb`] its resolvers share), finished, and the clinical reads
//! its transaction could not keep audited in a transaction of their own.

use std::time::Duration;

use sea_orm::{DatabaseBackend, DatabaseConnection, DbErr};
use tokio::time::Instant;

use super::{Actor, AppFilter, Change, Scope, ScopedDb, write_events};
use crate::db::{self, Access, RlsScope, WriteGate, WriteTurn};
use crate::error::AppResult;

impl RlsScope for Scope {
    fn rls_settings(&self) -> (String, String, &'static str) {
        self.settings()
    }
}

/// How much longer than the request a statement may run on PostgreSQL. The server's own timer
/// must fire first, so the client gets `REQUEST_TIMEOUT`; had the database cancelled the
/// statement at the same instant, the race would end in an internal error instead.
const STATEMENT_GRACE: Duration = Duration::from_secs(1);

/// Opens a request's transaction, cut to `scope` for the resolvers (the application filter) and,
/// on PostgreSQL, for the database too (row-level security, [`db::begin_scoped_as`]). On SQLite
/// a writing request must hold its [`WriteGate`] turn.
///
/// On PostgreSQL every statement of the request is also cut off shortly after `timeout`
/// (`SET LOCAL statement_timeout`), so a runaway query stops in the database, not only in the
/// server that gave up waiting for it.
pub async fn begin_request(
    db: &DatabaseConnection,
    scope: Scope,
    filter: AppFilter,
    timeout: Duration,
    access: Access,
) -> Result<ScopedDb, DbErr> {
    let tx = db::begin_scoped_as(db, &scope, access, Some(timeout + STATEMENT_GRACE)).await?;
    // A read-only SQLite transaction must not write its audit events: they go in a
    // transaction of their own once it has ended (see `WriteGate`).
    let audits_inline =
        access == Access::Write || db.get_database_backend() != DatabaseBackend::Sqlite;
    Ok(ScopedDb::new(scope, filter, tx, db.clone(), audits_inline))
}

/// Ends the request begun by [`begin_request`]: commits when `commit` (its audit events written
/// first) or rolls back ([`ScopedDb::finish_audited`]), then gives up the writer's `turn`.
/// Returns the clinical reads the transaction could not keep, for [`audit_unkept_reads`].
pub async fn finish_request(
    db: &ScopedDb,
    commit: bool,
    actor: &Actor,
    turn: WriteTurn,
) -> AppResult<Vec<Change>> {
    let finished = db.finish_audited(commit, actor).await;
    drop(turn);
    finished
}

/// Writes the clinical reads a request's transaction could not keep (it rolled back, or it was
/// a read-only SQLite transaction) in a transaction of their own, cut to the request's `scope`,
/// taking a writer's turn first and waiting no later than `deadline`. The caller answers only
/// once this has succeeded, so no clinical detail reaches a client unaudited.
pub async fn audit_unkept_reads(
    pool: &DatabaseConnection,
    gate: &WriteGate,
    deadline: Instant,
    scope: &Scope,
    actor: &Actor,
    reads: &[Change],
) -> AppResult<()> {
    let _turn = gate.enter(Access::Write, deadline).await?;
    let tx = db::begin_scoped_as(pool, scope, Access::Write, None).await?;
    write_events(&tx, actor, reads.iter()).await?;
    tx.commit().await?;
    Ok(())
}
