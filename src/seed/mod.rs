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
mod load;
mod names;
mod people;
mod plan;
mod progress;

use std::ops::RangeInclusive;

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, Utc};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{DatabaseBackend, DatabaseConnection, EntityTrait, PaginatorTrait};
use uuid::Uuid;

use crate::db::entities::{
    board, cadre, campaign_enrolment, chronic_condition, clinic_visit, consultation, exam_campaign,
    health_exam, prescription, referral, vaccination,
};
use crate::domain::calendar;

pub use plan::Scale;
use plan::{Plan, SEED, Tree};

/// Cadres per batch handed from the generator to the loader: small enough that the batches in
/// flight (one generating, one waiting, one loading) stay within a few tens of megabytes.
const CHUNK_CADRES: usize = 500;
/// Batches waiting between the generator and the loader.
const CHUNKS_IN_FLIGHT: usize = 2;

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

/// How a seed run treats a database that already holds data.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Empty the data tables (records, cadres, campaigns and the audit trail; never the board
    /// tree) first, in the same transaction as the load.
    pub reset: bool,
}

/// Whether the database holds no cadres yet (the first run seeds demo data then).
pub async fn is_empty(db: &DatabaseConnection) -> anyhow::Result<bool> {
    let tx = crate::db::begin_system(db).await?;
    Ok(cadre::Entity::find().count(&tx).await? == 0)
}

/// Fills an empty database with synthetic data at `scale` ([`seed_with`], no reset).
pub async fn seed(db: &DatabaseConnection, scale: Scale) -> anyhow::Result<SeedReport> {
    seed_with(db, scale, Options::default()).await
}

/// Fills the database with synthetic data at `scale`, all or nothing: one transaction on a
/// connection of its own, the data generated on a thread of its own while the previous batch
/// loads (`COPY` on PostgreSQL, prepared multi-row inserts on SQLite), the tables' indexes and
/// constraints rebuilt after the load from their own definitions, then the planner's
/// statistics (and on PostgreSQL the visibility map: `VACUUM (ANALYZE)`). Refuses a database
/// that already holds data unless `options.reset`. A progress bar per table on a terminal,
/// plain lines otherwise.
pub async fn seed_with(
    db: &DatabaseConnection,
    scale: Scale,
    options: Options,
) -> anyhow::Result<SeedReport> {
    let tx = crate::db::begin_system(db).await?;
    let boards = board::Entity::find().all(&tx).await?;
    tx.commit().await?;
    let tree = Tree::of(&boards)?;

    let mut generator = Generator::new(scale.plan());
    let sizes = generator.sizes(&tree);
    let expected = sizes.iter().sum::<usize>() as u64;
    let backend = db.get_database_backend();
    let tables = load::Table::all();
    let progress = progress::Progress::new(&tables, expected);

    let (sender, receiver) = tokio::sync::mpsc::channel::<load::Chunk>(CHUNKS_IN_FLIGHT);
    let encoding = load::Encoding::of(backend);
    generator.sink = Some(Box::new(move |batch: Batch| {
        sender
            .blocking_send(load::Chunk::of(batch, encoding))
            .is_ok()
    }));
    let generating = std::thread::Builder::new()
        .name("seed-generator".into())
        .spawn(move || {
            generator.generate(&tree, &sizes);
            generator.report
        })
        .context("starting the generator")?;

    let loaded = match backend {
        DatabaseBackend::Postgres => {
            load::postgres(db, &tables, receiver, options, &progress).await
        }
        DatabaseBackend::Sqlite => load::sqlite(db, &tables, receiver, options, &progress).await,
        other => bail!("seeding {other:?} is not supported"),
    };
    // The generator ends once the loader has taken its last batch, or at once if the loader
    // failed (its next hand-over finds nobody listening).
    let report = tokio::task::spawn_blocking(move || generating.join())
        .await
        .ok()
        .and_then(Result::ok);
    let loaded = loaded?;
    let report = report.context("the generator stopped")?;
    if loaded != expected || report.cadres != expected {
        bail!(
            "generated {} and loaded {loaded} of {expected} cadres",
            report.cadres
        );
    }
    progress.finish();
    Ok(report)
}

/// One batch of generated rows, every table's, for whole cadres.
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

/// Where the generator hands each full batch; `false` when nobody takes it any more.
type Sink = Box<dyn FnMut(Batch) -> bool + Send>;

struct Generator {
    plan: Plan,
    rng: ChaCha8Rng,
    batch: Batch,
    report: SeedReport,
    /// Running cadre number: makes national IDs unique.
    serial: u64,
    /// Takes each full batch.
    sink: Option<Sink>,
}

impl Generator {
    fn new(plan: Plan) -> Self {
        Generator {
            plan,
            rng: ChaCha8Rng::seed_from_u64(SEED),
            batch: Batch::default(),
            report: SeedReport::default(),
            serial: 0,
            sink: None,
        }
    }

    /// The whole tree: the centre's cadres, then each province's (`sizes` from
    /// [`Generator::sizes`]), handing batches to the sink as they fill.
    fn generate(&mut self, tree: &Tree, sizes: &[usize]) {
        let (central, provinces) = sizes.split_first().unwrap_or((&0, &[]));
        self.board_group(&tree.central, &[], *central);
        for ((province, districts), size) in tree.provinces.values().zip(provinces) {
            self.board_group(province, districts, *size);
        }
        self.flush();
    }

    /// Hands the batch to the sink; `false` when the sink is gone (the loader stopped).
    fn flush(&mut self) -> bool {
        let batch = std::mem::take(&mut self.batch);
        self.sink.as_mut().is_none_or(|sink| sink(batch))
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
