//! The records: exam campaigns and enrolments, chronic conditions, exams, clinic visits with
//! their prescriptions, referrals, consultations and vaccinations.

use chrono::{Datelike, Duration, NaiveDate};
use rand::Rng;

use super::names::*;
use super::plan::LAST_YEAR;
use super::{Generator, date, day_between, day_in, either, midnight, pick};
use crate::db::entities::{
    board, cadre, campaign_enrolment, chronic_condition, clinic_visit, consultation, exam_campaign,
    health_exam, prescription, referral, vaccination,
};
use crate::domain::{
    CadreClass, CadreStatus, Cohort, ExamKind, Gender, GeneralClass, ReferralStatus,
    ReferralUrgency,
};
use crate::scope::TenantKeys;

/// A condition while it is active, as exams and visits see it.
pub(super) struct Condition {
    code: &'static str,
    from: NaiveDate,
    until: Option<NaiveDate>,
}

impl Condition {
    fn active_on(&self, day: NaiveDate) -> bool {
        self.from <= day && self.until.is_none_or(|u| u > day)
    }
}

impl Generator {
    /// The exam campaigns of `board`: two rounds a year, from the plan's first year.
    pub(super) fn campaigns(&mut self, board: &board::Model) -> Vec<exam_campaign::Model> {
        let keys = TenantKeys::of_board(board);
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
                out.push(row!(exam_campaign { self.uuid_at(at), keys.clone(), at;
                    name: format!("Khám sức khỏe định kỳ năm {year}, đợt {round}"),
                    year,
                    round,
                    cohort: Cohort::All,
                    starts_on,
                    ends_on,
                }));
            }
        }
        self.report.campaigns += out.len() as u64;
        self.batch.campaigns.extend(out.iter().cloned());
        out
    }

    pub(super) fn conditions(
        &mut self,
        cadre: &cadre::Model,
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
            self.batch
                .conditions
                .push(record!(chronic_condition { id, cadre, at;
                    icd_code: code.to_owned(),
                    diagnosed_on: from,
                    resolved_on: until,
                    note: None,
                }));
            self.report.conditions += 1;
            out.push(Condition { code, from, until });
        }
        out
    }

    pub(super) fn exams(
        &mut self,
        cadre: &cadre::Model,
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
            let enrolment = record!(campaign_enrolment {
                self.uuid_at(enrolled_at), cadre, enrolled_at;
                campaign_id: campaign.id,
                year: campaign.year,
                round: campaign.round,
                examined_on: None,
            });
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
                .filter(|c| c.active_on(on))
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
                CadreClass::A => either(rng, 0.4, GeneralClass::I, GeneralClass::Ii),
                CadreClass::B1 => either(rng, 0.5, GeneralClass::Ii, GeneralClass::Iii),
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
            let physician = self.physician();
            let at = midnight(on) + Duration::hours(2);
            let id = self.uuid_at(at);
            self.batch.exams.push(record!(health_exam { id, cadre, at;
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
            }));
            self.report.exams += 1;
            last = last.max(Some(on));
        }
        last
    }

    pub(super) fn visits(
        &mut self,
        cadre: &cadre::Model,
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
                .filter(|c| c.active_on(day))
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
                let quantity = either(&mut self.rng, 0.7, 30, 14);
                let id = self.uuid_at(at);
                self.batch
                    .prescriptions
                    .push(record!(prescription { id, cadre, at;
                        visit_id,
                        drug: (*drug).to_owned(),
                        quantity,
                        dosage: Some((*dosage).to_owned()),
                    }));
                self.report.prescriptions += 1;
            }
            let physician = self.physician();
            self.batch
                .visits
                .push(record!(clinic_visit { visit_id, cadre, at;
                    visited_at: at,
                    complaint: Some(complaint),
                    diagnoses: code.to_owned(),
                    physician: Some(physician),
                }));
            self.report.visits += 1;
        }
    }

    pub(super) fn referrals_and_consultations(
        &mut self,
        cadre: &cadre::Model,
        conditions: &[Condition],
    ) {
        let serious = conditions.iter().any(|c| matches!(c.code, "I25" | "N18"));
        if !conditions.is_empty() && self.rng.random_bool(if serious { 0.25 } else { 0.04 }) {
            let on = day_between(&mut self.rng, 2023..=2025);
            let at = midnight(on);
            let status = match self.rng.random_range(0..100) {
                0..70 => ReferralStatus::Completed,
                70..80 => ReferralStatus::Accepted,
                80..90 => ReferralStatus::Requested,
                _ => ReferralStatus::Cancelled,
            };
            let id = self.uuid_at(at);
            self.batch.referrals.push(record!(referral { id, cadre, at;
                referred_on: on,
                destination: (*pick(&mut self.rng, REFERRAL_HOSPITALS)).to_owned(),
                reason: Some(format!("Điều trị chuyên sâu {}", conditions[0].code)),
                urgency: if serious {
                    ReferralUrgency::Urgent
                } else {
                    ReferralUrgency::Routine
                },
                status,
            }));
            self.report.referrals += 1;
        }
        if serious && self.rng.random_bool(0.3) {
            let on = day_between(&mut self.rng, 2023..=2025);
            let at = midnight(on);
            let id = self.uuid_at(at);
            self.batch
                .consultations
                .push(record!(consultation { id, cadre, at;
                    held_on: on,
                    council: "Hội đồng chuyên môn Ban BVCSSK".to_owned(),
                    participants: Some("Tim mạch, Nội tiết, Thận - Tiết niệu".to_owned()),
                    conclusion: Some("Tiếp tục điều trị nội khoa, theo dõi sát".to_owned()),
                }));
            self.report.consultations += 1;
        }
    }

    pub(super) fn vaccinations(&mut self, cadre: &cadre::Model) {
        // COVID-19 doses 1–3 in 2021–2022, as the provincial boards reported.
        if !self.rng.random_bool(0.85) {
            return;
        }
        let mut on = day_in(&mut self.rng, 2021, 6..=10);
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
            self.batch
                .vaccinations
                .push(record!(vaccination { id, cadre, at;
                    vaccine: "COVID-19".to_owned(),
                    dose_number: dose,
                    given_on: on,
                    lot: Some(lot),
                }));
            self.report.vaccinations += 1;
        }
    }
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
