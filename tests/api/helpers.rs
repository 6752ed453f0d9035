//! The test harness: `TestApp::spawn()` gives a migrated, empty database (board tree loaded)
//! behind the real router; `app.as_board("412", "clinician").query(...)` asks as that user.
//! (Rows written straight into the database, `app.add_cadre(...)` and the like: `fixtures.rs`.)

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use cadre_health::app::{AppState, router};
use cadre_health::auth::TokenKeys;
use cadre_health::config::Config;
use cadre_health::db;
use cadre_health::domain::Role;
use clap::Parser;
use http_body_util::BodyExt;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

pub const TEST_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";

pub struct TestApp {
    router: Router,
    /// The tree the router serves, refreshed after a reorganisation.
    boards: std::sync::Arc<cadre_health::boards::LiveTree>,
    pub db: DatabaseConnection,
    pub keys: TokenKeys,
    /// The live-update hub the router serves (`live/` tests wait on its subscribers).
    pub live: std::sync::Arc<cadre_health::live::LiveHub>,
    /// The test's own database, dropped with the app; `None` when the caller owns it.
    _database: Option<TestDatabase>,
}

impl TestApp {
    /// A fresh, migrated database with the board tree and nothing else.
    pub async fn spawn() -> TestApp {
        Self::spawn_custom(|_| {}, |_| {}).await
    }

    /// [`TestApp::spawn`] with settings changed by `configure`.
    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> TestApp {
        Self::spawn_custom(configure, |_| {}).await
    }

    /// Like `spawn`, with settings changed by `configure` and the connection by `connection`
    /// (a statement counter, say) before the app is built on it.
    pub async fn spawn_custom(
        configure: impl FnOnce(&mut Config),
        connection: impl FnOnce(&mut DatabaseConnection),
    ) -> TestApp {
        let database = TestDatabase::create().await;
        let mut db = db::connect(&database.url)
            .await
            .expect("connect to the test database");
        db::migrate(&db).await.expect("migrate the test database");
        let mut config = test_config(&database.url);
        configure(&mut config);
        connection(&mut db);
        Self::on(db, config, TEST_SECRET.as_bytes(), Some(database)).await
    }

    /// A fresh database filled with the deterministic demo data (every province, every kind of
    /// record).
    pub async fn seeded() -> TestApp {
        TestApp::seeded_with(|_| {}).await
    }

    /// [`TestApp::seeded`] with settings changed by `configure`.
    pub async fn seeded_with(configure: impl FnOnce(&mut Config)) -> TestApp {
        let app = TestApp::spawn_with(configure).await;
        cadre_health::seed::seed(&app.db, cadre_health::seed::Scale::Demo)
            .await
            .expect("seed demo data");
        app
    }

    /// The router, to serve over a real socket (the browser tests).
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// The URL of the test's own database.
    pub fn database_url(&self) -> Option<&str> {
        self._database.as_ref().map(|d| d.url.as_str())
    }

    /// Whether the suite runs on PostgreSQL (`TEST_DATABASE_URL`), where row-level security is
    /// the second guard.
    pub fn is_postgres(&self) -> bool {
        self.db.get_database_backend() == sea_orm::DatabaseBackend::Postgres
    }

    /// The app over an existing database, verifying tokens signed with `secret`.
    pub async fn on(
        db: DatabaseConnection,
        config: Config,
        secret: &[u8],
        database: Option<TestDatabase>,
    ) -> TestApp {
        let max_lifetime = config.max_token_lifetime;
        let state = AppState::new(db.clone(), config, TokenKeys::hs256(secret, max_lifetime))
            .await
            .expect("build app state");
        let boards = state.boards.clone();
        let live = state.live.clone();
        TestApp {
            boards,
            live,
            router: router(state),
            db,
            keys: TokenKeys::hs256(secret, max_lifetime),
            _database: database,
        }
    }

    /// Applies the reorganisation `plan` (`vn-2025`, or a file) as of `effective`, as
    /// `cadre-health reorganise` does, then serves the new tree (as a running server does at
    /// its next refresh). Returns the report.
    pub async fn reorganise(&self, plan: &str, effective: &str) -> String {
        let plan = cadre_health::reorg::plan::Plan::load(plan)
            .expect("read the plan")
            .expect("a well-formed plan");
        let effective = effective.parse().expect("a date");
        let report =
            cadre_health::reorg::run(&self.db, &plan, effective, cadre_health::reorg::Mode::Apply)
                .await
                .expect("apply the plan");
        self.refresh_tree().await;
        report
    }

    /// Serves the router on a socket of its own (127.0.0.1, a free port) until the test ends,
    /// for clients that need one (live sockets).
    pub async fn listen(&self) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let options = cadre_health::app::ServeOptions {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
            shutdown_grace: Duration::from_secs(1),
        };
        let serving = cadre_health::app::serve(
            listener,
            self.router.clone(),
            options,
            std::future::pending(),
        );
        tokio::spawn(serving);
        addr
    }

    /// Reads the board tree again, as a running server does every minute.
    pub async fn refresh_tree(&self) {
        self.boards.refresh(&self.db).await.expect("read the tree");
    }

    pub fn token(&self, board: &str, role: &str) -> String {
        let role = Role::parse(role).expect("a known role");
        self.keys
            .issue(
                board,
                role,
                &format!("{role:?}@{board}"),
                Duration::from_secs(600),
            )
            .expect("sign")
    }

    /// A client acting as a user of `board` with `role`.
    pub fn as_board(&self, board: &str, role: &str) -> Client<'_> {
        Client {
            app: self,
            token: Some(self.token(board, role)),
        }
    }

    pub fn with_token(&self, token: Option<String>) -> Client<'_> {
        Client { app: self, token }
    }

    /// GETs `uri` without a token (`/healthz`, `/readyz`, GraphiQL).
    pub async fn get(&self, uri: &str) -> (StatusCode, Value) {
        self.send(Request::get(uri).body(Body::empty()).expect("request"))
            .await
    }

    /// Sends a raw HTTP request through the router.
    pub async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        let (status, _, body) = self.send_full(request).await;
        (status, body)
    }

    /// Sends a raw HTTP request through the router; the answer's headers too.
    pub async fn send_full(
        &self,
        request: Request<Body>,
    ) -> (StatusCode, axum::http::HeaderMap, Value) {
        let (status, headers, bytes) = self.send_raw(request).await;
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, headers, body)
    }
}

impl TestApp {
    /// Sends a raw HTTP request through the router; the answer's status, headers and body bytes
    /// as they left it (compressed, say).
    pub async fn send_raw(
        &self,
        request: Request<Body>,
    ) -> (StatusCode, axum::http::HeaderMap, axum::body::Bytes) {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("read body")
            .to_bytes();
        (status, headers, bytes)
    }
}

pub fn test_config(database_url: &str) -> Config {
    let mut config = cadre_health::cli::Cli::parse_from(["cadre-health"]).config;
    config.database_url = Some(database_url.to_owned());
    config.jwt_secret = None;
    // Tests send many requests as one user in tight loops; the rate limit has its own tests
    // (`ops::http_limits`), which turn it on.
    config.rate_limit = 0;
    config
}

pub struct Client<'a> {
    app: &'a TestApp,
    token: Option<String>,
}

impl Client<'_> {
    /// Posts `query` and returns the whole GraphQL response.
    pub async fn query(&self, query: &str) -> Value {
        self.query_with(query, json!({})).await
    }

    pub async fn query_with(&self, query: &str, variables: Value) -> Value {
        let (_, body) = self
            .post(json!({ "query": query, "variables": variables }))
            .await;
        body
    }

    /// Posts `query`, asserts it raised no error, and returns `data`.
    pub async fn data(&self, query: &str) -> Value {
        let body = self.query(query).await;
        assert!(
            body.get("errors").is_none(),
            "unexpected errors for {query}: {body}"
        );
        body["data"].clone()
    }

    pub async fn post(&self, body: Value) -> (StatusCode, Value) {
        let mut request =
            Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = &self.token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        self.app
            .send(request.body(Body::from(body.to_string())).expect("request"))
            .await
    }
}

/// The `field` of every node of a connection, in order: `nodes(&data["cadres"], "id")`.
pub fn nodes(connection: &Value, field: &str) -> Vec<String> {
    connection["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            e["node"][field]
                .as_str()
                .unwrap_or_else(|| panic!("a node without its {field}: {e}"))
                .to_owned()
        })
        .collect()
}

/// Asserts `body` is one `BAD_USER_INPUT` naming `field` (any field, when it is empty: a
/// literal the parser refuses names none), with no data.
#[track_caller]
pub fn assert_bad_user_input(body: &Value, field: &str) {
    assert_eq!(error_codes(body), ["BAD_USER_INPUT"], "{field}: {body}");
    if !field.is_empty() {
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
    assert!(
        body["data"].is_null()
            || body["data"]
                .as_object()
                .is_some_and(|d| d.values().all(Value::is_null)),
        "{body}"
    );
}

/// The `extensions.code` of every error in a response.
pub fn error_codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["extensions"]["code"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A database of a test's own: an SQLite file in a temporary directory, or, with
/// `TEST_DATABASE_URL`, a new PostgreSQL database on that server, dropped when the test ends.
pub struct TestDatabase {
    pub url: String,
    postgres: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl TestDatabase {
    /// The server URL from `TEST_DATABASE_URL`, when the suite runs on PostgreSQL.
    pub fn postgres_admin_url() -> Option<String> {
        std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|url| !url.is_empty())
    }

    pub async fn create() -> TestDatabase {
        let dir = tempfile::tempdir().expect("temporary directory");
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("cadre_test_{}", Uuid::now_v7().simple());
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let url = with_database(&admin_url, &name);
                TestDatabase {
                    url,
                    postgres: Some((admin_url, name)),
                    _dir: dir,
                }
            }
            _ => {
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                TestDatabase {
                    url,
                    postgres: None,
                    _dir: dir,
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.postgres.take() {
            cleanup_on_server(
                admin_url,
                vec![format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")],
            );
        }
    }
}

/// Runs cleanup statements on the PostgreSQL server, ignoring failures, from a `Drop` (which
/// runs outside async: a thread of its own with a small runtime does the work).
pub fn cleanup_on_server(admin_url: String, statements: Vec<String>) {
    let _ = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            if let Ok(admin) = Database::connect(&admin_url).await {
                for sql in statements {
                    let _ = admin.execute_unprepared(&sql).await;
                }
                admin.close().await.ok();
            }
        });
    })
    .join();
}

/// `postgres://u@h:5432/test?x=y` with its database replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(head, _)| head);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}
