//! The HTTP routes and their middleware: `/graphql` (see `graphql_http.rs`), `/healthz` and
//! `/readyz`.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use super::AppState;
use super::graphql_http::{graphql_get, graphql_post};

/// The whole HTTP surface, serving `state`.
pub fn router(state: AppState) -> Router {
    // No body-limit layer: `POST /graphql`, the only route that reads a body, reads it against
    // `max_body_bytes` itself (see `graphql_post`), so its 413 is coded JSON like every other
    // answer, declared length or chunked. (tower-http's layer answers a declared one in plain
    // text.) The other routes never read theirs.
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        // Every request gets an `x-request-id` (a client's own is kept), echoed in the response,
        // seen by the trace layer and written on the request's audit events.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(crate::telemetry::request_span))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(Arc::new(state))
}

/// `GET /readyz`: the database answers.
async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    match state.db.ping().await {
        Ok(()) => "ready".into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database not reachable").into_response()
        }
    }
}
