//! A plan checked against the tree: every step played on a copy of the boards, in order, and
//! every fault listed with its line. Nothing is written here.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::plan::{Action, Plan, PlanError, Step};
use crate::boards::{BoardTree, is_open};
use crate::db::entities::board;
use crate::domain::BoardLevel;

/// What a step does to one board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Closes, its records passing to `successor`.
    Closed {
        successor: String,
    },
    Renamed {
        from: String,
    },
    Opened,
}

/// A plan that holds: the changes in order (board, change, line) and the tree after them.
pub struct Checked {
    pub changes: Vec<(String, Change, u64)>,
    pub after: Vec<board::Model>,
}

/// Plays `plan` on `boards` as of `effective`. `latest` is the last day the tree changed
/// (an earlier reorganisation): a plan may not take effect before it.
pub fn check(
    plan: &Plan,
    boards: &[board::Model],
    effective: NaiveDate,
    latest: Option<NaiveDate>,
) -> Result<Checked, Vec<PlanError>> {
    let mut errors = Vec::new();
    if let Some(latest) = latest.filter(|l| effective < *l) {
        errors.push(PlanError::whole(format!(
            "--effective {effective} is before an earlier reorganisation, which took effect on \
             {latest}"
        )));
    }
    let mut sim = Simulation {
        boards: boards.iter().map(|b| (b.code.clone(), b.clone())).collect(),
        closed_by: HashMap::new(),
        effective,
        changes: Vec::new(),
    };
    for step in &plan.steps {
        if let Err(message) = sim.play(step) {
            errors.push(PlanError::at(step.line, message));
        }
    }
    if errors.is_empty() {
        errors.extend(sim.whole_tree_faults());
    }
    if errors.is_empty() {
        Ok(Checked {
            changes: sim.changes,
            after: sim.boards.into_values().collect(),
        })
    } else {
        Err(errors)
    }
}

struct Simulation {
    boards: HashMap<String, board::Model>,
    /// The line that closed each board this plan closes.
    closed_by: HashMap<String, u64>,
    effective: NaiveDate,
    changes: Vec<(String, Change, u64)>,
}

impl Simulation {
    fn play(&mut self, step: &Step) -> Result<(), String> {
        if let Action::Open { parent, name } = &step.action {
            return self.open(step, parent, name);
        }
        let board = self.open_board(&step.board)?.clone();
        match &step.action {
            Action::Merge { into, name } => {
                let target = self.target(&board, into)?;
                if target.level != board.level {
                    return Err(format!(
                        "{} is a {} board and {} a {} one: merge boards of one level, or \
                         dissolve {} into {}",
                        board.code,
                        level(board.level),
                        target.code,
                        level(target.level),
                        board.code,
                        target.code
                    ));
                }
                self.close(step, &board, into);
                if let Some(name) = name {
                    self.rename(step, into, name);
                }
            }
            Action::Dissolve { into } => {
                let target = self.target(&board, into)?;
                if rank(target.level) > rank(board.level) {
                    return Err(format!(
                        "{} cannot take the records of {}: a board is dissolved into one at its \
                         level or above",
                        target.code, board.code
                    ));
                }
                self.close(step, &board, into);
            }
            Action::Rename { name } => {
                if *name == board.name {
                    return Err(format!("{} is already named {name:?}", board.code));
                }
                self.rename(step, &step.board, name);
            }
            Action::Open { .. } => {}
        }
        Ok(())
    }

    /// The board `code`, open on the effective day, or why not.
    fn open_board(&self, code: &str) -> Result<&board::Model, String> {
        let board = self
            .boards
            .get(code)
            .ok_or_else(|| format!("unknown board {code}"))?;
        if let Some(line) = self.closed_by.get(code) {
            return Err(format!(
                "board {code} is merged twice: it already closes on line {line}"
            ));
        }
        if !is_open(board, self.effective) {
            return Err(match board.closed_on {
                Some(closed) => format!("board {code} closed on {closed} already"),
                None => format!("board {code} is not open on {}", self.effective),
            });
        }
        Ok(board)
    }

    /// The board `into` that `board`'s records would pass to: open, not `board`, not closed
    /// earlier in this plan (which would make a cycle, or a chain the plan should name).
    fn target(&self, board: &board::Model, into: &str) -> Result<board::Model, String> {
        if into == board.code {
            return Err(format!("a cycle: {into} into itself"));
        }
        if let Some(line) = self.closed_by.get(into) {
            let mut chain = vec![into.to_owned()];
            let mut next = self.boards.get(into).and_then(|b| b.successor_code.clone());
            while let Some(code) = next {
                chain.push(code.clone());
                if code == board.code {
                    return Err(format!("a cycle: {} → {}", board.code, chain.join(" → ")));
                }
                next = self
                    .boards
                    .get(&code)
                    .and_then(|b| b.successor_code.clone());
                if chain.len() > self.boards.len() {
                    break;
                }
            }
            return Err(format!(
                "{into} closes on line {line}: name the board it closes into instead"
            ));
        }
        if board.level == BoardLevel::Central {
            return Err("the central board never closes".into());
        }
        self.open_board(into).cloned()
    }

    fn close(&mut self, step: &Step, board: &board::Model, into: &str) {
        if let Some(b) = self.boards.get_mut(&board.code) {
            b.closed_on = Some(self.effective);
            b.successor_code = Some(into.to_owned());
        }
        self.closed_by.insert(board.code.clone(), step.line);
        let change = Change::Closed {
            successor: into.to_owned(),
        };
        self.changes.push((board.code.clone(), change, step.line));
    }

    fn rename(&mut self, step: &Step, code: &str, name: &str) {
        if let Some(b) = self.boards.get_mut(code) {
            let from = std::mem::replace(&mut b.name, name.to_owned());
            self.changes
                .push((code.to_owned(), Change::Renamed { from }, step.line));
        }
    }

    fn open(&mut self, step: &Step, parent: &str, name: &str) -> Result<(), String> {
        if self.boards.contains_key(&step.board) {
            return Err(format!(
                "board {} exists already (a code is never reused)",
                step.board
            ));
        }
        let parent = self.open_board(parent)?.clone();
        let (level, province, district) = match parent.level {
            BoardLevel::Central => (BoardLevel::Province, Some(step.board.clone()), None),
            BoardLevel::Province => (
                BoardLevel::District,
                parent.province_code.clone(),
                Some(step.board.clone()),
            ),
            BoardLevel::District => {
                return Err(format!(
                    "{} is a district: no board opens under it",
                    parent.code
                ));
            }
        };
        let board = board::Model {
            code: step.board.clone(),
            name: name.to_owned(),
            level,
            parent_code: Some(parent.code.clone()),
            province_code: province,
            district_code: district,
            opened_on: Some(self.effective),
            closed_on: None,
            successor_code: None,
        };
        self.boards.insert(step.board.clone(), board);
        self.changes
            .push((step.board.clone(), Change::Opened, step.line));
        Ok(())
    }

    /// Faults only the whole plan shows: a board left open under a closed parent, and records
    /// whose custody would leave their province's lineage (the shapes `BoardTree::scope_of`
    /// relies on).
    fn whole_tree_faults(&self) -> Vec<PlanError> {
        let tree = BoardTree::from_rows(self.boards.values().cloned().collect());
        let on = self.effective;
        let mut errors = Vec::new();
        let mut boards: Vec<&board::Model> = self.boards.values().collect();
        boards.sort_by(|a, b| a.code.cmp(&b.code));
        for b in boards {
            let parent = b.parent_code.as_deref().and_then(|p| tree.get(p));
            if let Some(parent) = parent.filter(|p| is_open(b, on) && !is_open(p, on)) {
                let line = self.closed_by.get(&parent.code).copied().unwrap_or(0);
                errors.push(PlanError::at(
                    line,
                    format!(
                        "{} closes but {} stays open under it: dissolve or merge {} in the same \
                         plan",
                        parent.code, b.code, b.code
                    ),
                ));
            }
            if b.level != BoardLevel::District {
                continue;
            }
            let province = b.province_code.as_deref().and_then(|p| tree.holder(p, on));
            let holder = tree.holder(&b.code, on);
            let kept = match (holder, province) {
                (Some(h), Some(p)) => tree.is_within(h, p),
                _ => false,
            };
            if !kept && let Some(line) = self.closed_by.get(&b.code) {
                errors.push(PlanError::at(
                    *line,
                    format!(
                        "{}'s records would leave the lineage of its province {}: a district \
                         closes into a board of its own province (or of the province that \
                         province merges into)",
                        b.code,
                        b.province_code.as_deref().unwrap_or("?")
                    ),
                ));
            }
        }
        errors
    }
}

/// Central 0, province 1, district 2.
fn rank(level: BoardLevel) -> u8 {
    match level {
        BoardLevel::Central => 0,
        BoardLevel::Province => 1,
        BoardLevel::District => 2,
    }
}

fn level(level: BoardLevel) -> &'static str {
    match level {
        BoardLevel::Central => "central",
        BoardLevel::Province => "provincial",
        BoardLevel::District => "district",
    }
}
