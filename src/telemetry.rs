//! What operators watch: logs (`--log-format text|json`, one line per GraphQL request) and
//! Prometheus metrics on a bind of their own (`--metrics-bind`, never on the public router).
//!
//! Nothing personal goes into either: the per-request line carries the request ID, the
//! operation's name, the viewer's subject, board and role, the duration and the outcome code;
//! never a query, its variables, a token or a value read. The HTTP span names the path only
//! (a `GET /graphql?query=...` URI carries the variables). Metric labels are bounded: outcome
//! codes are ours, and operation names (the client's) are kept to [`MAX_OPERATION_NAMES`].

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use async_graphql::BatchResponse;
use async_graphql::parser::types::DocumentOperations;
use axum::http::{HeaderMap, Request};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::{DatabaseConnection, DatabaseConnectionType};
use tracing::Span;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::auth::Viewer;

/// Logs and metrics.
#[derive(clap::Args, Debug, Clone)]
pub struct TelemetryConfig {
    /// Log lines as `text` (for people) or `json` (one object a line, for collectors).
    #[arg(
        long,
        env = "CADRE_HEALTH_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,

    /// Serve Prometheus metrics at `GET /metrics` on this address (e.g. `127.0.0.1:9090`);
    /// off when unset. Keep it off the public network.
    #[arg(long, env = "CADRE_HEALTH_METRICS_BIND", global = true)]
    pub metrics_bind: Option<SocketAddr>,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Most distinct operation names kept as metric labels; later ones count as `other`.
pub const MAX_OPERATION_NAMES: usize = 200;

/// The log filter: `RUST_LOG`, or `info` without the database drivers' chatter.
pub fn log_filter() -> EnvFilter {
    EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm_migration=warn"))
}

/// The subscriber the service logs through, writing `format` to `writer` (stderr in the
/// service, a buffer in tests).
pub fn subscriber<W>(
    format: LogFormat,
    filter: EnvFilter,
    writer: W,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let registry = tracing_subscriber::registry().with(filter);
    match format {
        // Colours only for a person at a terminal, never into a file or a collector.
        LogFormat::Text => Box::new(
            registry.with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                    .with_writer(writer),
            ),
        ),
        LogFormat::Json => Box::new(
            registry.with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_span_list(false)
                    .with_writer(writer),
            ),
        ),
    }
}

/// Installs the service's logging: `format` on stderr, filtered by `RUST_LOG`.
pub fn init_logging(format: LogFormat) {
    let _ = subscriber(format, log_filter(), std::io::stderr).try_init();
}

/// The span of one HTTP request: method, path (never the query string) and request ID.
pub fn request_span<B>(request: &Request<B>) -> Span {
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = request.uri().path(),
        request_id = request
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default(),
    )
}

// --- One line per GraphQL request ---------------------------------------------------------

/// What one GraphQL request has shown of itself so far: noted by the handler as it goes, read
/// when it answers.
#[derive(Default)]
struct Record {
    operation: Option<String>,
    viewer: Option<(String, String, &'static str)>,
    outcome: Option<String>,
}

tokio::task_local! {
    static RECORD: Arc<Mutex<Record>>;
}

fn note(edit: impl FnOnce(&mut Record)) {
    let _ = RECORD.try_with(|record| {
        if let Ok(mut record) = record.lock() {
            edit(&mut record);
        }
    });
}

/// The request's ID (`x-request-id`, set by the router's outer layer).
pub fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Runs a GraphQL request's handler, then writes its line and its metrics.
pub async fn graphql_request(
    request_id: String,
    handler: impl Future<Output = Response>,
) -> Response {
    let started = Instant::now();
    let record = Arc::new(Mutex::new(Record::default()));
    let response = RECORD.scope(record.clone(), handler).await;
    let elapsed = started.elapsed();
    let Ok(record) = record.lock() else {
        return response;
    };
    let operation = record.operation.as_deref().unwrap_or("-");
    let outcome = record.outcome.as_deref().unwrap_or("OK");
    let (subject, board, role) = match &record.viewer {
        Some((subject, board, role)) => (subject.as_str(), board.as_str(), *role),
        None => ("-", "-", "-"),
    };
    tracing::info!(
        request_id,
        operation,
        subject,
        board,
        role,
        duration_ms = (elapsed.as_secs_f64() * 1e6).round() / 1e3,
        status = response.status().as_u16(),
        outcome,
        "graphql request"
    );
    let labels = [
        ("operation", operation_label(operation)),
        ("outcome", outcome.to_owned()),
    ];
    metrics::counter!("cadre_health_requests_total", &labels).increment(1);
    metrics::histogram!("cadre_health_request_duration_seconds", &labels)
        .record(elapsed.as_secs_f64());
    response
}

/// A future spawned by the request (its database work) notes into the same record, and logs
/// within the request's span (so its lines carry the request ID).
pub fn carry<F: Future + Send + 'static>(work: F) -> impl Future<Output = F::Output> + Send
where
    F::Output: Send,
{
    use tracing::Instrument;
    let record = RECORD.try_with(Arc::clone).ok();
    async move {
        match record {
            Some(record) => RECORD.scope(record, work).await,
            None => work.await,
        }
    }
    .instrument(Span::current())
}

/// Notes the operations of a request (after its documents were read within the limits).
pub fn note_operations(requests: &mut [async_graphql::Request]) {
    let names: Vec<String> = requests.iter_mut().map(operation_name).collect();
    note(|r| {
        r.operation = Some(match names.as_slice() {
            [one] => one.clone(),
            _ => format!("batch({})", names.len()),
        });
    });
}

/// The operation a request runs: the name it asks for, or its document's only operation's.
fn operation_name(request: &mut async_graphql::Request) -> String {
    if let Some(name) = &request.operation_name {
        return name.clone();
    }
    // Only a document already read within the limits: never parse one here.
    if !request
        .data
        .contains_key(&std::any::TypeId::of::<crate::graphql::limits::DocumentRead>())
    {
        return "-".into();
    }
    match request.parsed_query().map(|d| &d.operations) {
        Ok(DocumentOperations::Single(_)) => "anonymous".into(),
        Ok(DocumentOperations::Multiple(ops)) if ops.len() == 1 => ops
            .keys()
            .next()
            .map_or_else(|| "-".into(), ToString::to_string),
        _ => "-".into(),
    }
}

/// Notes who asked.
pub fn note_viewer(viewer: &Viewer) {
    let who = (
        viewer.subject.clone(),
        viewer.board.code.clone(),
        viewer.role.as_str(),
    );
    note(|r| r.viewer = Some(who));
}

/// Notes the outcome of a request refused whole (`code`).
pub fn note_outcome(code: &str) {
    note(|r| r.outcome = Some(code.to_owned()));
}

/// Notes the outcome of an executed request: its first error's code, or `OK`.
pub fn note_response(response: &BatchResponse) {
    let responses = match response {
        BatchResponse::Single(r) => std::slice::from_ref(r),
        BatchResponse::Batch(rs) => rs.as_slice(),
    };
    let code = responses
        .iter()
        .flat_map(|r| &r.errors)
        .find_map(|e| e.extensions.as_ref()?.get("code").cloned());
    match code {
        Some(async_graphql::Value::String(code)) => note_outcome(&code),
        Some(_) => note_outcome("ERROR"),
        None => {}
    }
}

/// The operation name as a metric label: a GraphQL name of at most 64 characters, one of the
/// first [`MAX_OPERATION_NAMES`] seen; anything else is `other`.
fn operation_label(name: &str) -> String {
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let is_name = name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '(' | ')'));
    if !is_name {
        return "other".into();
    }
    let Ok(mut seen) = SEEN.get_or_init(Default::default).lock() else {
        return "other".into();
    };
    if seen.contains(name) || seen.len() < MAX_OPERATION_NAMES {
        seen.insert(name.to_owned());
        name.to_owned()
    } else {
        "other".into()
    }
}

/// Counts audit events written.
pub fn audit_events_written(n: usize) {
    metrics::counter!("cadre_health_audit_events_total").increment(n as u64);
}

/// Counts a request refused by `limit` (the setting that refused it).
pub fn refused(limit: &'static str) {
    if !UNCOUNTED.get() {
        metrics::counter!("cadre_health_refused_total", "limit" => limit).increment(1);
    }
}

thread_local! {
    static UNCOUNTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `read` without counting refusals: the handler's first reading of a document, which
/// the executor repeats (and counts) when it refuses.
pub fn uncounted<T>(read: impl FnOnce() -> T) -> T {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            UNCOUNTED.set(false);
        }
    }
    UNCOUNTED.set(true);
    let _reset = Reset;
    read()
}

// --- Metrics ------------------------------------------------------------------------------

/// Latency buckets, in seconds, up to the default request timeout.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0,
];

/// The process's metrics recorder, installed on first use (the metrics macros do nothing
/// before: a service without `--metrics-bind` keeps none).
pub fn metrics_handle() -> anyhow::Result<PrometheusHandle> {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("cadre_health_request_duration_seconds".into()),
            LATENCY_BUCKETS,
        )
        .context("metrics buckets")?
        .build_recorder();
    let handle = recorder.handle();
    if metrics::set_global_recorder(recorder).is_ok() {
        let _ = HANDLE.set(handle);
        describe();
    }
    HANDLE
        .get()
        .cloned()
        .context("another metrics recorder is installed")
}

/// The help text of each series; the counters an operator alerts on start at zero.
fn describe() {
    use metrics::Unit;
    metrics::describe_counter!(
        "cadre_health_requests_total",
        "GraphQL requests by operation name and outcome code (OK or the first error's code)"
    );
    metrics::describe_histogram!(
        "cadre_health_request_duration_seconds",
        Unit::Seconds,
        "GraphQL request latency by operation name and outcome code"
    );
    metrics::describe_counter!(
        "cadre_health_refused_total",
        "Requests refused by a limit, by the setting that refused them"
    );
    metrics::describe_counter!(
        "cadre_health_audit_events_total",
        "Audit events inserted (in the request's transaction)"
    );
    metrics::describe_counter!(
        "cadre_health_jwks_fetches_total",
        "Refetches of the identity provider's key set, by outcome"
    );
    metrics::describe_gauge!(
        "cadre_health_db_pool_connections",
        "Database pool connections in use and idle (at scrape time)"
    );
    metrics::describe_gauge!(
        "cadre_health_db_pool_max_connections",
        "The database pool's maximum size"
    );
    metrics::counter!("cadre_health_audit_events_total").absolute(0);
}

/// `GET /metrics` and nothing else, for the metrics bind.
pub fn metrics_router(handle: PrometheusHandle, db: DatabaseConnection) -> axum::Router {
    let scrape = move || {
        let handle = handle.clone();
        let db = db.clone();
        async move {
            record_pool(&db);
            handle.run_upkeep();
            (
                [(
                    axum::http::header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                )],
                handle.render(),
            )
                .into_response()
        }
    };
    axum::Router::new().route("/metrics", axum::routing::get(scrape))
}

/// Binds `bind` and serves [`metrics_router`] there in the background; the bound address
/// (the port, when `bind` asks for any).
pub async fn serve_metrics(bind: SocketAddr, db: DatabaseConnection) -> anyhow::Result<SocketAddr> {
    let handle = metrics_handle()?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("--metrics-bind: binding {bind}"))?;
    let local = listener.local_addr()?;
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    let app = metrics_router(handle, db);
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            tracing::error!(error = %err, "the metrics listener stopped");
        }
    });
    tracing::info!(%local, "serving metrics at /metrics");
    Ok(local)
}

/// The connection pool's gauges: connections in use and idle, and the pool's maximum. (sqlx
/// does not expose how many tasks wait for a connection; a pool whose `in_use` sits at its
/// maximum has waiters.)
fn record_pool(db: &DatabaseConnection) {
    let (size, idle, max) = match &db.inner {
        DatabaseConnectionType::SqlxPostgresPoolConnection(_) => {
            let pool = db.get_postgres_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
        DatabaseConnectionType::SqlxSqlitePoolConnection(_) => {
            let pool = db.get_sqlite_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
        _ => return,
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX);
    metrics::gauge!("cadre_health_db_pool_connections", "state" => "in_use")
        .set(f64::from(size.saturating_sub(idle)));
    metrics::gauge!("cadre_health_db_pool_connections", "state" => "idle").set(f64::from(idle));
    metrics::gauge!("cadre_health_db_pool_max_connections").set(f64::from(max));
}
