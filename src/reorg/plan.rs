//! A reorganisation plan as written: CSV, one step a line, checked for form here and against
//! the tree in `check.rs`.
//!
//! ```text
//! # comments and blank lines are skipped
//! action,board,into,name
//! merge,02,08,            # 02 closes; its records pass to 08 (which keeps its code)
//! merge,10,15,Lào Cai     # the same, and 15 takes a new name
//! dissolve,001,01,        # a district closes into its province (or any board at its level or above)
//! rename,08,,Tuyên Quang
//! open,99,TW,Tỉnh Mới     # a new board under TW (the parent goes in `into`)
//! ```
//!
//! A merge into a new code is `open` then `merge` each old board into it.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::domain::columns;

/// The 2025 reorganisation, shipped with the service (`--plan vn-2025`).
pub const VN_2025: (&str, &str) = ("vn-2025", include_str!("../../plans/vn-2025.csv"));

/// One step of a plan, with the line it was written on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub line: u64,
    pub board: String,
    pub action: Action,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The board closes and its records pass to `into`, a board of the same level, which takes
    /// `name` when one is given.
    Merge {
        into: String,
        name: Option<String>,
    },
    /// The board closes into `into`: its parent, or any board at its level or above.
    Dissolve {
        into: String,
    },
    Rename {
        name: String,
    },
    /// A new board named `name` under `parent`.
    Open {
        parent: String,
        name: String,
    },
}

/// What is wrong with a plan, at a line of its file when the fault lies in one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    pub line: Option<u64>,
    pub message: String,
}

impl PlanError {
    pub fn at(line: u64, message: impl Into<String>) -> Self {
        PlanError {
            line: Some(line),
            message: message.into(),
        }
    }

    pub fn whole(message: impl Into<String>) -> Self {
        PlanError {
            line: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// A plan that parsed: its steps in order.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Where it came from: `vn-2025` or the file's name.
    pub name: String,
    pub steps: Vec<Step>,
}

impl Plan {
    /// The plan `vn-2025`, or the one in the file `arg`.
    pub fn load(arg: &str) -> anyhow::Result<Result<Plan, Vec<PlanError>>> {
        if arg == VN_2025.0 {
            return Ok(Plan::parse(VN_2025.0, VN_2025.1));
        }
        let text = std::fs::read_to_string(arg)
            .map_err(|e| anyhow::anyhow!("reading the plan {arg}: {e}"))?;
        Ok(Plan::parse(arg, &text))
    }

    /// Parses `text`, listing every line at fault (not only the first).
    pub fn parse(name: &str, text: &str) -> Result<Plan, Vec<PlanError>> {
        let mut reader = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut errors = Vec::new();
        match reader.headers() {
            Ok(h) if h.iter().eq(["action", "board", "into", "name"]) => {}
            Ok(_) => errors.push(PlanError::at(
                1,
                "the header must be `action,board,into,name`",
            )),
            Err(e) => errors.push(PlanError::whole(format!("not CSV: {e}"))),
        }
        let mut steps = Vec::new();
        for record in reader.records() {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    errors.push(PlanError::at(line, format!("not CSV: {e}")));
                    continue;
                }
            };
            let line = record.position().map_or(0, |p| p.line());
            match step(&record, line) {
                Ok(s) => steps.push(s),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() && steps.is_empty() {
            errors.push(PlanError::whole("the plan has no steps"));
        }
        if errors.is_empty() {
            Ok(Plan {
                name: name.to_owned(),
                steps,
            })
        } else {
            Err(errors)
        }
    }

    /// SHA-256 of the steps (not of comments or layout), hex: the same plan applied twice has
    /// the same digest.
    pub fn digest(&self) -> String {
        let mut hash = Sha256::new();
        for s in &self.steps {
            let (kind, into, name) = match &s.action {
                Action::Merge { into, name } => ("merge", into.as_str(), name.as_deref()),
                Action::Dissolve { into } => ("dissolve", into.as_str(), None),
                Action::Rename { name } => ("rename", "", Some(name.as_str())),
                Action::Open { parent, name } => ("open", parent.as_str(), Some(name.as_str())),
            };
            for part in [kind, &s.board, into, name.unwrap_or("")] {
                hash.update(part.as_bytes());
                hash.update([0]);
            }
        }
        hex::encode(hash.finalize())
    }
}

/// One record as a step.
fn step(record: &csv::StringRecord, line: u64) -> Result<Step, PlanError> {
    let field = |i: usize| record.get(i).unwrap_or("");
    if record.len() > 4 {
        return Err(PlanError::at(
            line,
            format!(
                "{} fields; a step has 4: action,board,into,name",
                record.len()
            ),
        ));
    }
    let board = code(field(1), "board", line)?;
    let into = || code(field(2), "into", line);
    let name = |required: bool| -> Result<Option<String>, PlanError> {
        let name = field(3);
        if name.is_empty() {
            return if required {
                Err(PlanError::at(line, "a name is required"))
            } else {
                Ok(None)
            };
        }
        if name.chars().count() > columns::BOARD_NAME || name.chars().any(char::is_control) {
            return Err(PlanError::at(
                line,
                format!(
                    "a name is text of at most {} characters",
                    columns::BOARD_NAME
                ),
            ));
        }
        Ok(Some(name.to_owned()))
    };
    let action = match field(0) {
        "merge" => Action::Merge {
            into: into()?,
            name: name(false)?,
        },
        "dissolve" => Action::Dissolve { into: into()? },
        "rename" => Action::Rename {
            name: name(true)?.unwrap_or_default(),
        },
        "open" => Action::Open {
            parent: into()?,
            name: name(true)?.unwrap_or_default(),
        },
        other => {
            return Err(PlanError::at(
                line,
                format!("unknown action {other:?}: merge, dissolve, rename or open"),
            ));
        }
    };
    Ok(Step {
        line,
        board,
        action,
    })
}

/// A board code as written: 1 to 8 ASCII letters or digits.
fn code(text: &str, field: &str, line: u64) -> Result<String, PlanError> {
    if (1..=columns::BOARD_CODE).contains(&text.len())
        && text.chars().all(|c| c.is_ascii_alphanumeric())
    {
        Ok(text.to_owned())
    } else {
        Err(PlanError::at(
            line,
            format!("{field}: {text:?} is not a board code (1 to 8 letters or digits)"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_2025_plan_parses() {
        let plan = Plan::parse(VN_2025.0, VN_2025.1).map_err(|e| format!("{e:?}"));
        let plan = plan.as_ref().map(|p| p.steps.len());
        // 696 districts dissolved, 29 provinces merged, 28 renamed.
        assert_eq!(plan, Ok(696 + 29 + 28));
    }

    #[test]
    fn faults_are_listed_by_line() {
        let text = "action,board,into,name\nmerge,02,08,\nfold,03,08,\nmerge,0000000000,08,\n";
        let errors = Plan::parse("t", text).err().unwrap_or_default();
        let lines: Vec<_> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [Some(3), Some(4)]);
        assert!(errors[0].to_string().starts_with("line 3: unknown action"));
    }
}
