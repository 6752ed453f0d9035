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
    /// The viewer's role may not do or see this.
    Forbidden(&'static str),
    /// Absent or outside the viewer's scope; the two are indistinguishable by design.
    NotFound,
    /// The input is invalid; `field` names the argument at fault.
    BadUserInput { field: String, message: String },
    /// A stale version or a uniqueness clash.
    Conflict(String),
    /// Anything else. The detail goes to the log only.
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::BadUserInput {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The `extensions.code` the client sees.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated(_) => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::NotFound => "NOT_FOUND",
            AppError::BadUserInput { .. } => "BAD_USER_INPUT",
            AppError::Conflict(_) => "CONFLICT",
            AppError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The message the client sees.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Unauthenticated(_) => "a valid bearer token is required".into(),
            AppError::Forbidden(what) => format!("your role may not {what}"),
            AppError::NotFound => "not found".into(),
            AppError::BadUserInput { message, .. } => message.clone(),
            AppError::Conflict(message) => message.clone(),
            AppError::Internal(_) => "internal server error".into(),
        }
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
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
            if let AppError::BadUserInput { field, .. } = &err {
                ext.set("field", field.as_str());
            }
        })
    }
}
