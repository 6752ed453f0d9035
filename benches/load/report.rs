//! What the benchmark prints as it goes and the `BENCHMARKS.md` it writes at the end: the
//! machine, the conditions, every figure, and the issue's targets marked met or missed.

use std::fmt::Write as _;
use std::fs;
use std::process::Command;
use std::time::Duration;

use crate::capture::psql;
use crate::drive::{Outcome, Tally};
use crate::{Args, ReplayRow, Row};

pub struct Machine {
    date: String,
    commit: String,
    cores: usize,
    cpu: String,
    memory: String,
    kernel: String,
    postgres: String,
    postgres_settings: String,
    load_before: String,
}

impl Machine {
    pub fn now(url: &str) -> anyhow::Result<Machine> {
        let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let mem_kb: u64 = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|l| l.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0);
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
            .map(|s| !s.is_empty())
            .unwrap_or(false);
        Ok(Machine {
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
            commit: format!(
                "{}{}",
                git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".into()),
                if dirty {
                    " (with uncommitted changes)"
                } else {
                    ""
                }
            ),
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            cpu: cpuinfo
                .lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
                .unwrap_or_else(|| "unknown".into()),
            memory: format!("{:.1} GiB", mem_kb as f64 / 1024.0 / 1024.0),
            kernel: fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_owned())
                .unwrap_or_default(),
            postgres: psql(url, "SHOW server_version")?,
            postgres_settings: psql(
                url,
                "SELECT string_agg(name || ' ' || setting || coalesce(unit, ''), ', ' ORDER BY name) \
                 FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'max_connections', \
                 'synchronous_commit', 'jit')",
            )?,
            load_before: loadavg(),
        })
    }
}

pub struct Conditions {
    pub cadres: u64,
    exams: String,
    size: String,
    fresh_seed: bool,
    vacuumed: String,
    analyzed: String,
    all_visible: String,
}

impl Conditions {
    pub fn read(url: &str, fresh_seed: bool) -> anyhow::Result<Conditions> {
        let has_cadres = psql(url, "SELECT to_regclass('public.cadres') IS NOT NULL")? == "t";
        if !has_cadres {
            anyhow::bail!("{url} has no cadres table: seed it (scripts/bench-load does)");
        }
        let vacuum_of = |column: &str| {
            psql(
                url,
                &format!(
                    "SELECT coalesce(to_char(max(greatest(last_{column}, last_auto{column})), \
                     'YYYY-MM-DD HH24:MI UTC'), 'never') FROM pg_stat_user_tables \
                     WHERE relname IN ('cadres', 'health_exams', 'campaign_enrolments')"
                ),
            )
        };
        Ok(Conditions {
            cadres: psql(url, "SELECT count(*) FROM cadres")?.parse()?,
            exams: psql(
                url,
                "SELECT to_char(reltuples::bigint, 'FM999,999,999') FROM pg_class \
                 WHERE oid = 'health_exams'::regclass",
            )?,
            size: psql(
                url,
                "SELECT pg_size_pretty(pg_database_size(current_database()))",
            )?,
            fresh_seed,
            vacuumed: vacuum_of("vacuum")?,
            analyzed: vacuum_of("analyze")?,
            all_visible: psql(
                url,
                "SELECT coalesce(round(100.0 * relallvisible / nullif(relpages, 0))::text || ' %', \
                 'unknown') FROM pg_class WHERE oid = 'health_exams'::regclass",
            )?,
        })
    }
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// `/proc/loadavg`'s 1, 5 and 15 minute averages.
pub fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

fn quantile(tally: &Tally, q: f64) -> Option<Duration> {
    (tally.requests() > 0).then(|| Duration::from_micros(tally.latency.value_at_quantile(q)))
}

fn show(d: Option<Duration>) -> String {
    d.map(ms).unwrap_or_else(|| "–".into())
}

fn rate(tally: &Tally, outcome: &Outcome) -> f64 {
    tally.requests() as f64 / outcome.window.as_secs_f64()
}

fn mb(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1_000_000.0)
}

/// The readers' throughput over pgbench's, when both are known.
fn ratio(row: &Row) -> Option<f64> {
    let replay = row
        .replay
        .as_ref()
        .filter(|r| r.failed.is_none() && r.tps > 0.0)?;
    Some(rate(row.outcome.tallies.first()?, &row.outcome) / replay.tps)
}

pub fn print_row(key: &str, clients: usize, outcome: &Outcome, replay: Option<&ReplayRow>) {
    for tally in &outcome.tallies {
        eprintln!(
            "  {key} c={clients} {}: {:.1} req/s, p50 {}, p95 {}, p99 {}, {} errors, CPU {}/req, peak RSS {}",
            tally.label,
            rate(tally, outcome),
            show(quantile(tally, 0.5)),
            show(quantile(tally, 0.95)),
            show(quantile(tally, 0.99)),
            tally.errors,
            show(outcome.cpu_per_request()),
            mb(outcome.peak_rss),
        );
        if let Some(err) = &tally.first_error {
            eprintln!("    first error: {err}");
        }
    }
    if let Some(r) = replay {
        match &r.failed {
            None => eprintln!("  pgbench: {:.1} tps", r.tps),
            Some(err) => eprintln!("  pgbench failed: {err}"),
        }
    }
}

/// Met or missed, with the figure.
struct Target {
    what: String,
    figure: String,
    met: Option<bool>,
}

fn targets(rows: &[Row], lifetime_peak: u64) -> Vec<Target> {
    let mut targets = Vec::new();
    for row in rows {
        let outcome = &row.outcome;
        let Some(tally) = outcome.tallies.first() else {
            continue;
        };
        let latency_target = ["1", "2", "3a", "3b", "4"].contains(&row.scenario);
        if latency_target && row.clients == 1 {
            let p50 = quantile(tally, 0.5);
            targets.push(Target {
                what: format!("scenario {}: p50 at 1 client ≤ 8 ms", row.scenario),
                figure: show(p50),
                met: p50.map(|d| d <= Duration::from_millis(8)),
            });
        }
        if latency_target && row.clients == 32 {
            let p99 = quantile(tally, 0.99);
            targets.push(Target {
                what: format!("scenario {}: p99 at 32 clients ≤ 50 ms", row.scenario),
                figure: show(p99),
                met: p99.map(|d| d <= Duration::from_millis(50)),
            });
        }
        if row.scenario == "1" || row.scenario == "2" {
            let cpu = outcome.cpu_per_request();
            targets.push(Target {
                what: format!(
                    "scenario {} at {} client(s): server CPU per list request ≤ 1.5 ms",
                    row.scenario, row.clients
                ),
                figure: show(cpu),
                met: cpu.map(|d| d <= Duration::from_micros(1500)),
            });
            let r = ratio(row);
            targets.push(Target {
                what: format!(
                    "scenario {} at {} client(s): ≥ 60 % of pgbench replaying its SQL",
                    row.scenario, row.clients
                ),
                figure: match (r, &row.replay) {
                    (Some(r), Some(replay)) => format!(
                        "{:.0} % ({:.1} req/s ÷ {:.1} tps)",
                        r * 100.0,
                        rate(tally, outcome),
                        replay.tps
                    ),
                    (
                        _,
                        Some(ReplayRow {
                            failed: Some(e), ..
                        }),
                    ) => format!("pgbench failed: {e}"),
                    _ => "not replayed".into(),
                },
                met: r.map(|r| r >= 0.6),
            });
            if let Some(replay) = row.replay.as_ref().filter(|r| r.failed.is_none()) {
                targets.push(Target {
                    what: format!(
                        "scenario {} at {} client(s): its SQL, audit included, ≥ 584 tps (the peer's \
                         statement without audit, pgbench -c8 in the issue)",
                        row.scenario, row.clients
                    ),
                    figure: format!("{:.0} tps", replay.tps),
                    met: Some(replay.tps >= 584.0),
                });
            }
        }
    }
    let peak = rows
        .iter()
        .map(|r| r.outcome.peak_rss)
        .max()
        .unwrap_or(0)
        .max(lifetime_peak);
    targets.push(Target {
        what: "server peak RSS under load ≤ 150 MB (PostgreSQL)".into(),
        figure: mb(peak),
        met: Some(peak <= 150 * 1024 * 1024),
    });
    targets
}

pub fn markdown(
    args: &Args,
    machine: &Machine,
    conditions: &Conditions,
    rows: &[Row],
    lifetime_peak: u64,
    load_after: &str,
) -> String {
    let mut md = String::new();
    let w = &mut md;
    let _ = writeln!(w, "# Load benchmark\n");
    let _ = writeln!(
        w,
        "Generated by the command below; running it again regenerates this file. The release \
         server on a national PostgreSQL database, driven over HTTP by an async Rust load \
         generator (`benches/load/`: tokio, reqwest, HDR histograms), scenario by scenario, \
         at each concurrency. The scenarios are those of issue 17.\n"
    );
    let _ = writeln!(w, "```sh\n{}\n```\n", args.command);
    let _ = writeln!(w, "## Machine and conditions\n");
    let _ = writeln!(w, "| | |\n|---|---|");
    let _ = writeln!(w, "| date | {} |", machine.date);
    let _ = writeln!(w, "| commit | {} |", machine.commit);
    let _ = writeln!(w, "| CPU | {} cores, {} |", machine.cores, machine.cpu);
    let _ = writeln!(w, "| memory | {} |", machine.memory);
    let _ = writeln!(w, "| kernel (`uname -r`) | {} |", machine.kernel);
    let _ = writeln!(
        w,
        "| PostgreSQL | {} on the same machine ({}) |",
        machine.postgres, machine.postgres_settings
    );
    let _ = writeln!(
        w,
        "| load average (1, 5, 15 min) | {} before, {} after |",
        machine.load_before, load_after
    );
    let _ = writeln!(w, "| database | {} |", masked(&args.database_url));
    let _ = writeln!(
        w,
        "| data | {} cadres, about {} exams, {} on disk |",
        conditions.cadres, conditions.exams, conditions.size
    );
    let _ = writeln!(
        w,
        "| boards | province `{}`, its district `{}`, central `TW` |",
        args.province, args.district
    );
    let _ = writeln!(
        w,
        "| seeded by this run | {} |",
        if conditions.fresh_seed {
            "yes (a fresh seed)"
        } else {
            "no (an existing database, as it was)"
        }
    );
    let _ = writeln!(
        w,
        "| last vacuum / analyze (cadres, exams, enrolments) | {} / {}; {} of `health_exams`' pages all-visible{} |",
        conditions.vacuumed,
        conditions.analyzed,
        conditions.all_visible,
        if args.vacuum {
            "; this run ran `VACUUM (ANALYZE)` first"
        } else {
            ""
        }
    );
    let _ = writeln!(
        w,
        "| timing | {} warm-up, then {} measured, per scenario and concurrency; closed-loop clients, no think time |",
        humantime::format_duration(args.warmup),
        humantime::format_duration(args.duration)
    );
    let _ = writeln!(
        w,
        "| server | release build, default settings but `--rate-limit 0` (every client of a scenario is one user); its pool holds 16 connections |\n"
    );
    let busy = machine
        .load_before
        .split_whitespace()
        .next()
        .and_then(|l| l.parse::<f64>().ok())
        .is_some_and(|l| l > machine.cores as f64 * 0.5);
    if busy {
        let _ = writeln!(
            w,
            "**The machine was shared**: other work (other engineers' builds and tests) ran beside \
             this benchmark, as the load average above shows on {} cores. The server, PostgreSQL, \
             the load generator and pgbench all competed with it for CPU: the figures are lower \
             bounds of what the machine can do alone, and noisy.\n",
            machine.cores
        );
    }

    let _ = writeln!(w, "## Results\n");
    let _ = writeln!(
        w,
        "Latency from the client, request sent to answer read. Errors: HTTP status other than \
         200, a GraphQL `errors` entry, or no answer. Server CPU per request: utime + stime of \
         the server process over the measured window (`/proc/PID/stat`) divided by the requests \
         answered in it (all kinds). Peak RSS: `VmHWM` of the server over the window (reset \
         before each, `/proc/PID/clear_refs`). pgbench: the server's own transaction for that \
         scenario, captured from PostgreSQL's statement log in this run, replayed with \
         `pgbench -n -M prepared` at the same concurrency for the same time (after the same \
         warm-up); ratio = the server's req/s ÷ pgbench's tps.\n"
    );
    let _ = writeln!(
        w,
        "| scenario | clients | requests | req/s | p50 | p95 | p99 | max | errors | server CPU / req | peak RSS | pgbench tps | ratio |"
    );
    let _ = writeln!(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for row in rows {
        for (i, tally) in row.outcome.tallies.iter().enumerate() {
            let first = i == 0;
            let label = if row.outcome.tallies.len() > 1 {
                format!("{} {}", row.scenario, tally.label)
            } else {
                row.scenario.to_owned()
            };
            let replay = row.replay.as_ref().filter(|_| first);
            let _ = writeln!(
                w,
                "| {label} | {} | {} | {:.1} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                row.clients,
                tally.requests(),
                rate(tally, &row.outcome),
                show(quantile(tally, 0.5)),
                show(quantile(tally, 0.95)),
                show(quantile(tally, 0.99)),
                show(quantile(tally, 1.0)),
                tally.errors,
                if first {
                    show(row.outcome.cpu_per_request())
                } else {
                    "″".into()
                },
                if first {
                    mb(row.outcome.peak_rss)
                } else {
                    "″".into()
                },
                match replay {
                    Some(ReplayRow {
                        failed: None, tps, ..
                    }) => format!("{tps:.1}"),
                    Some(ReplayRow {
                        failed: Some(_), ..
                    }) => "failed".into(),
                    None => "".into(),
                },
                match (first, ratio(row)) {
                    (true, Some(r)) => format!("{r:.2}"),
                    _ => "".into(),
                },
            );
        }
    }
    let _ = writeln!(w, "\nScenarios:\n");
    let mut seen = Vec::new();
    for row in rows {
        if !seen.contains(&row.scenario) {
            seen.push(row.scenario);
            let _ = writeln!(w, "- **{}**: {}", row.scenario, row.title);
        }
    }
    if rows.iter().any(|r| r.scenario == "6") {
        let _ = writeln!(
            w,
            "\nIn 6 the readers are closed-loop clients as in 1 and each writer sends {} requests \
             a second (one exam, or one visit with a prescription, for the next of 100 serving \
             cadres of 412); CPU per request counts readers and writers together. The writes \
             stay in the database (about {} rows a run).",
            args.write_rate,
            (args.write_rate
                * 2.0
                * (args.warmup + args.duration).as_secs_f64()
                * args.clients.len() as f64)
                .round()
        );
    }

    let errors: Vec<String> = rows
        .iter()
        .flat_map(|r| {
            r.outcome.tallies.iter().filter_map(move |t| {
                t.first_error.as_ref().map(|e| {
                    format!(
                        "- {} {} at {} clients, {} errors; the first: `{}`",
                        r.scenario,
                        t.label,
                        r.clients,
                        t.errors,
                        e.replace('`', "'")
                    )
                })
            })
        })
        .collect();
    if !errors.is_empty() {
        let _ = writeln!(w, "\nErrors seen:\n\n{}", errors.join("\n"));
    }

    let _ = writeln!(w, "\n## Targets (issue 17)\n");
    let _ = writeln!(w, "| target | figure | |\n|---|---|---|");
    for t in targets(rows, lifetime_peak) {
        let _ = writeln!(
            w,
            "| {} | {} | {} |",
            t.what,
            t.figure,
            match t.met {
                Some(true) => "met",
                Some(false) => "**missed**",
                None => "not measured",
            }
        );
    }

    let replays: Vec<&ReplayRow> = rows
        .iter()
        .filter(|r| r.clients == *args.clients.first().unwrap_or(&1))
        .filter_map(|r| r.replay.as_ref())
        .collect();
    if !replays.is_empty() {
        let _ = writeln!(w, "\n## The captured SQL\n");
        let _ = writeln!(
            w,
            "Each scenario's transaction as the server sent it (its `BEGIN`, the scope's \
             `set_config` statements, every query with its parameters, the audit insert, \
             `COMMIT`), kept as a pgbench script beside its `-D` values (`.args`); the script's \
             header says where the replay departs from the original (fresh `id`s for inserted \
             rows, literals where pgbench allows too few variables). Replay one by hand:\n"
        );
        for r in &replays {
            let _ = writeln!(w, "- `{}`: {} statements", r.script.display(), r.statements);
        }
        if let Some(r) = replays.first() {
            let _ = writeln!(
                w,
                "\n```sh\nxargs -d '\\n' -a {} pgbench -n -M prepared -c 32 -j 2 -T 15 -f {} {}\n```",
                r.script.with_extension("args").display(),
                r.script.display(),
                masked(&args.database_url)
            );
        }
    }
    md
}

/// The URL with any password hidden.
fn masked(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}
