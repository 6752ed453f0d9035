//! `conditionPrevalence`: living cadres with an active chronic condition under ICD-10 prefixes.

use sea_orm::sea_query::{Alias, Expr, ExprTrait};

use super::sql::{col, count_all, count_if, group_key, int, place};
use super::{Breakdown, Subject, Tally, add_into, cells};
use crate::db::entities::{cadre, chronic_condition};
use crate::domain::CadreStatus;
use crate::domain::valid::Icd10Prefix;
use crate::error::AppResult;
use crate::scope::ScopedDb;

/// Living cadres, and how many of them have an active condition under each prefix asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prevalence {
    pub cadres: i64,
    pub with: Vec<i64>,
}

impl Tally for Prevalence {
    fn add(&mut self, o: &Self) {
        self.cadres += o.cadres;
        add_into(&mut self.with, &o.with);
    }
}

/// Most prefixes one request may ask for.
pub const MAX_PREFIXES: usize = 20;

/// Living cadres with an active (unresolved) condition whose ICD-10 code starts with each
/// prefix; a cadre counts once per prefix however many matching conditions they have.
pub async fn condition_prevalence(
    db: &ScopedDb,
    subject: &Subject,
    prefixes: &[Icd10Prefix],
) -> AppResult<Breakdown<Prevalence>> {
    use chronic_condition::{Column, Entity};
    let mut q = db.select_from::<cadre::Entity>("c", &subject.within);
    q.and_where(col("c", cadre::Column::Status).ne(CadreStatus::Deceased.as_str()));
    group_key::<cadre::Entity>(&mut q, subject, "c");
    q.expr_as(count_all(), Alias::new("cadres"));
    for (i, prefix) in prefixes.iter().enumerate() {
        let t = format!("x{i}");
        let mut has = db.select_from::<Entity>(&t, &subject.within);
        has.expr(Expr::val(1))
            .and_where(col(&t, Column::CadreId).equals((Alias::new("c"), cadre::Column::Id)))
            .and_where(col(&t, Column::ResolvedOn).is_null())
            .and_where(col(&t, Column::IcdCode).like(prefix.like_pattern()));
        q.expr_as(
            count_if(Expr::exists(has.into_subquery())),
            Alias::new(format!("p{i}")),
        );
    }
    let empty = Prevalence {
        cadres: 0,
        with: vec![0; prefixes.len()],
    };
    let mut cells = cells(subject, empty);
    place(db, subject, q, &mut cells, |cell, row| {
        cell.cadres += int(row, "cadres")?;
        for (i, n) in cell.with.iter_mut().enumerate() {
            *n += int(row, &format!("p{i}"))?;
        }
        Ok(())
    })
    .await?;
    let mut breakdown = Breakdown::new(subject, cells);
    breakdown.total.1.with.resize(prefixes.len(), 0);
    Ok(breakdown)
}
