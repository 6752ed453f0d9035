//! Typed settings, each a flag with an environment variable. Secrets are never printed.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

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

    /// Maximum page size of any connection (`first`).
    #[arg(
        long,
        env = "CADRE_HEALTH_MAX_PAGE_SIZE",
        default_value_t = 100,
        global = true
    )]
    pub max_page_size: u32,

    /// Never set in the service (no flag, no variable): a test turns the application's scope
    /// filter off to prove that row-level security alone holds on PostgreSQL.
    #[doc(hidden)]
    #[arg(skip)]
    pub app_filter: AppFilter,
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
