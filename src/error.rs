//! The one error type. Each variant says what the client sees as `extensions.code`; internals
//! (SQL, paths, causes) are logged here and never returned.
//!
//! `AppError` deliberately does not implement `Display`: async-graphql turns any `Display` type
//! into an error carrying its text, which is how database messages leak. The only way out of a
//! resolver is `From<AppError> for async_graphql::Error` below.

use async_graphql::ErrorExtensions;
use sea_orm::DbErr;

#[derive(Debug, Clone)]
pub enum AppError {
    /// No valid token. The reason is logged, not shown: it would help a forger.
    Unauthenticated(&'static str),
    /// The token names a board that has closed (a reorganisation); the message names the board
    /// that holds its records now, so the user knows which token to ask for.
    BoardClosed(String),
    /// The viewer's role may not do or see this.
    Forbidden(&'static str),
    /// Absent or outside the viewer's scope; the two are indistinguishable by design.
    NotFound,
    /// The input is invalid; `field` names the (first) argument at fault. Every violation found
    /// is listed in `violations` (the first one included), so a form can mark all its fields at
    /// once: `extensions.field` is the first, `extensions.violations` is `[{field, message}]`.
    BadUserInput {
        field: String,
        message: String,
        violations: Vec<(String, String)>,
    },
    /// A stale version or a uniqueness clash. Never a lock: see [`AppError::Busy`].
    Conflict(String),
    /// The database could not take the request's work now (a lock held by another process, a
    /// deadlock, a serialisation failure). Nothing was written; the same request may be sent
    /// again. Distinct from `CONFLICT`, which always means the row's version was not the one sent.
    Busy,
    /// The request ran out of its time before it could finish. Nothing was written.
    Timeout,
    /// The database cannot be reached: no connection within `--db-acquire-timeout`, or the
    /// connection broke while the request was using it. Answered HTTP 503 with `Retry-After`.
    /// Nothing was acknowledged: a write whose commit was cut off may or may not have been
    /// kept, so a client reads before it sends a write again.
    Unavailable,
    /// Anything else. The detail goes to the log only.
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        let (field, message) = (field.into(), message.into());
        AppError::BadUserInput {
            violations: vec![(field.clone(), message.clone())],
            field,
            message,
        }
    }

    /// Every violation at once; `None` when there are none.
    pub fn violations(found: Vec<(String, String)>) -> Option<Self> {
        let (field, first) = found.first().cloned()?;
        let message = if found.len() == 1 {
            first
        } else {
            found
                .iter()
                .map(|(_, m)| m.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        };
        Some(AppError::BadUserInput {
            field,
            message,
            violations: found,
        })
    }

    /// A database error from a write, mapped where the query ran: a uniqueness clash is
    /// `CONFLICT` with `clash` as its message; anything else as any database error (a lock is
    /// [`AppError::Busy`], never a conflict).
    pub fn from_write(err: sea_orm::DbErr, clash: &str) -> Self {
        if matches!(
            err.sql_err(),
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
        ) {
            return AppError::Conflict(clash.to_owned());
        }
        AppError::from(err)
    }

    /// The `extensions.code` the client sees.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated(_) | AppError::BoardClosed(_) => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::NotFound => "NOT_FOUND",
            AppError::BadUserInput { .. } => "BAD_USER_INPUT",
            AppError::Conflict(_) => "CONFLICT",
            AppError::Busy => "DATABASE_BUSY",
            AppError::Timeout => "REQUEST_TIMEOUT",
            AppError::Unavailable => UNAVAILABLE_CODE,
            AppError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The message the client sees.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Unauthenticated(_) => "a valid bearer token is required".into(),
            AppError::BoardClosed(message) => {
                format!("{message}: ask for a token of that board")
            }
            AppError::Forbidden(what) => format!("your role may not {what}"),
            AppError::NotFound => "not found".into(),
            AppError::BadUserInput { message, .. } => message.clone(),
            AppError::Conflict(message) => message.clone(),
            AppError::Busy => {
                "the database is busy with other work; nothing was written, send the request again"
                    .into()
            }
            AppError::Timeout => "the request took longer than the server allows".into(),
            AppError::Unavailable => {
                "the database cannot be reached just now; try again shortly".into()
            }
            AppError::Internal(_) => "internal server error".into(),
        }
    }
}

/// The `extensions.code` of [`AppError::Unavailable`], which `graphql_http` looks for among a
/// response's errors.
pub const UNAVAILABLE_CODE: &str = "SERVICE_UNAVAILABLE";

/// The `Retry-After` (seconds) of a 503 for an unreachable or busy database.
pub const RETRY_AFTER_SECS: u64 = 1;

/// Whether `err` says the database could not be reached, rather than that a statement failed:
/// no connection in time from the pool, a connection refused, closed or broken (an I/O, TLS or
/// protocol error on the wire), or the server shutting down or not accepting connections
/// (SQLSTATE class `08`, `57P01`–`57P03`). These are answered 503 `SERVICE_UNAVAILABLE`; every
/// other database error keeps its own meaning.
pub fn is_connection_failure(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as Sqlx;
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e.as_ref() {
                Sqlx::Io(_)
                | Sqlx::Tls(_)
                | Sqlx::Protocol(_)
                | Sqlx::PoolTimedOut
                | Sqlx::PoolClosed
                | Sqlx::WorkerCrashed => true,
                Sqlx::Database(db) => db.code().is_some_and(|code| {
                    code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03")
                }),
                _ => false,
            }
        }
        _ => false,
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        if is_connection_failure(&err) {
            tracing::warn!(error = %err, "database unreachable");
            return AppError::Unavailable;
        }
        let text = err.to_string();
        // SQLite's busy and busy-snapshot codes (5, 517) and PostgreSQL's lock failures. In
        // this server SQLite writers queue on `db::WriteGate` first, so these come only from
        // another process holding the lock past the busy timeout.
        if text.contains("database is locked")
            || text.contains("database table is locked")
            || text.contains("could not serialize access")
            || text.contains("deadlock detected")
        {
            tracing::warn!(error = %text, "database busy");
            return AppError::Busy;
        }
        if text.contains("canceling statement due to statement timeout") {
            tracing::warn!(error = %text, "statement ran past the request's time");
            return AppError::Timeout;
        }
        tracing::error!(error = %err, "database error");
        AppError::Internal("database error".into())
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        match &err {
            AppError::Internal(detail) => tracing::error!(detail = %detail, "request failed"),
            AppError::Unauthenticated(reason) => tracing::info!(reason, "token refused"),
            _ => {}
        }
        async_graphql::Error::new(err.public_message()).extend_with(|_, ext| {
            ext.set("code", err.code());
            if let AppError::BadUserInput {
                field, violations, ..
            } = &err
            {
                ext.set("field", field.as_str());
                let list: Vec<async_graphql::Value> = violations
                    .iter()
                    .map(|(f, m)| {
                        let mut item = async_graphql::indexmap::IndexMap::new();
                        item.insert(async_graphql::Name::new("field"), f.as_str().into());
                        item.insert(async_graphql::Name::new("message"), m.as_str().into());
                        async_graphql::Value::Object(item)
                    })
                    .collect();
                ext.set("violations", list);
            }
        })
    }
}
