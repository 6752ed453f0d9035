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
use sea_orm::{ColumnTrait, EntityTrait, IdenStatic, Iterable, ModelTrait, QueryFilter};
use uuid::Uuid;

use crate::boards::BoardTree;
use crate::db::entities::{board, cadre};
use crate::domain::Spelled;
use crate::error::{AppError, AppResult};
use crate::scope::{Scope, ScopedDb, Tenant, TenantColumn, TenantRow, Written, stale};

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

/// A required field of a change: replaced when given, kept otherwise (see [`Edit`] for the
/// optional ones).
fn replace<T>(target: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *target = value;
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

/// Adds to the record of cadre `cadre` (in scope, or `NOT_FOUND`) the row `row` makes of them
/// (with [`on_cadre!`], under the cadre's tenant keys). The audit event notes `action` and names
/// `cadreId` and each of `fields` whose flag is set; a uniqueness clash is `CONFLICT` with
/// the message `clash`.
async fn add_to_cadre<E: Written>(
    writer: &Writer<'_>,
    cadre: Uuid,
    action: &str,
    fields: &[(&'static str, bool)],
    clash: &str,
    row: impl FnOnce(&cadre::Model) -> E::Model,
) -> AppResult<E::Model> {
    let cadre = self::cadre(writer.db(), cadre).await?;
    let mut named_fields = vec!["cadreId"];
    named_fields.extend(named(fields));
    writer
        .insert::<E>(row(&cadre), action, &named_fields, clash)
        .await
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

/// The columns every tenant table has (`tenant_entity!`): identity, keys and bookkeeping, which
/// an audit event never names as changed.
const BOOKKEEPING: [&str; 7] = [
    "id",
    "board_code",
    "province_code",
    "district_code",
    "version",
    "created_at",
    "updated_at",
];

/// The names of the columns of `E` that differ between `old` and `new`, in the table's order
/// and spelled as the API spells them (`full_name` is `fullName`), for an audit event: names
/// only, never values. The bookkeeping columns and `skip` are left out.
fn changed<E: EntityTrait>(old: &E::Model, new: &E::Model, skip: &[E::Column]) -> Vec<String> {
    E::Column::iter()
        .filter(|c| !BOOKKEEPING.contains(&c.as_str()))
        .filter(|c| !skip.iter().any(|s| s.as_str() == c.as_str()))
        .filter(|c| old.get(*c) != new.get(*c))
        .map(|c| api_name(c.as_str()))
        .collect()
}

/// A column's name as the API spells it: `hba1c_percent` is `hba1cPercent`.
fn api_name(column: &str) -> String {
    let mut words = column.split('_');
    let mut name = words.next().unwrap_or_default().to_owned();
    for word in words {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.extend(first.to_uppercase());
            name.push_str(chars.as_str());
        }
    }
    name
}

/// A status that moves only by its own rules ([`CadreStatus`](crate::domain::CadreStatus),
/// [`ReferralStatus`](crate::domain::ReferralStatus)).
pub trait Status: Spelled {
    /// What the refusal of a move calls the row (`cadre`).
    const ROW: &'static str;
    /// The moves there are, as the refusal explains them.
    const MOVES: &'static str;
    /// Whether a row with this status may move to `to`.
    fn may_become(self, to: Self) -> bool;
}

/// A row whose status moves by the rules of its [`Status`].
pub trait WithStatus {
    type Status: Status;
    /// The audit action of a move.
    const CHANGE_STATUS: &'static str;
    fn status_mut(&mut self) -> &mut Self::Status;
}

/// A table whose rows the API changes by ID, at the version the client read.
pub trait Versioned: Written<Column: From<TenantColumn>> {}

impl<E: Written<Column: From<TenantColumn>>> Versioned for E {}

/// A table whose rows move by a [`Status`] (cadres, referrals).
pub trait StatusTable: Versioned<Model: WithStatus> {}

impl<E: Versioned<Model: WithStatus>> StatusTable for E {}

/// The row of `E` with `id`, if `version` is still the row's, as `change` leaves it (or the
/// client's error `change` refuses with), and the names of its columns that changed but `skip`,
/// for the audit event of the update.
async fn edited<E: Versioned>(
    db: &ScopedDb,
    id: Uuid,
    version: i32,
    skip: &[E::Column],
    change: impl FnOnce(&mut E::Model) -> AppResult<()>,
) -> AppResult<(E::Model, Vec<String>)> {
    let old = find_current::<E>(db, id, version).await?;
    let mut row = old.clone();
    change(&mut row)?;
    let fields = changed::<E>(&old, &row, skip);
    Ok((row, fields))
}

/// Moves the status of the row of `E` with `id` to `to`, if `version` is still the row's and the
/// status may move there ([`Status::may_become`]); any other move is `BAD_USER_INPUT`.
pub async fn change_status<E: StatusTable>(
    writer: Writer<'_>,
    id: Uuid,
    version: i32,
    to: <E::Model as WithStatus>::Status,
) -> AppResult<E::Model> {
    let (row, fields) = edited::<E>(writer.db(), id, version, &[], |row| {
        let status = row.status_mut();
        if !status.may_become(to) {
            return Err(AppError::bad_input(
                "status",
                format!(
                    "status: a {} {} cannot become {} ({})",
                    status.as_str(),
                    <E::Model as WithStatus>::Status::ROW,
                    to.as_str(),
                    <E::Model as WithStatus>::Status::MOVES,
                ),
            ));
        }
        *status = to;
        Ok(())
    })
    .await?;
    let action = <E::Model as WithStatus>::CHANGE_STATUS;
    writer.update::<E>(row, version, action, &fields, "").await
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
