//! Writing: the [`Writer`] and [`Admin`] capabilities.
//!
//! Every write of a tenant row goes through a [`Writer`], and the only way to get one is a role
//! check ([`ScopedDb::writer`], [`ScopedDb::admin`]): a resolver that forgot the check has no
//! way to write, so it does not compile. Like the reads, every write is cut to the viewer's
//! scope: the tenant keys of a new row come from a board or a cadre, never from the client,
//! and are checked against the scope; updates carry the scope in their `WHERE`.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, IntoActiveModel, QueryFilter, TransactionTrait};
use uuid::Uuid;

use crate::domain::Role;
use crate::error::{AppError, AppResult};

use super::audit::Change;
use super::clash::Clash;
use super::registry::{CadreRecord, Tenant, TenantColumn, TenantKeys, TenantRow};
use super::scoped_db::{ScopedDb, open, settle};

/// A tenant table whose rows the API writes whole (inserts, versioned updates).
pub trait Written:
    Tenant<
        Model: TenantRow + IntoActiveModel<Self::ActiveModel> + Clone,
        ActiveModel: ActiveModelTrait<Entity = Self> + Send,
    >
{
}

impl<E> Written for E
where
    E: Tenant,
    E::Model: TenantRow + IntoActiveModel<E::ActiveModel> + Clone,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
}

/// The right to write rows in the viewer's scope: clinicians and admins.
#[derive(Clone, Copy)]
pub struct Writer<'a> {
    db: &'a ScopedDb,
}

/// The right to do what only admins do (campaigns, transfers); also a [`Writer`].
#[derive(Clone, Copy)]
pub struct Admin<'a> {
    writer: Writer<'a>,
}

impl ScopedDb {
    /// The request's write capability, if `role` writes (analysts write nothing: `FORBIDDEN`).
    pub fn writer(&self, role: Role) -> AppResult<Writer<'_>> {
        if role.reads_clinical() {
            Ok(Writer { db: self })
        } else {
            Err(AppError::Forbidden(
                "write records (analysts read statistics only)",
            ))
        }
    }

    /// The request's admin capability, if `role` is an admin (`FORBIDDEN` otherwise).
    pub fn admin(&self, role: Role) -> AppResult<Admin<'_>> {
        if role == Role::Admin {
            Ok(Admin {
                writer: Writer { db: self },
            })
        } else {
            Err(AppError::Forbidden("do this (admins only)"))
        }
    }
}

impl<'a> Admin<'a> {
    /// What every writer may do.
    pub fn writer(&self) -> Writer<'a> {
        self.writer
    }
}

impl<'a> Writer<'a> {
    /// The scoped database, for the reads a write needs.
    pub fn db(&self) -> &'a ScopedDb {
        self.db
    }

    /// Inserts `row`, whose tenant keys the caller took from a board or a cadre through this
    /// module, and notes `action` in the audit trail with the names of the fields given.
    /// A row outside the scope is `NOT_FOUND` and nothing is written; a uniqueness clash is
    /// answered as `clash` says (see [`Clash`]).
    ///
    /// Every write runs in a savepoint: on PostgreSQL a failed statement (a unique violation)
    /// would otherwise abort the whole transaction, and every later operation of the request
    /// would fail with an internal error instead of its own answer.
    pub async fn insert<'c, E: Written>(
        &self,
        row: E::Model,
        action: &str,
        fields: &[impl AsRef<str>],
        clash: impl Into<Clash<'c>>,
    ) -> AppResult<E::Model> {
        self.db.check_keys(&row.keys())?;
        {
            let tx = self.db.tx.read().await;
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
                    self.db.note_reads::<E>(std::slice::from_ref(&row));
                }
                self.db.clashed(clash.into(), e, row.row_id())
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
        fields: &[impl AsRef<str>],
        clash: impl Into<Clash<'c>>,
    ) -> AppResult<E::Model>
    where
        E: Written,
        E::Column: From<TenantColumn>,
    {
        self.db.check_keys(&row.keys())?;
        let id = row.row_id();
        row.next_version();
        let updated = {
            let tx = self.db.tx.read().await;
            let mut active = row.clone().into_active_model().reset_all();
            for col in E::derived() {
                active.not_set(col);
            }
            let savepoint = open(&tx)?.begin().await?;
            let written = self
                .db
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
                .map_err(|e| self.db.clashed(clash.into(), e, id))?
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
        E: Written,
    {
        for row in &rows {
            self.db.check_keys(&row.keys())?;
        }
        let tx = self.db.tx.read().await;
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
    /// bookkeeping columns only: tenant keys change through [`Writer::update`] and
    /// [`Writer::move_records`], which check the new keys.
    pub async fn update_where<E: Tenant>(&self, update: sea_orm::UpdateMany<E>) -> AppResult<u64> {
        let tx = self.db.tx.read().await;
        let savepoint = open(&tx)?.begin().await?;
        let written = self.db.restrict_update(update).exec(&savepoint).await;
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
        self.db.check_keys(to)?;
        let tx = self.db.tx.read().await;
        let savepoint = open(&tx)?.begin().await?;
        let moved = self
            .db
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
        self.db.note_change(change);
    }
}

/// The answer to a write based on a version someone else has already replaced.
pub fn stale() -> AppError {
    AppError::Conflict(
        "the record has changed since you read it (stale version); read it again and retry".into(),
    )
}
