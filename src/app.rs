//! Application state and the HTTP router. `router(state)` needs no socket, so tests drive it
//! with `tower::ServiceExt::oneshot`.

use std::sync::Arc;

use async_graphql::http::GraphiQLSource;
use async_graphql::{
    BatchResponse, ErrorExtensionValues, Name, ParseRequestError, PathSegment, Value,
};
use async_graphql_axum::{GraphQLBatchRequest, GraphQLResponse};
use axum::body::Body;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use sea_orm::DatabaseConnection;
use serde_json::json;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::auth::TokenKeys;
use crate::boards::BoardTree;
use crate::config::Config;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::graphql::{AppSchema, RequestData, build_schema};
use crate::scope::{Actor, write_events};

/// Largest request body accepted (DESIGN: 1 MiB).
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every request handler shares.
pub struct AppState {
    /// The connection pool. Requests never use it directly: they open a scoped transaction.
    pub db: DatabaseConnection,
    /// Settings, read once at start.
    pub config: Arc<Config>,
    /// Verifies bearer tokens.
    pub keys: TokenKeys,
    /// The board tree, for token checks and board-code filters.
    pub boards: Arc<BoardTree>,
    /// The GraphQL schema, built once.
    pub schema: AppSchema,
}

impl AppState {
    pub async fn new(
        db: DatabaseConnection,
        config: Config,
        keys: TokenKeys,
    ) -> AppResult<AppState> {
        let boards = Arc::new(BoardTree::load(&db).await?);
        Ok(AppState {
            db,
            config: Arc::new(config),
            keys,
            boards,
            schema: build_schema(),
        })
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        // Every request gets an `x-request-id` (a client's own is kept), echoed in the response,
        // seen by the trace layer and written on the request's audit events.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(Arc::new(state))
}

/// `GET /graphql`: a query in the URL is executed; a bare GET (a browser) gets GraphiQL.
async fn graphql_get(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let has_query = request
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|p| p.starts_with("query=")));
    if !has_query {
        return Html(GraphiQLSource::build().endpoint("/graphql").finish()).into_response();
    }
    parse_and_execute(&state, request).await
}

/// `POST /graphql`. The body is read here, against the limit, so that a body without
/// `Content-Length` that runs over it is answered 413 like one that declares its size.
async fn graphql_post(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return Rejection(ParseRequestError::PayloadTooLarge).into_response();
    };
    parse_and_execute(&state, Request::from_parts(parts, Body::from(bytes))).await
}

async fn parse_and_execute(state: &AppState, request: Request) -> Response {
    let headers = request.headers().clone();
    match GraphQLBatchRequest::<Rejection>::from_request(request, &()).await {
        Ok(batch) => execute(state, &headers, batch.into_inner()).await,
        Err(rejection) => rejection.into_response(),
    }
}

/// Runs one HTTP request's operations in one transaction cut to the viewer's scope. The
/// transaction commits only when every operation succeeded, so a rejected request writes nothing.
/// The request's audit events are written in the same transaction just before it commits; when
/// it rolls back but part of the data still reached the client, only its clinical reads are
/// kept, in a transaction of their own.
async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    batch: async_graphql::BatchRequest,
) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let viewer = match state.keys.viewer(authorization, &state.boards) {
        Ok(viewer) => viewer,
        Err(err) => return error_response(StatusCode::UNAUTHORIZED, err),
    };
    let db = match db::begin_request(&state.db, viewer.scope.clone(), state.config.app_filter).await
    {
        Ok(db) => Arc::new(db),
        Err(err) => return error_response(StatusCode::SERVICE_UNAVAILABLE, AppError::from(err)),
    };
    let actor = Actor {
        subject: viewer.subject.clone(),
        board: viewer.board.code.clone(),
        role: viewer.role.as_str(),
        request_id: headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    let scope = viewer.scope.clone();
    let data = Arc::new(RequestData::new(
        viewer,
        db.clone(),
        state.boards.clone(),
        state.config.clone(),
    ));
    let mut response = state.schema.execute_batch(batch.data(data)).await;
    // Data that reached the client despite an error (a partial answer) was read: its clinical
    // reads are audited even though the transaction rolls back. A rejected mutation answers
    // `data: null` and leaves nothing.
    let delivered = responses(&mut response)
        .iter()
        .any(|r| !matches!(r.data, Value::Null));
    match db.finish_audited(response.is_ok(), &actor).await {
        Ok(reads) if !reads.is_empty() && delivered => {
            let written = async {
                let tx = db::begin_scoped(&state.db, &scope).await?;
                write_events(&tx, &actor, reads.iter()).await?;
                tx.commit().await?;
                Ok::<_, AppError>(())
            };
            if let Err(err) = written.await {
                return error_response(StatusCode::INTERNAL_SERVER_ERROR, err);
            }
        }
        Ok(_) => {}
        // A commit that lost a race (SQLite) is a conflict to retry, not a server fault.
        Err(err @ AppError::Conflict(_)) => return error_response(StatusCode::CONFLICT, err),
        Err(err) => return error_response(StatusCode::INTERNAL_SERVER_ERROR, err),
    }
    for r in responses(&mut response) {
        add_missing_codes(r);
        null_refused_fields(r);
    }
    GraphQLResponse::from(response).into_response()
}

/// Errors raised by async-graphql itself (syntax, validation, argument coercion) carry no
/// code; every error the API returns must, so those are marked as bad input. Our own errors
/// always set theirs (see `error.rs`).
fn add_missing_codes(response: &mut async_graphql::Response) {
    for error in response.errors.iter_mut() {
        let extensions = error
            .extensions
            .get_or_insert_with(ErrorExtensionValues::default);
        if extensions.get("code").is_none() {
            extensions.set("code", Value::from("BAD_USER_INPUT"));
        }
    }
}

/// A field refused to the viewer's role answers `null`, as GraphQL requires of a field that
/// raised an error, beside its `FORBIDDEN` error. (async-graphql leaves the key out instead, and
/// turns an object whose selected fields were all refused into `null`.)
/// Every role-guarded field is nullable, which the leak tests check, so `null` fits its type.
fn null_refused_fields(response: &mut async_graphql::Response) {
    for error in &response.errors {
        let refused = error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .is_some_and(|code| *code == Value::from("FORBIDDEN"));
        if !refused || !matches!(error.path.last(), Some(PathSegment::Field(_))) {
            continue;
        }
        // An error's path runs only through objects that resolved, so a `null` met on the way
        // is an object whose selected fields all failed, which async-graphql collapses.
        let mut value = &mut response.data;
        for segment in &error.path {
            if matches!(value, Value::Null) {
                *value = Value::Object(Default::default());
            }
            value = match (value, segment) {
                (Value::Object(object), PathSegment::Field(key)) => {
                    object.entry(Name::new(key)).or_insert(Value::Null)
                }
                (Value::List(items), PathSegment::Index(i)) => match items.get_mut(*i) {
                    Some(item) => item,
                    None => break,
                },
                _ => break,
            };
        }
    }
}

fn responses(response: &mut BatchResponse) -> &mut [async_graphql::Response] {
    match response {
        BatchResponse::Single(r) => std::slice::from_mut(r),
        BatchResponse::Batch(rs) => rs.as_mut_slice(),
    }
}

fn error_response(status: StatusCode, err: AppError) -> Response {
    let async_err: async_graphql::Error = err.clone().into();
    let body = json!({ "errors": [{ "message": async_err.message, "extensions": { "code": err.code() } }] });
    (status, Json(body)).into_response()
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

/// Why a request body could not be read as GraphQL, answered without echoing parser internals.
pub struct Rejection(ParseRequestError);

impl From<ParseRequestError> for Rejection {
    fn from(err: ParseRequestError) -> Self {
        Rejection(err)
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let (status, message) = match self.0 {
            ParseRequestError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body exceeds {MAX_BODY_BYTES} bytes"),
            ),
            ParseRequestError::UnsupportedBatch => (
                StatusCode::BAD_REQUEST,
                "batched requests are not accepted".into(),
            ),
            _ => (
                StatusCode::BAD_REQUEST,
                "the request body is not a GraphQL request".into(),
            ),
        };
        let body =
            json!({ "errors": [{ "message": message, "extensions": { "code": "BAD_REQUEST" } }] });
        (status, Json(body)).into_response()
    }
}
