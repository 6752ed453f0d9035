//! Bearer token → viewer (subject, role, board, scope).
//!
//! Tokens are HS256 JWTs with `sub`, `board`, `role` and a required `exp`. Anything else, an
//! `alg: none` token included, is refused as `UNAUTHENTICATED`.

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
    pub scope: Scope,
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

    /// Refuses roles that write nothing (analysts).
    pub fn require_writer(&self) -> AppResult<()> {
        if self.role.reads_clinical() {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "write records (analysts read statistics only)",
            ))
        }
    }

    /// Refuses every role but `admin`.
    pub fn require_admin(&self) -> AppResult<()> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(AppError::Forbidden("do this (admins only)"))
        }
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
}

impl TokenKeys {
    pub fn hs256(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.leeway = 30;
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    /// Signs a token for a user of `board` with `role`, valid for `ttl`.
    pub fn issue(
        &self,
        board: &str,
        role: Role,
        subject: &str,
        ttl: Duration,
    ) -> AppResult<String> {
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
        let token = authorization
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or(AppError::Unauthenticated("no bearer token"))?;
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| AppError::Unauthenticated("token failed verification"))?
            .claims;
        let role = Role::parse(&claims.role).ok_or(AppError::Unauthenticated("unknown role"))?;
        let board = boards
            .get(&claims.board)
            .ok_or(AppError::Unauthenticated("unknown board"))?
            .clone();
        if claims.sub.trim().is_empty() {
            return Err(AppError::Unauthenticated("empty subject"));
        }
        let scope = Scope::of_board(&board)?;
        Ok(Viewer {
            subject: claims.sub,
            role,
            board,
            scope,
        })
    }
}
