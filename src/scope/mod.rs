//! The viewer's scope and the ONE place that cuts a query down to it.
//!
//! Resolvers never hold a database connection. They hold a [`ScopedDb`], whose every read method
//! ANDs the scope into the query at execution time, so a resolver cannot forget it: there is no
//! unscoped door. (On PostgreSQL, row-level security enforces the same rule a second time; see
//! `db::begin_request`.)

use sea_orm::sea_query::{Alias, Expr, ExprTrait, IntoIden, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryResult, QuerySelect, Select,
};
use tokio::sync::RwLock;

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
}

macro_rules! tenant_tables {
    ($($table:ident),+) => {
        $(impl Tenant for entities::$table::Entity {
            const PROVINCE: Self::Column = entities::$table::Column::ProvinceCode;
            const DISTRICT: Self::Column = entities::$table::Column::DistrictCode;
        })+
    };
}

tenant_tables!(
    board,
    cadre,
    campaign_enrolment,
    chronic_condition,
    exam_campaign,
    health_exam,
    clinic_visit,
    prescription,
    referral,
    consultation,
    vaccination,
    audit_event
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

/// A request's database access, cut to the viewer's scope.
///
/// It owns the request's transaction (opened by `db::begin_request`, which also sets the scope
/// for row-level security), so DataLoaders and resolvers of one request share it.
pub struct ScopedDb {
    scope: Scope,
    filter: AppFilter,
    /// `None` once the request has finished. Reads share the lock; finishing takes it whole.
    tx: RwLock<Option<DatabaseTransaction>>,
}

impl ScopedDb {
    pub(crate) fn new(scope: Scope, filter: AppFilter, tx: DatabaseTransaction) -> Self {
        ScopedDb {
            scope,
            filter,
            tx: RwLock::new(Some(tx)),
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
        Ok(self.restrict(query).all(open(&tx)?).await?)
    }

    /// The first row of `query` inside the scope, or `None`: absent and out of scope look alike.
    pub async fn one<E: Tenant>(&self, query: Select<E>) -> AppResult<Option<E::Model>> {
        let tx = self.tx.read().await;
        Ok(self.restrict(query).one(open(&tx)?).await?)
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
            tx.commit().await?
        } else {
            tx.rollback().await?
        }
        Ok(())
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

/// A query over a tenant table already cut to the viewer's scope (see
/// [`ScopedDb::select_from`]). Add columns, conditions, grouping and joins of other
/// `ScopedSelect`s; never join a tenant table directly.
pub struct ScopedSelect(SelectStatement);

impl ScopedSelect {
    /// The query, for use as a subquery (`FROM (...)`, `EXISTS (...)`) of another scoped query.
    pub fn into_subquery(self) -> SelectStatement {
        self.0
    }

    /// `SELECT ... FROM (self) AS alias`: an outer query whose only source is this scoped one.
    pub fn nest(self, alias: &str) -> ScopedSelect {
        let mut outer = Query::select();
        outer.from_subquery(self.0, Alias::new(alias));
        ScopedSelect(outer)
    }
}

impl std::ops::Deref for ScopedSelect {
    type Target = SelectStatement;
    fn deref(&self) -> &SelectStatement {
        &self.0
    }
}

impl std::ops::DerefMut for ScopedSelect {
    fn deref_mut(&mut self) -> &mut SelectStatement {
        &mut self.0
    }
}

fn open(tx: &Option<DatabaseTransaction>) -> AppResult<&DatabaseTransaction> {
    tx.as_ref()
        .ok_or_else(|| AppError::Internal("query after the request finished".into()))
}
