//! What operators see: Prometheus metrics on their own bind (never on the public router), and
//! logs with one line per GraphQL request that never carry personal data or a token, whatever
//! the request was.

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use cadre_health::telemetry::{self, LogFormat};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use tracing_subscriber::EnvFilter;

use crate::helpers::TestApp;
use crate::writes::{CREATE_CADRE, cadre_input};

/// The value of the series `name` whose labels include every one of `labels`.
fn series(scrape: &str, name: &str, labels: &[&str]) -> Option<f64> {
    scrape
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .find(|l| labels.iter().all(|label| l.contains(label)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// Scrapes `bind` for the series `name` with `label`; 0 when absent.
async fn series_of(bind: std::net::SocketAddr, name: &str, label: &str) -> f64 {
    let scrape = reqwest::get(format!("http://{bind}/metrics"))
        .await
        .expect("scrape")
        .text()
        .await
        .expect("body");
    series(&scrape, name, &[label]).unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_are_served_on_their_own_bind_and_count_what_operators_watch() {
    let app = TestApp::spawn_with(|c| c.max_aliases = 2).await;
    let bind = telemetry::serve_metrics("127.0.0.1:0".parse().expect("address"), app.db.clone())
        .await
        .expect("metrics bind");

    let clinician = app.as_board("40", "clinician");
    for _ in 0..3 {
        clinician
            .data("query MetricsProbe { viewer { subject } }")
            .await;
    }
    // Refused: no token, too many aliases, a body over the limit.
    app.with_token(None)
        .query("query MetricsNoToken { viewer { subject } }")
        .await;
    // Refused before its document is read: the name comes from `operationName`.
    clinician
        .post(json!({
            "query": "query MetricsAliases { a: viewer { subject } b: viewer { subject } c: viewer { subject } }",
            "operationName": "MetricsAliases",
        }))
        .await;
    let (status, _) = clinician
        .post(
            json!({ "query": format!("{{ viewer {{ subject }} }} #{}", "x".repeat(1024 * 1024)) }),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // A write is audited.
    let created = clinician
        .query_with(
            CREATE_CADRE,
            json!({ "input": cadre_input("40", "Probe Metrics") }),
        )
        .await;
    assert!(created.get("errors").is_none(), "{created}");

    let response = reqwest::get(format!("http://{bind}/metrics"))
        .await
        .expect("scrape");
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    assert!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/plain")),
        "Prometheus text format"
    );
    let scrape = response.text().await.expect("body");

    let probe = ["operation=\"MetricsProbe\"", "outcome=\"OK\""];
    assert_eq!(
        series(&scrape, "cadre_health_requests_total", &probe),
        Some(3.0),
        "{scrape}"
    );
    assert_eq!(
        series(
            &scrape,
            "cadre_health_request_duration_seconds_count",
            &probe
        ),
        Some(3.0)
    );
    assert_eq!(
        series(
            &scrape,
            "cadre_health_request_duration_seconds_bucket",
            &["operation=\"MetricsProbe\"", "le=\"+Inf\""]
        ),
        Some(3.0),
        "a latency histogram per operation and outcome"
    );
    assert_eq!(
        series(
            &scrape,
            "cadre_health_requests_total",
            &[
                "operation=\"MetricsNoToken\"",
                "outcome=\"UNAUTHENTICATED\""
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        series(
            &scrape,
            "cadre_health_requests_total",
            &[
                "operation=\"MetricsAliases\"",
                "outcome=\"TOO_MANY_ALIASES\""
            ]
        ),
        Some(1.0)
    );
    // One refusal counts once (the handler reads a document before the executor does). Other
    // tests in this binary may be refused at the same moment, so the one refusal is tried a
    // few times; a refusal counted twice would show 2 every time.
    let aliases = || series_of(bind, "cadre_health_refused_total", "limit=\"max_aliases\"");
    let mut deltas = Vec::new();
    for _ in 0..5 {
        let before = aliases().await;
        clinician
            .query("{ a: viewer { subject } b: viewer { subject } c: viewer { subject } }")
            .await;
        deltas.push(aliases().await - before);
        if deltas.last() == Some(&1.0) {
            break;
        }
    }
    assert_eq!(deltas.last(), Some(&1.0), "{deltas:?}");
    for limit in ["max_aliases", "max_body_bytes"] {
        let refused = series(
            &scrape,
            "cadre_health_refused_total",
            &[&format!("limit=\"{limit}\"")],
        );
        assert!(refused >= Some(1.0), "{limit}: {scrape}");
    }
    assert!(series(&scrape, "cadre_health_audit_events_total", &[]) >= Some(1.0));
    for state in ["in_use", "idle"] {
        assert!(
            series(
                &scrape,
                "cadre_health_db_pool_connections",
                &[&format!("state=\"{state}\"")]
            )
            .is_some(),
            "pool {state}: {scrape}"
        );
    }
    assert!(series(&scrape, "cadre_health_db_pool_max_connections", &[]) >= Some(1.0));

    // Never on the public router.
    let (status, _) = app.get("/metrics").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// A writer into a shared buffer, for a subscriber installed for one test.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'w> tracing_subscriber::fmt::MakeWriter<'w> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'w self) -> Buffer {
        self.clone()
    }
}

/// Everything in the database a log line must never hold: names, national IDs, insurance
/// numbers, diagnosis codes, clinical free text.
async fn personal_data(db: &sea_orm::DatabaseConnection) -> BTreeSet<String> {
    use cadre_health::db::entities::{cadre, chronic_condition, clinic_visit, health_exam};
    let mut found = BTreeSet::new();
    for c in cadre::Entity::find().all(db).await.expect("cadres") {
        found.insert(c.full_name);
        found.extend(c.national_id);
        found.extend(c.insurance_number);
    }
    for c in chronic_condition::Entity::find()
        .all(db)
        .await
        .expect("conditions")
    {
        found.insert(c.icd_code);
        found.extend(c.note);
    }
    for e in health_exam::Entity::find().all(db).await.expect("exams") {
        found.extend(e.diagnoses.split(',').map(str::trim).map(str::to_owned));
        found.extend(e.conclusion);
    }
    for v in clinic_visit::Entity::find().all(db).await.expect("visits") {
        found.extend(v.diagnoses.split(',').map(str::trim).map(str::to_owned));
        found.extend(v.complaint);
    }
    found.retain(|s| s.len() >= 3);
    found
}

/// Whether `needle` occurs in `text` not inside a longer word (an ICD-10 code such as `I10`
/// should not be found inside a hexadecimal request ID).
fn occurs(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// The whole API surface on seeded data, logged as JSON at the most verbose level of our own
/// code and the HTTP layer: no personal data and no token in any line, and one line per
/// request with the fields operators need.
#[test]
fn logs_hold_no_personal_data_and_no_token() {
    // tracing-core asks every registered dispatcher whether a callsite is enabled, except when
    // only one is registered: it then asks the calling thread's, and a thread of another test
    // (which has none) would turn our callsites off for good. A second one keeps it asking all.
    let _second = tracing::Dispatch::new(tracing_subscriber::registry());
    let buffer = Buffer::default();
    let filter = EnvFilter::new("info,cadre_health=trace,tower_http=trace,async_graphql=trace");
    let dispatch = tracing::Dispatch::new(telemetry::subscriber(
        LogFormat::Json,
        filter,
        buffer.clone(),
    ));
    // Every thread of the test's runtime (its workers and its blocking pool) logs into the
    // buffer; nothing outside this test does.
    let on_start = dispatch.clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .on_thread_start(move || {
            std::mem::forget(tracing::dispatcher::set_default(&on_start));
        })
        .build()
        .expect("runtime");
    let _main = tracing::dispatcher::set_default(&dispatch);
    let (secrets, tokens) = runtime
        .block_on(async { tokio::spawn(exercise_the_api()).await })
        .expect("the run");
    drop(runtime);

    let logs = String::from_utf8(buffer.0.lock().expect("buffer").clone()).expect("UTF-8");
    let lines: Vec<&str> = logs.lines().collect();
    assert!(
        lines.len() > 100,
        "the run was logged: {} lines\n{logs}",
        lines.len()
    );
    for line in &lines {
        assert!(!line.contains("eyJ"), "a token in the logs: {line}");
        assert!(
            !line.contains("query="),
            "a query string in the logs: {line}"
        );
        for token in &tokens {
            assert!(
                !line.contains(token.as_str()),
                "a token in the logs: {line}"
            );
        }
    }
    let leaked: Vec<&String> = secrets.iter().filter(|s| occurs(&logs, s)).collect();
    assert!(
        leaked.is_empty(),
        "personal data in the logs: {:?}",
        &leaked[..leaked.len().min(10)]
    );

    let requests: Vec<Value> = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["message"] == "graphql request")
        .collect();
    assert!(requests.len() > 100, "{} request lines", requests.len());
    for line in &requests {
        for field in [
            "request_id",
            "operation",
            "subject",
            "board",
            "role",
            "duration_ms",
            "status",
            "outcome",
        ] {
            assert!(line.get(field).is_some(), "{field} missing: {line}");
        }
    }
    let probe = requests
        .iter()
        .find(|l| l["operation"] == "LogProbe")
        .expect("the GET request's line");
    assert_eq!(probe["subject"], "Clinician@40");
    assert_eq!(probe["board"], "40");
    assert_eq!(probe["role"], "clinician");
    assert_eq!(probe["outcome"], "OK");
    assert_eq!(probe["status"], 200);
    assert!(
        probe["request_id"]
            .as_str()
            .is_some_and(|id| id.len() == 36),
        "{probe}"
    );
    let refused = requests
        .iter()
        .find(|l| l["operation"] == "LogBadToken")
        .expect("the refused request's line");
    assert_eq!(refused["outcome"], "UNAUTHENTICATED");
    assert_eq!(refused["status"], 401);
}

/// Issues a broad set of requests: the leak hunt's random queries by every kind of viewer, a
/// GET with a name in its variables, writes, refusals and bad tokens. Returns what must never
/// be logged: the seeded personal data, and the tokens used.
async fn exercise_the_api() -> (BTreeSet<String>, Vec<String>) {
    let app = TestApp::seeded_with(|c| {
        c.max_depth = 1_000;
        c.max_complexity = usize::MAX;
        c.max_aliases = 10_000;
    })
    .await;
    let clinician = app.as_board("40", "clinician");
    let someone = cadre_health::db::entities::cadre::Entity::find()
        .one(&app.db)
        .await
        .expect("a cadre")
        .expect("seeded");

    // A GET whose query string carries a name and a national ID.
    let variables = json!({ "s": someone.full_name, "n": someone.national_id }).to_string();
    let query = "query LogProbe($s: String) { cadres(filter: {search: $s}) { totalCount } }";
    let uri = format!(
        "/graphql?query={}&variables={}&nid={}",
        urlencode(query),
        urlencode(&variables),
        urlencode(someone.national_id.as_deref().unwrap_or("001234567890"))
    );
    let token = app.token("40", "clinician");
    let (status, body) = app
        .send(
            Request::get(uri)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A write, and a write refused for its input (a national ID that is not one).
    let mut input = cadre_input("40", "Trần Thị Nhật Ký");
    input["nationalId"] = json!("040123456789");
    input["insuranceNumber"] = json!("GD4010123456789");
    let body = clinician
        .query_with(CREATE_CADRE, json!({ "input": input }))
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let mut bad = cadre_input("40", "Lê Văn Lỗi");
    bad["nationalId"] = json!("12AB-not-an-id");
    clinician
        .query_with(CREATE_CADRE, json!({ "input": bad }))
        .await;
    // A write that clashes with the first (the same national ID).
    let mut clash = cadre_input("40", "Phạm Văn Trùng");
    clash["nationalId"] = json!("040123456789");
    clinician
        .query_with(CREATE_CADRE, json!({ "input": clash }))
        .await;
    // Bad tokens: a forged one, and a JWT-looking one that does not parse.
    let forged = format!("{token}x");
    for bad_token in [
        forged.clone(),
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.bad".into(),
    ] {
        app.with_token(Some(bad_token))
            .query("query LogBadToken { viewer { subject } }")
            .await;
    }
    // A syntax error that echoes a name.
    clinician
        .query(&format!(
            "{{ cadres(filter: {{search: \"{}\"}}) {{ ",
            someone.full_name
        ))
        .await;

    // The leak hunt: random queries and lookups by every kind of viewer (it scrambles the
    // clinical values at the end, so they are read before and after).
    let mut secrets = personal_data(&app.db).await;
    let hunt = crate::leaks::hunt::Hunt::new(app).await;
    hunt.run(200);

    secrets.extend(personal_data(&hunt.app.db).await);
    secrets.insert("Trần Thị Nhật Ký".into());
    secrets.insert("Lê Văn Lỗi".into());
    secrets.insert("12AB-not-an-id".into());
    (secrets, vec![token, forged])
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
