//! `vaccinationCoverage`: living cadres with at least dose 1, 2 and 3 of a vaccine.

use sea_orm::sea_query::{Alias, ExprTrait, Func, JoinType};

use super::sql::{col, count_all, count_if, group_key, int, place};
use super::{Breakdown, Subject, Tally, add_each, blank};
use crate::db::entities::{cadre, vaccination};
use crate::domain::CadreStatus;
use crate::error::AppResult;
use crate::scope::ScopedDb;

/// Living cadres, and how many of them have had at least dose 1, 2 and 3 of a vaccine.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vaccinated {
    pub cadres: i64,
    pub at_least: [i64; 3],
}

impl Tally for Vaccinated {
    fn add(&mut self, o: &Self) {
        self.cadres += o.cadres;
        add_each(&mut self.at_least, &o.at_least);
    }
}

/// Per living cadre, the highest dose of `vaccine` recorded; then cadres with at least 1, 2, 3.
pub async fn vaccination_coverage(
    db: &ScopedDb,
    subject: &Subject,
    vaccine: &str,
) -> AppResult<Breakdown<Vaccinated>> {
    use vaccination::{Column, Entity};
    let mut doses = db.select_from::<Entity>("v", &subject.within);
    doses
        .expr_as(col("v", Column::CadreId), Alias::new("cadre_id"))
        .expr_as(Func::max(col("v", Column::DoseNumber)), Alias::new("top"))
        .and_where(col("v", Column::Vaccine).eq(vaccine))
        .add_group_by([col("v", Column::CadreId)]);
    let mut q = db.select_from::<cadre::Entity>("c", &subject.within);
    q.join_subquery(
        JoinType::LeftJoin,
        doses,
        "d",
        col("d", Alias::new("cadre_id")).equals((Alias::new("c"), cadre::Column::Id)),
    )
    .and_where(col("c", cadre::Column::Status).ne(CadreStatus::Deceased.as_str()));
    group_key::<cadre::Entity>(&mut q, subject, "c");
    q.expr_as(count_all(), Alias::new("cadres"));
    for dose in 1..=3 {
        q.expr_as(
            count_if(col("d", Alias::new("top")).gte(dose)),
            Alias::new(format!("d{dose}")),
        );
    }
    let mut cells = blank::<Vaccinated>(subject);
    place(db, subject, q, &mut cells, |cell, row| {
        cell.cadres += int(row, "cadres")?;
        for (i, n) in cell.at_least.iter_mut().enumerate() {
            *n += int(row, &format!("d{}", i + 1))?;
        }
        Ok(())
    })
    .await?;
    Ok(Breakdown::new(subject, cells))
}
