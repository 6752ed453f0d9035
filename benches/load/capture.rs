//! The SQL the server really runs, captured from PostgreSQL's own statement log, and replayed
//! through `pgbench -M prepared`.
//!
//! Capturing: `ALTER ROLE <user> IN DATABASE <db> SET log_statement = 'all'` (only the
//! benchmark's own sessions on that database log; reset afterwards, also on failure), a
//! separate capture server whose connections carry `application_name = cadre-loadbench-capture`
//! (how their backend PIDs are told from anyone else's), each document sent a few times, and the
//! last whole transaction (`BEGIN` … `COMMIT`) of those PIDs read back from the log with its
//! bound parameters (`DETAIL:  parameters: $1 = '…'`).
//!
//! Replaying: each statement as the server sent it, `$n` turned into a pgbench variable (`\set`
//! for integers in the script, `-D` on the command line for the rest, since `\set` holds no
//! strings). Two departures, both written into the script's header: a statement with more
//! parameters than pgbench allows (255) gets its values inlined as literals (still one
//! prepared statement, executed again each time); and an `INSERT`'s `id` values become
//! `gen_random_uuid()`, since the same audit rows inserted twice would clash on the key.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};

/// pgbench's limit on variables in one SQL command (`MAX_ARGS` less the command itself).
const PGBENCH_MAX_VARIABLES: usize = 255;

pub const APPLICATION_NAME: &str = "cadre-loadbench-capture";

/// `psql` on `url`, unaligned and quiet: the output's text.
pub fn psql(url: &str, sql: &str) -> anyhow::Result<String> {
    let out = Command::new("psql")
        .args([url, "-XtAq", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .context("run psql")?;
    if !out.status.success() {
        bail!(
            "psql: {}: {}",
            sql,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8(out.stdout)?.trim().to_owned())
}

/// `url` with `application_name` set, so the capture server's sessions can be found.
pub fn tagged_url(url: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}application_name={APPLICATION_NAME}")
}

/// Statement logging for the URL's user on its database, while this lives.
pub struct StatementLog {
    url: String,
    target: String,
}

impl StatementLog {
    pub fn enable(url: &str) -> anyhow::Result<StatementLog> {
        let who = psql(
            url,
            "SELECT format('ROLE %I IN DATABASE %I', current_user, current_database())",
        )?;
        let target = who;
        psql(url, &format!("ALTER {target} SET log_statement = 'all'"))?;
        let log = StatementLog {
            url: url.to_owned(),
            target,
        };
        psql(
            url,
            &format!("ALTER {} SET log_parameter_max_length = -1", log.target),
        )?;
        Ok(log)
    }
}

impl Drop for StatementLog {
    fn drop(&mut self) {
        for setting in ["log_statement", "log_parameter_max_length"] {
            if let Err(err) = psql(&self.url, &format!("ALTER {} RESET {setting}", self.target)) {
                eprintln!("could not reset {setting}: {err:#}");
            }
        }
    }
}

/// The backend PIDs of the capture server's sessions.
pub fn capture_pids(url: &str) -> anyhow::Result<HashSet<u32>> {
    let out = psql(
        url,
        &format!("SELECT pid FROM pg_stat_activity WHERE application_name = '{APPLICATION_NAME}'"),
    )?;
    Ok(out.lines().filter_map(|l| l.trim().parse().ok()).collect())
}

/// The log file's length now: where the next scenario's lines begin.
pub fn log_offset(log: &Path) -> anyhow::Result<u64> {
    Ok(fs::metadata(log)
        .with_context(|| format!("read {}", log.display()))?
        .len())
}

/// One statement the server sent, with its parameters (`None` is SQL NULL).
#[derive(Clone, Debug)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<Option<String>>,
}

/// One log entry: the PID, the level (`LOG`, `DETAIL`, …) and its text, continuation lines
/// included.
struct Entry {
    pid: u32,
    level: String,
    text: String,
}

fn parse_log(text: &str) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    for line in text.lines() {
        match parse_head(line) {
            Some(entry) => entries.push(entry),
            None => {
                if let Some(last) = entries.last_mut() {
                    last.text.push('\n');
                    last.text.push_str(line.strip_prefix('\t').unwrap_or(line));
                }
            }
        }
    }
    entries
}

/// `2026-12-01 23:00:00.123 UTC [1234] user@db LEVEL:  text` (Debian's `%m [%p] %q%u@%d `).
fn parse_head(line: &str) -> Option<Entry> {
    let b = line.as_bytes();
    if b.len() < 24 || !b[0].is_ascii_digit() || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' {
        return None;
    }
    let open = line.find(" [")?;
    let close = open + line[open..].find("] ")?;
    let pid = line[open + 2..close].parse().ok()?;
    let rest = &line[close + 2..];
    let colon = rest.find(":  ")?;
    let level = rest[..colon].rsplit(' ').next()?.to_owned();
    Some(Entry {
        pid,
        level,
        text: rest[colon + 3..].to_owned(),
    })
}

/// `$1 = '40', $2 = NULL, …` into the values in order.
fn parse_params(text: &str) -> Vec<Option<String>> {
    let mut params = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '=' {
            continue;
        }
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        if chars.peek() == Some(&'\'') {
            chars.next();
            let mut value = String::new();
            while let Some(c) = chars.next() {
                if c == '\'' {
                    if chars.peek() == Some(&'\'') {
                        chars.next();
                        value.push('\'');
                    } else {
                        break;
                    }
                } else {
                    value.push(c);
                }
            }
            params.push(Some(value));
        } else {
            // NULL
            params.push(None);
            for c in chars.by_ref() {
                if c == ',' {
                    break;
                }
            }
        }
    }
    params
}

/// The statements of `pids` between `from` and `to` in the log, and the last whole transaction
/// among them.
pub fn last_transaction(
    log: &Path,
    from: u64,
    to: u64,
    pids: &HashSet<u32>,
) -> anyhow::Result<Vec<Statement>> {
    let bytes = fs::read(log).with_context(|| format!("read {}", log.display()))?;
    let end = usize::try_from(to)?.min(bytes.len());
    let start = usize::try_from(from)?.min(end);
    let text = String::from_utf8_lossy(&bytes[start..end]);
    let entries = parse_log(&text);

    let mut open: std::collections::HashMap<u32, Vec<Statement>> = Default::default();
    let mut last = None;
    for (i, entry) in entries.iter().enumerate() {
        if !pids.contains(&entry.pid) || entry.level != "LOG" {
            continue;
        }
        let statement = if let Some(sql) = entry.text.strip_prefix("statement: ") {
            Statement {
                sql: sql.to_owned(),
                params: vec![],
            }
        } else if let Some(rest) = entry.text.strip_prefix("execute ") {
            let sql = rest.split_once(": ").map(|(_, s)| s).unwrap_or(rest);
            let params = entries[i + 1..]
                .iter()
                .find(|e| e.pid == entry.pid)
                .filter(|e| e.level == "DETAIL")
                .and_then(|e| e.text.strip_prefix("parameters: "))
                .map(parse_params)
                .unwrap_or_default();
            Statement {
                sql: sql.to_owned(),
                params,
            }
        } else {
            continue;
        };
        let word = statement
            .sql
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let word = word.trim_end_matches(';');
        match word {
            "BEGIN" | "START" => {
                open.insert(entry.pid, vec![statement]);
            }
            "COMMIT" | "ROLLBACK" | "END" => {
                if let Some(mut tx) = open.remove(&entry.pid) {
                    tx.push(statement);
                    last = Some(tx);
                }
            }
            _ => {
                if let Some(tx) = open.get_mut(&entry.pid) {
                    tx.push(statement);
                }
            }
        }
    }
    last.context("no whole transaction of the capture server in the statement log")
}

/// A pgbench script for `tx` and the `-D NAME=VALUE` arguments it needs.
pub struct Script {
    pub path: PathBuf,
    pub defines: Vec<String>,
    pub statements: usize,
}

pub fn write_script(
    dir: &Path,
    name: &str,
    tx: &[Statement],
    header: &str,
) -> anyhow::Result<Script> {
    let mut text = String::new();
    let mut sets = String::new();
    let mut defines = Vec::new();
    let mut notes = Vec::new();
    let mut body = String::new();
    for (i, statement) in tx.iter().enumerate() {
        let ids = insert_id_params(&statement.sql, statement.params.len());
        if !ids.is_empty() {
            notes.push(format!(
                "statement {}: the INSERT's {} id values are gen_random_uuid() (a replayed row would clash on its key)",
                i + 1,
                ids.len()
            ));
        }
        let inline = statement.params.len() > PGBENCH_MAX_VARIABLES;
        if inline {
            notes.push(format!(
                "statement {}: its {} parameters are inlined as literals (pgbench allows {PGBENCH_MAX_VARIABLES} variables a command)",
                i + 1,
                statement.params.len()
            ));
        }
        let sql = substitute(&statement.sql, |n| {
            if ids.contains(&n) {
                return "gen_random_uuid()".to_owned();
            }
            match statement.params.get(n - 1) {
                None => format!("${n}"),
                Some(None) => "NULL".to_owned(),
                // pgbench refuses an empty `-D` value: an empty string goes in as a literal.
                Some(Some(value)) if inline || value.is_empty() => quote(value),
                Some(Some(value)) => {
                    let var = format!("s{}p{n}", i + 1);
                    match value.parse::<i64>() {
                        Ok(int) if int.to_string() == *value => {
                            let _ = writeln!(sets, "\\set {var} {int}");
                        }
                        _ => defines.push(format!("{var}={value}")),
                    }
                    format!(":{var}")
                }
            }
        });
        body.push_str(sql.trim_end().trim_end_matches(';'));
        body.push_str(";\n");
    }
    for line in header.lines() {
        let _ = writeln!(text, "-- {line}");
    }
    for note in &notes {
        let _ = writeln!(text, "-- {note}");
    }
    if !defines.is_empty() {
        let _ = writeln!(
            text,
            "-- text values come as -D arguments: see {name}.args (one a line)"
        );
    }
    text.push_str(&sets);
    text.push_str(&body);
    let path = dir.join(format!("{name}.sql"));
    fs::write(&path, text)?;
    fs::write(
        dir.join(format!("{name}.args")),
        defines
            .iter()
            .map(|d| format!("-D{d}\n"))
            .collect::<String>(),
    )?;
    Ok(Script {
        path,
        defines,
        statements: tx.len(),
    })
}

/// `$n` placeholders outside string literals replaced by `with(n)`.
fn substitute(sql: &str, mut with: impl FnMut(usize) -> String) -> String {
    let mut out = String::with_capacity(sql.len());
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    let mut quoted = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            quoted = !quoted;
        }
        if !quoted && c == '$' && i + 1 < chars.len() && chars[i + 1].is_ascii_digit() {
            let prev_ident = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
            let mut j = i + 1;
            while j < chars.len() && chars[j].is_ascii_digit() {
                j += 1;
            }
            if !prev_ident {
                let n: String = chars[i + 1..j].iter().collect();
                if let Ok(n) = n.parse() {
                    out.push_str(&with(n));
                    i = j;
                    continue;
                }
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// For `INSERT INTO t ("id", …) VALUES ($1, …), (…)` whose placeholders are the VALUES in
/// order: the numbers of the placeholders that fill `id`.
fn insert_id_params(sql: &str, params: usize) -> HashSet<usize> {
    let upper = sql.to_ascii_uppercase();
    let mut ids = HashSet::new();
    if !upper.trim_start().starts_with("INSERT INTO") || params == 0 {
        return ids;
    }
    let (Some(open), Some(values)) = (sql.find('('), upper.find(" VALUES ")) else {
        return ids;
    };
    let Some(close) = sql[open..].find(')').map(|c| open + c) else {
        return ids;
    };
    if close > values {
        return ids;
    }
    let columns: Vec<String> = sql[open + 1..close]
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_owned())
        .collect();
    let Some(id) = columns.iter().position(|c| c == "id") else {
        return ids;
    };
    if !params.is_multiple_of(columns.len()) {
        return ids;
    }
    (1..=params)
        .filter(|n| (n - 1) % columns.len() == id)
        .for_each(|n| {
            ids.insert(n);
        });
    ids
}

fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// pgbench's figures for one run.
pub struct Replay {
    pub tps: f64,
    pub failed: Option<String>,
}

/// `pgbench -n -M prepared -c clients -T duration` of `script` on `url` (after a warm-up run of
/// `warmup`, not counted).
pub fn pgbench(
    url: &str,
    script: &Script,
    clients: usize,
    warmup: Duration,
    duration: Duration,
) -> anyhow::Result<Replay> {
    let run = |seconds: u64| -> anyhow::Result<Replay> {
        let threads = clients.clamp(1, 2);
        let out = Command::new("pgbench")
            .args(["-n", "-M", "prepared"])
            .args(["-c", &clients.to_string(), "-j", &threads.to_string()])
            .args(["-T", &seconds.max(1).to_string()])
            .arg("-f")
            .arg(&script.path)
            .args(script.defines.iter().map(|d| format!("-D{d}")))
            .arg(url)
            .output()
            .context("run pgbench")?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tps = stdout
            .lines()
            .find_map(|l| l.strip_prefix("tps = "))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|t| t.parse::<f64>().ok());
        let failed = (!out.status.success()).then(|| {
            stderr
                .lines()
                .find(|l| l.contains("ERROR") || l.contains("aborted"))
                .unwrap_or("pgbench failed")
                .to_owned()
        });
        Ok(Replay {
            tps: tps.unwrap_or(0.0),
            failed,
        })
    };
    if !warmup.is_zero() {
        run(warmup.as_secs().max(1))?;
    }
    run(duration.as_secs())
}
