//! The board tree with its history, read once at start (and again after a reorganisation).
//! Boards change rarely (a merger a decade), and every request needs its viewer's board, so the
//! tree is kept in memory for token checks, scopes and filters. What a viewer may *see* of the
//! tree is still read through the scoped database.
//!
//! A board opens and closes on dates; a closed board names its successor. Records keep the
//! tenant keys they were written with, and custody follows the lineage: on any day, the
//! *holder* of a board's records is the board itself while it is open, else its successor's
//! holder. A board's scope on a day is the keys of every board whose holder lies in its subtree
//! ([`BoardTree::scope_of`]), so a merged province's users see their predecessors' records and
//! nobody else gains any. Why custody is derived rather than rows re-keyed: README,
//! *Reorganising the board tree*.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use sea_orm::{Condition, ConnectionTrait, DatabaseConnection, EntityTrait};

use crate::db::entities::board;
use crate::domain::BoardLevel;
use crate::error::{AppError, AppResult};
use crate::scope::{Scope, Tenant};

pub struct BoardTree {
    by_code: HashMap<String, board::Model>,
    /// Each board's direct children, open or closed, ordered by code.
    children: HashMap<String, Vec<board::Model>>,
    /// The boards that closed into each board, ordered by code.
    predecessors: HashMap<String, Vec<board::Model>>,
}

impl BoardTree {
    /// Reads the whole tree, past and present, in a system transaction: under forced row-level
    /// security nothing is visible without a scope, whoever connects.
    pub async fn load(db: &DatabaseConnection) -> AppResult<BoardTree> {
        let tx = crate::db::begin_system(db).await?;
        let tree = Self::read(&tx).await?;
        tx.commit().await?;
        Ok(tree)
    }

    /// Reads the whole tree through `conn`, which must see every board.
    pub async fn read(conn: &impl ConnectionTrait) -> AppResult<BoardTree> {
        Ok(Self::from_rows(board::Entity::find().all(conn).await?))
    }

    pub fn from_rows(rows: Vec<board::Model>) -> BoardTree {
        let mut children: HashMap<String, Vec<board::Model>> = HashMap::new();
        let mut predecessors: HashMap<String, Vec<board::Model>> = HashMap::new();
        for b in &rows {
            if let Some(parent) = &b.parent_code {
                children.entry(parent.clone()).or_default().push(b.clone());
            }
            if let Some(successor) = &b.successor_code {
                predecessors
                    .entry(successor.clone())
                    .or_default()
                    .push(b.clone());
            }
        }
        for list in children.values_mut().chain(predecessors.values_mut()) {
            list.sort_by(|a, b| a.code.cmp(&b.code));
        }
        let by_code = rows.into_iter().map(|b| (b.code.clone(), b)).collect();
        BoardTree {
            by_code,
            children,
            predecessors,
        }
    }

    /// Any board that ever existed, open or closed.
    pub fn get(&self, code: &str) -> Option<&board::Model> {
        self.by_code.get(code)
    }

    /// Every board that ever existed, in no order.
    pub fn all(&self) -> impl Iterator<Item = &board::Model> {
        self.by_code.values()
    }

    /// The board with `code` when it is open on `on`.
    pub fn open_on(&self, code: &str, on: NaiveDate) -> Option<&board::Model> {
        self.get(code).filter(|b| is_open(b, on))
    }

    /// The board holding `code`'s records on `on`: itself while open, else its successor's
    /// holder. `None` for an unknown code, a board not yet open, or a broken chain (the
    /// reorganisation's checks keep chains whole and acyclic; this is the guard if they fail).
    pub fn holder(&self, code: &str, on: NaiveDate) -> Option<&board::Model> {
        let mut board = self.get(code)?;
        for _ in 0..=self.by_code.len() {
            if is_open(board, on) {
                return Some(board);
            }
            match (&board.closed_on, &board.successor_code) {
                (Some(closed), Some(next)) if *closed <= on => board = self.get(next)?,
                _ => return None,
            }
        }
        None
    }

    /// Whether `inner` is `outer` or lies below it.
    pub fn is_within(&self, inner: &board::Model, outer: &board::Model) -> bool {
        let mut board = Some(inner);
        for _ in 0..=self.by_code.len() {
            match board {
                Some(b) if b.code == outer.code => return true,
                Some(b) => board = b.parent_code.as_deref().and_then(|p| self.get(p)),
                None => return false,
            }
        }
        false
    }

    /// The records `board` holds on `on`: the keys of every board whose holder lies in its
    /// subtree. The centre's is everything; a closed board's is nothing.
    ///
    /// The reorganisation's checks keep custody inside a province's lineage (a district's
    /// holder lies within its province's holder), so a province's whole rows and a district's
    /// own rows are the only shapes a scope takes.
    pub fn scope_of(&self, board: &board::Model, on: NaiveDate) -> Scope {
        if !is_open(board, on) {
            return Scope::nothing();
        }
        if board.level == BoardLevel::Central {
            return Scope::All;
        }
        let held = |b: &&board::Model| {
            self.holder(&b.code, on)
                .is_some_and(|h| self.is_within(h, board))
        };
        let keys = |level: BoardLevel, key: fn(&board::Model) -> Option<&String>| {
            self.by_code
                .values()
                .filter(|b| b.level == level)
                .filter(held)
                .filter_map(key)
                .cloned()
                .collect::<BTreeSet<String>>()
        };
        let provinces = keys(BoardLevel::Province, |b| b.province_code.as_ref());
        match board.level {
            BoardLevel::District => {
                let districts = keys(BoardLevel::District, |b| b.district_code.as_ref());
                let provinces = self
                    .by_code
                    .values()
                    .filter(|b| {
                        b.district_code
                            .as_ref()
                            .is_some_and(|d| districts.contains(d))
                    })
                    .filter_map(|b| b.province_code.clone())
                    .collect::<Vec<String>>();
                Scope::districts(provinces, districts)
            }
            _ => Scope::provinces(provinces),
        }
    }

    /// The board with `code` when its keys lie inside `scope` (see [`Scope::covers`]), open or
    /// closed; `None` for an unknown code and for a board above or beside the scope alike.
    pub fn in_scope(&self, scope: &Scope, code: &str) -> Option<&board::Model> {
        self.get(code)
            .filter(|b| Scope::of_board_keys(b).is_ok_and(|s| scope.covers(&s)))
    }

    /// The condition that keeps rows of `E` held by board `code`'s subtree on `on`. A board
    /// outside `scope` (above it, beside it, or unknown) matches nothing, exactly as if it did
    /// not exist; so does a board closed on `on`. `ScopedDb` still ANDs the viewer's own scope
    /// in.
    pub fn subtree<E: Tenant>(&self, scope: &Scope, code: &str, on: NaiveDate) -> Condition {
        match self.in_scope(scope, code) {
            Some(board) => self.scope_of(board, on).condition::<E>(),
            None => nothing(),
        }
    }

    /// The direct children of `code` open on `on`, ordered by code (none for a district or an
    /// unknown code).
    pub fn children(&self, code: &str, on: NaiveDate) -> Vec<board::Model> {
        self.children
            .get(code)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter(|b| is_open(b, on))
            .cloned()
            .collect()
    }

    /// The boards that closed into `code`, ordered by code.
    pub fn predecessors(&self, code: &str) -> &[board::Model] {
        self.predecessors.get(code).map_or(&[], Vec::as_slice)
    }

    /// The open board a write naming `code` may go to on `on`: `BAD_USER_INPUT` naming the
    /// successor for a closed board (the caller has already checked the scope).
    pub fn writable<'t>(
        &'t self,
        field: &str,
        board: &'t board::Model,
        on: NaiveDate,
    ) -> AppResult<&'t board::Model> {
        if is_open(board, on) {
            return Ok(board);
        }
        Err(AppError::bad_input(field, self.closed_message(board, on)))
    }

    /// "board 02 closed on 2025-07-01; its records are held by 08 (Tuyên Quang)".
    pub fn closed_message(&self, board: &board::Model, on: NaiveDate) -> String {
        let closed = board
            .closed_on
            .map_or_else(|| "is not open".to_owned(), |d| format!("closed on {d}"));
        match self.holder(&board.code, on) {
            Some(h) => format!(
                "board {} {closed}; its records are held by {} ({})",
                board.code, h.code, h.name
            ),
            None => format!("board {} {closed}", board.code),
        }
    }
}

/// Whether `board` is open on `on`: opened on or before it (or always there), and not yet
/// closed.
pub fn is_open(board: &board::Model, on: NaiveDate) -> bool {
    board.opened_on.is_none_or(|d| d <= on) && board.closed_on.is_none_or(|d| on < d)
}

/// A condition no row meets.
pub fn nothing() -> Condition {
    Condition::any()
}

/// The tree a server serves, swapped whole when it is read again: a reorganisation applied by
/// another process (`cadre-health reorganise`) reaches running servers at their next refresh
/// ([`LiveTree::refresh_every`]).
pub struct LiveTree(std::sync::RwLock<std::sync::Arc<BoardTree>>);

impl LiveTree {
    pub fn new(tree: BoardTree) -> Self {
        LiveTree(std::sync::RwLock::new(std::sync::Arc::new(tree)))
    }

    /// The tree as last read. A request holds this one tree from start to end.
    pub fn current(&self) -> std::sync::Arc<BoardTree> {
        match self.0.read() {
            Ok(tree) => tree.clone(),
            // A writer panicked mid-swap; the Arc it was replacing is still whole.
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reads the tree again from `db` and serves it from now on.
    pub async fn refresh(&self, db: &DatabaseConnection) -> AppResult<()> {
        let tree = std::sync::Arc::new(BoardTree::load(db).await?);
        match self.0.write() {
            Ok(mut slot) => *slot = tree,
            Err(poisoned) => *poisoned.into_inner() = tree,
        }
        Ok(())
    }

    /// Refreshes the tree every `period` for as long as the server runs; a failed read (the
    /// database briefly away) keeps the tree it has and tries again next time.
    pub async fn refresh_every(
        self: std::sync::Arc<Self>,
        db: DatabaseConnection,
        period: std::time::Duration,
    ) {
        let mut ticks = tokio::time::interval(period);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            if self.refresh(&db).await.is_err() {
                tracing::warn!("could not read the board tree again; serving the one it has");
            }
        }
    }
}
