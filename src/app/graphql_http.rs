//! GraphQL over HTTP: `GET` and `POST /graphql` parsed and checked against the HTTP-level
//! limits, the response media type negotiated, the request's operations run in one scoped
//! transaction in a task of its own (see [`run`]), and the reply shaped as the specification asks.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{
    BatchRequest, BatchResponse, ErrorExtensionValues, Name, ParseRequestError, PathSegment, Value,
};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::etag;
use super::persisted::{self, Source, Unresolved};
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

/// `GET /graphql`: a query in the URL (or a persisted document's id or hash) is executed; a
/// bare GET (a browser) gets GraphiQL.
pub(super) async fn graphql_get(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let response = telemetry::graphql_request(
        telemetry::request_id(request.headers()),
        get(state, request),
    )
    .await;
    no_store_unless_cacheable(response)
}

/// Every answer that `etag.rs` did not mark cacheable (a POST's, an error, a refusal) is never
/// stored, by a browser or anything between.
fn no_store_unless_cacheable(mut response: Response) -> Response {
    if !response.headers().contains_key(header::CACHE_CONTROL) {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

async fn get(state: Arc<AppState>, request: Request) -> Response {
    let executes = request.uri().query().is_some_and(|q| {
        q.split('&').any(|p| {
            ["query=", "documentId=", "extensions="]
                .iter()
                .any(|k| p.starts_with(k))
        })
    });
    if !executes {
        return super::web::graphiql();
    }
    let Some(media) = MediaType::negotiate(request.headers()) else {
        return not_acceptable();
    };
    if let Err(err) = check_authorization_size(request.headers()) {
        return error_response(StatusCode::UNAUTHORIZED, media, err);
    }
    let (batch, ids) = match get_request(request.uri()) {
        Some((single, id)) => (BatchRequest::Single(single), vec![id]),
        None => {
            let err =
                ParseRequestError::InvalidRequest(std::io::Error::other("bad parameters").into());
            return Rejection::new(err, state.config.max_body_bytes, media).into_response();
        }
    };
    let headers = request.headers().clone();
    run(state, headers, batch, ids, media, true).await
}

/// The parameters of a GET request, as GraphQL over HTTP names them. (async-graphql's own GET
/// parser expects `operation_name`, so it is not used.)
#[derive(serde::Deserialize)]
struct GetParams {
    /// Empty when a persisted document is named instead.
    #[serde(default)]
    query: String,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    /// JSON, URL-encoded.
    variables: Option<String>,
    /// JSON, URL-encoded.
    extensions: Option<String>,
    /// A persisted document's id (`sha256:<hex>`).
    #[serde(rename = "documentId")]
    document_id: Option<String>,
}

/// The request a GET carries, and the persisted document it names by `documentId`, if any.
fn get_request(uri: &axum::http::Uri) -> Option<(async_graphql::Request, Option<String>)> {
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
    Some((request, params.document_id))
}

/// A POST body: one operation or a batch of them.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum PostBody {
    Single(Operation),
    Batch(Vec<Operation>),
}

/// One operation as GraphQL over HTTP sends it: what async-graphql's own `Request` reads, and
/// `documentId` (a persisted document), which it does not.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Operation {
    #[serde(default)]
    query: String,
    #[serde(default)]
    operation_name: Option<String>,
    #[serde(default)]
    variables: async_graphql::Variables,
    #[serde(default)]
    extensions: async_graphql::Extensions,
    #[serde(default)]
    document_id: Option<String>,
}

impl PostBody {
    /// The batch to run, and each operation's `documentId`.
    fn into_batch(self) -> (BatchRequest, Vec<Option<String>>) {
        let request = |op: Operation| {
            let mut request = async_graphql::Request::new(op.query).variables(op.variables);
            request.operation_name = op.operation_name;
            request.extensions = op.extensions;
            (request, op.document_id)
        };
        match self {
            PostBody::Single(op) => {
                let (single, id) = request(op);
                (BatchRequest::Single(single), vec![id])
            }
            PostBody::Batch(ops) => {
                let (requests, ids) = ops.into_iter().map(request).unzip();
                (BatchRequest::Batch(requests), ids)
            }
        }
    }
}

/// `POST /graphql`. Refused before the body is read: an unacceptable `Accept` (406), an
/// oversized `Authorization` header (401), a body that is not `application/json` (415), a
/// declared length over the limit (413). The body is then read here, against the limit, so
/// that a chunked body that runs over it is answered 413 like one that declares its size.
pub(super) async fn graphql_post(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let response = telemetry::graphql_request(
        telemetry::request_id(request.headers()),
        post(state, request),
    )
    .await;
    no_store_unless_cacheable(response)
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
    let (batch, ids) = match serde_json::from_slice::<PostBody>(&bytes) {
        Ok(body) => body.into_batch(),
        Err(err) => {
            let err = ParseRequestError::InvalidRequest(Box::new(err));
            return Rejection::new(err, limit, media).into_response();
        }
    };
    run(state, parts.headers, batch, ids, media, false).await
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
    ids: Vec<Option<String>>,
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
    // Documents named by hash are filled in first: what follows reads every document alike.
    let mut documents = Documents::default();
    for (i, (request, id)) in requests.iter_mut().zip(ids).enumerate() {
        match state.persisted.resolve(request, id.as_deref()) {
            Ok(Source::Register(hash)) => {
                documents.sources.push(Source::Register(hash));
                documents
                    .to_register
                    .push((i, hash, Arc::from(request.query.as_str())));
            }
            Ok(source) => documents.sources.push(source),
            Err(unresolved) => return persisted_refusal(media, unresolved),
        }
    }
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
    let plan = Plan {
        access,
        is_get,
        documents,
    };
    let work = execute(state, headers, batch, media, plan, deadline, fate.clone());
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

/// What [`run`] found out about a request before executing it.
struct Plan {
    /// Whether it writes.
    access: Access,
    /// Sent with GET: a successful answer gets an `ETag` (see `etag.rs`).
    is_get: bool,
    documents: Documents,
}

/// Where each operation's document came from (`persisted.rs`).
#[derive(Default)]
struct Documents {
    sources: Vec<Source>,
    /// Documents sent with their APQ hash: `(operation, hash, text)`, kept once the operation
    /// has passed the document limits and validation.
    to_register: Vec<(usize, persisted::Hash, Arc<str>)>,
}

/// A persisted document that could not be found, or a malformed way of naming one.
///
/// `PERSISTED_QUERY_NOT_FOUND` is answered 200 whatever the media type: Apollo's and urql's
/// clients then send the document itself, but Apollo Client takes a 400 for a server without
/// persisted queries and stops using them.
fn persisted_refusal(media: MediaType, unresolved: Unresolved) -> Response {
    match unresolved {
        Unresolved::NotFound => error_reply(
            StatusCode::OK,
            media,
            persisted::NOT_FOUND_MESSAGE,
            "PERSISTED_QUERY_NOT_FOUND",
        ),
        Unresolved::BadInput(message, field) => {
            telemetry::note_outcome("BAD_USER_INPUT");
            let status = match media {
                MediaType::GraphQLResponse => StatusCode::BAD_REQUEST,
                MediaType::Json => StatusCode::OK,
            };
            let body = json!({ "errors": [{
                "message": message,
                "extensions": { "code": "BAD_USER_INPUT", "field": field },
            }] });
            reply(status, media, body.to_string().into_bytes())
        }
    }
}

/// HTTP 403: under `--only-trusted`, a request that is not an admin's may run only documents
/// of the trusted manifest.
fn trusted_document_required(media: MediaType) -> Response {
    error_reply(
        StatusCode::FORBIDDEN,
        media,
        "this server runs only trusted documents: send the documentId (or APQ hash) of a \
         document in its manifest",
        "TRUSTED_DOCUMENT_REQUIRED",
    )
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
    plan: Plan,
    deadline: tokio::time::Instant,
    fate: Arc<Fate>,
) -> Response {
    let Plan {
        access,
        is_get,
        documents,
    } = plan;
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
    // Refused before the request's transaction begins: nothing is written, not even audit.
    if !state.persisted.admits(viewer.role, &documents.sources) {
        telemetry::refused("only_trusted");
        return trusted_document_required(media);
    }
    let audience = is_get.then(|| etag::Audience::of(&viewer));
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
    // A document sent with its APQ hash is kept once it has passed the limits and validation
    // (its operation reached execution), whatever the execution's outcome.
    let all = responses(&mut response);
    for (i, hash, document) in documents.to_register {
        if all.get(i).is_some_and(|r| !is_request_error(r)) {
            state.persisted.register(hash, document);
        }
    }
    let (status, body) = match graphql_body(&response, media) {
        Ok(answer) => answer,
        Err(err) => return error_response(StatusCode::INTERNAL_SERVER_ERROR, media, err),
    };
    let cacheable =
        status == StatusCode::OK && responses(&mut response).iter().all(|r| r.errors.is_empty());
    match audience {
        Some(audience) if cacheable => {
            let tag = audience.tag(&body);
            etag::cached(&headers, tag, || reply(status, media, body))
        }
        _ => reply(status, media, body),
    }
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

/// The GraphQL response's status and body, as GraphQL over HTTP asks for them: with
/// `application/graphql-response+json`, 400 when the request never reached execution (it did
/// not parse, failed validation, or broke a limit: no data and no error with a path);
/// otherwise 200. A response that never reached execution has no `data` entry at all (the
/// GraphQL specification: "If an error was raised before execution begins, the data entry
/// should not be present"), whichever the media type; async-graphql would write `null`.
fn graphql_body(
    response: &BatchResponse,
    media: MediaType,
) -> Result<(StatusCode, Vec<u8>), AppError> {
    telemetry::note_response(response);
    let request_error = is_request_error;
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
    .and_then(|json| serde_json::to_vec(&json))
    .map_err(|err| AppError::Internal(format!("serialising a response: {err}")))?;
    Ok((status, body))
}

/// Whether a response never reached execution: no data, and only errors without a path (it
/// did not parse, failed validation, or broke a limit).
fn is_request_error(r: &async_graphql::Response) -> bool {
    r.data == Value::Null && !r.errors.is_empty() && r.errors.iter().all(|e| e.path.is_empty())
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
