//! The six statistics. Each builds one or a few `GROUP BY` queries from scoped table reads and
//! places their rows by board.

use chrono::{Datelike, Duration, Months, NaiveDate};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, JoinType, Order, WindowStatement};
use sea_orm::{DatabaseBackend, QueryResult};

use super::{Breakdown, Subject, Tally, blank, first_of_year, years_before};
use crate::db::entities::{
    cadre, campaign_enrolment, chronic_condition, clinic_visit, health_exam, prescription,
    referral, vaccination,
};
use crate::error::{AppError, AppResult};
use crate::scope::{ScopedDb, ScopedSelect, Tenant};

fn col<C: sea_orm::sea_query::IntoIden>(table: &str, column: C) -> Expr {
    Expr::col((Alias::new(table), column))
}

fn count_all() -> Expr {
    Expr::cust("COUNT(*)")
}

/// `COUNT(CASE WHEN cond THEN 1 END)`: rows meeting `cond`.
fn count_if(cond: Expr) -> Expr {
    Func::count(Expr::case(cond, Expr::val(1))).into()
}

/// Adds the group key (`k`) of `subject` for rows of `E` read as `table`, and groups by it.
fn group_key<E: Tenant>(query: &mut ScopedSelect, subject: &Subject, table: &str) {
    let key = if subject.groups_by_province() {
        col(table, E::PROVINCE)
    } else {
        col(table, E::DISTRICT)
    };
    query.expr_as(key.clone(), Alias::new("k"));
    query.add_group_by([key]);
}

fn key(row: &QueryResult) -> AppResult<Option<String>> {
    Ok(row.try_get::<Option<String>>("", "k")?)
}

fn int(row: &QueryResult, column: &str) -> AppResult<i64> {
    Ok(row.try_get::<i64>("", column)?)
}

fn text(row: &QueryResult, column: &str) -> AppResult<String> {
    Ok(row.try_get::<String>("", column)?)
}

// ----------------------------------------------------------------------------------------
// examCoverage

/// Cadres due an exam (enrolled in the campaigns) and those examined in them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Coverage {
    pub eligible: i64,
    pub examined: i64,
}

impl Tally for Coverage {
    fn add(&mut self, o: &Self) {
        self.eligible += o.eligible;
        self.examined += o.examined;
    }
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
    first_of_year(year)?;
    if let Some(round) = round
        && !(1..=2).contains(&round)
    {
        return Err(AppError::bad_input("round", "round must be 1 or 2"));
    }
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
    for row in db.aggregate(q).await? {
        let cell = &mut cells[subject.slot(key(&row)?.as_deref())?];
        cell.eligible += int(&row, "eligible")?;
        cell.examined += int(&row, "examined")?;
    }
    Ok(Breakdown::new(subject, cells))
}

// ----------------------------------------------------------------------------------------
// healthClassDistribution

/// Which of the two health classifications to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Classification {
    /// A, B1, B2, C, D (Decision 1266/QĐ-BYT).
    Cadre,
    /// I–V.
    General,
}

impl Classification {
    pub fn classes(self) -> &'static [&'static str] {
        match self {
            Classification::Cadre => &["A", "B1", "B2", "C", "D"],
            Classification::General => &["I", "II", "III", "IV", "V"],
        }
    }
    fn column(self) -> health_exam::Column {
        match self {
            Classification::Cadre => health_exam::Column::CadreClass,
            Classification::General => health_exam::Column::GeneralClass,
        }
    }
}

/// Cadres per class (in the order of [`Classification::classes`]) and those unclassified.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Classes {
    pub counts: [i64; 5],
    pub unclassified: i64,
}

impl Tally for Classes {
    fn add(&mut self, o: &Self) {
        for (a, b) in self.counts.iter_mut().zip(o.counts) {
            *a += b;
        }
        self.unclassified += o.unclassified;
    }
}

/// Each cadre's class from their latest exam in `year` that records it (latest by date, then
/// by ID); living cadres with no such exam are `unclassified`.
pub async fn health_class_distribution(
    db: &ScopedDb,
    subject: &Subject,
    year: i32,
    classification: Classification,
) -> AppResult<Breakdown<Classes>> {
    use health_exam::{Column, Entity};
    let (from, until) = (first_of_year(year)?, first_of_year(year.saturating_add(1))?);
    let class = classification.column();
    let in_year = |t: &str| {
        col(t, Column::ExaminedOn)
            .gte(from)
            .and(col(t, Column::ExaminedOn).lt(until))
            .and(col(t, class).is_not_null())
    };

    // The latest classified exam of each cadre in the year, then a count per class.
    let mut latest = db.select_from::<Entity>("x", &subject.within);
    latest.and_where(in_year("x"));
    let group = if subject.groups_by_province() {
        col("x", Entity::PROVINCE)
    } else {
        col("x", Entity::DISTRICT)
    };
    latest.expr_as(group, Alias::new("k"));
    latest.expr_as(col("x", class), Alias::new("cls"));
    let x = |c: Column| (Alias::new("x"), c);
    let postgres = db.backend().await? == DatabaseBackend::Postgres;
    if postgres {
        // One row per cadre, the first in this order: PostgreSQL's fastest form (a third
        // faster than the window below at national scale).
        latest
            .distinct_on([x(Column::CadreId)])
            .order_by(x(Column::CadreId), Order::Asc)
            .order_by(x(Column::ExaminedOn), Order::Desc)
            .order_by(x(Column::Id), Order::Desc);
    } else {
        let mut window = WindowStatement::partition_by(x(Column::CadreId));
        window
            .order_by(x(Column::ExaminedOn), Order::Desc)
            .order_by(x(Column::Id), Order::Desc);
        latest.expr_window_as(Expr::cust("ROW_NUMBER()"), window, Alias::new("rn"));
    }
    let mut q = latest.nest("t");
    if !postgres {
        q.and_where(col("t", Alias::new("rn")).eq(1));
    }
    q.expr_as(col("t", Alias::new("k")), Alias::new("k"));
    q.expr_as(col("t", Alias::new("cls")), Alias::new("cls"));
    q.expr_as(count_all(), Alias::new("n"));
    q.add_group_by([col("t", Alias::new("k")), col("t", Alias::new("cls"))]);

    let mut cells = blank::<Classes>(subject);
    for row in db.aggregate(q).await? {
        let cell = &mut cells[subject.slot(key(&row)?.as_deref())?];
        let cls = text(&row, "cls")?;
        let i = classification
            .classes()
            .iter()
            .position(|c| *c == cls)
            .ok_or_else(|| AppError::Internal(format!("unknown health class {cls}")))?;
        cell.counts[i] += int(&row, "n")?;
    }

    // Living cadres with no classified exam in the year = living cadres − (classified cadres −
    // deceased classified cadres), per row. An exam sits under its cadre's board (a transfer
    // moves both), so the two queries group alike. This avoids an anti-join of every cadre
    // against the year's exams, which PostgreSQL plans as a nested loop under row-level
    // security (the policy hides the row counts from the planner); the EXISTS below runs for
    // deceased cadres only.
    let mut exam = db.select_from::<Entity>("x", &subject.within);
    exam.expr(Expr::val(1))
        .and_where(in_year("x"))
        .and_where(col("x", Column::CadreId).equals((Alias::new("c"), cadre::Column::Id)));
    let deceased = || col("c", cadre::Column::Status).eq("DECEASED");
    let mut q = db.select_from::<cadre::Entity>("c", &subject.within);
    group_key::<cadre::Entity>(&mut q, subject, "c");
    q.expr_as(count_if(deceased().not()), Alias::new("living"));
    q.expr_as(
        count_if(deceased().and(Expr::exists(exam.into_subquery()))),
        Alias::new("gone"),
    );
    for row in db.aggregate(q).await? {
        let cell = &mut cells[subject.slot(key(&row)?.as_deref())?];
        cell.unclassified += int(&row, "living")? + int(&row, "gone")?;
    }
    for cell in &mut cells {
        cell.unclassified -= cell.counts.iter().sum::<i64>();
        if cell.unclassified < 0 {
            return Err(AppError::Internal(
                "exams filed under another board than their cadre".into(),
            ));
        }
    }
    Ok(Breakdown::new(subject, cells))
}

// ----------------------------------------------------------------------------------------
// conditionPrevalence

/// Living cadres, and how many of them have an active condition under each prefix asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prevalence {
    pub cadres: i64,
    pub with: Vec<i64>,
}

impl Tally for Prevalence {
    fn add(&mut self, o: &Self) {
        self.cadres += o.cadres;
        if self.with.len() < o.with.len() {
            self.with.resize(o.with.len(), 0);
        }
        for (a, b) in self.with.iter_mut().zip(&o.with) {
            *a += b;
        }
    }
}

/// An ICD-10 prefix: a letter, then up to two digits, then optionally `.` and one digit
/// (`I`, `I2`, `I10`, `I10.1`). Parsed, so it carries no `LIKE` wildcard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcdPrefix(String);

impl IcdPrefix {
    pub fn parse(raw: &str) -> AppResult<IcdPrefix> {
        let code = raw.trim().to_ascii_uppercase();
        let b = code.as_bytes();
        let digits = b.iter().skip(1).take_while(|c| c.is_ascii_digit()).count();
        let rest = &b[(1 + digits).min(b.len())..];
        let ok = b.first().is_some_and(u8::is_ascii_uppercase)
            && digits <= 2
            && (rest.is_empty()
                || (digits == 2 && rest.len() == 2 && rest[0] == b'.' && rest[1].is_ascii_digit()));
        if ok {
            Ok(IcdPrefix(code))
        } else {
            Err(AppError::bad_input(
                "codes",
                format!("{raw:?} is not an ICD-10 code or prefix (such as I10, E11, I2)"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Most prefixes one request may ask for.
pub const MAX_PREFIXES: usize = 20;

/// Living cadres with an active (unresolved) condition whose ICD-10 code starts with each
/// prefix; a cadre counts once per prefix however many matching conditions they have.
pub async fn condition_prevalence(
    db: &ScopedDb,
    subject: &Subject,
    prefixes: &[IcdPrefix],
) -> AppResult<Breakdown<Prevalence>> {
    use chronic_condition::{Column, Entity};
    let mut q = db.select_from::<cadre::Entity>("c", &subject.within);
    q.and_where(col("c", cadre::Column::Status).ne("DECEASED"));
    group_key::<cadre::Entity>(&mut q, subject, "c");
    q.expr_as(count_all(), Alias::new("cadres"));
    for (i, prefix) in prefixes.iter().enumerate() {
        let t = format!("x{i}");
        let mut has = db.select_from::<Entity>(&t, &subject.within);
        has.expr(Expr::val(1))
            .and_where(col(&t, Column::CadreId).equals((Alias::new("c"), cadre::Column::Id)))
            .and_where(col(&t, Column::ResolvedOn).is_null())
            .and_where(col(&t, Column::IcdCode).like(format!("{}%", prefix.as_str())));
        q.expr_as(
            count_if(Expr::exists(has.into_subquery())),
            Alias::new(format!("p{i}")),
        );
    }
    let mut cells = vec![
        Prevalence {
            cadres: 0,
            with: vec![0; prefixes.len()]
        };
        subject.children.len() + 1
    ];
    for row in db.aggregate(q).await? {
        let cell = &mut cells[subject.slot(key(&row)?.as_deref())?];
        cell.cadres += int(&row, "cadres")?;
        for (i, n) in cell.with.iter_mut().enumerate() {
            *n += int(&row, &format!("p{i}"))?;
        }
    }
    let mut breakdown = Breakdown::new(subject, cells);
    breakdown.total.1.with.resize(prefixes.len(), 0);
    Ok(breakdown)
}

// ----------------------------------------------------------------------------------------
// vaccinationCoverage

/// Living cadres, and how many of them have had at least dose 1, 2 and 3 of a vaccine.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vaccinated {
    pub cadres: i64,
    pub at_least: [i64; 3],
}

impl Tally for Vaccinated {
    fn add(&mut self, o: &Self) {
        self.cadres += o.cadres;
        for (a, b) in self.at_least.iter_mut().zip(o.at_least) {
            *a += b;
        }
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
        doses.into_subquery(),
        Alias::new("d"),
        col("d", Alias::new("cadre_id")).equals((Alias::new("c"), cadre::Column::Id)),
    )
    .and_where(col("c", cadre::Column::Status).ne("DECEASED"));
    group_key::<cadre::Entity>(&mut q, subject, "c");
    q.expr_as(count_all(), Alias::new("cadres"));
    for dose in 1..=3 {
        q.expr_as(
            count_if(col("d", Alias::new("top")).gte(dose)),
            Alias::new(format!("d{dose}")),
        );
    }
    let mut cells = blank::<Vaccinated>(subject);
    for row in db.aggregate(q).await? {
        let cell = &mut cells[subject.slot(key(&row)?.as_deref())?];
        cell.cadres += int(&row, "cadres")?;
        for (i, n) in cell.at_least.iter_mut().enumerate() {
            *n += int(&row, &format!("d{}", i + 1))?;
        }
    }
    Ok(Breakdown::new(subject, cells))
}

// ----------------------------------------------------------------------------------------
// cadreCounts

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

impl CountBy {
    /// The buckets, in the order they are listed.
    pub fn keys(self) -> Vec<&'static str> {
        match self {
            CountBy::Status => vec!["SERVING", "RETIRED", "DECEASED"],
            CountBy::Tier => vec!["POLITBURO", "CENTRAL", "PROVINCIAL", "DISTRICT"],
            CountBy::Gender => vec!["MALE", "FEMALE"],
            CountBy::AgeBand => AGE_BANDS
                .iter()
                .map(|(k, _)| *k)
                .chain(["DECEASED"])
                .collect(),
        }
    }
}

/// Cadres per bucket, in the order of [`CountBy::keys`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts(pub Vec<i64>);

impl Tally for Counts {
    fn add(&mut self, o: &Self) {
        if self.0.len() < o.0.len() {
            self.0.resize(o.0.len(), 0);
        }
        for (a, b) in self.0.iter_mut().zip(&o.0) {
            *a += b;
        }
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
            let mut case = Expr::case(col("c", Column::Status).eq("DECEASED"), "DECEASED");
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
    let mut cells = vec![Counts(vec![0; keys.len()]); subject.children.len() + 1];
    for row in db.aggregate(q).await? {
        let b = text(&row, "b")?;
        let i = keys
            .iter()
            .position(|k| *k == b)
            .ok_or_else(|| AppError::Internal(format!("unknown bucket {b}")))?;
        cells[subject.slot(key(&row)?.as_deref())?].0[i] += int(&row, "n")?;
    }
    let mut breakdown = Breakdown::new(subject, cells);
    breakdown.total.1.0.resize(keys.len(), 0);
    Ok(breakdown)
}

// ----------------------------------------------------------------------------------------
// clinicActivity

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

/// Clinic work in one bucket: visits, drugs dispensed (prescription lines), referrals made.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Activity {
    pub visits: i64,
    pub prescriptions: i64,
    pub referrals: i64,
}

impl Tally for Activity {
    fn add(&mut self, o: &Self) {
        self.visits += o.visits;
        self.prescriptions += o.prescriptions;
        self.referrals += o.referrals;
    }
}

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
        visit.into_subquery(),
        Alias::new("pv"),
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
    let mut cells = vec![empty; subject.children.len() + 1];
    for (query, field) in [(visits, 0), (dispensed, 1), (referrals, 2)] {
        for row in db.aggregate(query).await? {
            let cell = &mut cells[subject.slot(key(&row)?.as_deref())?];
            let bucket = text(&row, "b")?;
            let start = NaiveDate::parse_from_str(&bucket, "%Y-%m-%d")
                .map_err(|_| AppError::Internal(format!("bad bucket {bucket}")))?;
            let i = starts
                .binary_search(&start)
                .map_err(|_| AppError::Internal(format!("bucket {bucket} out of range")))?;
            let n = int(&row, "n")?;
            let a = &mut cell.buckets[i];
            match field {
                0 => a.visits += n,
                1 => a.prescriptions += n,
                _ => a.referrals += n,
            }
        }
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
