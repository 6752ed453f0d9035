//! The real binary, as an operator runs it: SIGTERM with requests in flight, the drain
//! deadline, a bad setting, `config --check`, and the README's settings table against the
//! settings the binary knows. (The embedded default by definition: SQLite in both CI passes.)

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use cadre_health::domain::Role;
use cadre_health::{auth::TokenKeys, db};
use clap::CommandFactory;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::{Reply, read_to_close};
use crate::helpers::{TEST_SECRET, TestApp, test_config};

/// The built `cadre-health`, with nothing from the test's environment but `PATH`.
pub fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cadre-health"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn");
    command
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A data directory whose database is migrated and holds one cadre, so `serve` starts at once
/// (an empty database would be seeded with the demo data first).
async fn data_dir_with_a_cadre(dir: &Path) {
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.join("cadre-health.db").display()
    );
    let pool = db::connect(&url).await.expect("connect");
    db::migrate(&pool).await.expect("migrate");
    let app = TestApp::on(
        pool.clone(),
        test_config(&url),
        TEST_SECRET.as_bytes(),
        None,
    )
    .await;
    app.add_cadre("40", "Nguyễn Văn Chờ").await;
    pool.close().await.ok();
}

/// A free local port (bound, then let go for the server to take).
fn free_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
}

/// A server process, killed and reaped if the test ends before it exits.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

/// `cadre-health serve` on `dir` at `addr` with `grace`, ready (its `/healthz` answers).
async fn start_server(dir: &Path, addr: SocketAddr, grace: &str) -> Running {
    let log = std::fs::File::create(dir.join("server.log")).expect("log file");
    let child = Running(
        binary()
            .arg("serve")
            .env("CADRE_HEALTH_DATA_DIR", dir)
            .env("CADRE_HEALTH_BIND", addr.to_string())
            .env("CADRE_HEALTH_JWT_SECRET", TEST_SECRET)
            .env("CADRE_HEALTH_SHUTDOWN_GRACE", grace)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start cadre-health"),
    );
    let started = Instant::now();
    loop {
        let health = b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";
        if let Ok(mut stream) = TcpStream::connect(addr).await
            && stream.write_all(health).await.is_ok()
            && let Some(raw) = read_to_close(&mut stream, Duration::from_secs(5)).await
            && Reply::parse(&raw).is_some_and(|r| r.status == 200)
        {
            return child;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the server did not start: {}",
            std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits for `child` to exit, at most `within`.
async fn exit_code(child: &mut Running, within: Duration) -> Option<i32> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.0.try_wait().expect("wait") {
            return Some(status.code().unwrap_or(-1));
        }
        if started.elapsed() > within {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A request with its headers and the first half of its body sent: in flight at the server.
async fn half_sent(addr: SocketAddr, token: &str, query: &str) -> (TcpStream, Vec<u8>) {
    let body = json!({ "query": query }).to_string().into_bytes();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {token}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let half = body.len() / 2;
    stream.write_all(head.as_bytes()).await.expect("send head");
    stream.write_all(&body[..half]).await.expect("send half");
    (stream, body[half..].to_vec())
}

fn sigterm(child: &Running) {
    let pid = Pid::from_raw(i32::try_from(child.0.id()).expect("pid"));
    kill(pid, Signal::SIGTERM).expect("SIGTERM");
}

/// A release of the binary serving a fresh data directory that holds one cadre (draining
/// within 20 s), and a token for `subject` as `role` of board 40. The directory lives as long
/// as the first value.
async fn serving_one_cadre(
    role: Role,
    subject: &str,
) -> (tempfile::TempDir, SocketAddr, Running, String) {
    let dir = tempfile::tempdir().expect("temporary directory");
    data_dir_with_a_cadre(dir.path()).await;
    let addr = free_port();
    let child = start_server(dir.path(), addr, "20s").await;
    let keys = TokenKeys::hs256(TEST_SECRET.as_bytes(), Duration::from_secs(12 * 3600));
    let token = keys
        .issue("40", role, subject, Duration::from_secs(600))
        .expect("sign");
    (dir, addr, child, token)
}

/// SIGTERM with reads and a write in flight: the server stops accepting, the requests finish
/// with their answers (the write is kept), and the process exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_requests_in_flight_finish_and_exits_0() {
    let (dir, addr, mut child, token) = serving_one_cadre(Role::Clinician, "draining").await;

    let mut in_flight = Vec::new();
    for _ in 0..3 {
        in_flight.push(
            half_sent(
                addr,
                &token,
                "{ cadres(first: 10) { totalCount edges { node { fullName } } } }",
            )
            .await,
        );
    }
    in_flight.push(
        half_sent(
            addr,
            &token,
            "mutation { createCadre(input: {boardCode: \"40\", fullName: \"Lê Thị Kịp\", \
             gender: FEMALE, birthDate: \"1970-01-01\", managementTier: PROVINCIAL}) { id } }",
        )
        .await,
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    sigterm(&child);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "still accepting after SIGTERM"
    );

    for (mut stream, rest) in in_flight {
        stream.write_all(&rest).await.expect("send the rest");
        let raw = read_to_close(&mut stream, Duration::from_secs(15))
            .await
            .expect("an answer");
        let reply = Reply::parse(&raw).expect("an HTTP answer");
        assert_eq!(reply.status, 200, "{reply:?}");
        assert!(reply.body.get("errors").is_none(), "{reply:?}");
    }
    let code = exit_code(&mut child, Duration::from_secs(15)).await;
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
    assert_eq!(code, Some(0), "{log}");

    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("cadre-health.db").display()
    );
    let pool = db::connect(&url).await.expect("reopen");
    let app = TestApp::on(pool, test_config(&url), TEST_SECRET.as_bytes(), None).await;
    let data = app
        .as_board("40", "clinician")
        .data("{ cadres(filter: {search: \"le thi kip\"}) { totalCount } }")
        .await;
    assert_eq!(
        data["cadres"]["totalCount"], 1,
        "the write in flight was lost"
    );
}

/// A request still unfinished when the shutdown grace period runs out is cut off, and the
/// process exits anyway, with a non-zero code and a line saying why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_shutdown_grace_the_process_exits_anyway() {
    let dir = tempfile::tempdir().expect("temporary directory");
    data_dir_with_a_cadre(dir.path()).await;
    let addr = free_port();
    let mut child = start_server(dir.path(), addr, "1s").await;
    let keys = TokenKeys::hs256(TEST_SECRET.as_bytes(), Duration::from_secs(12 * 3600));
    let token = keys
        .issue("40", Role::Clinician, "lingering", Duration::from_secs(600))
        .expect("sign");
    // Its body never comes (the body-read timeout, 20 s, is far off).
    let (_stream, _rest) = half_sent(addr, &token, "{ viewer { subject } }").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let signalled = Instant::now();
    sigterm(&child);
    let code = exit_code(&mut child, Duration::from_secs(10)).await;
    let took = signalled.elapsed();
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
    assert!(
        code.is_some_and(|c| c != 0),
        "exit {code:?} after {took:?}: {log}"
    );
    assert!(log.contains("shutdown grace period"), "{log}");
}

/// A setting that does not parse, from the environment or a flag, stops the start with one
/// line naming it (its flag and its variable) and a non-zero exit code; nothing is started.
#[test]
fn a_bad_setting_stops_the_start_with_one_line_naming_it() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let data = dir.path().join("data");
    // (arguments, a variable set, the flag and the variable the line must name)
    type Case<'a> = (&'a [&'a str], Option<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: [Case; 4] = [
        (
            &[],
            Some(("CADRE_HEALTH_MAX_DEPTH", "abc")),
            "--max-depth",
            "CADRE_HEALTH_MAX_DEPTH",
        ),
        (
            &["serve", "--max-depth", "abc"],
            None,
            "--max-depth",
            "CADRE_HEALTH_MAX_DEPTH",
        ),
        (
            &["config", "--check"],
            Some(("CADRE_HEALTH_DB_ACQUIRE_TIMEOUT", "0s")),
            "--db-acquire-timeout",
            "CADRE_HEALTH_DB_ACQUIRE_TIMEOUT",
        ),
        (
            &[],
            Some(("CADRE_HEALTH_BIND", "localhost")),
            "--bind",
            "CADRE_HEALTH_BIND",
        ),
    ];
    for (args, env, flag, variable) in cases {
        let mut command = binary();
        command.args(args).env("CADRE_HEALTH_DATA_DIR", &data);
        if let Some((name, value)) = env {
            command.env(name, value);
        }
        let output = command.output().expect("run cadre-health");
        let said = stderr(&output);
        assert!(!output.status.success(), "{args:?} {env:?}: {said}");
        assert_eq!(said.trim().lines().count(), 1, "{args:?} {env:?}: {said}");
        assert!(
            said.contains(flag) && said.contains(variable),
            "{args:?} {env:?}: {said}"
        );
        assert!(output.stdout.is_empty(), "{args:?} {env:?}");
        assert!(!data.exists(), "{args:?} {env:?}: started anyway");
    }
}

/// `config --check` prints every setting with its value and where it came from, hides the
/// token secret and the database password, and exits 0.
#[test]
fn config_check_prints_the_effective_configuration_with_secrets_hidden() {
    let secret = "a-very-secret-token-key-that-nobody-may-read-0123";
    let output = binary()
        .args(["config", "--check", "--rate-limit", "5"])
        .env("CADRE_HEALTH_JWT_SECRET", secret)
        .env(
            "DATABASE_URL",
            "postgres://cadre:pa55word@db.example:5432/cadre",
        )
        .env("CADRE_HEALTH_MAX_DEPTH", "12")
        .output()
        .expect("run cadre-health");
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{}", stderr(&output));
    let line = |flag: &str| {
        printed
            .lines()
            .find(|l| l.split_whitespace().next() == Some(flag))
            .unwrap_or_else(|| panic!("no {flag} in:\n{printed}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        line("--max-depth")[1..],
        ["CADRE_HEALTH_MAX_DEPTH", "12", "environment"]
    );
    assert_eq!(
        line("--rate-limit")[1..],
        ["CADRE_HEALTH_RATE_LIMIT", "5", "flag"]
    );
    assert_eq!(
        line("--max-page-size")[1..],
        ["CADRE_HEALTH_MAX_PAGE_SIZE", "100", "default"]
    );
    assert_eq!(
        line("--database-url")[1..],
        [
            "DATABASE_URL",
            "postgres://cadre:***@db.example:5432/cadre",
            "environment"
        ]
    );
    assert!(line("--jwt-secret").contains(&"hidden)"), "{printed}");
    assert!(
        !printed.contains(secret) && !printed.contains("pa55word"),
        "{printed}"
    );
    for (flag, _) in readme_settings() {
        line(&flag);
    }
}

/// The README's settings table: (flag, variable) per row.
fn readme_settings() -> BTreeSet<(String, String)> {
    let readme = include_str!("../../../README.md");
    readme
        .lines()
        .filter(|l| l.starts_with("| `--"))
        .filter_map(|l| {
            // `\|` is a pipe inside a cell (`--introspection true\|false`).
            let row = l.replace("\\|", "/");
            let mut cells = row.split('|').map(str::trim).skip(1);
            let flag = cells.next()?.trim_matches('`').split([' ', '`']).next()?;
            let variable = cells.next()?.trim_matches('`');
            Some((flag.to_owned(), variable.to_owned()))
        })
        .collect()
}

/// Every setting is a flag and a variable, and the README's table lists exactly those.
#[test]
fn the_readme_lists_every_setting() {
    let command = cadre_health::cli::Cli::command();
    let mut known = BTreeSet::new();
    for arg in command.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if matches!(long, "help" | "version") {
            continue;
        }
        let variable = arg
            .get_env()
            .unwrap_or_else(|| panic!("--{long} has no environment variable"));
        known.insert((format!("--{long}"), variable.to_string_lossy().into_owned()));
    }
    let listed = readme_settings();
    let missing: Vec<_> = known.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&known).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "not in the README: {missing:?}; in the README but unknown: {stale:?}"
    );
}

/// The one-shot commands run as `cadre-health CMD`, for `backup.rs`.
pub fn run(args: &[&str], database_url: &str) -> Output {
    binary()
        .args(args)
        .env("DATABASE_URL", database_url)
        .output()
        .expect("run cadre-health")
}

/// SIGTERM closes the live sockets at once with 1001 ("server shutting down"), and the
/// process still exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_live_sockets_with_1001_and_exits_0() {
    let (dir, addr, mut child, token) = serving_one_cadre(Role::Analyst, "watching").await;
    let mut ws =
        crate::live::Ws::open(addr, json!({"Authorization": format!("Bearer {token}")})).await;
    ws.subscribe(
        "c",
        "subscription { coverageChanged(year: 2026, round: 1) { total { examined } } }",
        json!({}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    sigterm(&child);
    assert_eq!(ws.close_code().await, Some(1001));
    let code = exit_code(&mut child, Duration::from_secs(15)).await;
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
    assert_eq!(code, Some(0), "{log}");
}
