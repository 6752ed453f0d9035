//! Deterministic synthetic data: the real board tree filled with cadres, exams twice a year,
//! chronic disease, clinic visits, referrals, consultations and vaccinations.
//!
//! Everything, IDs included, comes from one fixed seed, so two runs produce the same database.
//! IDs are UUID v7 built from each record's own date and seeded random bits. `plan` says how
//! much to generate where, `people` makes the cadres and `clinical` their records; this
//! module runs the generator and writes its batches.

/// A row of a tenant table under the tenant keys `keys` (a `scope::TenantKeys`), written at
/// `at` (version 1), then its own fields: `row!(table { id, keys, at; field: value, ... })`.
macro_rules! row {
    (
        $table:ident { $id:expr, $keys:expr, $at:expr; $($field:ident $(: $value:expr)?),+ $(,)? }
    ) => {{
        let id = $id;
        let keys: $crate::scope::TenantKeys = $keys;
        $table::Model {
            id,
            board_code: keys.board,
            province_code: keys.province,
            district_code: keys.district,
            version: 1,
            created_at: $at,
            updated_at: $at,
            $($field $(: $value)?),+
        }
    }};
}

/// A clinical record about `cadre`, under the cadre's tenant keys (a record lies under its
/// cadre's board): `record!(table { id, cadre, at; field: value, ... })`.
macro_rules! record {
    ($table:ident { $id:expr, $cadre:expr, $at:expr; $($fields:tt)+ }) => {
        row!($table {
            $id,
            $crate::scope::TenantRow::keys($cadre),
            $at;
            cadre_id: $cadre.id,
            $($fields)+
        })
    };
}

mod clinical;
mod names;
mod people;
mod plan;

use std::ops::RangeInclusive;

use chrono::{DateTime, NaiveDate, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{
    ActiveModelTrait, DatabaseConnection, EntityTrait, IntoActiveModel, Iterable, PaginatorTrait,
};
use uuid::Uuid;

use crate::db::entities::{
    board, cadre, campaign_enrolment, chronic_condition, clinic_visit, consultation, exam_campaign,
    health_exam, prescription, referral, vaccination,
};
use crate::domain::calendar;

pub use plan::Scale;
use plan::{NGHE_AN, Plan, SEED, Tree};

/// What a seed run wrote.
#[derive(Debug, Default, Clone, Copy)]
pub struct SeedReport {
    pub cadres: u64,
    pub exams: u64,
    pub conditions: u64,
    pub visits: u64,
    pub prescriptions: u64,
    pub referrals: u64,
    pub consultations: u64,
    pub vaccinations: u64,
    pub campaigns: u64,
    pub enrolments: u64,
}

/// Whether the database holds no cadres yet (the first run seeds demo data then).
pub async fn is_empty(db: &DatabaseConnection) -> anyhow::Result<bool> {
    let tx = crate::db::begin_system(db).await?;
    Ok(cadre::Entity::find().count(&tx).await? == 0)
}

/// Fills the database with synthetic data at `scale`, showing a progress bar on a terminal.
pub async fn seed(db: &DatabaseConnection, scale: Scale) -> anyhow::Result<SeedReport> {
    let tx = crate::db::begin_system(db).await?;
    let boards = board::Entity::find().all(&tx).await?;
    tx.commit().await?;
    let tree = Tree::of(&boards)?;

    let mut generator = Generator::new(scale.plan());
    let sizes = generator.sizes(&tree);
    let total = generator.plan.central_cadres + sizes.iter().sum::<usize>();
    let progress = ProgressBar::new(total as u64).with_style(
        ProgressStyle::with_template("seeding {bar:40} {pos}/{len} cadres, {msg} ({eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );

    generator.board_group(&tree.central, &[], generator.plan.central_cadres);
    flush(db, &mut generator, &progress).await?;
    for ((province, districts), size) in tree.provinces.values().zip(sizes) {
        generator.board_group(province, districts, size);
        if generator.batch.exams.len() > 20_000 || province.code == NGHE_AN {
            flush(db, &mut generator, &progress).await?;
        }
    }
    flush(db, &mut generator, &progress).await?;
    crate::db::refresh_planner_statistics(db, true).await?;
    progress.finish_with_message("done");
    Ok(generator.report)
}

async fn flush(
    db: &DatabaseConnection,
    generator: &mut Generator,
    progress: &ProgressBar,
) -> anyhow::Result<()> {
    let batch = std::mem::take(&mut generator.batch);
    let cadres = batch.cadres.len() as u64;
    let tx = crate::db::begin_system(db).await?;
    insert(&tx, batch.campaigns).await?;
    insert(&tx, batch.cadres).await?;
    insert(&tx, batch.conditions).await?;
    insert(&tx, batch.exams).await?;
    insert(&tx, batch.enrolments).await?;
    insert(&tx, batch.visits).await?;
    insert(&tx, batch.prescriptions).await?;
    insert(&tx, batch.referrals).await?;
    insert(&tx, batch.consultations).await?;
    insert(&tx, batch.vaccinations).await?;
    tx.commit().await?;
    progress.inc(cadres);
    progress.set_message(format!("{} exams", generator.report.exams));
    Ok(())
}

/// Inserts rows in chunks small enough for SQLite's and PostgreSQL's parameter limits.
async fn insert<M>(tx: &sea_orm::DatabaseTransaction, rows: Vec<M>) -> anyhow::Result<()>
where
    M: IntoActiveModel<<<M as sea_orm::ModelTrait>::Entity as EntityTrait>::ActiveModel>
        + sea_orm::ModelTrait,
    <<M as sea_orm::ModelTrait>::Entity as EntityTrait>::ActiveModel: ActiveModelTrait + Send,
{
    const PARAMS: usize = 30_000;
    let columns = <<M as sea_orm::ModelTrait>::Entity as EntityTrait>::Column::iter().count();
    let mut rows = rows
        .into_iter()
        .map(IntoActiveModel::into_active_model)
        .peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(PARAMS / columns).collect();
        <M as sea_orm::ModelTrait>::Entity::insert_many(chunk)
            .exec(tx)
            .await?;
    }
    Ok(())
}

#[derive(Default)]
struct Batch {
    campaigns: Vec<exam_campaign::Model>,
    cadres: Vec<cadre::Model>,
    conditions: Vec<chronic_condition::Model>,
    exams: Vec<health_exam::Model>,
    enrolments: Vec<campaign_enrolment::Model>,
    visits: Vec<clinic_visit::Model>,
    prescriptions: Vec<prescription::Model>,
    referrals: Vec<referral::Model>,
    consultations: Vec<consultation::Model>,
    vaccinations: Vec<vaccination::Model>,
}

struct Generator {
    plan: Plan,
    rng: ChaCha8Rng,
    batch: Batch,
    report: SeedReport,
    /// Running cadre number: makes national IDs unique.
    serial: u64,
}

impl Generator {
    fn new(plan: Plan) -> Self {
        Generator {
            plan,
            rng: ChaCha8Rng::seed_from_u64(SEED),
            batch: Batch::default(),
            report: SeedReport::default(),
            serial: 0,
        }
    }

    /// A UUID v7 carrying the record's own time and seeded random bits: sortable, deterministic.
    fn uuid_at(&mut self, at: DateTime<Utc>) -> Uuid {
        let mut bytes = [0u8; 10];
        self.rng.fill_bytes(&mut bytes);
        uuid::Builder::from_unix_timestamp_millis(at.timestamp_millis().max(0) as u64, &bytes)
            .into_uuid()
    }
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

/// A day of `year`: a month of `months`, then a day from 1 to 28.
fn day_in(rng: &mut impl Rng, year: i32, months: RangeInclusive<u32>) -> NaiveDate {
    date(year, rng.random_range(months), rng.random_range(1..=28))
}

/// A day of a year of `years`: the year, then as [`day_in`] over the whole year.
fn day_between(rng: &mut impl Rng, years: RangeInclusive<i32>) -> NaiveDate {
    let year = rng.random_range(years);
    day_in(rng, year, 1..=12)
}

/// Midnight in Vietnam (UTC+7) of `day`, in UTC. Seeded days are recent, far from the edge
/// where `start_of_day` has no answer.
fn midnight(day: NaiveDate) -> DateTime<Utc> {
    calendar::start_of_day(day).unwrap_or_default()
}

/// `yes` with probability `p`, else `no`.
fn either<T>(rng: &mut impl Rng, p: f64, yes: T, no: T) -> T {
    if rng.random_bool(p) { yes } else { no }
}

fn pick<'a, T>(rng: &mut impl Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}
