//! Dashboard statistics: `statistics(boardCode)` and its `{ total, byBoard }` figures.
//!
//! The figures come from `stats/`; these types only name them for the API.

use std::borrow::Cow;

use async_graphql::{Context, Enum, Object, OutputType, SimpleObject};
use chrono::{NaiveDate, Utc};

use crate::db::entities::board;
use crate::domain::valid::Icd10Prefix;
use crate::error::{AppError, AppResult};
use crate::graphql::request;
use crate::graphql::scalars::Date;
use crate::graphql::types::Board;
use crate::stats::{self, MAX_PREFIXES, Subject, rate};

/// Figures for one board and its direct children. Every statistic answers for the whole board
/// (`total`) and for each row of `byBoard`: the board's own cadres first, then every direct
/// child (central → provinces, province → districts), zeros included. The rows add up to
/// `total`.
pub struct Statistics {
    /// The subject in today's tree.
    pub subject: Subject,
    /// The board asked for, when one was.
    pub code: Option<String>,
    pub tree: StatisticsTree,
}

/// Which board tree a statistic's `byBoard` follows when the tree was reorganised.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatisticsTree {
    /// Today's boards: a closed board's records count in the board that holds them now (a
    /// 2024 figure for a merged province counts its predecessors too).
    #[default]
    Current,
    /// The boards in force at the end of the period asked (a year's 31 December, `to`, or
    /// `asOf`): a 2024 report matches what the boards of 2024 reported then. The national
    /// totals are the same either way.
    AsRecorded,
}

impl Statistics {
    /// The subject in the tree this answer follows, for a period ending on `end`.
    fn at(&self, ctx: &Context<'_>, end: NaiveDate) -> AppResult<Cow<'_, Subject>> {
        match self.tree {
            StatisticsTree::Current => Ok(Cow::Borrowed(&self.subject)),
            StatisticsTree::AsRecorded => {
                let req = request(ctx)?;
                let subject =
                    Subject::resolve(&req.viewer, &req.boards, self.code.as_deref(), end)?;
                Ok(Cow::Owned(subject))
            }
        }
    }
}

/// 31 December of `year`, or `BAD_USER_INPUT` for a year no date can hold.
fn year_end(year: i32) -> AppResult<NaiveDate> {
    NaiveDate::from_ymd_opt(year, 12, 31).ok_or_else(|| AppError::bad_input("year", "no such year"))
}

/// Which health classification to count.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum Classification {
    /// Cadre health class A, B1, B2, C, D (Decision 1266/QĐ-BYT).
    Cadre,
    /// General health class I–V.
    General,
}

/// The width of a `clinicActivity` bucket.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Day,
    /// ISO week, Monday to Sunday; labelled by its Monday.
    Week,
    Month,
}

/// What `cadreCounts` groups cadres by.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum CadreCountBy {
    Status,
    Tier,
    Gender,
    /// Age in whole years on `asOf`: UNDER_40, 40_TO_49, 50_TO_59, 60_TO_69, 70_TO_79,
    /// 80_AND_OVER; deceased cadres are counted under DECEASED.
    AgeBand,
}

#[Object]
impl Statistics {
    /// The board these statistics are about.
    async fn board(&self) -> Board {
        Board(self.subject.board.clone())
    }

    /// Periodic exam coverage of the campaigns of `year`: cadres due an exam (enrolled when the
    /// campaign started: in its cohort, alive and managed by the board then) and those examined
    /// in the campaign. With `round`, that round's campaigns; without, both rounds added up
    /// (a cadre counts once per round).
    async fn exam_coverage(
        &self,
        ctx: &Context<'_>,
        year: i32,
        round: Option<i32>,
    ) -> AppResult<ByBoard<CoverageCell>> {
        let req = request(ctx)?;
        let subject = self.at(ctx, year_end(year)?)?;
        let b = stats::exam_coverage(&req.db, &subject, year, round).await?;
        Ok(ByBoard::of(b, coverage_cell))
    }

    /// Cadres per health class, from each cadre's latest exam in `year` that records the class
    /// (latest by date). Living cadres with no such exam are `unclassified`.
    async fn health_class_distribution(
        &self,
        ctx: &Context<'_>,
        year: i32,
        classification: Classification,
    ) -> AppResult<ByBoard<ClassCell>> {
        let req = request(ctx)?;
        let kind = match classification {
            Classification::Cadre => stats::Classification::Cadre,
            Classification::General => stats::Classification::General,
        };
        let subject = self.at(ctx, year_end(year)?)?;
        let b = stats::health_class_distribution(&req.db, &subject, year, kind).await?;
        let cell = |(board, c): (_, stats::Classes)| ClassCell {
            board: Board(board),
            classes: kind
                .classes()
                .iter()
                .zip(c.counts)
                .map(|(class, cadres)| ClassCount {
                    class: (*class).to_owned(),
                    cadres,
                })
                .collect(),
            classified: c.counts.iter().sum(),
            unclassified: c.unclassified,
        };
        Ok(ByBoard::of(b, cell))
    }

    /// Living cadres with an active chronic condition under each ICD-10 prefix (`I10`, `E11`,
    /// `I2` for I20–I29), and the rate per living cadre.
    async fn condition_prevalence(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "ICD-10 codes or prefixes, at most 20.")] codes: Vec<String>,
    ) -> AppResult<ByBoard<PrevalenceCell>> {
        let req = request(ctx)?;
        if codes.is_empty() || codes.len() > MAX_PREFIXES {
            return Err(AppError::bad_input(
                "codes",
                format!("give between 1 and {MAX_PREFIXES} codes"),
            ));
        }
        let prefixes = codes
            .iter()
            .map(|c| Icd10Prefix::parse(c).map_err(|e| AppError::bad_input("codes", e)))
            .collect::<AppResult<Vec<_>>>()?;
        let subject = self.at(ctx, req.viewer.today)?;
        let b = stats::condition_prevalence(&req.db, &subject, &prefixes).await?;
        let cell = |(board, p): (_, stats::Prevalence)| PrevalenceCell {
            board: Board(board),
            cadres: p.cadres,
            conditions: prefixes
                .iter()
                .zip(&p.with)
                .map(|(code, n)| ConditionCount {
                    code: code.as_str().to_owned(),
                    cadres: *n,
                    rate: rate(*n, p.cadres),
                })
                .collect(),
        };
        Ok(ByBoard::of(b, cell))
    }

    /// Clinic visits, prescriptions dispensed at them and referrals, from `from` to `to`
    /// (inclusive, days in Vietnam, UTC+7), one bucket per `interval`, zeros included. A
    /// bucket is labelled by its first day and may begin before `from` or end after `to`
    /// (a week across New Year, a month); only days inside the range are counted.
    async fn clinic_activity(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Date,
        interval: Interval,
    ) -> AppResult<ByBoard<ActivityCell>> {
        let req = request(ctx)?;
        let interval = match interval {
            Interval::Day => stats::Interval::Day,
            Interval::Week => stats::Interval::Week,
            Interval::Month => stats::Interval::Month,
        };
        let subject = self.at(ctx, to.0)?;
        let b = stats::clinic_activity(&req.db, &subject, from.0, to.0, interval).await?;
        let cell = |(board, s): (_, stats::Series)| {
            let mut sum = stats::Activity::default();
            for a in &s.buckets {
                stats::Tally::add(&mut sum, a);
            }
            ActivityCell {
                board: Board(board),
                visits: sum.visits,
                prescriptions: sum.prescriptions,
                referrals: sum.referrals,
                buckets: s
                    .starts
                    .iter()
                    .zip(&s.buckets)
                    .map(|(start, a)| ActivityBucket {
                        start: Date(*start),
                        visits: a.visits,
                        prescriptions: a.prescriptions,
                        referrals: a.referrals,
                    })
                    .collect(),
            }
        };
        Ok(ByBoard::of(b, cell))
    }

    /// Living cadres who have had at least dose 1, 2 and 3 of `vaccine` (e.g. `COVID-19`).
    async fn vaccination_coverage(
        &self,
        ctx: &Context<'_>,
        vaccine: String,
    ) -> AppResult<ByBoard<VaccinationCell>> {
        let req = request(ctx)?;
        let subject = self.at(ctx, req.viewer.today)?;
        let b = stats::vaccination_coverage(&req.db, &subject, vaccine.trim()).await?;
        let cell = |(board, v): (_, stats::Vaccinated)| VaccinationCell {
            board: Board(board),
            cadres: v.cadres,
            doses: v
                .at_least
                .iter()
                .enumerate()
                .map(|(i, n)| DoseCount {
                    dose: i as i32 + 1,
                    cadres: *n,
                    rate: rate(*n, v.cadres),
                })
                .collect(),
        };
        Ok(ByBoard::of(b, cell))
    }

    /// Every cadre (deceased included) counted by status, management tier, gender or age band.
    async fn cadre_counts(
        &self,
        ctx: &Context<'_>,
        by: CadreCountBy,
        #[graphql(desc = "The day ages are taken on (AGE_BAND); today (UTC) by default.")]
        as_of: Option<Date>,
    ) -> AppResult<ByBoard<CountCell>> {
        let req = request(ctx)?;
        let by = match by {
            CadreCountBy::Status => stats::CountBy::Status,
            CadreCountBy::Tier => stats::CountBy::Tier,
            CadreCountBy::Gender => stats::CountBy::Gender,
            CadreCountBy::AgeBand => stats::CountBy::AgeBand,
        };
        let as_of = as_of.map_or_else(|| Utc::now().date_naive(), |d| d.0);
        let subject = self.at(ctx, as_of)?;
        let b = stats::cadre_counts(&req.db, &subject, by, as_of).await?;
        let keys = by.keys();
        let cell = |(board, c): (_, stats::Counts)| CountCell {
            board: Board(board),
            cadres: c.0.iter().sum(),
            buckets: keys
                .iter()
                .zip(&c.0)
                .map(|(key, n)| CountBucket {
                    key: (*key).to_owned(),
                    cadres: *n,
                })
                .collect(),
        };
        Ok(ByBoard::of(b, cell))
    }
}

// A figure for the whole board (`total`) and for each row of `byBoard`: one GraphQL type per
// kind of cell, named as the statistic. (A doc comment here would become every one of those
// types' description in the schema.)
#[derive(SimpleObject)]
#[graphql(concrete(name = "ExamCoverage", params(CoverageCell)))]
#[graphql(concrete(name = "HealthClassDistribution", params(ClassCell)))]
#[graphql(concrete(name = "ConditionPrevalence", params(PrevalenceCell)))]
#[graphql(concrete(name = "ClinicActivity", params(ActivityCell)))]
#[graphql(concrete(name = "VaccinationCoverage", params(VaccinationCell)))]
#[graphql(concrete(name = "CadreCounts", params(CountCell)))]
pub struct ByBoard<C: OutputType> {
    pub total: C,
    pub by_board: Vec<C>,
}

impl<C: OutputType> ByBoard<C> {
    /// Each row of `figures` (and its total) made a cell by `cell`.
    fn of<T>(figures: stats::Breakdown<T>, cell: impl Fn((board::Model, T)) -> C) -> Self {
        ByBoard {
            total: cell(figures.total),
            by_board: figures.by_board.into_iter().map(cell).collect(),
        }
    }
}

pub fn coverage_cell((board, c): (board::Model, stats::Coverage)) -> CoverageCell {
    CoverageCell {
        board: Board(board),
        eligible: c.eligible,
        examined: c.examined,
        rate: rate(c.examined, c.eligible),
    }
}

#[derive(SimpleObject)]
pub struct CoverageCell {
    pub board: Board,
    /// Cadres due an exam in the campaigns.
    pub eligible: i64,
    /// Of those, cadres examined in the campaigns.
    pub examined: i64,
    /// `examined / eligible`, 0 when nobody is eligible.
    pub rate: f64,
}

#[derive(SimpleObject)]
pub struct ClassCell {
    pub board: Board,
    /// One entry per class, in order (A, B1, B2, C, D or I–V), zeros included.
    pub classes: Vec<ClassCount>,
    /// Cadres with a class in the year (the sum of `classes`).
    pub classified: i64,
    /// Living cadres with no exam recording the class in the year.
    pub unclassified: i64,
}

#[derive(SimpleObject)]
pub struct ClassCount {
    pub class: String,
    pub cadres: i64,
}

#[derive(SimpleObject)]
pub struct PrevalenceCell {
    pub board: Board,
    /// Living cadres: the denominator of every rate.
    pub cadres: i64,
    /// One entry per code asked for, in the order asked.
    pub conditions: Vec<ConditionCount>,
}

#[derive(SimpleObject)]
pub struct ConditionCount {
    /// The ICD-10 code or prefix, upper-case.
    pub code: String,
    /// Living cadres with an active condition under `code`.
    pub cadres: i64,
    pub rate: f64,
}

#[derive(SimpleObject)]
pub struct ActivityCell {
    pub board: Board,
    pub visits: i64,
    pub prescriptions: i64,
    pub referrals: i64,
    pub buckets: Vec<ActivityBucket>,
}

#[derive(SimpleObject)]
pub struct ActivityBucket {
    /// The bucket's first day (a Monday for weeks, the 1st for months).
    pub start: Date,
    pub visits: i64,
    pub prescriptions: i64,
    pub referrals: i64,
}

#[derive(SimpleObject)]
pub struct VaccinationCell {
    pub board: Board,
    /// Living cadres: the denominator of every rate.
    pub cadres: i64,
    /// Cadres with at least dose 1, 2 and 3.
    pub doses: Vec<DoseCount>,
}

#[derive(SimpleObject)]
pub struct DoseCount {
    pub dose: i32,
    /// Living cadres who have had at least this dose.
    pub cadres: i64,
    pub rate: f64,
}

#[derive(SimpleObject)]
pub struct CountCell {
    pub board: Board,
    /// All cadres of the row (the sum of `buckets`).
    pub cadres: i64,
    /// One entry per key, in a fixed order, zeros included.
    pub buckets: Vec<CountBucket>,
}

#[derive(SimpleObject)]
pub struct CountBucket {
    pub key: String,
    pub cadres: i64,
}
