//! `clinicActivity`: visits, drugs dispensed and referrals over time, in buckets.

use chrono::{Datelike, Duration, Months, NaiveDate};
use sea_orm::DatabaseBackend;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType};

use super::sql::{col, count_all, group_key, int, place, text};
use super::{Breakdown, Subject, Tally, cells};
use crate::db::entities::{clinic_visit, prescription, referral};
use crate::error::{AppError, AppResult};
use crate::scope::{ScopedDb, ScopedSelect};

/// Width of a time bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Day,
    /// ISO weeks, Monday to Sunday.
    Week,
    Month,
}

/// Most buckets one request may ask for.
pub const MAX_BUCKETS: usize = 400;

impl Interval {
    /// The first day of the bucket holding `day`.
    pub fn start_of(self, day: NaiveDate) -> NaiveDate {
        match self {
            Interval::Day => day,
            Interval::Week => day
                .checked_sub_signed(Duration::days(i64::from(
                    day.weekday().num_days_from_monday(),
                )))
                .unwrap_or(day),
            Interval::Month => day.with_day(1).unwrap_or(day),
        }
    }

    /// The first day of the next bucket; `None` past the last representable date.
    fn next(self, start: NaiveDate) -> Option<NaiveDate> {
        match self {
            Interval::Day => start.checked_add_signed(Duration::days(1)),
            Interval::Week => start.checked_add_signed(Duration::days(7)),
            Interval::Month => start.checked_add_months(Months::new(1)),
        }
    }

    /// The buckets covering `from..=to`, by their first day.
    pub fn buckets(self, from: NaiveDate, to: NaiveDate) -> AppResult<Vec<NaiveDate>> {
        if from > to {
            return Err(AppError::bad_input("to", "to must not be before from"));
        }
        let mut out = vec![];
        let mut start = self.start_of(from);
        while start <= to {
            if out.len() == MAX_BUCKETS {
                return Err(AppError::bad_input(
                    "to",
                    format!("at most {MAX_BUCKETS} buckets per request; use a longer interval"),
                ));
            }
            out.push(start);
            match self.next(start) {
                Some(next) => start = next,
                None => break,
            }
        }
        Ok(out)
    }

    /// SQL for the first day of the bucket of the date `day`, as `YYYY-MM-DD` text. (Custom
    /// SQL marks where an expression goes with `$n` on PostgreSQL and `?` on SQLite.)
    fn bucket_sql(self, backend: DatabaseBackend, day: Expr) -> Expr {
        match (backend, self) {
            (DatabaseBackend::Postgres, Interval::Day) => {
                Expr::cust_with_expr("to_char($1, 'YYYY-MM-DD')", day)
            }
            (DatabaseBackend::Postgres, Interval::Week) => Expr::cust_with_expr(
                "to_char(date_trunc('week', CAST($1 AS TIMESTAMP)), 'YYYY-MM-DD')",
                day,
            ),
            (DatabaseBackend::Postgres, Interval::Month) => Expr::cust_with_expr(
                "to_char(date_trunc('month', CAST($1 AS TIMESTAMP)), 'YYYY-MM-DD')",
                day,
            ),
            (_, Interval::Day) => Expr::cust_with_expr("date(?)", day),
            // %w is 0 for Sunday: step back to Monday.
            (_, Interval::Week) => Expr::cust_with_exprs(
                "date(?, '-' || ((CAST(strftime('%w', ?) AS INTEGER) + 6) % 7) || ' days')",
                [day.clone(), day],
            ),
            (_, Interval::Month) => Expr::cust_with_expr("date(?, 'start of month')", day),
        }
    }
}

/// The day in Vietnam (UTC+7 all year; no daylight saving since 1975) of a UTC instant.
fn local_day(backend: DatabaseBackend, instant: Expr) -> Expr {
    match backend {
        DatabaseBackend::Postgres => Expr::cust_with_expr(
            "CAST((($1 AT TIME ZONE 'UTC') + INTERVAL '7 hours') AS DATE)",
            instant,
        ),
        _ => Expr::cust_with_expr("date(?, '+7 hours')", instant),
    }
}

counts_figure!(
    /// Clinic work in one bucket: visits, drugs dispensed (prescription lines), referrals made.
    Activity { visits, prescriptions, referrals }
);

/// A series of [`Activity`], one per bucket (zeros included).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    pub starts: Vec<NaiveDate>,
    pub buckets: Vec<Activity>,
}

impl Tally for Series {
    fn add(&mut self, o: &Self) {
        if self.starts.is_empty() {
            self.starts = o.starts.clone();
            self.buckets = vec![Activity::default(); o.buckets.len()];
        }
        for (a, b) in self.buckets.iter_mut().zip(&o.buckets) {
            a.add(b);
        }
    }
}

/// Visits (by their day in Vietnam), the prescriptions dispensed at them, and referrals (by
/// the day referred), from `from` to `to` inclusive, per bucket of `interval`.
pub async fn clinic_activity(
    db: &ScopedDb,
    subject: &Subject,
    from: NaiveDate,
    to: NaiveDate,
    interval: Interval,
) -> AppResult<Breakdown<Series>> {
    let starts = interval.buckets(from, to)?;
    let backend = db.backend().await?;
    let in_range = |day: Expr| day.clone().gte(from).and(day.lte(to));

    let mut visits = db.select_from::<clinic_visit::Entity>("v", &subject.within);
    let day = local_day(backend, col("v", clinic_visit::Column::VisitedAt));
    visits.and_where(in_range(day.clone()));
    group_key::<clinic_visit::Entity>(&mut visits, subject, "v");
    bucket_and_count(&mut visits, interval.bucket_sql(backend, day));

    let mut dispensed = db.select_from::<prescription::Entity>("p", &subject.within);
    let mut visit = db.select_from::<clinic_visit::Entity>("v", &subject.within);
    visit.expr_as(col("v", clinic_visit::Column::Id), Alias::new("id"));
    visit.expr_as(
        col("v", clinic_visit::Column::VisitedAt),
        Alias::new("visited_at"),
    );
    dispensed.join_subquery(
        JoinType::InnerJoin,
        visit,
        "pv",
        col("pv", Alias::new("id")).equals((Alias::new("p"), prescription::Column::VisitId)),
    );
    let day = local_day(backend, col("pv", Alias::new("visited_at")));
    dispensed.and_where(in_range(day.clone()));
    group_key::<prescription::Entity>(&mut dispensed, subject, "p");
    bucket_and_count(&mut dispensed, interval.bucket_sql(backend, day));

    let mut referrals = db.select_from::<referral::Entity>("r", &subject.within);
    let day = col("r", referral::Column::ReferredOn);
    referrals.and_where(in_range(day.clone()));
    group_key::<referral::Entity>(&mut referrals, subject, "r");
    bucket_and_count(&mut referrals, interval.bucket_sql(backend, day));

    let empty = Series {
        starts: starts.clone(),
        buckets: vec![Activity::default(); starts.len()],
    };
    let mut cells = cells(subject, empty);
    for (query, field) in [(visits, 0), (dispensed, 1), (referrals, 2)] {
        place(db, subject, query, &mut cells, |cell, row| {
            let bucket = text(row, "b")?;
            let start = NaiveDate::parse_from_str(&bucket, "%Y-%m-%d")
                .map_err(|_| AppError::Internal(format!("bad bucket {bucket}")))?;
            let i = starts
                .binary_search(&start)
                .map_err(|_| AppError::Internal(format!("bucket {bucket} out of range")))?;
            let n = int(row, "n")?;
            let a = &mut cell.buckets[i];
            match field {
                0 => a.visits += n,
                1 => a.prescriptions += n,
                _ => a.referrals += n,
            }
            Ok(())
        })
        .await?;
    }
    let mut breakdown = Breakdown::new(subject, cells);
    if breakdown.total.1.starts.is_empty() {
        breakdown.total.1 = Series {
            buckets: vec![Activity::default(); starts.len()],
            starts,
        };
    }
    Ok(breakdown)
}

fn bucket_and_count(query: &mut ScopedSelect, bucket: Expr) {
    query.expr_as(bucket, Alias::new("b"));
    query.add_group_by([Expr::col(Alias::new("b"))]);
    query.expr_as(count_all(), Alias::new("n"));
}
