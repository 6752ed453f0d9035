//! Typed settings, each a flag with an environment variable. Secrets are never printed.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::scope::AppFilter;

/// A secret string whose `Debug` hides it.
#[derive(Clone)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

#[derive(clap::Args, Debug, Clone)]
pub struct Config {
    /// Database URL, `sqlite://PATH?mode=rwc` or `postgres://USER@HOST/DB`
    /// [default: an SQLite file under the data directory]
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// Directory for the embedded database and the generated token secret.
    #[arg(
        long,
        env = "CADRE_HEALTH_DATA_DIR",
        default_value = "data",
        global = true
    )]
    pub data_dir: PathBuf,

    /// Address to serve on.
    #[arg(
        long,
        env = "CADRE_HEALTH_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind: SocketAddr,

    /// HS256 secret for bearer tokens. Without it, the embedded default generates one once and
    /// keeps it in `DATA_DIR/jwt-secret`; a PostgreSQL deployment must set it.
    #[arg(
        long,
        env = "CADRE_HEALTH_JWT_SECRET",
        hide_env_values = true,
        global = true
    )]
    pub jwt_secret: Option<Secret>,

    /// Longest a bearer token may live (`12h`, `30m`): a token whose `exp` lies further than
    /// this beyond its `iat` or beyond now is refused, and `cadre-health token` issues none
    /// longer.
    #[arg(
        long,
        env = "CADRE_HEALTH_MAX_TOKEN_LIFETIME",
        default_value = "12h",
        value_parser = humantime::parse_duration,
        global = true
    )]
    pub max_token_lifetime: std::time::Duration,

    /// Maximum page size of any connection (`first`).
    #[arg(
        long,
        env = "CADRE_HEALTH_MAX_PAGE_SIZE",
        default_value_t = 100,
        global = true
    )]
    pub max_page_size: u32,

    /// Deepest nesting of fields a query may have.
    #[arg(
        long,
        env = "CADRE_HEALTH_MAX_DEPTH",
        default_value_t = 10,
        global = true
    )]
    pub max_depth: usize,

    /// Highest complexity a query may have: each field costs 1, and a connection costs its
    /// `first` (or `last`, default 20) times what one of its rows costs.
    #[arg(
        long,
        env = "CADRE_HEALTH_MAX_COMPLEXITY",
        default_value_t = 20_000,
        global = true
    )]
    pub max_complexity: usize,

    /// Most aliased fields a request may hold (fragments counted where they are spread).
    #[arg(
        long,
        env = "CADRE_HEALTH_MAX_ALIASES",
        default_value_t = 30,
        global = true
    )]
    pub max_aliases: usize,

    /// Longest GraphQL document accepted, in bytes (variables travel beside it, within the
    /// body limit).
    #[arg(
        long,
        env = "CADRE_HEALTH_MAX_DOCUMENT_BYTES",
        default_value_t = 100 * 1024,
        global = true
    )]
    pub max_document_bytes: usize,

    /// Most tokens (names, punctuation, literals) a GraphQL document may hold; counted before
    /// it is parsed.
    #[arg(
        long,
        env = "CADRE_HEALTH_MAX_TOKENS",
        default_value_t = 3_000,
        global = true
    )]
    pub max_tokens: usize,

    /// Most nodes (fields, fragments, arguments, values, directives) validation may visit in
    /// a document, each fragment counted once per spread.
    #[arg(
        long,
        env = "CADRE_HEALTH_MAX_NODES",
        default_value_t = 50_000,
        global = true
    )]
    pub max_nodes: usize,

    /// Most operations in one batched request.
    #[arg(
        long,
        env = "CADRE_HEALTH_MAX_BATCH",
        default_value_t = 10,
        global = true
    )]
    pub max_batch: usize,

    /// Largest request body accepted, in bytes; larger ones get HTTP 413.
    #[arg(
        long,
        env = "CADRE_HEALTH_MAX_BODY_BYTES",
        default_value_t = 1024 * 1024,
        global = true
    )]
    pub max_body_bytes: usize,

    /// Longest a request may run (`15s`, `500ms`); on PostgreSQL each statement is also cut
    /// off at this time (`statement_timeout`).
    #[arg(
        long,
        env = "CADRE_HEALTH_REQUEST_TIMEOUT",
        default_value = "15s",
        value_parser = humantime::parse_duration,
        global = true
    )]
    pub request_timeout: std::time::Duration,

    /// Whether the schema answers introspection (`__schema`, `__type`); `false` turns it off.
    #[arg(
        long,
        env = "CADRE_HEALTH_INTROSPECTION",
        default_value_t = true,
        action = clap::ArgAction::Set,
        global = true
    )]
    pub introspection: bool,

    /// Longest a request waits for a database connection, and longest opening one may take
    /// (`2s`): past it, with the database unreachable, the request answers HTTP 503
    /// `SERVICE_UNAVAILABLE` with `Retry-After` instead of hanging.
    #[arg(
        long,
        env = "CADRE_HEALTH_DB_ACQUIRE_TIMEOUT",
        default_value = "2s",
        value_parser = positive_duration,
        global = true
    )]
    pub db_acquire_timeout: Duration,

    /// Longest a client may take to send a request's headers (`10s`), counted from the
    /// connection's opening or, on a kept-alive connection, from the previous answer (so an
    /// idle connection is closed after it too); a slower client's connection is closed.
    #[arg(
        long,
        env = "CADRE_HEALTH_HEADER_READ_TIMEOUT",
        default_value = "10s",
        value_parser = positive_duration,
        global = true
    )]
    pub header_read_timeout: Duration,

    /// Longest a client may take to send a request's body once its headers are in (`20s`);
    /// a slower one gets HTTP 408 and its connection is closed.
    #[arg(
        long,
        env = "CADRE_HEALTH_BODY_READ_TIMEOUT",
        default_value = "20s",
        value_parser = positive_duration,
        global = true
    )]
    pub body_read_timeout: Duration,

    /// Most client connections open at once; further clients wait in the listen queue until
    /// one closes.
    #[arg(
        long,
        env = "CADRE_HEALTH_MAX_CONNECTIONS",
        default_value_t = 1024,
        value_parser = clap::value_parser!(u32).range(1..),
        global = true
    )]
    pub max_connections: u32,

    /// Requests per second each user (the verified token's board and subject) may send,
    /// sustained; past it, HTTP 429 with `Retry-After`. `0` turns the limit off.
    #[arg(
        long,
        env = "CADRE_HEALTH_RATE_LIMIT",
        default_value_t = 100,
        global = true
    )]
    pub rate_limit: u32,

    /// Requests a user may send at once above the sustained rate (the bucket's size).
    #[arg(
        long,
        env = "CADRE_HEALTH_RATE_LIMIT_BURST",
        default_value_t = 200,
        value_parser = clap::value_parser!(u32).range(1..),
        global = true
    )]
    pub rate_limit_burst: u32,

    /// On SIGTERM or SIGINT, how long the requests in flight may take to finish (`20s`);
    /// the process then exits anyway, with a non-zero code.
    #[arg(
        long,
        env = "CADRE_HEALTH_SHUTDOWN_GRACE",
        default_value = "20s",
        value_parser = humantime::parse_duration,
        global = true
    )]
    pub shutdown_grace: Duration,

    /// Never set in the service (no flag, no variable): a test turns the application's scope
    /// filter off to prove that row-level security alone holds on PostgreSQL.
    #[doc(hidden)]
    #[arg(skip)]
    pub app_filter: AppFilter,

    /// Identity providers: JWKS, issuer, audience, claim names (`auth/provider.rs`).
    #[command(flatten)]
    pub identity: crate::auth::IdentityConfig,

    /// Logs and metrics (`telemetry.rs`).
    #[command(flatten)]
    pub telemetry: crate::telemetry::TelemetryConfig,

    /// Live updates: subscriptions over `/graphql/ws` (`live/`).
    #[command(flatten)]
    pub live: crate::live::LiveConfig,
}

impl Config {
    /// The configured database, or the embedded SQLite file.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("cadre-health.db").display()
            ),
        }
    }

    /// Whether we run on the embedded default (which may create files under the data directory).
    pub fn is_embedded(&self) -> bool {
        self.database_url().starts_with("sqlite:")
    }
}

/// A duration longer than zero (`2s`, `500ms`).
pub(crate) fn positive_duration(text: &str) -> Result<Duration, String> {
    match humantime::parse_duration(text) {
        Ok(d) if d.is_zero() => Err("must be longer than zero".into()),
        Ok(d) => Ok(d),
        Err(err) => Err(err.to_string()),
    }
}
