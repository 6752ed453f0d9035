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

/// The part of the board tree a viewer sees and writes: the records their board holds, by the
/// tenant keys the records carry (see `BoardTree::scope_of`: after a reorganisation a board also
/// holds its predecessors' records, which keep the keys they were written with). The lists are
/// sorted and free of repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The central board: everything.
    All,
    /// A provincial board: rows whose province is one of these (its own, and after a merger
    /// its predecessors'). Empty for a board that holds nothing (a closed one).
    Provinces(Vec<String>),
    /// A district board: rows whose district is one of these. Their provinces are kept too,
    /// so queries pin both tenant keys and use the province-leading indexes.
    Districts {
        provinces: Vec<String>,
        districts: Vec<String>,
    },
}

impl Scope {
    /// Rows of these provinces.
    pub fn provinces(codes: impl IntoIterator<Item = String>) -> Scope {
        Scope::Provinces(sorted(codes))
    }

    /// Rows of these districts, which lie in these provinces.
    pub fn districts(
        provinces: impl IntoIterator<Item = String>,
        districts: impl IntoIterator<Item = String>,
    ) -> Scope {
        Scope::Districts {
            provinces: sorted(provinces),
            districts: sorted(districts),
        }
    }

    /// No rows at all.
    pub fn nothing() -> Scope {
        Scope::Provinces(Vec::new())
    }

    /// The rows keyed to `board` itself and below it, by its own tenant keys (no lineage: for
    /// the scope a board holds, ask `BoardTree::scope_of`).
    pub fn of_board_keys(board: &board::Model) -> AppResult<Scope> {
        let missing = || AppError::Internal(format!("board {} lacks its tenant keys", board.code));
        Ok(match board.level {
            BoardLevel::Central => Scope::All,
            BoardLevel::Province => {
                Scope::provinces([board.province_code.clone().ok_or_else(missing)?])
            }
            BoardLevel::District => Scope::districts(
                [board.province_code.clone().ok_or_else(missing)?],
                [board.district_code.clone().ok_or_else(missing)?],
            ),
        })
    }

    /// The condition that keeps only rows of entity `E` inside this scope.
    pub fn condition<E: Tenant>(&self) -> Condition {
        // Qualified by the table (`"cadres"."province_code"`): a query may join another tenant
        // table, whose keys have the same names.
        let col = |c: E::Column| Expr::col(c.as_column_ref());
        self.condition_by(col(E::PROVINCE), col(E::DISTRICT))
    }

    /// The same condition on rows of `E` read under the alias `table` (for aggregate queries,
    /// which read tables under aliases and in subqueries).
    pub fn condition_on<E: Tenant>(&self, table: &str) -> Condition {
        let col = |c: E::Column| Expr::col((Alias::new(table), c));
        self.condition_by(col(E::PROVINCE), col(E::DISTRICT))
    }

    /// The condition on these two tenant-key columns.
    fn condition_by(&self, province: Expr, district: Expr) -> Condition {
        let any_of = |col: Expr, codes: &[String]| col.is_in(codes.iter().map(String::as_str));
        match self {
            Scope::All => Condition::all(),
            Scope::Provinces(provinces) => Condition::all().add(any_of(province, provinces)),
            Scope::Districts {
                provinces,
                districts,
            } => Condition::all()
                .add(any_of(province, provinces))
                .add(any_of(district, districts)),
        }
    }

    /// This scope cut into one part per province (or district) it holds, when it holds several
    /// (a board that absorbed others): each part is what one tenant-key-leading index range
    /// holds. `None` for a scope of one province or district, or of everything.
    pub fn parts(&self) -> Option<Vec<Scope>> {
        match self {
            Scope::Provinces(provinces) if provinces.len() > 1 => Some(
                provinces
                    .iter()
                    .map(|p| Scope::provinces([p.clone()]))
                    .collect(),
            ),
            Scope::Districts {
                provinces,
                districts,
            } if districts.len() > 1 => Some(
                districts
                    .iter()
                    .map(|d| Scope::districts(provinces.clone(), [d.clone()]))
                    .collect(),
            ),
            _ => None,
        }
    }

    /// The scope of rows with these tenant keys: all of them for the centre's (no province),
    /// a province's, or a district's.
    pub fn of_keys(keys: &TenantKeys) -> AppResult<Scope> {
        Ok(match (&keys.province, &keys.district) {
            (None, None) => Scope::All,
            (Some(province), None) => Scope::provinces([province.clone()]),
            (Some(province), Some(district)) => {
                Scope::districts([province.clone()], [district.clone()])
            }
            (None, Some(_)) => {
                return Err(AppError::Internal(format!(
                    "board {} has a district but no province",
                    keys.board
                )));
            }
        })
    }

    /// Whether `inner` lies inside this scope (equal, or below it): THE answer to "is this
    /// board, or this row, mine?" ([`Scope::of_board_keys`], [`Scope::of_keys`]).
    pub fn covers(&self, inner: &Scope) -> bool {
        let within = |inner: &[String], outer: &[String]| inner.iter().all(|c| outer.contains(c));
        match (self, inner) {
            (Scope::All, _) => true,
            (Scope::Provinces(mine), Scope::Provinces(p)) => within(p, mine),
            (Scope::Provinces(mine), Scope::Districts { provinces, .. }) => within(provinces, mine),
            (
                Scope::Districts {
                    districts: mine, ..
                },
                Scope::Districts { districts, .. },
            ) => within(districts, mine),
            _ => false,
        }
    }

    /// The values PostgreSQL's row-level policies read: (`app.provinces`, `app.districts`,
    /// `app.all`), the lists comma-separated.
    pub fn settings(&self) -> (String, String, &'static str) {
        match self {
            Scope::All => (String::new(), String::new(), "on"),
            Scope::Provinces(p) => (p.join(","), String::new(), ""),
            Scope::Districts {
                provinces,
                districts,
            } => (provinces.join(","), districts.join(","), ""),
        }
    }
}

fn sorted(codes: impl IntoIterator<Item = String>) -> Vec<String> {
    let set: std::collections::BTreeSet<String> = codes.into_iter().collect();
    set.into_iter().collect()
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
