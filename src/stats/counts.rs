//! `cadreCounts`: cadres by status, tier, gender or age band.

use chrono::NaiveDate;
use sea_orm::Iterable;
use sea_orm::sea_query::{Alias, Expr, ExprTrait};

use super::sql::{col, count_all, group_key, int, place, text};
use super::{Breakdown, Subject, Tally, add_into, cells, years_before};
use crate::db::entities::cadre;
use crate::domain::{CadreStatus, Gender, ManagementTier};
use crate::error::{AppError, AppResult};
use crate::scope::ScopedDb;

/// What to count cadres by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountBy {
    Status,
    Tier,
    Gender,
    /// Age on the given day, in bands; deceased cadres form their own band.
    AgeBand,
}

/// Age bands, youngest first, with the age each starts at (the last band has none above).
pub const AGE_BANDS: [(&str, i32); 6] = [
    ("UNDER_40", 0),
    ("40_TO_49", 40),
    ("50_TO_59", 50),
    ("60_TO_69", 60),
    ("70_TO_79", 70),
    ("80_AND_OVER", 80),
];

/// The band of deceased cadres, after the age bands.
fn deceased() -> &'static str {
    CadreStatus::Deceased.as_str()
}

impl CountBy {
    /// The buckets, in the order they are listed.
    pub fn keys(self) -> Vec<&'static str> {
        match self {
            CountBy::Status => CadreStatus::iter().map(CadreStatus::as_str).collect(),
            CountBy::Tier => ManagementTier::iter().map(ManagementTier::as_str).collect(),
            CountBy::Gender => Gender::iter().map(Gender::as_str).collect(),
            CountBy::AgeBand => AGE_BANDS
                .iter()
                .map(|(k, _)| *k)
                .chain([deceased()])
                .collect(),
        }
    }
}

/// Cadres per bucket, in the order of [`CountBy::keys`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts(pub Vec<i64>);

impl Tally for Counts {
    fn add(&mut self, o: &Self) {
        add_into(&mut self.0, &o.0);
    }
}

/// Every cadre (deceased included) in one bucket of `by`. Ages are whole years on `as_of`: a
/// cadre is 60 from their 60th birthday (29 February birthdays: from 1 March in other years).
pub async fn cadre_counts(
    db: &ScopedDb,
    subject: &Subject,
    by: CountBy,
    as_of: NaiveDate,
) -> AppResult<Breakdown<Counts>> {
    use cadre::{Column, Entity};
    let bucket: Expr = match by {
        CountBy::Status => col("c", Column::Status),
        CountBy::Tier => col("c", Column::ManagementTier),
        CountBy::Gender => col("c", Column::Gender),
        CountBy::AgeBand => {
            // Born after the day `age` years before `as_of` means younger than `age`: compare
            // dates, so both databases agree without date arithmetic of their own.
            let mut case = Expr::case(col("c", Column::Status).eq(deceased()), deceased());
            for pair in AGE_BANDS.windows(2) {
                let (band, _) = pair[0];
                let (_, next_starts) = pair[1];
                case = case.case(
                    col("c", Column::BirthDate).gt(years_before(as_of, next_starts)),
                    band,
                );
            }
            case.finally(AGE_BANDS[AGE_BANDS.len() - 1].0).into()
        }
    };
    let keys = by.keys();
    let mut q = db.select_from::<Entity>("c", &subject.within);
    group_key::<Entity>(&mut q, subject, "c");
    q.expr_as(bucket, Alias::new("b"));
    // By the output name: the same expression written twice would carry its date parameters
    // twice, and PostgreSQL does not see `$5` and `$12` as one expression.
    q.add_group_by([Expr::col(Alias::new("b"))]);
    q.expr_as(count_all(), Alias::new("n"));
    let mut cells = cells(subject, Counts(vec![0; keys.len()]));
    place(db, subject, q, &mut cells, |cell, row| {
        let b = text(row, "b")?;
        let i = keys
            .iter()
            .position(|k| *k == b)
            .ok_or_else(|| AppError::Internal(format!("unknown bucket {b}")))?;
        cell.0[i] += int(row, "n")?;
        Ok(())
    })
    .await?;
    let mut breakdown = Breakdown::new(subject, cells);
    breakdown.total.1.0.resize(keys.len(), 0);
    Ok(breakdown)
}
