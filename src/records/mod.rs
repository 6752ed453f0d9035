//! The records layer: what each write of the API means, below the resolvers.
//!
//! A resolver parses its input into one of the typed commands here ([`cadres::NewCadre`],
//! [`exams::ExamValues`], [`cadres::Transfer`], …), calls one function with the capability its
//! role check gave it ([`Writer`] or [`Admin`]), and maps the row it gets back. Everything else
//! lives here:
//! - the state machines (cadre status, referral status), as methods on the domain enums;
//! - campaign enrolment and the exam syncs (an enrolment's exam date, a cadre's last exam);
//! - the transfer cascade, which moves every table the registry says moves with a cadre;
//! - the names of the audit actions and of the fields each one records.
//!
//! Every read and write goes through the scoped database ([`crate::scope`]): nothing here
//! writes a tenant condition by hand.

pub mod actions;
pub mod cadres;
pub mod campaigns;
pub mod clinical;
pub mod exams;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use crate::boards::BoardTree;
use crate::db::entities::{board, cadre};
use crate::error::{AppError, AppResult};
use crate::scope::{Scope, ScopedDb, Tenant, TenantColumn, TenantRow, stale};

pub use crate::scope::{Admin, Writer};

/// An optional field of a change: kept as it is, cleared, or set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Edit<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> Edit<T> {
    /// Applies the edit to `target`.
    fn apply(self, target: &mut Option<T>) {
        match self {
            Edit::Keep => {}
            Edit::Clear => *target = None,
            Edit::Set(value) => *target = Some(value),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Edit<U> {
        match self {
            Edit::Keep => Edit::Keep,
            Edit::Clear => Edit::Clear,
            Edit::Set(value) => Edit::Set(f(value)),
        }
    }
}

/// The row of `E` with `id` in the viewer's scope, or `NOT_FOUND` (absent and out of scope
/// look alike).
pub async fn find<E>(db: &ScopedDb, id: Uuid) -> AppResult<E::Model>
where
    E: Tenant,
    E::Column: From<TenantColumn>,
{
    db.one(E::find().filter(E::Column::from(TenantColumn::Id).eq(id)))
        .await?
        .ok_or(AppError::NotFound)
}

/// [`find`], and the version the client read must still be the row's (`CONFLICT` otherwise).
async fn find_current<E>(db: &ScopedDb, id: Uuid, version: i32) -> AppResult<E::Model>
where
    E: Tenant,
    E::Column: From<TenantColumn>,
    E::Model: TenantRow,
{
    let row = find::<E>(db, id).await?;
    if row.version() != version {
        return Err(stale());
    }
    Ok(row)
}

/// The cadre a new record is for: in scope, or `NOT_FOUND`.
async fn cadre(db: &ScopedDb, id: Uuid) -> AppResult<cadre::Model> {
    find::<cadre::Entity>(db, id).await
}

/// The board with `code` when it lies in `scope`: the one answer to "is this board mine?".
/// An unknown code and a board outside the scope are both `NOT_FOUND`, with the same message,
/// so nobody can probe the tree.
pub fn board_in_scope<'t>(
    boards: &'t BoardTree,
    scope: &Scope,
    code: &str,
) -> AppResult<&'t board::Model> {
    boards.in_scope(scope, code).ok_or(AppError::NotFound)
}

/// A fresh row ID (UUID v7).
fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// The names of the fields whose flag is set, for an audit event.
fn named(fields: &[(&'static str, bool)]) -> Vec<&'static str> {
    fields.iter().filter(|(_, f)| *f).map(|(n, _)| *n).collect()
}

/// A new row's bookkeeping: a fresh ID, version 1, created and updated now.
struct Fresh {
    id: Uuid,
    now: DateTime<Utc>,
}

impl Fresh {
    fn new() -> Self {
        Fresh {
            id: new_id(),
            now: Utc::now(),
        }
    }
}

/// A new row of `$module` with the tenant keys `$keys` (from a board or a cadre, never from the
/// client), fresh bookkeeping (ID, version 1, created and updated now) and the fields given.
macro_rules! new_row {
    ($module:ident, $keys:expr, { $($field:ident: $value:expr),* $(,)? }) => {{
        let keys: crate::scope::TenantKeys = $keys;
        let fresh = crate::records::Fresh::new();
        $module::Model {
            id: fresh.id,
            board_code: keys.board,
            province_code: keys.province,
            district_code: keys.district,
            version: 1,
            created_at: fresh.now,
            updated_at: fresh.now,
            $($field: $value,)*
        }
    }};
}

/// A new row of `$module` kept with `$cadre`'s record, under the cadre's tenant keys.
macro_rules! on_cadre {
    ($module:ident, $cadre:expr, { $($field:ident: $value:expr),* $(,)? }) => {
        crate::records::new_row!($module, crate::scope::TenantRow::keys($cadre), {
            cadre_id: $cadre.id,
            $($field: $value,)*
        })
    };
}

use {new_row, on_cadre};
