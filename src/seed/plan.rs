//! What to generate: how many cadres where, and over which years.

use std::collections::BTreeMap;

use anyhow::Context;
use rand::Rng;

use super::Generator;
use crate::db::entities::board;
use crate::domain::BoardLevel;

/// How much data to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// A few thousand cadres (about 1,500 in Nghệ An), five years of exams.
    Demo,
    /// The whole country: about 250,000 cadres and 5 million exams.
    National,
}

pub(super) struct Plan {
    pub(super) central_cadres: usize,
    /// Cadres per province other than Nghệ An (inclusive range).
    per_province: (usize, usize),
    nghe_an_cadres: usize,
    pub(super) first_year: i32,
    /// Clinic visits per cadre, on average, over the last two and a half years.
    pub(super) visits_per_cadre: f64,
}

impl Scale {
    pub(super) fn plan(self) -> Plan {
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

pub(super) const SEED: u64 = 0x0CAD_4EA1_2025;
pub(super) const NGHE_AN: &str = "40";
/// Campaigns run up to the first round of this year; nothing is dated after mid-year.
pub(super) const LAST_YEAR: i32 = 2026;

/// The board tree as the generator walks it: the centre, then each province (by code) with its
/// districts.
pub(super) struct Tree {
    pub(super) central: board::Model,
    pub(super) provinces: BTreeMap<String, (board::Model, Vec<board::Model>)>,
}

impl Tree {
    pub(super) fn of(boards: &[board::Model]) -> anyhow::Result<Tree> {
        let mut provinces: BTreeMap<String, (board::Model, Vec<board::Model>)> = BTreeMap::new();
        let mut central = None;
        for b in boards {
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
        let central =
            central.context("the board tree has no central board; run migrations first")?;
        Ok(Tree { central, provinces })
    }
}

impl Generator {
    /// How many cadres each province of `tree` gets, in the tree's order.
    pub(super) fn sizes(&mut self, tree: &Tree) -> Vec<usize> {
        tree.provinces
            .keys()
            .map(|code| {
                if code == NGHE_AN {
                    self.plan.nghe_an_cadres
                } else {
                    self.rng
                        .random_range(self.plan.per_province.0..=self.plan.per_province.1)
                }
            })
            .collect()
    }

    /// A province (or the centre) with its districts: its campaigns and `size` cadres.
    pub(super) fn board_group(
        &mut self,
        head: &board::Model,
        districts: &[board::Model],
        size: usize,
    ) {
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
}
