//! [`ScopedDb`]: a request's database access, cut to the viewer's scope, and [`Selection`],
//! a query whose rows may be clinical detail.

use std::collections::BTreeMap;
use std::sync::Mutex;

use sea_orm::sea_query::{Alias, Expr, IntoIden, Query};
use sea_orm::{
    Condition, ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryResult, QuerySelect, Select,
};
use tokio::sync::RwLock;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::live::ExamEvent;

use super::audit::{Actor, Change, write_events};
use super::clash;
use super::registry::{Tenant, TenantKeys};
use super::{AppFilter, Scope, ScopedSelect};

/// A query of the rows of `E`, marked when it selects them by clinical detail (a cadre's active
/// conditions, the classes of their latest exam). Which cadres such a query returns is itself
/// clinical detail: `I10` plus a name tells whether that person has hypertension. So its rows
/// are audited as clinical reads of their cadres, one `readClinical` event per cadre, as if
/// their records had been shown. The query inside cannot be taken out: it runs only through
/// [`ScopedDb::page`] and [`ScopedDb::count_selection`], which honour the mark, so no resolver
/// can drop it on the way. (Refusing the roles that may not read clinical detail is the
/// filter's visible check: `ScopedDb` knows the scope, not the role.)
pub struct Selection<E: EntityTrait> {
    query: Select<E>,
    by_clinical_detail: bool,
}

impl<E: EntityTrait> Selection<E> {
    /// A selection by ordinary columns.
    pub fn new(query: Select<E>) -> Self {
        Selection {
            query,
            by_clinical_detail: false,
        }
    }

    /// Narrowed by a condition on ordinary columns.
    pub fn filter(mut self, condition: impl sea_orm::sea_query::IntoCondition) -> Self {
        self.query = self.query.filter(condition);
        self
    }

    /// Narrowed by a condition on clinical detail: from now on, a clinical read.
    pub fn filter_by_clinical_detail(
        mut self,
        condition: impl sea_orm::sea_query::IntoCondition,
    ) -> Self {
        self.query = self.query.filter(condition);
        self.by_clinical_detail = true;
        self
    }

    pub fn by_clinical_detail(&self) -> bool {
        self.by_clinical_detail
    }

    /// The same selection, its query ordered or paged by `page`; the mark stays.
    pub fn paged(self, page: impl FnOnce(Select<E>) -> AppResult<Select<E>>) -> AppResult<Self> {
        Ok(Selection {
            query: page(self.query)?,
            by_clinical_detail: self.by_clinical_detail,
        })
    }
}

impl<E: EntityTrait> Clone for Selection<E> {
    fn clone(&self) -> Self {
        Selection {
            query: self.query.clone(),
            by_clinical_detail: self.by_clinical_detail,
        }
    }
}

/// A request's database access, cut to the viewer's scope.
///
/// It owns the request's transaction (opened by `scope::begin_request`, which also sets the scope
/// for row-level security), so DataLoaders and resolvers of one request share it.
pub struct ScopedDb {
    scope: Scope,
    filter: AppFilter,
    /// `None` once the request has finished. Reads share the lock; finishing takes it whole.
    pub(super) tx: RwLock<Option<DatabaseTransaction>>,
    /// The request's audit events, written in one insert when the request finishes.
    trail: Mutex<Trail>,
    /// The pool, for the events that must outlive the request's transaction (national ID
    /// clashes), written in a transaction of their own after it ends. Never used for a read
    /// or a write on the request's behalf.
    pool: DatabaseConnection,
    /// Whether the audit events may be written in this transaction. Not in a read-only SQLite
    /// transaction, which could not upgrade to a write (see `db::WriteGate`).
    audits_inline: bool,
    /// Live events committed in process (SQLite), for the caller to publish
    /// ([`ScopedDb::take_committed_events`]).
    committed: Mutex<Vec<ExamEvent>>,
}

/// What a request leaves in the audit trail: its changes, in order, and the cadres whose
/// clinical records it read (once each, however many rows).
#[derive(Default)]
struct Trail {
    changes: Vec<Change>,
    reads: BTreeMap<Uuid, TenantKeys>,
    /// Attempts to register a national ID someone else holds: audited whatever the outcome.
    clashes: Vec<clash::NationalIdClash>,
    /// Live events of the request's writes, sent only if it commits (`live/`).
    announced: Vec<ExamEvent>,
}

impl ScopedDb {
    pub(crate) fn new(
        scope: Scope,
        filter: AppFilter,
        tx: DatabaseTransaction,
        pool: DatabaseConnection,
        audits_inline: bool,
    ) -> Self {
        ScopedDb {
            scope,
            filter,
            tx: RwLock::new(Some(tx)),
            trail: Mutex::new(Trail::default()),
            pool,
            audits_inline,
            committed: Mutex::new(Vec::new()),
        }
    }

    /// Announces `event` to live subscribers if, and only if, the request commits: on
    /// PostgreSQL as a `NOTIFY` in its transaction, on SQLite after its commit
    /// ([`ScopedDb::take_committed_events`]).
    pub fn announce(&self, event: ExamEvent) {
        if let Ok(mut trail) = self.trail.lock() {
            trail.announced.push(event);
        }
    }

    /// The live events of a committed request that are this process's to publish (SQLite;
    /// on PostgreSQL they left with the commit). Empty before the commit, and after a
    /// rollback.
    pub fn take_committed_events(&self) -> Vec<ExamEvent> {
        self.committed
            .lock()
            .map(|mut c| std::mem::take(&mut *c))
            .unwrap_or_default()
    }

    /// Which database the request runs on, for the few expressions whose spelling differs
    /// (date arithmetic in `stats/`).
    pub async fn backend(&self) -> AppResult<DatabaseBackend> {
        let tx = self.tx.read().await;
        Ok(open(&tx)?.get_database_backend())
    }

    /// Every row of `query` that lies inside the scope.
    pub async fn all<E: Tenant>(&self, query: Select<E>) -> AppResult<Vec<E::Model>> {
        let tx = self.tx.read().await;
        let rows = self.restrict(query).all(open(&tx)?).await?;
        self.note_reads::<E>(&rows);
        Ok(rows)
    }

    /// The first row of `query` inside the scope, or `None`: absent and out of scope look alike.
    pub async fn one<E: Tenant>(&self, query: Select<E>) -> AppResult<Option<E::Model>> {
        let tx = self.tx.read().await;
        let row = self.restrict(query).one(open(&tx)?).await?;
        self.note_reads::<E>(row.as_slice());
        Ok(row)
    }

    /// One page of `selection`, fetched with one row more than the page shows (`shown`), which
    /// only tells whether there is a next page: the rows shown are the first `shown`, forwards
    /// and backwards alike (`page::connection`). Only the rows shown are audited, since the
    /// extra one is never seen: the clinical records among them, and, for a selection by
    /// clinical detail, the cadre of every row.
    pub async fn page<E: Tenant>(
        &self,
        selection: Selection<E>,
        shown: u64,
    ) -> AppResult<Vec<E::Model>> {
        let tx = self.tx.read().await;
        let rows = self.restrict(selection.query).all(open(&tx)?).await?;
        let seen = rows.len().min(usize::try_from(shown).unwrap_or(usize::MAX));
        self.note::<E>(&rows[..seen], selection.by_clinical_detail);
        Ok(rows)
    }

    /// How many rows of `selection` lie inside the scope (a list's `totalCount`).
    ///
    /// A count by clinical detail is audited like the rows it counts: one `readClinical` event
    /// per cadre counted. The directory's other conditions (name words, birth years, gender)
    /// narrow a count down to one named person, and then the count is that person's clinical
    /// detail: finding 3's prefix walk over ICD-10 codes works with `totalCount` alone. So the
    /// cadres are read (their IDs and keys, not a `COUNT(*)`) and noted. Counting a population
    /// by condition or class is what `statistics` is for: aggregates by board, not audited.
    pub async fn count_selection<E: Tenant>(&self, selection: &Selection<E>) -> AppResult<u64>
    where
        E::Model: Sync,
    {
        if !selection.by_clinical_detail {
            return self.count(selection.query.clone()).await;
        }
        let tx = self.tx.read().await;
        let rows = self
            .restrict(selection.query.clone())
            .all(open(&tx)?)
            .await?;
        self.note::<E>(&rows, true);
        Ok(rows.len() as u64)
    }

    pub(super) fn check_keys(&self, keys: &TenantKeys) -> AppResult<()> {
        if self.scope.covers(&Scope::of_keys(keys)?) {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    /// Notes a change for the audit trail (written when the request commits).
    pub(super) fn note_change(&self, change: Change) {
        if let Ok(mut trail) = self.trail.lock() {
            trail.changes.push(change);
        }
    }

    /// The answer to a failed write; a national ID clash is also noted, to be audited for the
    /// central board whatever becomes of the request.
    pub(super) fn clashed(&self, clash: clash::Clash<'_>, err: DbErr, written: Uuid) -> AppError {
        let (answer, audit) = clash.answer(err, written);
        if let Some(audit) = audit
            && let Ok(mut trail) = self.trail.lock()
        {
            trail.clashes.push(audit);
        }
        answer
    }

    pub(super) fn note_reads<E: Tenant>(&self, rows: &[E::Model]) {
        self.note::<E>(rows, false);
    }

    /// Notes the cadres whose clinical detail `rows` show: the clinical records among them
    /// or, for rows selected by clinical detail, every row's cadre.
    fn note<E: Tenant>(&self, rows: &[E::Model], by_clinical_detail: bool) {
        let about: fn(&E::Model) -> Option<(Uuid, TenantKeys)> = if by_clinical_detail {
            E::cadre_of_row
        } else {
            E::clinical_read
        };
        let mut reads = rows.iter().filter_map(about).peekable();
        if reads.peek().is_none() {
            return;
        }
        if let Ok(mut trail) = self.trail.lock() {
            for (cadre, keys) in reads {
                trail.reads.entry(cadre).or_insert(keys);
            }
        }
    }

    /// Ends the request. On success its audit events (changes and clinical reads) are written
    /// in one insert inside the transaction, which then commits. On failure everything rolls
    /// back. Either way, the events not written here are returned for the caller to write in a
    /// transaction of their own (see `scope::audit_unkept_reads`): on failure the clinical reads (the client
    /// may have seen data, or an error that depended on a stored value), and on a read-only
    /// SQLite transaction, which cannot write, the reads of a successful request.
    ///
    /// National ID clashes are written afterwards in a transaction of their own, whichever way
    /// the request ended (see `clash::audit_national_id_clashes`).
    pub async fn finish_audited(&self, commit: bool, actor: &Actor) -> AppResult<Vec<Change>> {
        let (changes, reads, clashes, announced) = match self.trail.lock() {
            Ok(mut trail) => (
                std::mem::take(&mut trail.changes),
                std::mem::take(&mut trail.reads),
                std::mem::take(&mut trail.clashes),
                std::mem::take(&mut trail.announced),
            ),
            Err(_) => return Err(AppError::Internal("audit trail poisoned".into())),
        };
        let finished = self
            .finish_with(commit, actor, changes, reads, announced)
            .await;
        if finished.is_err() {
            // Whatever failed, the request's transaction must be over before another opens
            // (SQLite has one writer at a time); a finished one is left as it is.
            let _ = self.finish(false).await;
        }
        if !clashes.is_empty() {
            clash::audit_national_id_clashes(&self.pool, actor, &clashes).await?;
        }
        finished
    }

    async fn finish_with(
        &self,
        commit: bool,
        actor: &Actor,
        changes: Vec<Change>,
        reads: BTreeMap<Uuid, TenantKeys>,
        announced: Vec<ExamEvent>,
    ) -> AppResult<Vec<Change>> {
        let reads: Vec<Change> = reads
            .into_iter()
            .map(|(cadre, keys)| Change::read(cadre, keys))
            .collect();
        if !commit {
            self.finish(false).await?;
            return Ok(reads);
        }
        if !self.audits_inline {
            if !changes.is_empty() || !announced.is_empty() {
                // Only a request that began as a writer may change anything.
                self.finish(false).await?;
                return Err(AppError::Internal(
                    "a read-only request tried to write".into(),
                ));
            }
            self.finish(true).await?;
            return Ok(reads);
        }
        let in_process = {
            let tx = self.tx.read().await;
            let tx = open(&tx)?;
            let events = changes.iter().chain(reads.iter());
            write_events(tx, actor, events).await?;
            if tx.get_database_backend() == DatabaseBackend::Postgres {
                crate::live::notify(tx, &announced).await?;
                Vec::new()
            } else {
                announced
            }
        };
        self.finish(true).await?;
        if !in_process.is_empty()
            && let Ok(mut committed) = self.committed.lock()
        {
            committed.extend(in_process);
        }
        Ok(Vec::new())
    }

    /// How many rows of `query` lie inside the scope.
    pub async fn count<E: Tenant>(&self, query: Select<E>) -> AppResult<u64>
    where
        E::Model: Sync,
    {
        let tx = self.tx.read().await;
        Ok(self.restrict(query).count(open(&tx)?).await?)
    }

    /// How many rows of `query` inside the scope share each value of the UUID column `by`
    /// (values with no rows are absent): one statement for many parents' `totalCount`.
    pub async fn count_by<E: Tenant>(
        &self,
        query: Select<E>,
        by: E::Column,
    ) -> AppResult<Vec<(uuid::Uuid, i64)>> {
        let tx = self.tx.read().await;
        Ok(self
            .restrict(query)
            .select_only()
            .column(by)
            .column_as(Expr::cust("COUNT(*)"), "n")
            .group_by(by)
            .into_tuple::<(uuid::Uuid, i64)>()
            .all(open(&tx)?)
            .await?)
    }

    /// A `SELECT ... FROM <E's table> AS table WHERE <viewer's scope> AND <within>`, the only
    /// way aggregate queries (`stats/`) read a tenant table. `within` narrows further (the
    /// board a statistic is about); it can never widen the viewer's scope. Use the result as the
    /// outer query or, through [`ScopedSelect::into_subquery`], inside another one: every
    /// tenant table an aggregate reads comes from here.
    pub fn select_from<E: Tenant>(&self, table: &str, within: &Scope) -> ScopedSelect {
        let mut query = Query::select();
        query
            .from_as(E::default().into_iden(), Alias::new(table))
            .cond_where(self.condition::<E>(Some(table)))
            .cond_where(within.condition_on::<E>(table));
        ScopedSelect(query)
    }

    /// Runs an aggregate query built from [`ScopedDb::select_from`] and returns its rows.
    pub async fn aggregate(&self, query: ScopedSelect) -> AppResult<Vec<QueryResult>> {
        let tx = self.tx.read().await;
        let tx = open(&tx)?;
        let statement = tx.get_database_backend().build(&query.0);
        Ok(tx.query_all_raw(statement).await?)
    }

    /// Ends the request: commits its writes, or rolls everything back.
    pub async fn finish(&self, commit: bool) -> AppResult<()> {
        let Some(tx) = self.tx.write().await.take() else {
            return Ok(());
        };
        if commit {
            tx.commit()
                .await
                .map_err(|e| AppError::from_write(e, "the request clashed with another"))?
        } else {
            tx.rollback().await?
        }
        Ok(())
    }

    /// The one place an update is cut to the scope.
    pub(super) fn restrict_update<E: Tenant>(
        &self,
        update: sea_orm::UpdateMany<E>,
    ) -> sea_orm::UpdateMany<E> {
        update.filter(self.condition::<E>(None))
    }

    /// Entity queries (`all`, `one`, `count`), cut to the scope by [`ScopedDb::condition`].
    fn restrict<E: Tenant>(&self, query: Select<E>) -> Select<E> {
        query.filter(self.condition::<E>(None))
    }

    /// THE scope condition for every read of a tenant table, entity queries (`table` = `None`)
    /// and aggregates (`Some(alias)`) alike.
    fn condition<E: Tenant>(&self, table: Option<&str>) -> Condition {
        match (self.filter, table) {
            (AppFilter::Off, _) => Condition::all(),
            (AppFilter::On, None) => self.scope.condition::<E>(),
            (AppFilter::On, Some(alias)) => self.scope.condition_on::<E>(alias),
        }
    }
}

/// Ends a write's savepoint: released when the write succeeded, rolled back when it failed, so
/// the request's transaction carries on either way.
pub(super) async fn settle<T>(
    savepoint: DatabaseTransaction,
    written: Result<T, DbErr>,
) -> Result<T, DbErr> {
    match written {
        Ok(value) => {
            savepoint.commit().await?;
            Ok(value)
        }
        Err(err) => {
            savepoint.rollback().await?;
            Err(err)
        }
    }
}

pub(super) fn open(tx: &Option<DatabaseTransaction>) -> AppResult<&DatabaseTransaction> {
    tx.as_ref()
        .ok_or_else(|| AppError::Internal("query after the request finished".into()))
}
