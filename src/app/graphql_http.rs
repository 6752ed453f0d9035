//! GraphQL over HTTP: `GET` and `POST /graphql` parsed and checked against the HTTP-level
//! limits, the response media type negotiated, the request's operations run in one scoped
//! transaction in a task of its own (see [`run`]), and the reply shaped as the specification asks.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{
    BatchRequest, BatchResponse, ErrorExtensionValues, Name, ParseRequestError, PathSegment, Value,
};
use async_graphql_axum::GraphQLBatchRequest;
use axum::body::Body;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use crate::auth::check_authorization_size;
use crate::db::Access;
use crate::error::{AppError, RETRY_AFTER_SECS, UNAVAILABLE_CODE};
use crate::graphql::RequestData;
use crate::graphql::limits::{DocumentRead, Limits};
use crate::scope::{self, Actor};
use crate::telemetry;

/// The two response media types of GraphQL over HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MediaType {
    /// `application/graphql-response+json`: the status code tells a request error (400) from
    /// a response with data (200).
    GraphQLResponse,
    /// `application/json`, for older clients: 200 for every well-formed GraphQL response.
    Json,
}

impl MediaType {
    fn header(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            MediaType::GraphQLResponse => "application/graphql-response+json; charset=utf-8",
            MediaType::Json => "application/json; charset=utf-8",
        })
    }

    /// The type the client accepts, by the `Accept` header: highest `q` first, then the order
    /// written. No header (or an empty one) means `application/json`, as the specification asks
    /// of servers during its transition, and so do `*/*` and `application/*` (the audit's
    /// "SHOULD accept */* and use application/json"): a client that names no GraphQL type gets
    /// the one every client understands, with 200 for every GraphQL response. Only a client
    /// that asks for `application/graphql-response+json` gets it.
    fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
        let Some(accept) = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.trim().is_empty())
        else {
            return Some(MediaType::Json);
        };
        let mut best: Option<(f32, MediaType)> = None;
        for range in accept.split(',') {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.strip_prefix("q="))
                .find_map(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let kind = match media.as_str() {
                "application/graphql-response+json" => MediaType::GraphQLResponse,
                "application/json" | "application/*" | "*/*" => MediaType::Json,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, kind));
            }
        }
        best.map(|(_, kind)| kind)
    }
}

/// A JSON body with the negotiated content type.
fn reply(status: StatusCode, media: MediaType, body: Vec<u8>) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, media.header());
    response
}

/// A response holding one error with `code`.
fn error_reply(status: StatusCode, media: MediaType, message: &str, code: &str) -> Response {
    telemetry::note_outcome(code);
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    reply(status, media, body.to_string().into_bytes())
}

fn not_acceptable() -> Response {
    error_reply(
        StatusCode::NOT_ACCEPTABLE,
        MediaType::Json,
        "accept application/graphql-response+json or application/json",
        "NOT_ACCEPTABLE",
    )
}

/// `GET /graphql`: a query in the URL is executed; a bare GET (a browser) gets GraphiQL.
pub(super) async fn graphql_get(State(state): State<Arc<AppState>>, request: Request) -> Response {
    telemetry::graphql_request(
        telemetry::request_id(request.headers()),
        get(state, request),
    )
    .await
}

async fn get(state: Arc<AppState>, request: Request) -> Response {
    let has_query = request
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|p| p.starts_with("query=")));
    if !has_query {
        return super::web::graphiql();
    }
    let Some(media) = MediaType::negotiate(request.headers()) else {
        return not_acceptable();
    };
    if let Err(err) = check_authorization_size(request.headers()) {
        return error_response(StatusCode::UNAUTHORIZED, media, err);
    }
    let batch = match get_request(request.uri()) {
        Some(single) => BatchRequest::Single(single),
        None => {
            let err =
                ParseRequestError::InvalidRequest(std::io::Error::other("bad parameters").into());
            return Rejection::new(err, state.config.max_body_bytes, media).into_response();
        }
    };
    let headers = request.headers().clone();
    run(state, headers, batch, media, true).await
}

/// The parameters of a GET request, as GraphQL over HTTP names them. (async-graphql's own GET
/// parser expects `operation_name`, so it is not used.)
#[derive(serde::Deserialize)]
struct GetParams {
    query: String,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    /// JSON, URL-encoded.
    variables: Option<String>,
    /// JSON, URL-encoded.
    extensions: Option<String>,
}

fn get_request(uri: &axum::http::Uri) -> Option<async_graphql::Request> {
    let axum::extract::Query(params) = axum::extract::Query::<GetParams>::try_from_uri(uri).ok()?;
    let mut request = async_graphql::Request::new(params.query);
    if let Some(name) = params.operation_name.filter(|n| !n.is_empty()) {
        request = request.operation_name(name);
    }
    if let Some(variables) = params.variables {
        let json: serde_json::Value = serde_json::from_str(&variables).ok()?;
        request = request.variables(async_graphql::Variables::from_json(json));
    }
    if let Some(extensions) = params.extensions {
        request.extensions = serde_json::from_str(&extensions).ok()?;
    }
    Some(request)
}

/// `POST /graphql`. Refused before the body is read: an unacceptable `Accept` (406), an
/// oversized `Authorization` header (401), a body that is not `application/json` (415), a
/// declared length over the limit (413). The body is then read here, against the limit, so
/// that a chunked body that runs over it is answered 413 like one that declares its size.
pub(super) async fn graphql_post(State(state): State<Arc<AppState>>, request: Request) -> Response {
    telemetry::graphql_request(
        telemetry::request_id(request.headers()),
        post(state, request),
    )
    .await
}

async fn post(state: Arc<AppState>, request: Request) -> Response {
    let Some(media) = MediaType::negotiate(request.headers()) else {
        return not_acceptable();
    };
    if let Err(err) = check_authorization_size(request.headers()) {
        return error_response(StatusCode::UNAUTHORIZED, media, err);
    }
    if !is_json_body(request.headers()) {
        return error_reply(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            "send the request body as application/json (UTF-8)",
            "UNSUPPORTED_MEDIA_TYPE",
        );
    }
    let limit = state.config.max_body_bytes;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        telemetry::refused("max_body_bytes");
        return Rejection::new(ParseRequestError::PayloadTooLarge, limit, media).into_response();
    }
    let (parts, body) = request.into_parts();
    // A client that declares a body and never sends it is let go after the body-read timeout.
    let read = tokio::time::timeout(
        state.config.body_read_timeout,
        axum::body::to_bytes(body, limit),
    );
    let bytes = match read.await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => {
            telemetry::refused("max_body_bytes");
            return Rejection::new(ParseRequestError::PayloadTooLarge, limit, media)
                .into_response();
        }
        Err(_) => return body_timeout(media),
    };
    let request = Request::from_parts(parts, Body::from(bytes));
    let headers = request.headers().clone();
    let batch = match GraphQLBatchRequest::<ParseRejection>::from_request(request, &()).await {
        Ok(batch) => batch.into_inner(),
        Err(ParseRejection(err)) => return Rejection::new(err, limit, media).into_response(),
    };
    run(state, headers, batch, media, false).await
}

/// HTTP 408: the body did not arrive within `--body-read-timeout`. The connection is closed.
fn body_timeout(media: MediaType) -> Response {
    let mut response = error_reply(
        StatusCode::REQUEST_TIMEOUT,
        media,
        "the request body did not arrive in time",
        "REQUEST_TIMEOUT",
    );
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Whether the request body is declared as JSON in UTF-8, the one encoding of a POST that
/// GraphQL over HTTP requires servers to accept (and the only one this server parses). A body
/// with another type, or none, is not guessed at.
fn is_json_body(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut parts = content_type.split(';').map(str::trim);
    let essence = parts.next().unwrap_or_default();
    essence.eq_ignore_ascii_case("application/json")
        && parts.all(|param| match param.split_once('=') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
                value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
            }
            _ => true,
        })
}

/// Checks the request against the HTTP-level limits, then executes it within the time limit.
///
/// The request's database work runs in a task of its own, so that it always ends in a commit
/// or a rollback: a client that disconnects (this handler's future is dropped) or a timeout
/// never cuts a statement in half, which could return a connection to the pool still inside
/// a transaction for the next request to commit. Whether that work may commit is decided once,
/// by [`Fate`]: the task claims the commit when its work succeeded, the handler claims the
/// abandonment when the client left or the time ran out, and whichever comes first wins.
async fn run(
    state: Arc<AppState>,
    headers: HeaderMap,
    mut batch: BatchRequest,
    media: MediaType,
    is_get: bool,
) -> Response {
    if let BatchRequest::Batch(operations) = &batch
        && operations.len() > state.config.max_batch
    {
        telemetry::refused("max_batch");
        let message = format!(
            "a batch may hold at most {} operations",
            state.config.max_batch
        );
        return error_reply(StatusCode::BAD_REQUEST, media, &message, "BATCH_TOO_LARGE");
    }
    let limits = Limits::of(&state.config);
    let mut access = Access::Read;
    let requests = match &mut batch {
        BatchRequest::Single(request) => std::slice::from_mut(request),
        BatchRequest::Batch(requests) => requests.as_mut_slice(),
    };
    for request in requests.iter_mut() {
        if changes_data(limits, request).await {
            access = Access::Write;
        }
    }
    telemetry::note_operations(requests);
    if is_get && access == Access::Write {
        // GraphQL over HTTP: GET is for queries only; a mutation must be POSTed.
        let mut response = error_reply(
            StatusCode::METHOD_NOT_ALLOWED,
            media,
            "mutations must be sent with POST",
            "METHOD_NOT_ALLOWED",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let timeout = state.config.request_timeout;
    let deadline = tokio::time::Instant::now() + timeout;
    let fate = Arc::new(Fate::default());
    let _abandon_if_dropped = AbandonOnDrop(fate.clone());
    let work = execute(state, headers, batch, media, access, deadline, fate.clone());
    let mut task = tokio::spawn(telemetry::carry(work));
    let joined = match tokio::time::timeout_at(deadline, &mut task).await {
        Ok(joined) => joined,
        Err(_) if fate.abandon() => {
            tracing::warn!(?timeout, "request timed out; its work rolls back");
            return error_response(StatusCode::SERVICE_UNAVAILABLE, media, AppError::Timeout);
        }
        // The work had already claimed its commit: its answer is on the way.
        Err(_) => task.await,
    };
    joined.unwrap_or_else(|err| {
        error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            media,
            AppError::Internal(format!("request task failed: {err}")),
        )
    })
}

/// Whether a request's work may still commit. See [`run`].
#[derive(Default)]
struct Fate(AtomicU8);

impl Fate {
    const RUNNING: u8 = 0;
    const COMMITTING: u8 = 1;
    const ABANDONED: u8 = 2;

    /// Claims the commit for the work; `false` when the request was abandoned first.
    fn commit(&self) -> bool {
        self.0
            .compare_exchange(
                Self::RUNNING,
                Self::COMMITTING,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    /// Abandons the work unless it has claimed its commit; `true` when it will not commit.
    fn abandon(&self) -> bool {
        match self.0.compare_exchange(
            Self::RUNNING,
            Self::ABANDONED,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => true,
            Err(state) => state == Self::ABANDONED,
        }
    }

    fn abandoned(&self) -> bool {
        self.0.load(Ordering::Acquire) == Self::ABANDONED
    }
}

/// Abandons the request's work when the handler is dropped before it answered: the client has
/// gone, and work nobody will hear of must not commit.
struct AbandonOnDrop(Arc<Fate>);

impl Drop for AbandonOnDrop {
    fn drop(&mut self) {
        self.0.abandon();
    }
}

/// Whether the operation a request would run is a mutation (or subscription). The document is
/// read here, once, within the document budgets and off the async workers
/// ([`Limits::read`]), and handed to the executor parsed. A document over a budget, or that
/// does not parse, is left to the executor, which refuses it with its code.
async fn changes_data(limits: Limits, request: &mut async_graphql::Request) -> bool {
    let query = request.query.clone();
    let Ok(Ok(document)) =
        tokio::task::spawn_blocking(move || telemetry::uncounted(|| limits.read(&query))).await
    else {
        return false;
    };
    let kind = match (&document.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| op.node.ty),
        (DocumentOperations::Multiple(ops), None) => ops
            .values()
            .next()
            .filter(|_| ops.len() == 1)
            .map(|op| op.node.ty),
    };
    request.set_parsed_query(document);
    request.data.insert(DocumentRead);
    kind.is_some_and(|ty| ty != OperationType::Query)
}

/// Runs one HTTP request's operations in one transaction cut to the viewer's scope. The
/// transaction commits only when every operation succeeded and the request was not abandoned,
/// so a rejected or abandoned request writes nothing. The audit events of a writing request are
/// written in its transaction just before it commits. Clinical reads that its transaction could
/// not keep (it rolled back, or it was a read-only SQLite transaction) are written in a
/// transaction of their own before the answer leaves, so no clinical detail, and no error that
/// depended on one, reaches a client unaudited. The transaction's life is [`scope`]'s
/// ([`scope::begin_request`], [`scope::finish_request`], [`scope::audit_unkept_reads`]).
async fn execute(
    state: Arc<AppState>,
    headers: HeaderMap,
    batch: BatchRequest,
    media: MediaType,
    access: Access,
    deadline: tokio::time::Instant,
    fate: Arc<Fate>,
) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let boards = state.boards.current();
    let viewer = match state.keys.viewer(authorization, &boards).await {
        Ok(viewer) => viewer,
        Err(err) => return error_response(StatusCode::UNAUTHORIZED, media, err),
    };
    telemetry::note_viewer(&viewer);
    if let Err(wait) = state.rate_limit.check(&viewer.board.code, &viewer.subject) {
        return too_many_requests(media, wait);
    }
    let turn = match state.write_gate.enter(access, deadline).await {
        Ok(turn) => turn,
        Err(err) => return error_response(StatusCode::SERVICE_UNAVAILABLE, media, err),
    };
    let db = match scope::begin_request(
        &state.db,
        viewer.scope.clone(),
        state.config.app_filter,
        state.config.request_timeout,
        access,
    )
    .await
    {
        Ok(db) => Arc::new(db),
        Err(err) => {
            return error_response(StatusCode::SERVICE_UNAVAILABLE, media, AppError::from(err));
        }
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
    let request_scope = viewer.scope.clone();
    let data = Arc::new(RequestData::new(
        viewer,
        db.clone(),
        boards,
        state.config.clone(),
    ));
    let mut response = state.schema.execute_batch(batch.data(data)).await;
    // The database went away under the request: the whole request is 503, never a 500.
    let unreachable = responses(&mut response).iter().any(|r| {
        r.errors.iter().any(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .is_some_and(|code| *code == Value::from(UNAVAILABLE_CODE))
        })
    });
    let commit = response.is_ok() && fate.commit();
    let reads = match scope::finish_request(&db, commit, &actor, turn).await {
        Ok(reads) => reads,
        Err(err) => return error_response(status_of(&err), media, err),
    };
    // Exams it recorded, for live subscribers (in process on SQLite; PostgreSQL's went out
    // with the commit).
    state.live.publish_committed(db.take_committed_events());
    // Nothing reaches an abandoned request's client, so nothing was read.
    if !reads.is_empty() && !fate.abandoned() {
        let written = scope::audit_unkept_reads(
            &state.db,
            &state.write_gate,
            deadline,
            &request_scope,
            &actor,
            &reads,
        );
        if let Err(err) = written.await {
            return error_response(status_of(&err), media, err);
        }
    }
    if unreachable {
        return error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            media,
            AppError::Unavailable,
        );
    }
    for r in responses(&mut response) {
        add_missing_codes(r);
        null_refused_fields(r);
    }
    graphql_reply(&response, media)
}

/// The HTTP status of a request that failed as a whole with `err`.
fn status_of(err: &AppError) -> StatusCode {
    match err {
        AppError::Busy | AppError::Timeout | AppError::Unavailable => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The GraphQL response with the status GraphQL over HTTP asks for: with
/// `application/graphql-response+json`, 400 when the request never reached execution (it did
/// not parse, failed validation, or broke a limit: no data and no error with a path);
/// otherwise 200. A response that never reached execution has no `data` entry at all (the
/// GraphQL specification: "If an error was raised before execution begins, the data entry
/// should not be present"), whichever the media type; async-graphql would write `null`.
fn graphql_reply(response: &BatchResponse, media: MediaType) -> Response {
    telemetry::note_response(response);
    let request_error = |r: &async_graphql::Response| {
        r.data == Value::Null && !r.errors.is_empty() && r.errors.iter().all(|e| e.path.is_empty())
    };
    let failed = match response {
        BatchResponse::Single(r) => request_error(r),
        BatchResponse::Batch(rs) => !rs.is_empty() && rs.iter().all(request_error),
    };
    let status = if failed && media == MediaType::GraphQLResponse {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let without_data = |r: &async_graphql::Response| {
        let mut json = serde_json::to_value(r)?;
        if request_error(r)
            && let Some(object) = json.as_object_mut()
        {
            object.remove("data");
        }
        Ok::<_, serde_json::Error>(json)
    };
    let body = match response {
        BatchResponse::Single(r) => without_data(r),
        BatchResponse::Batch(rs) => rs
            .iter()
            .map(without_data)
            .collect::<Result<Vec<_>, _>>()
            .map(serde_json::Value::Array),
    }
    .and_then(|json| serde_json::to_vec(&json));
    match body {
        Ok(body) => reply(status, media, body),
        Err(err) => error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            media,
            AppError::Internal(format!("serialising a response: {err}")),
        ),
    }
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

fn error_response(status: StatusCode, media: MediaType, err: AppError) -> Response {
    let async_err: async_graphql::Error = err.clone().into();
    let mut response = error_reply(status, media, &async_err.message, err.code());
    if matches!(err, AppError::Unavailable | AppError::Busy) {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    }
    response
}

/// HTTP 429: the user has sent more than `--rate-limit` allows; `Retry-After` says when the
/// next request will be let through (whole seconds, at least 1).
fn too_many_requests(media: MediaType, wait: std::time::Duration) -> Response {
    let mut response = error_reply(
        StatusCode::TOO_MANY_REQUESTS,
        media,
        "too many requests; slow down and send it again later",
        "RATE_LIMITED",
    );
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
    response
}

/// The extractor's error, kept whole for [`Rejection`].
struct ParseRejection(ParseRequestError);

impl From<ParseRequestError> for ParseRejection {
    fn from(err: ParseRequestError) -> Self {
        ParseRejection(err)
    }
}

impl IntoResponse for ParseRejection {
    fn into_response(self) -> Response {
        StatusCode::BAD_REQUEST.into_response()
    }
}

/// Why a request body could not be read as GraphQL, answered without echoing parser internals.
struct Rejection {
    err: ParseRequestError,
    limit: usize,
    media: MediaType,
}

impl Rejection {
    fn new(err: ParseRequestError, limit: usize, media: MediaType) -> Self {
        Rejection { err, limit, media }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let (status, message, code) = match self.err {
            ParseRequestError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body exceeds {} bytes", self.limit),
                "PAYLOAD_TOO_LARGE",
            ),
            ParseRequestError::UnsupportedBatch => (
                StatusCode::BAD_REQUEST,
                "batched requests are not accepted".into(),
                "BAD_REQUEST",
            ),
            _ => (
                StatusCode::BAD_REQUEST,
                "the request body is not a GraphQL request".into(),
                "BAD_REQUEST",
            ),
        };
        error_reply(status, self.media, &message, code)
    }
}
