//! The viewer's scope and the ONE place that cuts a query down to it.
//!
//! Resolvers never hold a database connection. They hold a [`ScopedDb`], whose every read method
//! ANDs the scope into the query at execution time, so a resolver cannot forget it: there is no
//! unscoped door. (On PostgreSQL, row-level security enforces the same rule a second time; see
//! `db::begin_request`.)

mod audit;
mod clash;
mod select;

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::Utc;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, IntoIden, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryResult, QuerySelect, Select, TransactionTrait,
};
use tokio::sync::RwLock;
use uuid::Uuid;

pub use audit::{Actor, Change, write_events};
pub use clash::{Clash, NATIONAL_ID_CLASH, national_id_taken};
pub use select::ScopedSelect;

use crate::db::entities::{self, board};
use crate::domain::BoardLevel;
use crate::error::{AppError, AppResult};

/// The part of the board tree a viewer sees and writes: their board's subtree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The central board: everything.
    All,
    /// A provincial board: rows whose province is theirs.
    Province(String),
    /// A district board: rows whose district is theirs. The province is kept too, so queries
    /// pin both tenant keys and use the province-leading indexes.
    District { province: String, district: String },
}

impl Scope {
    /// The scope of a user who works for `board`.
    pub fn of_board(board: &board::Model) -> AppResult<Scope> {
        let missing = || AppError::Internal(format!("board {} lacks its tenant keys", board.code));
        Ok(match board.level {
            BoardLevel::Central => Scope::All,
            BoardLevel::Province => {
                Scope::Province(board.province_code.clone().ok_or_else(missing)?)
            }
            BoardLevel::District => Scope::District {
                province: board.province_code.clone().ok_or_else(missing)?,
                district: board.district_code.clone().ok_or_else(missing)?,
            },
        })
    }

    /// The condition that keeps only rows of entity `E` inside this scope.
    pub fn condition<E: Tenant>(&self) -> Condition {
        match self {
            Scope::All => Condition::all(),
            Scope::Province(province) => Condition::all().add(E::PROVINCE.eq(province.as_str())),
            Scope::District { province, district } => Condition::all()
                .add(E::PROVINCE.eq(province.as_str()))
                .add(E::DISTRICT.eq(district.as_str())),
        }
    }

    /// The same condition on rows of `E` read under the alias `table` (for aggregate queries,
    /// which read tables under aliases and in subqueries).
    pub fn condition_on<E: Tenant>(&self, table: &str) -> Condition {
        let col = |c: E::Column| Expr::col((Alias::new(table), c));
        match self {
            Scope::All => Condition::all(),
            Scope::Province(province) => {
                Condition::all().add(col(E::PROVINCE).eq(province.as_str()))
            }
            Scope::District { province, district } => Condition::all()
                .add(col(E::PROVINCE).eq(province.as_str()))
                .add(col(E::DISTRICT).eq(district.as_str())),
        }
    }

    /// Whether `inner` lies inside this scope (equal, or below it).
    pub fn covers(&self, inner: &Scope) -> bool {
        match inner {
            Scope::All => *self == Scope::All,
            Scope::Province(p) => self.contains(Some(p), None),
            Scope::District { province, district } => self.contains(Some(province), Some(district)),
        }
    }

    /// Whether a row with these tenant keys lies inside the scope (for checks on writes).
    pub fn contains(&self, province: Option<&str>, district: Option<&str>) -> bool {
        match self {
            Scope::All => true,
            Scope::Province(p) => province == Some(p.as_str()),
            Scope::District {
                province: p,
                district: d,
            } => province == Some(p.as_str()) && district == Some(d.as_str()),
        }
    }

    /// The values PostgreSQL's row-level policies read: (`app.province`, `app.district`, `app.all`).
    pub fn settings(&self) -> (&str, &str, &str) {
        match self {
            Scope::All => ("", "", "on"),
            Scope::Province(p) => (p, "", ""),
            Scope::District { province, district } => (province, district, ""),
        }
    }
}

/// A table whose rows belong to a board and carry its tenant keys.
pub trait Tenant: EntityTrait {
    const PROVINCE: Self::Column;
    const DISTRICT: Self::Column;

    /// For a clinical record: the cadre it is about and its tenant keys, so that reading it is
    /// audited. `None` for everything else (the directory, campaigns, boards, the audit trail).
    fn clinical_read(_row: &Self::Model) -> Option<(Uuid, TenantKeys)> {
        None
    }

    /// The cadre a row is about and its tenant keys: the cadre itself for the directory, the
    /// record's cadre for a clinical record. A row returned by a [`Selection`] made by clinical
    /// detail is audited as a clinical read of this cadre.
    fn cadre_of_row(row: &Self::Model) -> Option<(Uuid, TenantKeys)> {
        Self::clinical_read(row)
    }

    /// Columns derived from other rows (a cadre's last exam date), which the writes of those
    /// rows keep. A whole-row [`ScopedDb::update`] leaves them out: under PostgreSQL's read
    /// committed it would otherwise write back the value it read, over an exam recorded
    /// meanwhile.
    fn derived() -> Vec<Self::Column> {
        Vec::new()
    }
}

/// The tenant keys a board's rows carry: the board, its province and its district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantKeys {
    pub board: String,
    pub province: Option<String>,
    pub district: Option<String>,
}

impl TenantKeys {
    /// The keys of rows owned by `board`. The only source of tenant keys on writes: never the
    /// client.
    pub fn of_board(board: &board::Model) -> Self {
        TenantKeys {
            board: board.code.clone(),
            province: board.province_code.clone(),
            district: board.district_code.clone(),
        }
    }
}

/// A row the API writes: a tenant row with a UUID, a version and bookkeeping.
pub trait TenantRow {
    fn row_id(&self) -> Uuid;
    fn keys(&self) -> TenantKeys;
    fn set_keys(&mut self, keys: &TenantKeys);
    fn version(&self) -> i32;
    /// Bumps the version and the update time, as every write of the row does.
    fn next_version(&mut self);
    /// The cadre the row is about (the cadre itself for a cadre), for the audit trail.
    fn cadre_of(&self) -> Option<Uuid>;
}

/// A clinical record: it belongs to one cadre and moves with them on a transfer.
pub trait CadreRecord: Tenant {
    const CADRE: Self::Column;
    const BOARD: Self::Column;
    const VERSION: Self::Column;
}

macro_rules! tenant_row {
    ($table:ident, $cadre:expr) => {
        impl TenantRow for entities::$table::Model {
            fn row_id(&self) -> Uuid {
                self.id
            }
            fn keys(&self) -> TenantKeys {
                TenantKeys {
                    board: self.board_code.clone(),
                    province: self.province_code.clone(),
                    district: self.district_code.clone(),
                }
            }
            fn set_keys(&mut self, keys: &TenantKeys) {
                self.board_code = keys.board.clone();
                self.province_code = keys.province.clone();
                self.district_code = keys.district.clone();
            }
            fn version(&self) -> i32 {
                self.version
            }
            fn next_version(&mut self) {
                self.version += 1;
                self.updated_at = Utc::now();
            }
            fn cadre_of(&self) -> Option<Uuid> {
                let cadre: fn(&Self) -> Option<Uuid> = $cadre;
                cadre(self)
            }
        }
    };
}

macro_rules! tenant_tables {
    ($($table:ident),+) => {
        $(impl Tenant for entities::$table::Entity {
            const PROVINCE: Self::Column = entities::$table::Column::ProvinceCode;
            const DISTRICT: Self::Column = entities::$table::Column::DistrictCode;
        })+
    };
}

macro_rules! clinical_tables {
    ($($table:ident),+) => {
        $(impl Tenant for entities::$table::Entity {
            const PROVINCE: Self::Column = entities::$table::Column::ProvinceCode;
            const DISTRICT: Self::Column = entities::$table::Column::DistrictCode;

            fn clinical_read(row: &Self::Model) -> Option<(Uuid, TenantKeys)> {
                Some((row.cadre_id, row.keys()))
            }
        }

        impl CadreRecord for entities::$table::Entity {
            const CADRE: Self::Column = entities::$table::Column::CadreId;
            const BOARD: Self::Column = entities::$table::Column::BoardCode;
            const VERSION: Self::Column = entities::$table::Column::Version;
        }

        tenant_row!($table, |r| Some(r.cadre_id));)+
    };
}

tenant_tables!(board, campaign_enrolment, exam_campaign, audit_event);

impl Tenant for entities::cadre::Entity {
    const PROVINCE: Self::Column = entities::cadre::Column::ProvinceCode;
    const DISTRICT: Self::Column = entities::cadre::Column::DistrictCode;

    fn derived() -> Vec<Self::Column> {
        vec![entities::cadre::Column::LastExamOn]
    }

    fn cadre_of_row(row: &Self::Model) -> Option<(Uuid, TenantKeys)> {
        Some((row.id, row.keys()))
    }
}

tenant_row!(cadre, |r| Some(r.id));
tenant_row!(exam_campaign, |_| None);
tenant_row!(campaign_enrolment, |r| Some(r.cadre_id));

clinical_tables!(
    chronic_condition,
    health_exam,
    clinic_visit,
    prescription,
    referral,
    consultation,
    vaccination
);

/// Whether the application ANDs the scope into every query. Always [`AppFilter::On`] in the
/// service; there is no flag or variable for it. [`AppFilter::Off`] exists only so that a test can
/// show that PostgreSQL's row-level security alone keeps every answer inside the scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AppFilter {
    #[default]
    On,
    #[doc(hidden)]
    Off,
}

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
/// It owns the request's transaction (opened by `db::begin_request`, which also sets the scope
/// for row-level security), so DataLoaders and resolvers of one request share it.
pub struct ScopedDb {
    scope: Scope,
    filter: AppFilter,
    /// `None` once the request has finished. Reads share the lock; finishing takes it whole.
    tx: RwLock<Option<DatabaseTransaction>>,
    /// The request's audit events, written in one insert when the request finishes.
    trail: Mutex<Trail>,
    /// The pool, for the events that must outlive the request's transaction (national ID
    /// clashes), written in a transaction of their own after it ends. Never used for a read
    /// or a write on the request's behalf.
    pool: DatabaseConnection,
    /// Whether the audit events may be written in this transaction. Not in a read-only SQLite
    /// transaction, which could not upgrade to a write (see `db::WriteGate`).
    audits_inline: bool,
}

/// What a request leaves in the audit trail: its changes, in order, and the cadres whose
/// clinical records it read (once each, however many rows).
#[derive(Default)]
struct Trail {
    changes: Vec<Change>,
    reads: BTreeMap<Uuid, TenantKeys>,
    /// Attempts to register a national ID someone else holds: audited whatever the outcome.
    clashes: Vec<clash::NationalIdClash>,
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
        }
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
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

    /// The tenant keys of `board` when the viewer may write there; `NOT_FOUND` otherwise, as
    /// for anything outside the scope.
    pub fn keys_for(&self, board: &board::Model) -> AppResult<TenantKeys> {
        let keys = TenantKeys::of_board(board);
        self.check_keys(&keys)?;
        Ok(keys)
    }

    fn check_keys(&self, keys: &TenantKeys) -> AppResult<()> {
        if self
            .scope
            .contains(keys.province.as_deref(), keys.district.as_deref())
        {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    /// Inserts `row`, whose tenant keys the caller took from a board or a cadre through this
    /// module, and notes `action` in the audit trail with the names of the fields given.
    /// A row outside the scope is `NOT_FOUND` and nothing is written; a uniqueness clash is
    /// answered as `clash` says (see [`Clash`]).
    ///
    /// Every write runs in a savepoint: on PostgreSQL a failed statement (a unique violation)
    /// would otherwise abort the whole transaction, and every later operation of the request
    /// would fail with an internal error instead of its own answer.
    pub async fn insert<'c, E>(
        &self,
        row: E::Model,
        action: &str,
        fields: &[&str],
        clash: impl Into<Clash<'c>>,
    ) -> AppResult<E::Model>
    where
        E: Tenant,
        E::Model: TenantRow + IntoActiveModel<E::ActiveModel> + Clone,
        E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
    {
        self.check_keys(&row.keys())?;
        {
            let tx = self.tx.read().await;
            let savepoint = open(&tx)?.begin().await?;
            let written = E::insert(row.clone().into_active_model())
                .exec_without_returning(&savepoint)
                .await;
            settle(savepoint, written).await.map_err(|e| {
                // A clash with a stored clinical record (that dose of that vaccine is already
                // recorded) tells the writer the record exists: a clinical read of the cadre,
                // audited although the write fails.
                if matches!(
                    e.sql_err(),
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                ) {
                    self.note_reads::<E>(std::slice::from_ref(&row));
                }
                self.clashed(clash.into(), e, row.row_id())
            })?;
        }
        self.note_change(Change::of::<E, _>(&row, action, fields));
        Ok(row)
    }

    /// Writes `row` over the stored row with its ID, only if the stored version is still
    /// `read_version` (the one the client read) and the row is in the scope, before and after:
    /// `UPDATE ... WHERE id = ? AND version = ? AND <scope>`. No row matched means someone else
    /// changed it first: `CONFLICT`, nothing written. The new version is `read_version + 1`.
    pub async fn update<'c, E>(
        &self,
        mut row: E::Model,
        read_version: i32,
        action: &str,
        fields: &[&str],
        clash: impl Into<Clash<'c>>,
    ) -> AppResult<E::Model>
    where
        E: Tenant,
        E::Model: TenantRow + IntoActiveModel<E::ActiveModel> + Clone,
        E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
        E::Column: From<TenantColumn>,
    {
        self.check_keys(&row.keys())?;
        let id = row.row_id();
        row.next_version();
        let updated = {
            let tx = self.tx.read().await;
            let mut active = row.clone().into_active_model().reset_all();
            for col in E::derived() {
                active.not_set(col);
            }
            let savepoint = open(&tx)?.begin().await?;
            let written = self
                .restrict_update(
                    E::update_many()
                        .set(active)
                        .filter(E::Column::from(TenantColumn::Id).eq(id))
                        .filter(E::Column::from(TenantColumn::Version).eq(read_version)),
                )
                .exec(&savepoint)
                .await;
            settle(savepoint, written)
                .await
                .map_err(|e| self.clashed(clash.into(), e, id))?
                .rows_affected
        };
        if updated == 0 {
            return Err(stale());
        }
        self.note_change(Change::of::<E, _>(&row, action, fields));
        Ok(row)
    }

    /// Inserts `rows` (each checked against the scope) in batches of 500, noting no audit event
    /// per row: the caller records one event for the whole batch (a campaign's enrolments).
    pub async fn insert_batch<E>(&self, rows: Vec<E::Model>, clash: &str) -> AppResult<u64>
    where
        E: Tenant,
        E::Model: TenantRow + IntoActiveModel<E::ActiveModel> + Clone,
        E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
    {
        for row in &rows {
            self.check_keys(&row.keys())?;
        }
        let tx = self.tx.read().await;
        let savepoint = open(&tx)?.begin().await?;
        let written = async {
            let mut written = 0;
            for chunk in rows.chunks(500) {
                let models: Vec<E::ActiveModel> = chunk
                    .iter()
                    .cloned()
                    .map(IntoActiveModel::into_active_model)
                    .collect();
                written += E::insert_many(models)
                    .exec_without_returning(&savepoint)
                    .await?;
            }
            Ok(written)
        }
        .await;
        settle(savepoint, written)
            .await
            .map_err(|e| AppError::from_write(e, clash))
    }

    /// Runs `update` on the rows of `E` inside the scope and returns how many changed. For
    /// bookkeeping columns only: tenant keys change through [`ScopedDb::update`] and
    /// [`ScopedDb::move_records`], which check the new keys.
    pub async fn update_where<E: Tenant>(&self, update: sea_orm::UpdateMany<E>) -> AppResult<u64> {
        let tx = self.tx.read().await;
        let savepoint = open(&tx)?.begin().await?;
        let written = self.restrict_update(update).exec(&savepoint).await;
        Ok(settle(savepoint, written)
            .await
            .map_err(|e| AppError::from_write(e, "the record changed at the same time"))?
            .rows_affected)
    }

    /// Moves every record of kind `E` of `cadre` to the tenant keys `to` (a transfer), bumping
    /// each row's version. Both ends must be in the scope. Returns how many rows moved.
    pub async fn move_records<E: CadreRecord>(&self, cadre: Uuid, to: &TenantKeys) -> AppResult<u64>
    where
        E::Column: From<TenantColumn>,
    {
        self.check_keys(to)?;
        let tx = self.tx.read().await;
        let savepoint = open(&tx)?.begin().await?;
        let moved = self
            .restrict_update(
                E::update_many()
                    .col_expr(E::BOARD, Expr::value(to.board.clone()))
                    .col_expr(E::PROVINCE, Expr::value(to.province.clone()))
                    .col_expr(E::DISTRICT, Expr::value(to.district.clone()))
                    .col_expr(E::VERSION, Expr::col(E::VERSION).add(1))
                    .col_expr(
                        E::Column::from(TenantColumn::UpdatedAt),
                        Expr::value(Utc::now()),
                    )
                    .filter(E::CADRE.eq(cadre)),
            )
            .exec(&savepoint)
            .await;
        Ok(settle(savepoint, moved)
            .await
            .map_err(|e| AppError::from_write(e, "the record changed during the transfer"))?
            .rows_affected)
    }

    /// Notes a change for the audit trail (written when the request commits).
    pub fn note_change(&self, change: Change) {
        if let Ok(mut trail) = self.trail.lock() {
            trail.changes.push(change);
        }
    }

    /// The answer to a failed write; a national ID clash is also noted, to be audited for the
    /// central board whatever becomes of the request.
    fn clashed(&self, clash: Clash<'_>, err: DbErr, written: Uuid) -> AppError {
        let (answer, audit) = clash.answer(err, written);
        if let Some(audit) = audit
            && let Ok(mut trail) = self.trail.lock()
        {
            trail.clashes.push(audit);
        }
        answer
    }

    fn note_reads<E: Tenant>(&self, rows: &[E::Model]) {
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
    /// transaction of their own (see `app::execute`): on failure the clinical reads (the client
    /// may have seen data, or an error that depended on a stored value), and on a read-only
    /// SQLite transaction, which cannot write, the reads of a successful request.
    ///
    /// National ID clashes are written afterwards in a transaction of their own, whichever way
    /// the request ended (see `clash::audit_national_id_clashes`).
    pub async fn finish_audited(&self, commit: bool, actor: &Actor) -> AppResult<Vec<Change>> {
        let (changes, reads, clashes) = match self.trail.lock() {
            Ok(mut trail) => (
                std::mem::take(&mut trail.changes),
                std::mem::take(&mut trail.reads),
                std::mem::take(&mut trail.clashes),
            ),
            Err(_) => return Err(AppError::Internal("audit trail poisoned".into())),
        };
        let finished = self.finish_with(commit, actor, changes, reads).await;
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
            if !changes.is_empty() {
                // Only a request that began as a writer may change anything.
                self.finish(false).await?;
                return Err(AppError::Internal(
                    "a read-only request tried to write".into(),
                ));
            }
            self.finish(true).await?;
            return Ok(reads);
        }
        {
            let tx = self.tx.read().await;
            let events = changes.iter().chain(reads.iter());
            write_events(open(&tx)?, actor, events).await?;
        }
        self.finish(true).await?;
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
    fn restrict_update<E: Tenant>(&self, update: sea_orm::UpdateMany<E>) -> sea_orm::UpdateMany<E> {
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

/// The bookkeeping columns every tenant table has, for generic writes.
#[derive(Clone, Copy)]
pub enum TenantColumn {
    Id,
    Version,
    UpdatedAt,
}

macro_rules! tenant_columns {
    ($($table:ident),+) => {
        $(impl From<TenantColumn> for entities::$table::Column {
            fn from(c: TenantColumn) -> Self {
                match c {
                    TenantColumn::Id => Self::Id,
                    TenantColumn::Version => Self::Version,
                    TenantColumn::UpdatedAt => Self::UpdatedAt,
                }
            }
        })+
    };
}

tenant_columns!(
    cadre,
    exam_campaign,
    chronic_condition,
    health_exam,
    clinic_visit,
    prescription,
    referral,
    consultation,
    vaccination
);

/// The answer to a write based on a version someone else has already replaced.
pub fn stale() -> AppError {
    AppError::Conflict(
        "the record has changed since you read it (stale version); read it again and retry".into(),
    )
}

/// Ends a write's savepoint: released when the write succeeded, rolled back when it failed, so
/// the request's transaction carries on either way.
async fn settle<T>(savepoint: DatabaseTransaction, written: Result<T, DbErr>) -> Result<T, DbErr> {
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

fn open(tx: &Option<DatabaseTransaction>) -> AppResult<&DatabaseTransaction> {
    tx.as_ref()
        .ok_or_else(|| AppError::Internal("query after the request finished".into()))
}
