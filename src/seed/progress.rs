//! What a seed run shows while it works: on a terminal a bar per table with its rows per
//! second (indicatif), otherwise (a log, a pipe, a test) a plain line per phase and per tenth
//! of the cadres.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::load::Table;

/// The cadres' place in [`Table::all`].
const CADRES: usize = 1;

pub struct Progress {
    started: Instant,
    names: Vec<&'static str>,
    rows: Vec<AtomicU64>,
    expected_cadres: u64,
    shown: Shown,
}

enum Shown {
    Bars {
        bars: MultiProgress,
        tables: Vec<ProgressBar>,
        phase: ProgressBar,
    },
    /// The tenth of the cadres last reported.
    Lines(Mutex<u64>),
}

impl Progress {
    pub fn new(tables: &[Table], expected_cadres: u64) -> Progress {
        let names: Vec<&'static str> = tables.iter().map(|t| t.name).collect();
        let shown = if std::io::stderr().is_terminal() {
            let bars = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let width = names.iter().map(|n| n.len()).max().unwrap_or(0);
            let counting = ProgressStyle::with_template(&format!(
                "{{prefix:>{width}}} {{human_pos:>11}} rows  {{per_sec:>14}}"
            ))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            let barred = ProgressStyle::with_template(&format!(
                "{{prefix:>{width}}} {{human_pos:>11}} rows  {{per_sec:>14}}  {{bar:30}} \
                 {{percent:>3}}% of {{human_len}} ({{eta}} left)"
            ))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            let tables = names
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    let bar = if i == CADRES {
                        ProgressBar::new(expected_cadres).with_style(barred.clone())
                    } else {
                        ProgressBar::no_length().with_style(counting.clone())
                    };
                    bars.add(bar.with_prefix(*name))
                })
                .collect();
            let phase = bars.add(ProgressBar::new_spinner());
            Shown::Bars {
                bars,
                tables,
                phase,
            }
        } else {
            eprintln!("seeding {expected_cadres} cadres");
            Shown::Lines(Mutex::new(0))
        };
        Progress {
            started: Instant::now(),
            rows: names.iter().map(|_| AtomicU64::new(0)).collect(),
            names,
            expected_cadres,
            shown,
        }
    }

    /// What the seed does now (outside the load itself).
    pub fn phase(&self, what: &str) {
        match &self.shown {
            Shown::Bars { phase, .. } => phase.set_message(what.to_owned()),
            Shown::Lines(_) => eprintln!("seeding: {what} ({:.1} s)", self.seconds()),
        }
    }

    /// `count` more rows of the `table`th table are loaded.
    pub fn add(&self, table: usize, count: u64) {
        let Some(rows) = self.rows.get(table) else {
            return;
        };
        let total = rows.fetch_add(count, Ordering::Relaxed) + count;
        match &self.shown {
            Shown::Bars { tables, .. } => {
                if let Some(bar) = tables.get(table) {
                    bar.inc(count);
                }
            }
            Shown::Lines(reported) if table == CADRES => {
                let tenth = total * 10 / self.expected_cadres.max(1);
                let mut reported = reported.lock().unwrap_or_else(|e| e.into_inner());
                if tenth > *reported {
                    *reported = tenth;
                    eprintln!(
                        "seeding: {total}/{} cadres, {} rows in all, {:.0} rows/s",
                        self.expected_cadres,
                        self.total(),
                        self.total() as f64 / self.seconds()
                    );
                }
            }
            Shown::Lines(_) => {}
        }
    }

    /// The closing summary: each table's rows and rate over the whole run.
    pub fn finish(&self) {
        if let Shown::Bars {
            bars,
            tables,
            phase,
        } = &self.shown
        {
            for bar in tables {
                bar.finish();
            }
            phase.finish_and_clear();
            let _ = bars.clear();
        }
        let seconds = self.seconds();
        for (name, rows) in self.names.iter().zip(&self.rows) {
            let rows = rows.load(Ordering::Relaxed);
            eprintln!(
                "seeded {name}: {rows} rows ({:.0} rows/s)",
                rows as f64 / seconds
            );
        }
        eprintln!(
            "seeded {} rows in {seconds:.1} s ({:.0} rows/s)",
            self.total(),
            self.total() as f64 / seconds
        );
    }

    fn total(&self) -> u64 {
        self.rows.iter().map(|r| r.load(Ordering::Relaxed)).sum()
    }

    fn seconds(&self) -> f64 {
        self.started.elapsed().as_secs_f64().max(1e-3)
    }
}
