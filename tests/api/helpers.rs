//! The test harness: `TestApp::spawn()` gives a migrated, empty database (board tree loaded)
//! behind the real router; `app.as_board("412", "clinician").query(...)` asks as that user.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use cadre_health::app::{AppState, router};
use cadre_health::auth::TokenKeys;
use cadre_health::config::Config;
use cadre_health::db::{
    self,
    entities::{board, cadre, health_exam},
};
use cadre_health::domain::{
    CadreClass, CadreStatus, ExamKind, Gender, ManagementTier, Role, fold_name,
};
use chrono::{NaiveDate, Utc};
use clap::Parser;
use http_body_util::BodyExt;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter,
};
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

pub const TEST_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";

pub struct TestApp {
    router: Router,
    pub db: DatabaseConnection,
    pub keys: TokenKeys,
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
        TestApp {
            router: router(state),
            db,
            keys: TokenKeys::hs256(secret, max_lifetime),
            _database: database,
        }
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
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, headers, body)
    }

    /// Adds a cadre on `board` directly in the database (the write API comes later).
    pub async fn add_cadre(&self, board: &str, full_name: &str) -> Uuid {
        let b = board::Entity::find_by_id(board)
            .one(&self.db)
            .await
            .expect("query")
            .expect("board exists");
        let now = Utc::now();
        let id = Uuid::now_v7();
        cadre::Model {
            id,
            board_code: b.code.clone(),
            province_code: b.province_code.clone(),
            district_code: b.district_code.clone(),
            version: 1,
            created_at: now,
            updated_at: now,
            full_name: full_name.to_owned(),
            name_folded: fold_name(full_name),
            gender: Gender::Male,
            birth_date: NaiveDate::from_ymd_opt(1965, 5, 19).expect("date"),
            position: Some("Phó Bí thư".into()),
            workplace: None,
            status: CadreStatus::Serving,
            management_tier: ManagementTier::Provincial,
            national_id: Some(format!("{:012}", id.as_u128() % 1_000_000_000_000)),
            insurance_number: Some("CB2400000012345".into()),
            last_exam_on: None,
        }
        .into_active_model()
        .insert(&self.db)
        .await
        .expect("insert cadre");
        id
    }

    /// Adds a periodic exam of `cadre` on `date` with `class`.
    pub async fn add_exam(&self, cadre_id: Uuid, date: &str, class: CadreClass) -> Uuid {
        let c = cadre::Entity::find_by_id(cadre_id)
            .one(&self.db)
            .await
            .expect("query")
            .expect("cadre exists");
        let now = Utc::now();
        let id = Uuid::now_v7();
        health_exam::Model {
            id,
            board_code: c.board_code,
            province_code: c.province_code,
            district_code: c.district_code,
            version: 1,
            created_at: now,
            updated_at: now,
            cadre_id,
            campaign_id: None,
            examined_on: date.parse().expect("date"),
            facility: None,
            kind: ExamKind::Periodic,
            height_cm: Some(165.0),
            weight_kg: Some(60.0),
            bmi: Some(22.0),
            systolic_mmhg: Some(120),
            diastolic_mmhg: Some(80),
            pulse_bpm: Some(70),
            glucose_mmol_l: None,
            hba1c_percent: None,
            cholesterol_mmol_l: None,
            triglycerides_mmol_l: None,
            creatinine_umol_l: None,
            diagnoses: "I10".into(),
            cadre_class: Some(class),
            general_class: None,
            conclusion: None,
            physician: None,
        }
        .into_active_model()
        .insert(&self.db)
        .await
        .expect("insert exam");
        // As the exam writes do: the cadre's stored last exam date follows their exams.
        cadre::Entity::update_many()
            .col_expr(cadre::Column::LastExamOn, cadre::last_exam_on_now())
            .filter(cadre::Column::Id.eq(cadre_id))
            .exec(&self.db)
            .await
            .expect("update last exam");
        id
    }
}

pub fn test_config(database_url: &str) -> Config {
    let mut config = cadre_health::cli::Cli::parse_from(["cadre-health"]).config;
    config.database_url = Some(database_url.to_owned());
    config.jwt_secret = None;
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
