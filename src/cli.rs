//! The command line: `cadre-health [serve]`, `migrate`, `seed`, `token`, `schema`, `config`,
//! `backup`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};
use sea_orm::DatabaseConnection;

use crate::app::{AppState, Drain, ServeOptions, router};
use crate::auth::TokenKeys;
use crate::config::Config;
use crate::domain::Role;
use crate::seed::{self, Scale};
use crate::{db, graphql};

/// The lifetime of a token made with `cadre-health token` when `--ttl` is not given: a working
/// day.
const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(8 * 3600);

#[derive(Parser, Debug)]
#[command(
    name = "cadre-health",
    version,
    about = "GraphQL API for the boards that look after the health of cadres"
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Migrate, seed demo data into an empty database, and serve the API (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Generate deterministic synthetic data into an empty database (see the README, *Seeding*).
    Seed {
        /// `demo` (a few thousand cadres), `national` (about 248,000) or a number of cadres.
        #[arg(long, default_value = "demo", value_parser = clap::value_parser!(Scale))]
        scale: Scale,
        /// Empty the data tables first (cadres, their records, campaigns and the audit trail;
        /// the board tree stays), in the same transaction as the new data.
        #[arg(long)]
        reset: bool,
    },
    /// Print a signed bearer token, and nothing else.
    Token {
        /// Board code: `TW`, a province (`40`) or a district (`412`).
        #[arg(long)]
        board: String,
        /// `analyst`, `clinician` or `admin`.
        #[arg(long)]
        role: String,
        /// Subject (user name) to put in the token.
        #[arg(long, default_value = "cli")]
        sub: String,
        /// Lifetime, e.g. `8h`, `30m`; at most the maximum token lifetime
        /// (`--max-token-lifetime`). [default: 8h, or the maximum if that is shorter]
        #[arg(long, value_parser = humantime::parse_duration)]
        ttl: Option<Duration>,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Reorganise the board tree by a plan: check it and show what changes custody
    /// (`--dry-run`), or apply it, all or nothing. See the README, *Reorganising the board tree*.
    Reorganise {
        /// `vn-2025` (the 2025 merger, shipped) or a CSV file of steps.
        #[arg(long)]
        plan: String,
        /// The day the new tree takes effect (`2025-07-01`).
        #[arg(long)]
        effective: chrono::NaiveDate,
        /// Check and report only; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Check the settings and print the effective configuration, secrets hidden.
    Config {
        /// Check and print (the only thing this command does; accepted for clarity).
        #[arg(long)]
        check: bool,
    },
    /// Copy the embedded SQLite database to FILE, consistently, while the server runs.
    Backup {
        /// The copy to write; must not exist yet.
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
}

pub async fn run() -> ExitCode {
    let matches = match Cli::command().try_get_matches() {
        Ok(matches) => matches,
        Err(err) => return settings_error(err),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => return settings_error(err),
    };
    crate::telemetry::init_logging(cli.config.telemetry.log_format);
    match dispatch(cli, &matches).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// A command line or environment that does not parse: `--help` and `--version` as clap prints
/// them, anything else as one line naming the setting (its flag and its variable), exit code 2.
fn settings_error(err: clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = err.print();
        return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
    }
    let rendered = err.render().to_string();
    let mut line = rendered
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("error: invalid command line")
        .trim()
        .to_owned();
    // Name the variable too: a setting from the environment shows only its flag in clap's text.
    let named = |arg: &str| {
        let long = arg.split([' ', '=']).next().unwrap_or_default();
        let env = Cli::command()
            .get_arguments()
            .find(|a| a.get_long().is_some_and(|l| format!("--{l}") == long))
            .and_then(|a| a.get_env().map(|e| e.to_string_lossy().into_owned()));
        match env {
            Some(env) => format!("{long} ({env})"),
            None => long.to_owned(),
        }
    };
    match err.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => {
            line = line.replacen(&format!("'{arg}'"), &named(arg), 1);
        }
        // A setting that needs another (`--only-trusted` needs `--trusted-documents`): clap
        // lists the missing ones on the lines below; they go on this one.
        Some(ContextValue::Strings(args)) if err.kind() == ErrorKind::MissingRequiredArgument => {
            let missing: Vec<String> = args.iter().map(|a| named(a)).collect();
            line = format!("{line} {}", missing.join(", "));
        }
        _ => {}
    }
    eprintln!("{line}");
    ExitCode::from(2)
}

async fn dispatch(cli: Cli, matches: &ArgMatches) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            open(&config).await?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Seed { scale, reset } => {
            let db = open(&config).await?;
            let report = seed::seed_with(&db, scale, seed::Options { reset }).await?;
            eprintln!("seeded: {report:?}");
            Ok(())
        }
        Command::Token {
            board,
            role,
            sub,
            ttl,
        } => {
            let role = Role::parse(&role)
                .with_context(|| format!("unknown role {role:?}: analyst, clinician or admin"))?;
            let db = open(&config).await?;
            let boards = crate::boards::BoardTree::load(&db)
                .await
                .map_err(|_| anyhow::anyhow!("reading the board tree"))?;
            let today = crate::domain::calendar::today();
            match boards.get(&board) {
                None => bail!("unknown board {board:?}"),
                Some(b) if !crate::boards::is_open(b, today) => {
                    bail!(
                        "{}: issue a token for that board",
                        boards.closed_message(b, today)
                    )
                }
                Some(_) => {}
            }
            let ttl = ttl.unwrap_or_else(|| config.max_token_lifetime.min(DEFAULT_TOKEN_TTL));
            if ttl > config.max_token_lifetime {
                bail!(
                    "--ttl {} is longer than the maximum token lifetime ({}; see \
                     --max-token-lifetime)",
                    humantime::format_duration(ttl),
                    humantime::format_duration(config.max_token_lifetime)
                );
            }
            let keys = TokenKeys::from_config(&config).await?;
            if keys.uses_provider() {
                bail!("tokens come from the identity provider (--jwks-file/--jwks-url)");
            }
            let token = keys
                .issue(&board, role, &sub, ttl)
                .map_err(|_| anyhow::anyhow!("signing the token"))?;
            println!("{token}");
            Ok(())
        }
        Command::Reorganise {
            plan,
            effective,
            dry_run,
        } => {
            let plan = crate::reorg::plan::Plan::load(&plan)?.map_err(crate::reorg::Refused)?;
            let db = open(&config).await?;
            let report = if dry_run {
                crate::reorg::run(&db, &plan, effective, crate::reorg::Mode::DryRun).await?
            } else {
                crate::reorg::run(&db, &plan, effective, crate::reorg::Mode::Apply).await?
            };
            print!("{report}");
            if dry_run {
                eprintln!("dry run: nothing was written");
            } else {
                eprintln!("applied; running servers pick up the new tree within a minute");
            }
            Ok(())
        }
        Command::Schema => {
            print!("{}", graphql::build_schema().sdl());
            Ok(())
        }
        Command::Config { check: _ } => {
            print!("{}", effective_configuration(&config, matches));
            Ok(())
        }
        Command::Backup { to } => backup(&config, &to).await,
    }
}

/// Every setting as `--flag  VARIABLE  value  (where it came from)`, one a line. A secret (a
/// setting whose environment value clap hides) shows only whether it is set, and a database
/// URL shows no password.
fn effective_configuration(config: &Config, matches: &ArgMatches) -> String {
    use clap::parser::ValueSource;
    let command = Cli::command();
    let mut rows = Vec::new();
    for arg in command.get_arguments() {
        let (Some(long), Some(env)) = (arg.get_long(), arg.get_env()) else {
            continue;
        };
        let id = arg.get_id().as_str();
        let raw: Option<Vec<String>> = matches.get_raw(id).map(|values| {
            values
                .map(|v| v.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
        });
        let value = match raw {
            None if id == "database_url" => {
                format!("{} (the embedded default)", config.database_url())
            }
            None => "(not set)".to_owned(),
            Some(_) if arg.is_hide_env_values_set() => "(set, hidden)".to_owned(),
            Some(values) if id == "database_url" => values
                .iter()
                .map(|v| without_password(v))
                .collect::<Vec<_>>()
                .join(","),
            Some(values) => values.join(","),
        };
        let source = match matches.value_source(id) {
            Some(ValueSource::CommandLine) => "flag",
            Some(ValueSource::EnvVariable) => "environment",
            Some(ValueSource::DefaultValue) => "default",
            _ => "",
        };
        rows.push((
            format!("--{long}"),
            env.to_string_lossy().into_owned(),
            value,
            source,
        ));
    }
    let width =
        |f: fn(&(String, String, String, &str)) -> usize| rows.iter().map(f).max().unwrap_or(0);
    let (w0, w1, w2) = (
        width(|r| r.0.len()),
        width(|r| r.1.len()),
        width(|r| r.2.chars().count()),
    );
    let mut out = String::new();
    for (flag, env, value, source) in &rows {
        let line = format!("{flag:w0$}  {env:w1$}  {value:w2$}  {source}");
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `postgres://user:secret@host/db` as `postgres://user:***@host/db`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{path}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// `cadre-health backup --to FILE`: a consistent copy of the embedded SQLite database,
/// taken with `VACUUM INTO` in one read transaction, so writers go on meanwhile (WAL) and
/// the copy is the database as of one moment. The copy is written beside FILE under a
/// temporary name, flushed to disk, then renamed, so FILE is never a half-written copy.
async fn backup(config: &Config, to: &Path) -> anyhow::Result<()> {
    if !config.is_embedded() {
        bail!(
            "backup copies the embedded SQLite database; for PostgreSQL use pg_dump (or \
             continuous archiving for point-in-time recovery)"
        );
    }
    if to.exists() {
        bail!("{} already exists; choose a new file", to.display());
    }
    let name = to
        .file_name()
        .context("--to names no file")?
        .to_string_lossy()
        .into_owned();
    let partial = to.with_file_name(format!(".{name}.partial"));
    let _ = std::fs::remove_file(&partial);
    let db = db::open_for_backup(&config.database_url(), config.db_acquire_timeout)
        .await
        .context("opening the database")?;
    let copied = db::vacuum_into(&db, &partial).await;
    db.close().await.ok();
    if let Err(err) = copied {
        let _ = std::fs::remove_file(&partial);
        return Err(anyhow::Error::new(err).context("copying the database"));
    }
    std::fs::File::open(&partial)
        .and_then(|file| file.sync_all())
        .with_context(|| format!("flushing {}", partial.display()))?;
    if to.exists() {
        let _ = std::fs::remove_file(&partial);
        bail!(
            "{} appeared while copying; the copy was not kept",
            to.display()
        );
    }
    std::fs::rename(&partial, to)
        .with_context(|| format!("renaming the copy to {}", to.display()))?;
    eprintln!("backed up to {}", to.display());
    Ok(())
}

/// Connects (creating the embedded data directory when needed) and migrates.
async fn open(config: &Config) -> anyhow::Result<DatabaseConnection> {
    if config.is_embedded() && config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating {}", config.data_dir.display()))?;
    }
    let db = db::connect_with(&config.database_url(), config.db_acquire_timeout)
        .await
        .context("connecting to the database")?;
    db::migrate(&db).await.context("applying migrations")?;
    db::refresh_planner_statistics(&db, false)
        .await
        .context("refreshing the query planner's statistics")?;
    Ok(db)
}

/// What the first run (and every run) prepares before serving.
pub struct Prepared {
    pub db: DatabaseConnection,
    pub keys: TokenKeys,
    /// The URL, and either a ready token per demo user (only the run that has just created the
    /// demo data with a generated secret) or how to make a token.
    pub banner: String,
}

/// Creates the data directory, migrates, seeds demo data into an empty database, and loads the
/// token secret: everything `serve` does before it listens.
pub async fn prepare(config: &Config) -> anyhow::Result<Prepared> {
    let db = open(config).await?;
    let seeded_now = if seed::is_empty(&db).await? {
        eprintln!("empty database: generating demo data (once)...");
        let report = seed::seed(&db, Scale::Demo).await?;
        eprintln!(
            "demo data: {} cadres, {} exams",
            report.cadres, report.exams
        );
        true
    } else {
        false
    };
    let keys = TokenKeys::from_config(config).await?;
    // Logs are kept and shared: a token printed on every start would leave valid credentials in
    // them. Demo tokens are for the person who has just created a demo on their own machine,
    // so only that run prints them, and never a deployment with a secret of its own.
    let demo = seeded_now && config.jwt_secret.is_none() && !keys.uses_provider();
    let banner = banner(config, &keys, demo)?;
    Ok(Prepared { db, keys, banner })
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let Prepared { db, keys, banner } = prepare(&config).await?;
    let bind = config.bind;
    if let Some(metrics) = config.telemetry.metrics_bind {
        crate::telemetry::serve_metrics(metrics, db.clone()).await?;
    }
    let options = ServeOptions::of(&config);
    let pool = db.clone();
    let state = AppState::new(db, config, keys)
        .await
        .map_err(|_| anyhow::anyhow!("loading the board tree"))?;
    // A reorganisation applied by `cadre-health reorganise` reaches this server within a minute.
    tokio::spawn(
        state
            .boards
            .clone()
            .refresh_every(state.db.clone(), std::time::Duration::from_secs(60)),
    );
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("binding {bind}"))?;
    println!("{banner}");
    // Live sockets outlive their HTTP connection (an upgrade): the hub closes them (1001) as
    // soon as shutdown begins, and they get the same grace.
    let live = state.live.clone();
    let shutdown = async move {
        shutdown_signal().await;
        live.shut_down();
    };
    let live = state.live.clone();
    let drained = crate::app::serve(listener, router(state), options, shutdown).await;
    if !live.closed(options.shutdown_grace).await {
        tracing::warn!(
            sockets = live.open_sockets(),
            "live sockets still open after the shutdown grace period"
        );
    }
    if drained == Drain::Cut {
        bail!(
            "requests were still running after the shutdown grace period ({}); they were cut \
             off, and their transactions roll back",
            humantime::format_duration(options.shutdown_grace)
        );
    }
    // The requests have answered; their transactions end with them. Closing the pool says
    // goodbye to the database instead of dropping the connections.
    let _ = tokio::time::timeout(Duration::from_secs(2), pool.close()).await;
    tracing::info!("stopped");
    Ok(())
}

/// SIGINT (Ctrl-C) or SIGTERM (what systemd, Docker and Kubernetes send): the server stops
/// accepting and lets the requests in flight finish, each to its commit or rollback, within
/// `--shutdown-grace`.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing the requests in flight");
}

/// The URL, and a ready token per demo user (`demo`) or how to make one, printed on start.
fn banner(config: &Config, keys: &TokenKeys, demo: bool) -> anyhow::Result<String> {
    let url = format!(
        "cadre-health is serving GraphQL at http://{}/graphql (GraphiQL in a browser)\n\
         Send a token as `Authorization: Bearer <token>`.",
        config.bind
    );
    if !demo {
        return Ok(format!(
            "{url} Make one with\n\n  cadre-health token --board 40 --role clinician [--sub NAME] [--ttl 8h]\n"
        ));
    }
    // Demo tokens live as long as tokens may: 12 hours, or less if the maximum is lower.
    let ttl = keys.max_lifetime().min(Duration::from_secs(12 * 3600));
    let users = [
        (
            "central analyst (TW)",
            "TW",
            Role::Analyst,
            "central-analyst",
        ),
        ("central admin (TW)", "TW", Role::Admin, "central-admin"),
        (
            "provincial clinician (40, Nghệ An)",
            "40",
            Role::Clinician,
            "nghe-an-clinician",
        ),
        (
            "district clinician (412, Thành phố Vinh)",
            "412",
            Role::Clinician,
            "vinh-clinician",
        ),
    ];
    let mut out = format!(
        "{url} Demo tokens, valid {} (printed this once; later runs print none):\n",
        humantime::format_duration(ttl)
    );
    for (who, board, role, sub) in users {
        let token = keys
            .issue(board, role, sub, ttl)
            .map_err(|_| anyhow::anyhow!("signing demo tokens"))?;
        out.push_str(&format!("\n  {who}:\n  {token}\n"));
    }
    Ok(out)
}
