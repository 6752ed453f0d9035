//! Aggregate queries for dashboards.
//!
//! Every figure is a `GROUP BY` computed by the database, on tables read through
//! [`ScopedDb::select_from`], so the viewer's scope is ANDed into each table the query touches
//! (and, on PostgreSQL, row-level security applies to the same reads). Each statistic groups by
//! one tenant key of the board it is about: `province_code` for the central board (one group
//! per province, null for the centre's own cadres), `district_code` for a province (one per
//! district, null for the province's own) and for a district (its own rows only). Rust only
//! places those group rows next to the board they belong to, fills in zeros for children with
//! no rows, and adds the rows up into the total; rates are divisions of two such counts.

/// A figure of plain counts, `Name { field, ... }` (each a `pub` `i64`), that adds up across
/// boards field by field.
macro_rules! counts_figure {
    ($(#[$doc:meta])* $name:ident { $($field:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct $name {
            $(pub $field: i64,)+
        }

        impl $crate::stats::Tally for $name {
            fn add(&mut self, o: &Self) {
                $(self.$field += o.$field;)+
            }
        }
    };
}

mod activity;
mod classes;
mod counts;
mod coverage;
mod prevalence;
mod sql;
mod vaccination;

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};

use crate::auth::Viewer;
use crate::boards::{BoardTree, is_open};
use crate::db::entities::board;
use crate::domain::BoardLevel;
use crate::domain::calendar::{EARLIEST_STATISTICS_YEAR, LATEST_STATISTICS_YEAR};
use crate::error::{AppError, AppResult};
use crate::scope::Scope;

pub use activity::{Activity, Interval, MAX_BUCKETS, Series, clinic_activity};
pub use classes::{Classes, Classification, health_class_distribution};
pub use counts::{AGE_BANDS, CountBy, Counts, cadre_counts};
pub use coverage::{Coverage, check_coverage_period, exam_coverage};
pub use prevalence::{MAX_PREFIXES, Prevalence, condition_prevalence};
pub use vaccination::{Vaccinated, vaccination_coverage};

/// The board a statistic is about, with its children: the rows of every `byBoard`, in the
/// tree of one day (today's, or the one in force in the period asked: `tree: AS_RECORDED`).
#[derive(Debug, Clone)]
pub struct Subject {
    pub board: board::Model,
    /// The records the board holds on that day, which every query is narrowed to (inside the
    /// viewer's scope).
    pub within: Scope,
    /// Its direct children open on that day, ordered by code.
    pub children: Vec<board::Model>,
    /// Which row of `byBoard` each group key (a province's or district's code, as recorded on
    /// the rows) counts in: 0 for the board's own, 1.. for its children. A key whose board has
    /// closed counts where its records are held on that day.
    slots: HashMap<String, usize>,
}

impl Subject {
    /// The board that `statistics(boardCode)` answers for, in the tree of `on`.
    ///
    /// - No code: the viewer's own board.
    /// - A board inside the viewer's scope: that board.
    /// - A board above the viewer's (their province, or `TW`): everything of it the viewer may
    ///   see is their own board's subtree, so the answer is exactly the viewer's own board's.
    /// - Anything else (another province or district, a code that does not exist, or a board
    ///   not open on `on`): `NOT_FOUND`, the same error with the same message, so nobody can
    ///   probe the tree.
    pub fn resolve(
        viewer: &Viewer,
        boards: &BoardTree,
        code: Option<&str>,
        on: NaiveDate,
    ) -> AppResult<Subject> {
        let requested = match code {
            None => &viewer.board,
            Some(code) => boards.get(code).ok_or(AppError::NotFound)?,
        };
        let requested_scope = Scope::of_board_keys(requested)?;
        let board = if viewer.scope.covers(&requested_scope) {
            requested
        } else if requested_scope.covers(&viewer.scope) {
            &viewer.board
        } else {
            return Err(AppError::NotFound);
        };
        if code.is_some() && !is_open(board, on) {
            return Err(AppError::NotFound);
        }
        let children = boards.children(&board.code, on);
        let slots = slots(boards, board, &children, on);
        Ok(Subject {
            within: boards.scope_of(board, on),
            children,
            board: board.clone(),
            slots,
        })
    }

    /// Which board a group key (the value of [`Subject::group_column`]) belongs to, as an index
    /// into [`Subject::boards`]: 0 for the board's own rows, 1.. for its children.
    fn slot(&self, key: Option<&str>) -> AppResult<usize> {
        match key {
            None => Ok(0),
            Some(code) => self.slots.get(code).copied().ok_or_else(|| {
                AppError::Internal(format!(
                    "a row keyed {code} lies under {} but not in a child board",
                    self.board.code
                ))
            }),
        }
    }

    /// The row of `byBoard` (0 for the board's own, 1.. for its children) that counts rows
    /// with these tenant keys; `None` for keys outside the board.
    pub fn row_of(&self, keys: &crate::scope::TenantKeys) -> Option<usize> {
        let key = if self.groups_by_province() {
            keys.province.as_deref()
        } else {
            keys.district.as_deref()
        };
        self.slot(key).ok()
    }

    /// The board's own row first, then each child.
    pub fn boards(&self) -> impl Iterator<Item = &board::Model> {
        std::iter::once(&self.board).chain(self.children.iter())
    }

    /// Whether rows group by province (the centre) or by district (a province or district).
    fn groups_by_province(&self) -> bool {
        self.board.level == BoardLevel::Central
    }
}

/// For every board whose code rows may carry as their group key (every province for the
/// centre, every district otherwise, closed ones included): the row of `byBoard` its records
/// count in on `on`, when they are held inside `board`'s subtree.
fn slots(
    boards: &BoardTree,
    board: &board::Model,
    children: &[board::Model],
    on: NaiveDate,
) -> HashMap<String, usize> {
    let (level, key): (_, fn(&board::Model) -> Option<&String>) =
        if board.level == BoardLevel::Central {
            (BoardLevel::Province, |b| b.province_code.as_ref())
        } else {
            (BoardLevel::District, |b| b.district_code.as_ref())
        };
    let row_of = |holder: &board::Model| {
        if boards.is_within(holder, board) {
            let child = children.iter().position(|c| boards.is_within(holder, c));
            Some(child.map_or(0, |i| i + 1))
        } else {
            None
        }
    };
    boards
        .all()
        .filter(|b| b.level == level)
        .filter_map(|b| {
            let holder = boards.holder(&b.code, on)?;
            Some((key(b)?.clone(), row_of(holder)?))
        })
        .collect()
}

/// A figure that adds up across boards.
pub trait Tally: Default + Clone {
    fn add(&mut self, other: &Self);
}

/// A statistic for the whole board (`total`) and for each of its rows (`by_board`: the board's
/// own cadres first, then every direct child, zeros included). The rows add up to the total.
#[derive(Debug, Clone)]
pub struct Breakdown<T> {
    pub total: (board::Model, T),
    pub by_board: Vec<(board::Model, T)>,
}

impl<T: Tally> Breakdown<T> {
    fn new(subject: &Subject, cells: Vec<T>) -> Self {
        let mut total = T::default();
        for cell in &cells {
            total.add(cell);
        }
        Breakdown {
            total: (subject.board.clone(), total),
            by_board: subject.boards().cloned().zip(cells).collect(),
        }
    }
}

/// One cell per row of `subject`, each `empty`.
fn cells<T: Clone>(subject: &Subject, empty: T) -> Vec<T> {
    vec![empty; subject.children.len() + 1]
}

/// One cell per row of `subject`, all zero.
fn blank<T: Tally>(subject: &Subject) -> Vec<T> {
    cells(subject, T::default())
}

/// Adds `other` into `sum`, figure by figure.
fn add_each(sum: &mut [i64], other: &[i64]) {
    for (a, b) in sum.iter_mut().zip(other) {
        *a += b;
    }
}

/// Adds `other` into `sum`, figure by figure, first growing `sum` to `other`'s length.
fn add_into(sum: &mut Vec<i64>, other: &[i64]) {
    if sum.len() < other.len() {
        sum.resize(other.len(), 0);
    }
    add_each(sum, other);
}

/// `examined / eligible`, 0 when nobody is eligible.
pub fn rate(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// The date `years` years before `day` (29 February becomes 28 February).
fn years_before(day: NaiveDate, years: i32) -> NaiveDate {
    let year = day.year() - years;
    NaiveDate::from_ymd_opt(year, day.month(), day.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, day.month(), day.day() - 1))
        .unwrap_or(day)
}

/// 1 January of `year`. A statistic's year lies in the statistics' bounds; the year after the
/// last one is allowed too, as the end of that year.
fn first_of_year(year: i32) -> AppResult<NaiveDate> {
    NaiveDate::from_ymd_opt(year, 1, 1)
        .filter(|_| (EARLIEST_STATISTICS_YEAR..=LATEST_STATISTICS_YEAR + 1).contains(&year))
        .ok_or_else(|| {
            AppError::bad_input(
                "year",
                format!(
                    "year must be between {EARLIEST_STATISTICS_YEAR} and {LATEST_STATISTICS_YEAR}"
                ),
            )
        })
}
