//! The board tree, read once at start. Boards change rarely (a merger a decade), and every
//! request needs its viewer's board, so it is kept in memory for token checks and filters.
//! What a viewer may *see* of the tree is still read through the scoped database.

use std::collections::HashMap;

use sea_orm::{Condition, DatabaseConnection, EntityTrait};

use crate::db::entities::board;
use crate::error::AppResult;
use crate::scope::{Scope, Tenant};

pub struct BoardTree {
    by_code: HashMap<String, board::Model>,
    /// Each board's direct children, ordered by code.
    children: HashMap<String, Vec<board::Model>>,
}

impl BoardTree {
    pub async fn load(db: &DatabaseConnection) -> AppResult<BoardTree> {
        // Read in a system transaction: under forced row-level security nothing is visible
        // without a scope, whoever connects.
        let tx = crate::db::begin_system(db).await?;
        let rows = board::Entity::find().all(&tx).await?;
        tx.commit().await?;
        let mut children: HashMap<String, Vec<board::Model>> = HashMap::new();
        for b in &rows {
            if let Some(parent) = &b.parent_code {
                children.entry(parent.clone()).or_default().push(b.clone());
            }
        }
        for list in children.values_mut() {
            list.sort_by(|a, b| a.code.cmp(&b.code));
        }
        let by_code = rows.into_iter().map(|b| (b.code.clone(), b)).collect();
        Ok(BoardTree { by_code, children })
    }

    pub fn get(&self, code: &str) -> Option<&board::Model> {
        self.by_code.get(code)
    }

    /// The board with `code` when it lies inside `scope` (see [`Scope::covers`]); `None` for
    /// an unknown code and for a board above or beside the scope alike.
    pub fn in_scope(&self, scope: &Scope, code: &str) -> Option<&board::Model> {
        self.get(code)
            .filter(|b| Scope::of_board(b).is_ok_and(|s| scope.covers(&s)))
    }

    /// The condition that keeps rows of `E` in the subtree of board `code`. A board outside
    /// `scope` (above it, beside it, or unknown) matches nothing, exactly as if it did not
    /// exist. Inside, its subtree is the same tenant condition a scope uses; `ScopedDb` still
    /// ANDs the viewer's own scope in.
    pub fn subtree<E: Tenant>(&self, scope: &Scope, code: &str) -> Condition {
        match self.in_scope(scope, code).map(Scope::of_board) {
            Some(Ok(subtree)) => subtree.condition::<E>(),
            _ => nothing(),
        }
    }

    /// The direct children of `code`, ordered by code (none for a district or an unknown code).
    pub fn children(&self, code: &str) -> &[board::Model] {
        self.children.get(code).map_or(&[], Vec::as_slice)
    }
}

/// A condition no row meets.
pub fn nothing() -> Condition {
    Condition::any()
}
