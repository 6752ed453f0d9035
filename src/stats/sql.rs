//! What every statistic's SQL is built from, and how its rows are read back and placed.

use sea_orm::QueryResult;
use sea_orm::sea_query::{Alias, Expr, Func, IntoIden};

use super::Subject;
use crate::error::AppResult;
use crate::scope::{ScopedDb, ScopedSelect, Tenant};

pub(super) fn col<C: IntoIden>(table: &str, column: C) -> Expr {
    Expr::col((Alias::new(table), column))
}

pub(super) fn count_all() -> Expr {
    Expr::cust("COUNT(*)")
}

/// `COUNT(CASE WHEN cond THEN 1 END)`: rows meeting `cond`.
pub(super) fn count_if(cond: Expr) -> Expr {
    Func::count(Expr::case(cond, Expr::val(1))).into()
}

/// The column of rows of `E` read as `table` that `subject` groups by: the province or the
/// district code.
pub(super) fn key_column<E: Tenant>(subject: &Subject, table: &str) -> Expr {
    if subject.groups_by_province() {
        col(table, E::PROVINCE)
    } else {
        col(table, E::DISTRICT)
    }
}

/// Adds the group key (`k`) of `subject` for rows of `E` read as `table`, and groups by it.
pub(super) fn group_key<E: Tenant>(query: &mut ScopedSelect, subject: &Subject, table: &str) {
    let key = key_column::<E>(subject, table);
    query.expr_as(key.clone(), Alias::new("k"));
    query.add_group_by([key]);
}

/// Runs `query` (which selects the group key `k`) and adds each row into the cell of the board
/// the row belongs to, with `add`.
pub(super) async fn place<T>(
    db: &ScopedDb,
    subject: &Subject,
    query: ScopedSelect,
    cells: &mut [T],
    mut add: impl FnMut(&mut T, &QueryResult) -> AppResult<()>,
) -> AppResult<()> {
    for row in db.aggregate(query).await? {
        let key = row.try_get::<Option<String>>("", "k")?;
        add(&mut cells[subject.slot(key.as_deref())?], &row)?;
    }
    Ok(())
}

pub(super) fn int(row: &QueryResult, column: &str) -> AppResult<i64> {
    Ok(row.try_get::<i64>("", column)?)
}

pub(super) fn text(row: &QueryResult, column: &str) -> AppResult<String> {
    Ok(row.try_get::<String>("", column)?)
}
