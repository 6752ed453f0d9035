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
    /// The input is invalid; `field` names the (first) argument at fault. Every violation found
    /// is listed in `violations` (the first one included), so a form can mark all its fields at
    /// once: `extensions.field` is the first, `extensions.violations` is `[{field, message}]`.
    BadUserInput {
        field: String,
        message: String,
        violations: Vec<(String, String)>,
    },
    /// A stale version or a uniqueness clash.
    Conflict(String),
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
    /// `CONFLICT` with `clash` as its message, a busy or locked database (SQLite, when another
    /// request holds the write lock or our snapshot went stale) and a serialization failure
    /// (PostgreSQL) are `CONFLICT` too, to be retried; anything else is internal.
    pub fn from_write(err: sea_orm::DbErr, clash: &str) -> Self {
        if matches!(
            err.sql_err(),
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
        ) {
            return AppError::Conflict(clash.to_owned());
        }
        let text = err.to_string();
        if text.contains("database is locked")
            || text.contains("database table is locked")
            || text.contains("could not serialize access")
            || text.contains("deadlock detected")
        {
            tracing::info!(error = %text, "write lost a race");
            return AppError::Conflict(
                "the record was changed by another request at the same time; read it again and retry"
                    .into(),
            );
        }
        AppError::from(err)
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
