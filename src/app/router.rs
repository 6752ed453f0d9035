//! The HTTP routes and their middleware: `/graphql` (see `graphql_http.rs`), GraphiQL and the
//! dashboard (`web.rs`), `/healthz` and `/readyz`; CORS and compression (`browser.rs`).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::map_response;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use super::browser;
use super::graphql_http::{graphql_get, graphql_post};
use super::{AppState, web};
use crate::error::RETRY_AFTER_SECS;

/// The whole HTTP surface, serving `state`.
pub fn router(state: AppState) -> Router {
    // No body-limit layer: `POST /graphql`, the only route that reads a body, reads it against
    // `max_body_bytes` itself (see `graphql_post`), so its 413 is coded JSON like every other
    // answer, declared length or chunked. (tower-http's layer answers a declared one in plain
    // text.) The other routes never read theirs.
    let cors = browser::cors(&state.config.cors_origins);
    let router = Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/graphql/ws", get(crate::live::graphql_ws))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/graphiql", get(web::graphiql_page))
        .route("/dashboard", get(web::dashboard))
        .route("/web/{*path}", get(web::asset))
        // Answers above a kilobyte compressed by `Accept-Encoding`; a compressed answer's ETag
        // names its coding (layers run outside in: the last one added sees the request first).
        .layer(browser::compression())
        .layer(map_response(browser::tag_by_coding))
        // Every request gets an `x-request-id` (a client's own is kept), echoed in the response,
        // seen by the trace layer and written on the request's audit events.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(crate::telemetry::request_span))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid));
    // CORS outermost, so that a preflight is answered before anything else runs; only when
    // origins are configured (otherwise no answer carries a CORS header).
    let router = match cors {
        Some(cors) => router
            .layer(cors)
            .layer(map_response(browser::only_for_allowed_origins)),
        None => router,
    };
    router.with_state(Arc::new(state))
}

/// How long `/readyz` waits for the database: a load balancer's probe is short, and an
/// answer that comes late is no answer.
const READY_TIMEOUT: Duration = Duration::from_secs(1);

/// `GET /readyz`: the database answers within [`READY_TIMEOUT`]; otherwise 503 with
/// `Retry-After`, within that second.
async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let error = match tokio::time::timeout(READY_TIMEOUT, state.db.ping()).await {
        Ok(Ok(())) => return "ready".into_response(),
        Ok(Err(err)) => err.to_string(),
        Err(_) => format!("no answer within {READY_TIMEOUT:?}"),
    };
    tracing::warn!(%error, "database not reachable");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS))],
        "database not reachable",
    )
        .into_response()
}
