//! What to generate: how many cadres where, and over which years.

use std::collections::BTreeMap;

use anyhow::Context;
use rand::Rng;

use super::Generator;
use crate::db::entities::board;
use crate::domain::BoardLevel;

/// How much data to generate: `demo`, `national` or a number of cadres.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// A few thousand cadres (about 1,500 in Nghệ An), five years of exams.
    Demo,
    /// The whole country: about 250,000 cadres and 5 million exams.
    National,
    /// Exactly this many cadres, each with a national-scale record (exams since 2014, about
    /// ten clinic visits), spread over the centre and the provinces as `National` spreads them.
    Cadres(usize),
}

impl std::str::FromStr for Scale {
    type Err = String;

    fn from_str(s: &str) -> Result<Scale, String> {
        match s {
            "demo" => Ok(Scale::Demo),
            "national" => Ok(Scale::National),
            n => match n.replace('_', "").parse::<usize>() {
                Ok(n) if n > 0 => Ok(Scale::Cadres(n)),
                _ => Err(format!(
                    "{s:?}: `demo`, `national` or a number of cadres (at least 1)"
                )),
            },
        }
    }
}

pub(super) struct Plan {
    central_cadres: usize,
    /// Cadres per province other than Nghệ An (inclusive range).
    per_province: (usize, usize),
    nghe_an_cadres: usize,
    pub(super) first_year: i32,
    /// Clinic visits per cadre, on average, over the last two and a half years.
    pub(super) visits_per_cadre: f64,
    /// Exactly this many cadres in all (`Scale::Cadres`), else the sizes above as drawn.
    cadres: Option<usize>,
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
                cadres: None,
            },
            Scale::National => Plan {
                central_cadres: 2000,
                per_province: (3500, 4300),
                nghe_an_cadres: 4500,
                first_year: 2014,
                visits_per_cadre: 10.0,
                cadres: None,
            },
            Scale::Cadres(n) => Plan {
                cadres: Some(n),
                ..Scale::National.plan()
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

/// `n` shared in proportion to `weights`, exactly (largest remainders first, ties to the
/// earlier).
fn share(weights: &[usize], n: usize) -> Vec<usize> {
    let total: usize = weights.iter().sum::<usize>().max(1);
    let exact: Vec<(usize, usize)> = weights
        .iter()
        .map(|w| ((w * n) / total, (w * n) % total))
        .collect();
    let mut out: Vec<usize> = exact.iter().map(|(q, _)| *q).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(exact[i].1));
    let short = n - out.iter().sum::<usize>();
    for &i in order.iter().take(short) {
        out[i] += 1;
    }
    out
}

impl Generator {
    /// How many cadres the centre gets, then each province of `tree`, in the tree's order.
    /// For `Scale::Cadres(n)` the drawn sizes are scaled down (or up) to add up to exactly `n`.
    pub(super) fn sizes(&mut self, tree: &Tree) -> Vec<usize> {
        let drawn: Vec<usize> = tree
            .provinces
            .keys()
            .map(|code| {
                if code == NGHE_AN {
                    self.plan.nghe_an_cadres
                } else {
                    self.rng
                        .random_range(self.plan.per_province.0..=self.plan.per_province.1)
                }
            })
            .collect();
        let sizes: Vec<usize> = std::iter::once(self.plan.central_cadres)
            .chain(drawn)
            .collect();
        match self.plan.cadres {
            None => sizes,
            Some(n) => share(&sizes, n),
        }
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
            if self.batch.cadres.len() >= super::CHUNK_CADRES && !self.flush() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::share;

    #[test]
    fn a_number_of_cadres_is_shared_exactly_in_proportion() {
        assert_eq!(share(&[2000, 4000, 4000], 5), vec![1, 2, 2]);
        assert_eq!(share(&[2000, 4000, 4000], 1), vec![0, 1, 0]);
        assert_eq!(share(&[3, 3, 3], 10), vec![4, 3, 3]);
        for n in [1, 7, 1000, 248_001] {
            assert_eq!(
                share(&[2000, 3512, 4300, 4500, 3999], n)
                    .iter()
                    .sum::<usize>(),
                n
            );
        }
    }
}
