//! The cadres: who they are, where they serve, what they are called.

use chrono::Duration;
use rand::Rng;

use super::names::*;
use super::{Generator, date, day_between, day_in, either, midnight, pick};
use crate::db::entities::{board, cadre, exam_campaign};
use crate::domain::{BoardLevel, CadreStatus, Gender, ManagementTier, fold_name};
use crate::scope::TenantKeys;

impl Generator {
    /// One cadre of `board` (under `head`, their province or the centre) and all their records.
    pub(super) fn cadre(
        &mut self,
        board: &board::Model,
        head: &board::Model,
        campaigns: &[exam_campaign::Model],
    ) {
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
        let birth_date = day_in(rng, birth_year, 1..=12);
        let died_on = (status == CadreStatus::Deceased).then(|| day_between(rng, 2022..=2025));
        let full_name = self.name(male);
        let (tier, posts) = match board.level {
            BoardLevel::Central => (
                either(
                    &mut self.rng,
                    0.25,
                    ManagementTier::Politburo,
                    ManagementTier::Central,
                ),
                CENTRAL_POSTS,
            ),
            BoardLevel::Province => (
                either(
                    &mut self.rng,
                    0.08,
                    ManagementTier::Central,
                    ManagementTier::Provincial,
                ),
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
        let keys = TenantKeys::of_board(board);
        let mut cadre = row!(cadre { self.uuid_at(created), keys, created;
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
        });
        let conditions = self.conditions(&cadre, died_on);
        cadre.last_exam_on = self.exams(&cadre, campaigns, &conditions, died_on, head);
        self.visits(&cadre, &conditions, died_on);
        self.referrals_and_consultations(&cadre, &conditions);
        self.vaccinations(&cadre);
        self.report.cadres += 1;
        self.batch.cadres.push(cadre);
    }

    /// A name: a family name by its share of the population, a middle and a given name.
    pub(super) fn name(&mut self, male: bool) -> String {
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

    /// The physician of an exam or a visit: `BS.` and a name, a woman's or a man's at even odds.
    pub(super) fn physician(&mut self) -> String {
        let male = self.rng.random_bool(0.5);
        format!("BS. {}", self.name(male))
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_lowercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}
