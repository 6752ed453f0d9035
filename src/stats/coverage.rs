//! `examCoverage`: cadres due an exam in a year's campaigns, and those examined.

use sea_orm::sea_query::{Alias, ExprTrait, Func};

use super::sql::{col, count_all, group_key, int, place};
use super::{Breakdown, Subject, blank, first_of_year};
use crate::db::entities::campaign_enrolment;
use crate::error::{AppError, AppResult};
use crate::scope::ScopedDb;

counts_figure!(
    /// Cadres due an exam (enrolled in the campaigns) and those examined in them.
    Coverage { eligible, examined }
);

/// Refuses a `year` outside the statistics' bounds and a `round` other than 1 or 2
/// (`BAD_USER_INPUT`), before anything is read.
pub fn check_coverage_period(year: i32, round: Option<i32>) -> AppResult<()> {
    first_of_year(year)?;
    if let Some(round) = round
        && !(1..=2).contains(&round)
    {
        return Err(AppError::bad_input("round", "round must be 1 or 2"));
    }
    Ok(())
}

/// Coverage of the campaigns of `year` (one `round`, or both rounds added together), counted
/// where each cadre was managed at the campaign's start.
pub async fn exam_coverage(
    db: &ScopedDb,
    subject: &Subject,
    year: i32,
    round: Option<i32>,
) -> AppResult<Breakdown<Coverage>> {
    use campaign_enrolment::{Column, Entity};
    check_coverage_period(year, round)?;
    let mut q = db.select_from::<Entity>("e", &subject.within);
    q.and_where(col("e", Column::Year).eq(year));
    if let Some(round) = round {
        q.and_where(col("e", Column::Round).eq(round));
    }
    group_key::<Entity>(&mut q, subject, "e");
    q.expr_as(count_all(), Alias::new("eligible"));
    q.expr_as(
        Func::count(col("e", Column::ExaminedOn)),
        Alias::new("examined"),
    );
    let mut cells = blank::<Coverage>(subject);
    place(db, subject, q, &mut cells, |cell, row| {
        cell.eligible += int(row, "eligible")?;
        cell.examined += int(row, "examined")?;
        Ok(())
    })
    .await?;
    Ok(Breakdown::new(subject, cells))
}
