//! Bearer token → viewer (subject, role, board, scope).
//!
//! Tokens are HS256 JWTs with `sub`, `board`, `role` and a required `exp`. Anything else, an
//! `alg: none` token included, is refused as `UNAUTHENTICATED`. A token lives at most the
//! configured maximum lifetime: an `exp` further than that from its `iat`, or from now, is
//! refused, so a leaked token cannot outlive the rule however it was signed. `nbf` is honoured,
//! and a `crit` header is refused (we understand no extension, and RFC 7515 says a recipient
//! that does not must reject the token).

mod secret;

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub use secret::load_or_create_secret;

use crate::boards::BoardTree;
use crate::db::entities::board;
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::scope::Scope;

/// The user making a request, as established from a verified token.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub subject: String,
    pub role: Role,
    pub board: board::Model,
    /// What the board holds today (its predecessors' records included).
    pub scope: Scope,
    /// The day (in Vietnam) the request is served for: the tree of this day decides the scope,
    /// the boards that are open, and where a write may go.
    pub today: chrono::NaiveDate,
}

impl Viewer {
    /// Refuses roles that may not read clinical detail.
    pub fn require_clinical(&self) -> AppResult<()> {
        if self.role.reads_clinical() {
            Ok(())
        } else {
            Err(AppError::Forbidden("read clinical detail"))
        }
    }

    /// Refuses every role but `admin` (for guards on fields; writes take their capability from
    /// `ScopedDb::admin`).
    pub fn require_admin(&self) -> AppResult<()> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(AppError::Forbidden("do this (admins only)"))
        }
    }
}

/// The longest `Authorization` header read. A real token is a few hundred bytes; a longer header
/// is refused before it is decoded or the request body is read.
pub const MAX_AUTHORIZATION_BYTES: usize = 8 * 1024;

/// The longest token subject, in characters (`viewer.subject`, and the actor of every audit
/// event).
pub const MAX_SUBJECT_CHARS: usize = 256;

/// Tolerated clock difference between the issuer and this server, on `exp`, `nbf` and `iat`.
const LEEWAY_SECS: u64 = 30;

/// Refuses an `Authorization` header longer than [`MAX_AUTHORIZATION_BYTES`], before any other
/// work on the request.
pub fn check_authorization_size(headers: &axum::http::HeaderMap) -> AppResult<()> {
    let too_long = headers
        .get_all(axum::http::header::AUTHORIZATION)
        .iter()
        .any(|v| v.len() > MAX_AUTHORIZATION_BYTES);
    if too_long {
        Err(AppError::Unauthenticated("authorization header too long"))
    } else {
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    board: String,
    role: String,
    exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iat: Option<u64>,
}

/// Keys for signing and verifying bearer tokens.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// The longest a token may live (`--max-token-lifetime`).
    max_lifetime: Duration,
}

impl TokenKeys {
    /// Keys for `secret`, accepting tokens that live at most `max_lifetime`.
    pub fn hs256(secret: &[u8], max_lifetime: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            max_lifetime,
        }
    }

    /// The longest a token may live.
    pub fn max_lifetime(&self) -> Duration {
        self.max_lifetime
    }

    /// Signs a token for a user of `board` with `role`, valid for `ttl`.
    pub fn issue(
        &self,
        board: &str,
        role: Role,
        subject: &str,
        ttl: Duration,
    ) -> AppResult<String> {
        if ttl > self.max_lifetime {
            return Err(AppError::Internal(format!(
                "a token may live at most {}",
                humantime::format_duration(self.max_lifetime)
            )));
        }
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: subject.to_owned(),
            board: board.to_owned(),
            role: role.as_str().to_owned(),
            iat: Some(now),
            exp: now.saturating_add(ttl.as_secs()),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::Internal(format!("signing a token: {e}")))
    }

    /// The viewer behind an `Authorization` header value, checked against the board tree.
    pub fn viewer(&self, authorization: Option<&str>, boards: &BoardTree) -> AppResult<Viewer> {
        if authorization.is_some_and(|h| h.len() > MAX_AUTHORIZATION_BYTES) {
            return Err(AppError::Unauthenticated("authorization header too long"));
        }
        let token = authorization
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or(AppError::Unauthenticated("no bearer token"))?;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| AppError::Unauthenticated("token failed verification"))?;
        if data.header.crit.is_some() {
            return Err(AppError::Unauthenticated("critical header extension"));
        }
        let claims = data.claims;
        self.check_lifetime(&claims)?;
        let role = Role::parse(&claims.role).ok_or(AppError::Unauthenticated("unknown role"))?;
        let today = crate::domain::calendar::today();
        let board = boards
            .get(&claims.board)
            .ok_or(AppError::Unauthenticated("unknown board"))?
            .clone();
        if !crate::boards::is_open(&board, today) {
            return Err(AppError::BoardClosed(boards.closed_message(&board, today)));
        }
        if claims.sub.trim().is_empty()
            || claims.sub.chars().count() > MAX_SUBJECT_CHARS
            || claims.sub.chars().any(char::is_control)
        {
            return Err(AppError::Unauthenticated(
                "subject empty, too long or not text",
            ));
        }
        let scope = boards.scope_of(&board, today);
        Ok(Viewer {
            subject: claims.sub,
            role,
            board,
            scope,
            today,
        })
    }
}

impl TokenKeys {
    /// Refuses a token whose `exp` lies more than the maximum lifetime beyond its `iat` (when
    /// it has one) or beyond now: a token that claims to live longer was not issued under our
    /// rules, whoever signed it. An `iat` in the future is refused too.
    fn check_lifetime(&self, claims: &Claims) -> AppResult<()> {
        let now = jsonwebtoken::get_current_timestamp();
        let max = self.max_lifetime.as_secs();
        let too_long =
            |from: u64| claims.exp > from.saturating_add(max).saturating_add(LEEWAY_SECS);
        if too_long(now) || claims.iat.is_some_and(too_long) {
            return Err(AppError::Unauthenticated("token lives too long"));
        }
        if claims
            .iat
            .is_some_and(|iat| iat > now.saturating_add(LEEWAY_SECS))
        {
            return Err(AppError::Unauthenticated("token issued in the future"));
        }
        Ok(())
    }
}
