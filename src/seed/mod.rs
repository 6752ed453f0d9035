//! Deterministic synthetic data: the real board tree filled with cadres, exams twice a year,
//! chronic disease, clinic visits, referrals, consultations and vaccinations.
//!
//! Everything, IDs included, comes from one fixed seed, so two runs produce the same database.
//! IDs are UUID v7 built from each record's own date and seeded random bits.

mod names;

use std::collections::BTreeMap;

use anyhow::Context;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
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
use crate::domain::{
    BoardLevel, CadreClass, CadreStatus, Cohort, ExamKind, Gender, GeneralClass, ManagementTier,
    ReferralStatus, ReferralUrgency, fold_name,
};
use names::*;

/// How much data to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// A few thousand cadres (about 1,500 in Nghệ An), five years of exams.
    Demo,
    /// The whole country: about 250,000 cadres and 5 million exams.
    National,
}

struct Plan {
    central_cadres: usize,
    /// Cadres per province other than Nghệ An (inclusive range).
    per_province: (usize, usize),
    nghe_an_cadres: usize,
    first_year: i32,
    /// Clinic visits per cadre, on average, over the last two and a half years.
    visits_per_cadre: f64,
}

impl Scale {
    fn plan(self) -> Plan {
        match self {
            Scale::Demo => Plan {
                central_cadres: 120,
                per_province: (30, 60),
                nghe_an_cadres: 1500,
                first_year: 2021,
                visits_per_cadre: 2.0,
            },
            Scale::National => Plan {
                central_cadres: 2000,
                per_province: (3500, 4300),
                nghe_an_cadres: 4500,
                first_year: 2014,
                visits_per_cadre: 10.0,
            },
        }
    }
}

const SEED: u64 = 0x0CAD_4E_A1_2025;
const NGHE_AN: &str = "40";
/// Campaigns run up to the first round of this year; nothing is dated after mid-year.
const LAST_YEAR: i32 = 2026;

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
    let mut provinces: BTreeMap<String, (board::Model, Vec<board::Model>)> = BTreeMap::new();
    let mut central = None;
    for b in &boards {
        match b.level {
            BoardLevel::Central => central = Some(b.clone()),
            BoardLevel::Province => {
                provinces
                    .entry(b.code.clone())
                    .or_insert_with(|| (b.clone(), vec![]))
                    .0 = b.clone()
            }
            BoardLevel::District => {}
        }
    }
    for b in boards.iter().filter(|b| b.level == BoardLevel::District) {
        if let Some(parent) = b.parent_code.as_ref().and_then(|p| provinces.get_mut(p)) {
            parent.1.push(b.clone());
        }
    }
    let central = central.context("the board tree has no central board; run migrations first")?;

    let plan = scale.plan();
    let mut generator = Generator::new(plan);
    let sizes: Vec<usize> = provinces
        .keys()
        .map(|code| {
            if code == NGHE_AN {
                generator.plan.nghe_an_cadres
            } else {
                generator
                    .rng
                    .random_range(generator.plan.per_province.0..=generator.plan.per_province.1)
            }
        })
        .collect();
    let total = generator.plan.central_cadres + sizes.iter().sum::<usize>();
    let progress = ProgressBar::new(total as u64).with_style(
        ProgressStyle::with_template("seeding {bar:40} {pos}/{len} cadres, {msg} ({eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );

    generator.board_group(&central, &[], generator.plan.central_cadres);
    flush(db, &mut generator, &progress).await?;
    for ((province, districts), size) in provinces.values().zip(sizes) {
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

/// The tenant keys of a board, copied onto every row it owns.
#[derive(Clone)]
struct Keys {
    board: String,
    province: Option<String>,
    district: Option<String>,
}

impl Keys {
    fn of(b: &board::Model) -> Keys {
        Keys {
            board: b.code.clone(),
            province: b.province_code.clone(),
            district: b.district_code.clone(),
        }
    }
}

struct Generator {
    plan: Plan,
    rng: ChaCha8Rng,
    batch: Batch,
    report: SeedReport,
    /// Running cadre number: makes national IDs unique.
    serial: u64,
}

/// A condition while it is active, as exams and visits see it.
struct Condition {
    code: &'static str,
    from: NaiveDate,
    until: Option<NaiveDate>,
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

    /// A province (or the centre) with its districts: its campaigns and `size` cadres.
    fn board_group(&mut self, head: &board::Model, districts: &[board::Model], size: usize) {
        let campaigns = self.campaigns(head);
        for _ in 0..size {
            let board = if districts.is_empty() || self.rng.random_bool(0.55) {
                head
            } else {
                &districts[self.rng.random_range(0..districts.len())]
            };
            self.cadre(board, head, &campaigns);
        }
    }

    fn campaigns(&mut self, board: &board::Model) -> Vec<exam_campaign::Model> {
        let keys = Keys::of(board);
        let mut out = vec![];
        for year in self.plan.first_year..=LAST_YEAR {
            for round in [1i16, 2] {
                if year == LAST_YEAR && round == 2 {
                    continue;
                }
                let (starts_on, ends_on) = if round == 1 {
                    (date(year, 3, 1), date(year, 4, 30))
                } else {
                    (date(year, 9, 1), date(year, 10, 31))
                };
                let at = midnight(starts_on) - Duration::days(30);
                out.push(exam_campaign::Model {
                    id: self.uuid_at(at),
                    board_code: keys.board.clone(),
                    province_code: keys.province.clone(),
                    district_code: keys.district.clone(),
                    version: 1,
                    created_at: at,
                    updated_at: at,
                    name: format!("Khám sức khỏe định kỳ năm {year}, đợt {round}"),
                    year,
                    round,
                    cohort: Cohort::All,
                    starts_on,
                    ends_on,
                });
            }
        }
        self.report.campaigns += out.len() as u64;
        self.batch.campaigns.extend(out.iter().cloned());
        out
    }

    fn cadre(
        &mut self,
        board: &board::Model,
        head: &board::Model,
        campaigns: &[exam_campaign::Model],
    ) {
        let keys = Keys::of(board);
        let rng = &mut self.rng;
        let status = match rng.random_range(0..100) {
            0..55 => CadreStatus::Serving,
            55..97 => CadreStatus::Retired,
            _ => CadreStatus::Deceased,
        };
        let male = rng.random_bool(if status == CadreStatus::Serving {
            0.7
        } else {
            0.76
        });
        let gender = if male { Gender::Male } else { Gender::Female };
        let birth_year = match status {
            CadreStatus::Serving => rng.random_range(1965..=1990),
            CadreStatus::Retired => rng.random_range(1936..=1966),
            CadreStatus::Deceased => rng.random_range(1930..=1960),
        };
        let birth_date = date(
            birth_year,
            rng.random_range(1..=12),
            rng.random_range(1..=28),
        );
        let died_on = (status == CadreStatus::Deceased).then(|| {
            date(
                rng.random_range(2022..=2025),
                rng.random_range(1..=12),
                rng.random_range(1..=28),
            )
        });
        let full_name = self.name(male);
        let (tier, posts) = match board.level {
            BoardLevel::Central => (
                if self.rng.random_bool(0.25) {
                    ManagementTier::Politburo
                } else {
                    ManagementTier::Central
                },
                CENTRAL_POSTS,
            ),
            BoardLevel::Province => (
                if self.rng.random_bool(0.08) {
                    ManagementTier::Central
                } else {
                    ManagementTier::Provincial
                },
                PROVINCE_POSTS,
            ),
            BoardLevel::District => (ManagementTier::District, DISTRICT_POSTS),
        };
        let post = pick(&mut self.rng, posts);
        let position = if status == CadreStatus::Serving {
            post.to_string()
        } else {
            format!("Nguyên {}", lower_first(post))
        };
        self.serial += 1;
        let province_number: u32 = head.code.parse().unwrap_or(1);
        let century_digit = u32::from(!male);
        let national_id = self.rng.random_bool(0.9).then(|| {
            format!(
                "{province_number:03}{century_digit}{:02}{:06}",
                birth_year % 100,
                self.serial % 1_000_000
            )
        });
        let insurance_number = self.rng.random_bool(0.8).then(|| {
            if self.rng.random_bool(0.5) {
                format!("{province_number:02}{:08}", self.serial)
            } else {
                format!("CB2{province_number:02}{:010}", self.serial)
            }
        });
        let created =
            midnight(date(self.plan.first_year - 1, 12, 1)) + Duration::minutes(self.serial as i64);
        let mut cadre = cadre::Model {
            id: self.uuid_at(created),
            board_code: keys.board.clone(),
            province_code: keys.province.clone(),
            district_code: keys.district.clone(),
            version: 1,
            created_at: created,
            updated_at: created,
            name_folded: fold_name(&full_name),
            full_name,
            gender,
            birth_date,
            position: Some(position),
            workplace: Some(board.name.clone()),
            status,
            management_tier: tier,
            national_id,
            insurance_number,
            last_exam_on: None,
        };
        let conditions = self.conditions(&cadre, &keys, died_on);
        cadre.last_exam_on = self.exams(&cadre, &keys, campaigns, &conditions, died_on, head);
        self.visits(&cadre, &keys, &conditions, died_on);
        self.referrals_and_consultations(&cadre, &keys, &conditions);
        self.vaccinations(&cadre, &keys);
        self.report.cadres += 1;
        self.batch.cadres.push(cadre);
    }

    fn name(&mut self, male: bool) -> String {
        let total: u32 = FAMILY_NAMES.iter().map(|(_, w)| w).sum();
        let mut roll = self.rng.random_range(0..total);
        let family = FAMILY_NAMES
            .iter()
            .find(|(_, w)| {
                let hit = roll < *w;
                roll = roll.saturating_sub(*w);
                hit
            })
            .map_or("Nguyễn", |(n, _)| n);
        let (middle, given) = if male {
            (MALE_MIDDLE, MALE_GIVEN)
        } else {
            (FEMALE_MIDDLE, FEMALE_GIVEN)
        };
        format!(
            "{family} {} {}",
            pick(&mut self.rng, middle),
            pick(&mut self.rng, given)
        )
    }

    fn conditions(
        &mut self,
        cadre: &cadre::Model,
        keys: &Keys,
        died_on: Option<NaiveDate>,
    ) -> Vec<Condition> {
        let age = f64::from(2025 - cadre.birth_date.year());
        let male = cadre.gender == Gender::Male;
        let chances: [(&'static str, f64); 7] = [
            ("I10", 0.15 + 0.007 * (age - 40.0)),
            ("E11", 0.05 + 0.003 * (age - 40.0)),
            ("E78", 0.18),
            ("I25", 0.02 + 0.003 * (age - 45.0)),
            ("J44", if male { 0.05 } else { 0.015 }),
            ("N18", 0.02 + 0.001 * (age - 50.0)),
            ("M17", if age > 60.0 { 0.08 } else { 0.01 }),
        ];
        let mut out = vec![];
        for (code, chance) in chances {
            if !self.rng.random_bool(chance.clamp(0.0, 0.9)) {
                continue;
            }
            let earliest = (cadre.birth_date.year() + 35).max(2005);
            let from = date(
                self.rng.random_range(earliest..=2025.max(earliest)),
                self.rng.random_range(1..=12),
                15,
            );
            let until = self
                .rng
                .random_bool(0.1)
                .then(|| from + Duration::days(self.rng.random_range(60..900)));
            let until = until.filter(|u| *u < date(2026, 6, 1) && died_on.is_none_or(|d| *u < d));
            let at = midnight(from);
            let id = self.uuid_at(at);
            self.batch.conditions.push(chronic_condition::Model {
                id,
                board_code: keys.board.clone(),
                province_code: keys.province.clone(),
                district_code: keys.district.clone(),
                version: 1,
                created_at: at,
                updated_at: at,
                cadre_id: cadre.id,
                icd_code: code.to_owned(),
                diagnosed_on: from,
                resolved_on: until,
                note: None,
            });
            self.report.conditions += 1;
            out.push(Condition { code, from, until });
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn exams(
        &mut self,
        cadre: &cadre::Model,
        keys: &Keys,
        campaigns: &[exam_campaign::Model],
        conditions: &[Condition],
        died_on: Option<NaiveDate>,
        head: &board::Model,
    ) -> Option<NaiveDate> {
        let male = cadre.gender == Gender::Male;
        let height = if male {
            normal(&mut self.rng, 164.5, 5.5)
        } else {
            normal(&mut self.rng, 154.0, 5.0)
        };
        let height = (height * 10.0).round() / 10.0;
        let base_bmi = normal(&mut self.rng, 23.0, 2.8).clamp(16.5, 36.0);
        let attend = if cadre.status == CadreStatus::Serving {
            0.9
        } else {
            0.8
        };
        let facility = format!("Phòng khám Ban BVCSSK {}", head.name);
        let mut last = None;
        for campaign in campaigns {
            // Every campaign here is for cohort ALL: each cadre alive at its start is due.
            if died_on.is_some_and(|d| d <= campaign.starts_on) {
                continue;
            }
            let enrolled_at = midnight(campaign.starts_on);
            let enrolment = campaign_enrolment::Model {
                id: self.uuid_at(enrolled_at),
                board_code: keys.board.clone(),
                province_code: keys.province.clone(),
                district_code: keys.district.clone(),
                version: 1,
                created_at: enrolled_at,
                updated_at: enrolled_at,
                campaign_id: campaign.id,
                cadre_id: cadre.id,
                year: campaign.year,
                round: campaign.round,
                examined_on: None,
            };
            self.report.enrolments += 1;
            if !self.rng.random_bool(attend) {
                self.batch.enrolments.push(enrolment);
                continue;
            }
            let span = (campaign.ends_on - campaign.starts_on).num_days();
            let on = campaign.starts_on + Duration::days(self.rng.random_range(0..=span));
            self.batch.enrolments.push(campaign_enrolment::Model {
                examined_on: Some(on),
                ..enrolment
            });
            let active: Vec<&'static str> = conditions
                .iter()
                .filter(|c| c.from <= on && c.until.is_none_or(|u| u > on))
                .map(|c| c.code)
                .collect();
            let has = |code: &str| active.contains(&code);
            let rng = &mut self.rng;
            let bmi_now = (base_bmi + normal(rng, 0.0, 0.6)).clamp(16.0, 40.0);
            let weight = ((bmi_now * (height / 100.0).powi(2)) * 10.0).round() / 10.0;
            let bmi = ((weight / (height / 100.0).powi(2)) * 10.0).round() / 10.0;
            let systolic = if has("I10") {
                normal(rng, 142.0, 14.0)
            } else {
                normal(rng, 121.0, 11.0)
            }
            .clamp(90.0, 210.0);
            let diastolic = (systolic * 0.6 + normal(rng, 6.0, 6.0)).clamp(55.0, systolic - 15.0);
            let glucose = if has("E11") {
                normal(rng, 8.2, 1.9).max(5.0)
            } else {
                normal(rng, 5.2, 0.5).max(3.8)
            };
            let hba1c = if has("E11") {
                normal(rng, 7.6, 1.1).max(5.5)
            } else {
                normal(rng, 5.4, 0.35).max(4.2)
            };
            let cholesterol = (normal(rng, 5.0, 0.9) + if has("E78") { 0.8 } else { 0.0 }).max(2.5);
            let triglycerides = normal(rng, 1.7, 0.7).max(0.4);
            let creatinine = (normal(rng, if male { 88.0 } else { 70.0 }, 14.0)
                + if has("N18") { 70.0 } else { 0.0 })
            .max(40.0);
            let serious = has("I25") || has("N18");
            let cadre_class = match active.len() {
                0 if rng.random_bool(0.9) => CadreClass::A,
                0 => CadreClass::B1,
                1 if !serious && rng.random_bool(0.6) => CadreClass::B1,
                1 => CadreClass::B2,
                _ => match rng.random_range(0..100) {
                    0..8 if serious => CadreClass::D,
                    0..25 => CadreClass::C,
                    _ => CadreClass::B2,
                },
            };
            let general_class = match cadre_class {
                CadreClass::A => {
                    if rng.random_bool(0.4) {
                        GeneralClass::I
                    } else {
                        GeneralClass::Ii
                    }
                }
                CadreClass::B1 => {
                    if rng.random_bool(0.5) {
                        GeneralClass::Ii
                    } else {
                        GeneralClass::Iii
                    }
                }
                CadreClass::B2 => GeneralClass::Iii,
                CadreClass::C => GeneralClass::Iv,
                CadreClass::D => GeneralClass::V,
            };
            let conclusion = match cadre_class {
                CadreClass::A => "Đủ sức khỏe công tác",
                CadreClass::B1 | CadreClass::B2 => {
                    "Đủ sức khỏe công tác, theo dõi và điều trị bệnh mạn tính"
                }
                CadreClass::C => "Tạm thời chưa đủ sức khỏe công tác, cần điều trị",
                CadreClass::D => "Không đủ sức khỏe tiếp tục công tác",
            };
            let male_physician = self.rng.random_bool(0.5);
            let physician = format!("BS. {}", self.name(male_physician));
            let at = midnight(on) + Duration::hours(2);
            let id = self.uuid_at(at);
            self.batch.exams.push(health_exam::Model {
                id,
                board_code: keys.board.clone(),
                province_code: keys.province.clone(),
                district_code: keys.district.clone(),
                version: 1,
                created_at: at,
                updated_at: at,
                cadre_id: cadre.id,
                campaign_id: Some(campaign.id),
                examined_on: on,
                facility: Some(facility.clone()),
                kind: ExamKind::Periodic,
                height_cm: Some(height),
                weight_kg: Some(weight),
                bmi: Some(bmi),
                systolic_mmhg: Some(systolic.round() as i32),
                diastolic_mmhg: Some(diastolic.round() as i32),
                pulse_bpm: Some(normal(&mut self.rng, 75.0, 9.0).clamp(45.0, 130.0).round() as i32),
                glucose_mmol_l: Some(round1(glucose)),
                hba1c_percent: Some(round1(hba1c)),
                cholesterol_mmol_l: Some(round1(cholesterol)),
                triglycerides_mmol_l: Some(round1(triglycerides)),
                creatinine_umol_l: Some(creatinine.round()),
                diagnoses: active.join(","),
                cadre_class: Some(cadre_class),
                general_class: Some(general_class),
                conclusion: Some(conclusion.to_owned()),
                physician: Some(physician),
            });
            self.report.exams += 1;
            last = last.max(Some(on));
        }
        last
    }

    fn visits(
        &mut self,
        cadre: &cadre::Model,
        keys: &Keys,
        conditions: &[Condition],
        died_on: Option<NaiveDate>,
    ) {
        let expected = self.plan.visits_per_cadre * if conditions.is_empty() { 0.6 } else { 1.5 };
        let count = poisson(&mut self.rng, expected);
        let (start, end) = (
            date(2024, 1, 1),
            died_on.unwrap_or(date(2026, 6, 30)).min(date(2026, 6, 30)),
        );
        if end <= start {
            return;
        }
        for _ in 0..count {
            let day = start + Duration::days(self.rng.random_range(0..(end - start).num_days()));
            // Clinic hours 07:30–16:30 in Vietnam (UTC+7).
            let at = midnight(day) + Duration::minutes(self.rng.random_range(30..570));
            let chronic = conditions
                .iter()
                .filter(|c| c.from <= day && c.until.is_none_or(|u| u > day))
                .collect::<Vec<_>>();
            let (complaint, code) = if !chronic.is_empty() && self.rng.random_bool(0.7) {
                (
                    "Tái khám, cấp thuốc bệnh mạn tính".to_owned(),
                    chronic[self.rng.random_range(0..chronic.len())].code,
                )
            } else {
                let (c, code) = *pick(&mut self.rng, ACUTE_COMPLAINTS);
                (c.to_owned(), code)
            };
            let visit_id = self.uuid_at(at);
            for (drug, dosage) in drugs_for(code).iter().take(self.rng.random_range(1..=2)) {
                let quantity = if self.rng.random_bool(0.7) { 30 } else { 14 };
                let id = self.uuid_at(at);
                self.batch.prescriptions.push(prescription::Model {
                    id,
                    board_code: keys.board.clone(),
                    province_code: keys.province.clone(),
                    district_code: keys.district.clone(),
                    version: 1,
                    created_at: at,
                    updated_at: at,
                    visit_id,
                    cadre_id: cadre.id,
                    drug: (*drug).to_owned(),
                    quantity,
                    dosage: Some((*dosage).to_owned()),
                });
                self.report.prescriptions += 1;
            }
            let male_physician = self.rng.random_bool(0.5);
            let physician = format!("BS. {}", self.name(male_physician));
            self.batch.visits.push(clinic_visit::Model {
                id: visit_id,
                board_code: keys.board.clone(),
                province_code: keys.province.clone(),
                district_code: keys.district.clone(),
                version: 1,
                created_at: at,
                updated_at: at,
                cadre_id: cadre.id,
                visited_at: at,
                complaint: Some(complaint),
                diagnoses: code.to_owned(),
                physician: Some(physician),
            });
            self.report.visits += 1;
        }
    }

    fn referrals_and_consultations(
        &mut self,
        cadre: &cadre::Model,
        keys: &Keys,
        conditions: &[Condition],
    ) {
        let serious = conditions.iter().any(|c| matches!(c.code, "I25" | "N18"));
        if !conditions.is_empty() && self.rng.random_bool(if serious { 0.25 } else { 0.04 }) {
            let on = date(
                self.rng.random_range(2023..=2025),
                self.rng.random_range(1..=12),
                self.rng.random_range(1..=28),
            );
            let at = midnight(on);
            let status = match self.rng.random_range(0..100) {
                0..70 => ReferralStatus::Completed,
                70..80 => ReferralStatus::Accepted,
                80..90 => ReferralStatus::Requested,
                _ => ReferralStatus::Cancelled,
            };
            let id = self.uuid_at(at);
            self.batch.referrals.push(referral::Model {
                id,
                board_code: keys.board.clone(),
                province_code: keys.province.clone(),
                district_code: keys.district.clone(),
                version: 1,
                created_at: at,
                updated_at: at,
                cadre_id: cadre.id,
                referred_on: on,
                destination: (*pick(&mut self.rng, REFERRAL_HOSPITALS)).to_owned(),
                reason: Some(format!("Điều trị chuyên sâu {}", conditions[0].code)),
                urgency: if serious {
                    ReferralUrgency::Urgent
                } else {
                    ReferralUrgency::Routine
                },
                status,
            });
            self.report.referrals += 1;
        }
        if serious && self.rng.random_bool(0.3) {
            let on = date(
                self.rng.random_range(2023..=2025),
                self.rng.random_range(1..=12),
                self.rng.random_range(1..=28),
            );
            let at = midnight(on);
            let id = self.uuid_at(at);
            self.batch.consultations.push(consultation::Model {
                id,
                board_code: keys.board.clone(),
                province_code: keys.province.clone(),
                district_code: keys.district.clone(),
                version: 1,
                created_at: at,
                updated_at: at,
                cadre_id: cadre.id,
                held_on: on,
                council: "Hội đồng chuyên môn Ban BVCSSK".to_owned(),
                participants: Some("Tim mạch, Nội tiết, Thận - Tiết niệu".to_owned()),
                conclusion: Some("Tiếp tục điều trị nội khoa, theo dõi sát".to_owned()),
            });
            self.report.consultations += 1;
        }
    }

    fn vaccinations(&mut self, cadre: &cadre::Model, keys: &Keys) {
        // COVID-19 doses 1–3 in 2021–2022, as the provincial boards reported.
        if !self.rng.random_bool(0.85) {
            return;
        }
        let mut on = date(
            2021,
            self.rng.random_range(6..=10),
            self.rng.random_range(1..=28),
        );
        for dose in 1..=3i16 {
            if dose > 1 && !self.rng.random_bool(if dose == 2 { 0.95 } else { 0.72 }) {
                break;
            }
            if dose > 1 {
                on += Duration::days(self.rng.random_range(if dose == 2 {
                    28..60
                } else {
                    120..200
                }));
            }
            let at = midnight(on);
            let lot = format!("LOT{:06}", self.rng.random_range(0..1_000_000));
            let id = self.uuid_at(at);
            self.batch.vaccinations.push(vaccination::Model {
                id,
                board_code: keys.board.clone(),
                province_code: keys.province.clone(),
                district_code: keys.district.clone(),
                version: 1,
                created_at: at,
                updated_at: at,
                cadre_id: cadre.id,
                vaccine: "COVID-19".to_owned(),
                dose_number: dose,
                given_on: on,
                lot: Some(lot),
            });
            self.report.vaccinations += 1;
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

/// Midnight in Vietnam (UTC+7) of `day`, in UTC.
fn midnight(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_time(NaiveTime::MIN)) - Duration::hours(7)
}

fn pick<'a, T>(rng: &mut impl Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_lowercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// A normal draw (Box–Muller).
fn normal(rng: &mut impl Rng, mean: f64, sd: f64) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    mean + sd * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// A Poisson draw (Knuth), for small means.
fn poisson(rng: &mut impl Rng, mean: f64) -> u32 {
    let limit = (-mean).exp();
    let (mut k, mut p) = (0, 1.0);
    loop {
        p *= rng.random::<f64>();
        if p <= limit {
            return k;
        }
        k += 1;
    }
}
