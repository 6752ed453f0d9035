//! The viewer's scope and the ONE place that cuts a query down to it.
//!
//! Resolvers never hold a database connection. They hold a [`ScopedDb`], whose every read method
//! ANDs the scope into the query at execution time, so a resolver cannot forget it: there is no
//! unscoped door. (On PostgreSQL, row-level security enforces the same rule a second time; see
//! `request::begin_request`.)

mod audit;
mod clash;
pub mod registry;
mod request;
mod scoped_db;
mod select;
mod writer;

use sea_orm::sea_query::{Alias, Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition};

pub use audit::{Actor, Change, write_events};
pub use clash::{Clash, NATIONAL_ID_CLASH, national_id_taken};
pub use registry::{CadreRecord, Tenant, TenantColumn, TenantKeys, TenantRow};
pub use request::{audit_unkept_reads, begin_request, finish_request};
pub use scoped_db::{ScopedDb, Selection};
pub use select::ScopedSelect;
pub use writer::{Admin, Writer, Written, stale};

use crate::db::entities::board;
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

    /// The scope of rows with these tenant keys: all of them for the centre's (no province),
    /// a province's, or a district's.
    pub fn of_keys(keys: &TenantKeys) -> AppResult<Scope> {
        Ok(match (&keys.province, &keys.district) {
            (None, None) => Scope::All,
            (Some(province), None) => Scope::Province(province.clone()),
            (Some(province), Some(district)) => Scope::District {
                province: province.clone(),
                district: district.clone(),
            },
            (None, Some(_)) => {
                return Err(AppError::Internal(format!(
                    "board {} has a district but no province",
                    keys.board
                )));
            }
        })
    }

    /// Whether `inner` lies inside this scope (equal, or below it): THE answer to "is this
    /// board, or this row, mine?" ([`Scope::of_board`], [`Scope::of_keys`]).
    pub fn covers(&self, inner: &Scope) -> bool {
        match (self, inner) {
            (Scope::All, _) => true,
            (Scope::Province(mine), Scope::Province(p)) => mine == p,
            (Scope::Province(mine), Scope::District { province, .. }) => mine == province,
            (
                Scope::District { province, district },
                Scope::District {
                    province: p,
                    district: d,
                },
            ) => province == p && district == d,
            _ => false,
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

/// Whether the application ANDs the scope into every query. Always [`AppFilter::On`] in the
/// service; there is no flag or variable for it. [`AppFilter::Off`] exists only so that a test can
/// show that PostgreSQL's row-level security alone keeps every answer inside the scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[allow(
    clippy::manual_non_exhaustive,
    reason = "Off is a real variant, hidden from the docs so nobody reaches for it"
)]
pub enum AppFilter {
    #[default]
    On,
    #[doc(hidden)]
    Off,
}
