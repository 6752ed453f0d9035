//! Reorganising the board tree: a dated plan ([`plan`]), checked against the tree
//! ([`check`]), reviewed as a dry run, then applied as the service's own work, all or nothing.
//!
//! Applying changes only the board tree (who is open, who succeeds whom, names) and appends
//! to the audit trail. Records keep the tenant keys they were written with; custody follows the
//! lineage (`BoardTree::scope_of`). So the work is a few hundred board rows whatever the size
//! of the data set, nothing is rewritten, and a report by the tree as recorded stays possible.
//! The README's *Reorganising the board tree* gives the reasons.

pub mod check;
pub mod plan;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::{Context, bail};
use chrono::{NaiveDate, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    QueryOrder, QuerySelect,
};

use crate::boards::BoardTree;
use crate::db::entities::{board, reorganisation};
use crate::scope::registry::{TableKind, tenant_tables};
use crate::scope::{Actor, Change as AuditChange, TenantKeys, write_events};
use check::{Change, Checked};
use plan::{Plan, PlanError};

/// Who the audit trail names for a reorganisation: the service itself, acting for the centre.
const ACTOR: &str = "cadre-health reorganise";

/// How many faults a refusal lists; the count says how many more there are.
const SHOWN_FAULTS: usize = 40;

/// A plan that failed its checks, every fault with its line.
#[derive(Debug)]
pub struct Refused(pub Vec<PlanError>);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "the plan is refused ({} faults):", self.0.len())?;
        for e in self.0.iter().take(SHOWN_FAULTS) {
            writeln!(f, "  {e}")?;
        }
        if self.0.len() > SHOWN_FAULTS {
            writeln!(f, "  … and {} more", self.0.len() - SHOWN_FAULTS)?;
        }
        Ok(())
    }
}

impl std::error::Error for Refused {}

/// Whether a reorganisation is only reviewed or applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Everything the apply does, in its transaction, then rolled back: the report is exactly
    /// what applying would do, and nothing is written.
    DryRun,
    /// All or nothing, committed.
    Apply,
}

/// Checks `plan` against the database's tree as of `effective`, applies it in one transaction
/// (committed only in [`Mode::Apply`]), and reports each change and, per board, how many rows of
/// each table pass to whom. Refused when the same plan was applied before, or when it fails its
/// checks, every fault with its line.
pub async fn run(
    db: &DatabaseConnection,
    plan: &Plan,
    effective: NaiveDate,
    mode: Mode,
) -> anyhow::Result<String> {
    let tx = crate::db::begin_system(db).await?;
    let digest = plan.digest();
    if let Some(done) = reorganisation::Entity::find_by_id(digest.clone())
        .one(&tx)
        .await?
    {
        bail!(
            "this plan was applied already (as {}, effective {}, on {}); a reorganisation is \
             applied once",
            done.plan,
            done.effective_on,
            done.applied_at.format("%Y-%m-%d %H:%M UTC")
        );
    }
    let (boards, checked) = checked(&tx, plan, effective).await?;
    let counts = rows_by_board(&tx).await?;
    let progress = match mode {
        Mode::Apply => ProgressBar::new(checked.changes.len() as u64).with_style(
            ProgressStyle::with_template("applying {bar:40} {pos}/{len} board changes")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        Mode::DryRun => ProgressBar::hidden(),
    };
    let after: BTreeMap<&str, &board::Model> =
        checked.after.iter().map(|b| (b.code.as_str(), b)).collect();
    let mut events = Vec::new();
    for (code, change, _) in &checked.changes {
        let row = after
            .get(code.as_str())
            .with_context(|| format!("board {code} vanished from the plan's tree"))?;
        let model = (*row).clone().into_active_model();
        let (action, fields) = match change {
            Change::Opened => {
                board::Entity::insert(model.reset_all())
                    .exec_without_returning(&tx)
                    .await?;
                ("openBoard", vec!["name", "parent_code", "opened_on"])
            }
            Change::Closed { .. } => {
                model.reset_all().update(&tx).await?;
                ("closeBoard", vec!["closed_on", "successor_code"])
            }
            Change::Renamed { .. } => {
                model.reset_all().update(&tx).await?;
                ("renameBoard", vec!["name"])
            }
        };
        events.push(AuditChange {
            action: action.to_owned(),
            entity: "boards".to_owned(),
            entity_id: None,
            cadre_id: None,
            keys: TenantKeys::of_board(row),
            fields: fields.into_iter().map(str::to_owned).collect(),
        });
        progress.inc(1);
    }
    let actor = Actor {
        subject: ACTOR.to_owned(),
        board: "TW".to_owned(),
        role: "ADMIN",
        request_id: Some(format!("reorganise:{}", &digest[..16])),
    };
    write_events(&tx, &actor, events.iter())
        .await
        .map_err(|_| anyhow::anyhow!("writing the audit trail"))?;
    reorganisation::Model {
        digest,
        plan: plan.name.chars().take(200).collect(),
        effective_on: effective,
        steps: i32::try_from(plan.steps.len()).unwrap_or(i32::MAX),
        applied_at: Utc::now(),
    }
    .into_active_model()
    .insert(&tx)
    .await?;
    match mode {
        Mode::Apply => tx.commit().await?,
        Mode::DryRun => tx.rollback().await?,
    }
    progress.finish();
    Ok(report(plan, effective, &boards, &checked, &counts))
}

/// The tree, and the plan checked against it.
async fn checked(
    conn: &impl ConnectionTrait,
    plan: &Plan,
    effective: NaiveDate,
) -> anyhow::Result<(Vec<board::Model>, Checked)> {
    let boards = board::Entity::find().all(conn).await?;
    let last_applied = reorganisation::Entity::find()
        .order_by_desc(reorganisation::Column::EffectiveOn)
        .limit(1)
        .one(conn)
        .await?
        .map(|r| r.effective_on);
    let latest = boards
        .iter()
        .flat_map(|b| [b.opened_on, b.closed_on])
        .flatten()
        .chain(last_applied)
        .max();
    let checked = check::check(plan, &boards, effective, latest).map_err(Refused)?;
    Ok((boards, checked))
}

/// Rows per owning board, per tenant table (the board tree and its audit trail included).
async fn rows_by_board(
    conn: &impl ConnectionTrait,
) -> anyhow::Result<BTreeMap<String, Vec<(&'static str, i64)>>> {
    let mut counts: BTreeMap<String, Vec<(&'static str, i64)>> = BTreeMap::new();
    for table in tenant_tables() {
        if table.kind == TableKind::BoardTree {
            continue;
        }
        let query = Query::select()
            .column(Alias::new("board_code"))
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .from(Alias::new(table.name))
            .group_by_col(Alias::new("board_code"))
            .to_owned();
        for row in conn.query_all(&query).await? {
            let code: String = row.try_get("", "board_code")?;
            let n: i64 = row.try_get("", "n")?;
            counts.entry(code).or_default().push((table.name, n));
        }
    }
    Ok(counts)
}

/// The review: each change in the plan's order, and for each board whose records change
/// holder, the rows of each table that pass.
fn report(
    plan: &Plan,
    effective: NaiveDate,
    before: &[board::Model],
    checked: &Checked,
    counts: &BTreeMap<String, Vec<(&'static str, i64)>>,
) -> String {
    let old = BoardTree::from_rows(before.to_vec());
    let new = BoardTree::from_rows(checked.after.clone());
    let name = |tree: &BoardTree, code: &str| {
        tree.get(code)
            .map_or_else(|| code.to_owned(), |b| format!("{code} {}", b.name))
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "plan {} ({} steps), effective {effective}",
        plan.name,
        plan.steps.len()
    );
    let mut opened = 0;
    let mut closed = 0;
    let mut renamed = 0;
    for (code, change, line) in &checked.changes {
        let what = match change {
            Change::Opened => {
                opened += 1;
                format!("opens {}", name(&new, code))
            }
            Change::Closed { successor } => {
                closed += 1;
                format!("{} closes into {}", name(&old, code), name(&new, successor))
            }
            Change::Renamed { from } => {
                renamed += 1;
                let to = new.get(code).map_or("", |b| b.name.as_str());
                format!("{code} renamed {from:?} → {to:?}")
            }
        };
        let _ = writeln!(out, "  line {line}: {what}");
    }
    let _ = writeln!(
        out,
        "custody that passes (rows keyed to a board → its new holder):"
    );
    let mut totals: BTreeMap<&str, i64> = BTreeMap::new();
    let mut codes: Vec<&str> = old.all().map(|b| b.code.as_str()).collect();
    codes.sort_unstable();
    for code in codes {
        let was = old.holder(code, effective).map(|b| b.code.clone());
        let will = new.holder(code, effective).map(|b| b.code.clone());
        if was == will {
            continue;
        }
        let rows = counts.get(code).map_or(&[][..], Vec::as_slice);
        let list: Vec<String> = rows
            .iter()
            .map(|(t, n)| {
                *totals.entry(t).or_default() += n;
                format!("{t} {n}")
            })
            .collect();
        let _ = writeln!(
            out,
            "  {} → {}: {}",
            name(&old, code),
            will.as_deref().map_or("nobody".into(), |c| name(&new, c)),
            if list.is_empty() {
                "no rows".into()
            } else {
                list.join(", ")
            }
        );
    }
    let _ = writeln!(
        out,
        "boards: {closed} close, {opened} open, {renamed} renamed; rows passing: {}",
        if totals.is_empty() {
            "none".to_owned()
        } else {
            totals
                .iter()
                .map(|(t, n)| format!("{t} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    let _ = writeln!(
        out,
        "no row is rewritten: records keep their keys, custody follows the lineage"
    );
    out
}
