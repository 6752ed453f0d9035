//! The release server as a child process on a free port, and what `/proc` says about it: CPU
//! time (utime + stime) and peak resident memory (`VmHWM`, which we can reset between scenarios).

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

pub struct Server {
    child: Child,
    pub url: String,
}

/// How to start the binary: where it is, its database, its token secret, where it logs.
pub struct Launch<'a> {
    pub binary: &'a Path,
    pub database_url: &'a str,
    pub secret: &'a str,
    pub log: PathBuf,
}

impl Launch<'_> {
    /// A command of the binary with the database and the secret in its environment (the secret
    /// never on a command line, where `ps` would show it).
    pub fn command(&self) -> Command {
        let mut command = Command::new(self.binary);
        command
            .env("DATABASE_URL", self.database_url)
            .env("CADRE_HEALTH_JWT_SECRET", self.secret);
        command
    }

    /// `cadre-health token` for `board` and `role`: the token it prints.
    pub fn token(&self, board: &str, role: &str) -> anyhow::Result<String> {
        let out = self
            .command()
            .args([
                "token",
                "--board",
                board,
                "--role",
                role,
                "--sub",
                "loadbench",
            ])
            .args(["--ttl", "2h"])
            .stderr(Stdio::inherit())
            .output()
            .context("run cadre-health token")?;
        if !out.status.success() {
            bail!("cadre-health token --board {board} --role {role} failed");
        }
        Ok(String::from_utf8(out.stdout)?.trim().to_owned())
    }

    /// `cadre-health serve` on a free port, with the per-user rate limit off (every client of a
    /// scenario is the same user), once `/readyz` answers 200.
    pub async fn serve(&self, http: &reqwest::Client) -> anyhow::Result<Server> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let log = fs::File::create(&self.log)?;
        let child = self
            .command()
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .args(["--rate-limit", "0"])
            .env("RUST_LOG", "warn")
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("start {}", self.binary.display()))?;
        let mut server = Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        loop {
            if let Some(status) = server.child.try_wait()? {
                bail!("the server exited ({status}); see {}", self.log.display());
            }
            let ready = http.get(format!("{}/readyz", server.url)).send().await;
            if matches!(ready, Ok(ref r) if r.status().is_success()) {
                return Ok(server);
            }
            if started.elapsed() > Duration::from_secs(180) {
                server.stop();
                bail!(
                    "the server was not ready in 3 minutes; see {}",
                    self.log.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Server {
    pub fn graphql(&self) -> String {
        format!("{}/graphql", self.url)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// User plus system CPU time the server has used so far.
    pub fn cpu(&self) -> anyhow::Result<Duration> {
        let stat = fs::read_to_string(format!("/proc/{}/stat", self.pid()))?;
        // Fields after the command name, which is in parentheses and may hold spaces.
        let rest = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest)
            .context("malformed /proc/PID/stat")?;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
        let ticks: u64 = fields
            .get(11..13)
            .context("short /proc/PID/stat")?
            .iter()
            .map(|f| f.parse::<u64>())
            .sum::<Result<u64, _>>()?;
        Ok(Duration::from_secs_f64(ticks as f64 / clock_ticks() as f64))
    }

    /// Peak resident set since start or since the last [`Server::reset_peak`], in bytes.
    pub fn peak_rss(&self) -> anyhow::Result<u64> {
        let status = fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        let kb = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .context("no VmHWM in /proc/PID/status")?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse::<u64>()?;
        Ok(kb * 1024)
    }

    /// Resets `VmHWM` to the current RSS (`echo 5 > /proc/PID/clear_refs`); false when the
    /// kernel or our permissions do not allow it (the peak is then the process's lifetime peak).
    pub fn reset_peak(&self) -> bool {
        fs::write(format!("/proc/{}/clear_refs", self.pid()), "5").is_ok()
    }

    /// SIGTERM, and wait for the drain; SIGKILL if it takes longer than 30 seconds.
    pub fn stop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
        }
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.stop();
        }
    }
}

/// `getconf CLK_TCK`: the unit of the CPU times in `/proc/PID/stat` (100 on Linux, in practice).
fn clock_ticks() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}
