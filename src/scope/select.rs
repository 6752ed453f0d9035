//! [`ScopedSelect`]: an aggregate query over tenant tables that are all cut to the viewer's scope.

use sea_orm::sea_query::{
    Alias, Expr, IntoColumnRef, IntoCondition, IntoIden, JoinType, Order, Query, SelectStatement,
    WindowStatement,
};

/// A query over a tenant table already cut to the viewer's scope (see
/// [`ScopedDb::select_from`](super::ScopedDb::select_from)). Add columns, conditions, grouping,
/// ordering and joins of other `ScopedSelect`s; no method takes a table, so nothing can join a
/// tenant table directly.
pub struct ScopedSelect(
    /// Only `scope` builds one (from a statement it has cut to the scope) and runs it.
    pub(super) SelectStatement,
);

impl ScopedSelect {
    /// `SELECT ..., expr`.
    pub fn expr(&mut self, expr: impl Into<Expr>) -> &mut Self {
        self.0.expr(expr.into());
        self
    }

    /// `SELECT ..., expr AS alias`.
    pub fn expr_as(&mut self, expr: impl Into<Expr>, alias: impl IntoIden) -> &mut Self {
        self.0.expr_as(expr, alias);
        self
    }

    /// `SELECT ..., expr OVER (window) AS alias`.
    pub fn expr_window_as(
        &mut self,
        expr: impl Into<Expr>,
        window: WindowStatement,
        alias: impl IntoIden,
    ) -> &mut Self {
        self.0.expr_window_as(expr, window, alias);
        self
    }

    /// `SELECT DISTINCT ON (cols)` (PostgreSQL only).
    pub fn distinct_on<T: IntoColumnRef>(
        &mut self,
        cols: impl IntoIterator<Item = T>,
    ) -> &mut Self {
        self.0.distinct_on(cols);
        self
    }

    /// `... AND condition`.
    pub fn and_where(&mut self, condition: Expr) -> &mut Self {
        self.0.and_where(condition);
        self
    }

    /// `GROUP BY ..., exprs`.
    pub fn add_group_by(&mut self, exprs: impl IntoIterator<Item = Expr>) -> &mut Self {
        self.0.add_group_by(exprs);
        self
    }

    /// `ORDER BY ..., col order`.
    pub fn order_by(&mut self, col: impl IntoColumnRef, order: Order) -> &mut Self {
        self.0.order_by(col, order);
        self
    }

    /// `... JOIN (other) AS alias ON on`: another scoped query, never a table.
    pub fn join_subquery(
        &mut self,
        join: JoinType,
        other: ScopedSelect,
        alias: &str,
        on: impl IntoCondition,
    ) -> &mut Self {
        self.0.join_subquery(join, other.0, Alias::new(alias), on);
        self
    }

    /// The query, for use as a subquery (`EXISTS (...)`) of another scoped query.
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
