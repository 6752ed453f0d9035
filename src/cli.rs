//! The command line: `cadre-health [serve]`, `migrate`, `seed`, `token`, `schema`.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use sea_orm::DatabaseConnection;

use crate::app::{AppState, router};
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
    /// Generate deterministic synthetic data.
    Seed {
        #[arg(long, value_enum, default_value = "demo")]
        scale: Scale,
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
}

pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init_logging(cli.config.telemetry.log_format);
    match dispatch(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            open(&config).await?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Seed { scale } => {
            let db = open(&config).await?;
            let report = seed::seed(&db, scale).await?;
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
                crate::reorg::dry_run(&db, &plan, effective).await?
            } else {
                crate::reorg::apply(&db, &plan, effective).await?
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
    }
}

/// Connects (creating the embedded data directory when needed) and migrates.
async fn open(config: &Config) -> anyhow::Result<DatabaseConnection> {
    if config.is_embedded() && config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating {}", config.data_dir.display()))?;
    }
    let db = db::connect(&config.database_url())
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
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

/// SIGINT (Ctrl-C) or SIGTERM (what systemd, Docker and Kubernetes send): the server stops
/// accepting and lets the requests in flight finish, each to its commit or rollback.
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
