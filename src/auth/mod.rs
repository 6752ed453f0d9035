//! Bearer token → viewer (subject, role, board, scope).
//!
//! Tokens are JWTs with `sub`, `board`, `role` and a required `exp`: HS256 with our secret, or,
//! with an identity provider configured ([`provider`]), signed with one of the provider's keys
//! (and then only so: HS256 is off). Anything else, an `alg: none` token included, is refused as
//! `UNAUTHENTICATED`. The board and role claims may be named otherwise (`--board-claim`,
//! `--role-claim`), and the issuer and audience checked (`--token-issuer`, `--token-audience`). A token lives at most the
//! configured maximum lifetime: an `exp` further than that from its `iat`, or from now, is
//! refused, so a leaked token cannot outlive the rule however it was signed. `nbf` is honoured,
//! and a `crit` header is refused (we understand no extension, and RFC 7515 says a recipient
//! that does not must reject the token).

mod provider;
mod secret;

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value};

pub use provider::{IdentityConfig, Source};
pub use secret::load_or_create_secret;

use crate::boards::BoardTree;
use crate::config::Config;
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
        crate::telemetry::refused("authorization_bytes");
        Err(AppError::Unauthenticated("authorization header too long"))
    } else {
        Ok(())
    }
}

/// The claims a viewer is made of, read from a verified token.
struct Claims {
    sub: String,
    board: String,
    role: String,
    exp: u64,
    iat: Option<u64>,
}

/// What the board and role claims are called (`--board-claim`, `--role-claim`), and the
/// issuer and audience required (`--token-issuer`, `--token-audience`; `issue` writes them).
#[derive(Debug, Clone)]
struct ClaimNames {
    board: String,
    role: String,
    issuer: Option<String>,
    audience: Option<String>,
}

impl Default for ClaimNames {
    fn default() -> Self {
        ClaimNames {
            board: "board".into(),
            role: "role".into(),
            issuer: None,
            audience: None,
        }
    }
}

/// The claim `name`: a claim of that very name, else the dotted path into nested objects
/// (`realm_access.board`). A provider's claim names may hold dots themselves (URLs).
fn claim<'c>(claims: &'c Map<String, Value>, name: &str) -> Option<&'c Value> {
    if let Some(value) = claims.get(name) {
        return Some(value);
    }
    let mut parts = name.split('.');
    let mut value = claims.get(parts.next()?)?;
    for part in parts {
        value = value.as_object()?.get(part)?;
    }
    Some(value)
}

/// Sets the claim `name`, creating the objects a dotted path runs through.
fn set_claim(claims: &mut Map<String, Value>, name: &str, value: Value) {
    match name.split_once('.') {
        None => {
            claims.insert(name.to_owned(), value);
        }
        Some((head, rest)) => {
            let inner = claims
                .entry(head.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !inner.is_object() {
                *inner = Value::Object(Map::new());
            }
            if let Value::Object(inner) = inner {
                set_claim(inner, rest, value);
            }
        }
    }
}

impl Claims {
    fn read(claims: &Map<String, Value>, names: &ClaimNames) -> AppResult<Claims> {
        let text = |name: &str| match claim(claims, name) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let board = text(&names.board).ok_or(AppError::Unauthenticated("no board claim"))?;
        // A role is a string, or a list (Keycloak's `realm_access.roles`) of which exactly one
        // is a role of ours.
        let role = match claim(claims, &names.role) {
            Some(Value::String(role)) => role.clone(),
            Some(Value::Array(items)) => {
                let mut ours = items
                    .iter()
                    .filter_map(Value::as_str)
                    .filter(|r| Role::parse(r).is_some());
                match (ours.next(), ours.next()) {
                    (Some(role), None) => role.to_owned(),
                    _ => return Err(AppError::Unauthenticated("no single role")),
                }
            }
            _ => return Err(AppError::Unauthenticated("no role claim")),
        };
        Ok(Claims {
            sub: claims
                .get("sub")
                .and_then(Value::as_str)
                .ok_or(AppError::Unauthenticated("no subject"))?
                .to_owned(),
            board,
            role,
            exp: claims
                .get("exp")
                .and_then(Value::as_u64)
                .ok_or(AppError::Unauthenticated("no expiry"))?,
            iat: claims.get("iat").and_then(Value::as_u64),
        })
    }
}

/// How tokens are verified: our HS256 secret, or an identity provider's key set.
enum Verifier {
    Secret(DecodingKey),
    Provider(Arc<provider::Jwks>),
}

/// Keys for signing and verifying bearer tokens.
pub struct TokenKeys {
    /// Signs `cadre-health token`'s tokens; `None` with an identity provider (it issues them).
    encoding: Option<EncodingKey>,
    verifier: Verifier,
    validation: Validation,
    claims: ClaimNames,
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
            encoding: Some(EncodingKey::from_secret(secret)),
            verifier: Verifier::Secret(DecodingKey::from_secret(secret)),
            validation,
            claims: ClaimNames::default(),
            max_lifetime,
        }
    }

    /// The keys `config` asks for: the identity provider's key set when one is configured
    /// (HS256 is then off, and no secret is needed), else HS256 with the configured or
    /// generated secret. The claim names, issuer and audience apply to either.
    pub async fn from_config(config: &Config) -> anyhow::Result<TokenKeys> {
        let identity = &config.identity;
        let mut keys = match identity.source()? {
            Some(source) => {
                let jwks = provider::Jwks::load(source, identity).await?;
                let mut keys = TokenKeys::hs256(&[], config.max_token_lifetime);
                keys.encoding = None;
                keys.verifier = Verifier::Provider(jwks);
                keys
            }
            None => TokenKeys::hs256(&load_or_create_secret(config)?, config.max_token_lifetime),
        };
        for (flag, name) in [
            ("--board-claim", &identity.board_claim),
            ("--role-claim", &identity.role_claim),
        ] {
            if name.is_empty() || name.split('.').any(str::is_empty) {
                anyhow::bail!("{flag}: a claim name, or a dotted path of claim names");
            }
        }
        keys.claims = ClaimNames {
            board: identity.board_claim.clone(),
            role: identity.role_claim.clone(),
            issuer: identity.token_issuer.clone(),
            audience: identity.token_audience.clone(),
        };
        // An HS256 token with an `aud` was always refused (none is expected); a provider's
        // tokens carry one (Keycloak's `account`), checked only when one is configured.
        keys.validation.validate_aud = !keys.uses_provider();
        let mut required = vec!["exp", "sub"];
        if let Some(issuer) = &identity.token_issuer {
            keys.validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        if let Some(audience) = &identity.token_audience {
            keys.validation.set_audience(&[audience]);
            keys.validation.validate_aud = true;
            required.push("aud");
        }
        keys.validation.set_required_spec_claims(&required);
        Ok(keys)
    }

    /// Whether tokens come from an identity provider (and `issue` refuses).
    pub fn uses_provider(&self) -> bool {
        matches!(self.verifier, Verifier::Provider(_))
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
        let Some(encoding) = &self.encoding else {
            return Err(AppError::Internal(
                "tokens come from the identity provider (--jwks-file/--jwks-url)".into(),
            ));
        };
        if ttl > self.max_lifetime {
            return Err(AppError::Internal(format!(
                "a token may live at most {}",
                humantime::format_duration(self.max_lifetime)
            )));
        }
        let now = jsonwebtoken::get_current_timestamp();
        let mut claims = Map::new();
        claims.insert("sub".into(), subject.into());
        claims.insert("iat".into(), now.into());
        claims.insert("exp".into(), now.saturating_add(ttl.as_secs()).into());
        set_claim(&mut claims, &self.claims.board, board.into());
        set_claim(&mut claims, &self.claims.role, role.as_str().into());
        if let Some(issuer) = &self.claims.issuer {
            claims.insert("iss".into(), issuer.as_str().into());
        }
        if let Some(audience) = &self.claims.audience {
            claims.insert("aud".into(), audience.as_str().into());
        }
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, encoding)
            .map_err(|e| AppError::Internal(format!("signing a token: {e}")))
    }

    /// The viewer behind an `Authorization` header value, checked against the board tree.
    pub async fn viewer(
        &self,
        authorization: Option<&str>,
        boards: &BoardTree,
    ) -> AppResult<Viewer> {
        Ok(self.viewer_until(authorization, boards).await?.0)
    }

    /// [`TokenKeys::viewer`], and the token's `exp` (seconds since the epoch): a live socket
    /// closes then.
    pub async fn viewer_until(
        &self,
        authorization: Option<&str>,
        boards: &BoardTree,
    ) -> AppResult<(Viewer, u64)> {
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
        let failed = |_| AppError::Unauthenticated("token failed verification");
        let data = match &self.verifier {
            Verifier::Secret(key) => {
                jsonwebtoken::decode::<Map<String, Value>>(token, key, &self.validation)
                    .map_err(failed)?
            }
            Verifier::Provider(jwks) => {
                let header = jsonwebtoken::decode_header(token).map_err(failed)?;
                let key = jwks
                    .key(header.kid.as_deref())
                    .await
                    .ok_or(AppError::Unauthenticated("unknown signing key"))?;
                // Only the key's own algorithm: an HS256 token "signed" with the public key
                // fails here.
                let mut validation = self.validation.clone();
                validation.algorithms = vec![key.algorithm];
                jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation)
                    .map_err(failed)?
            }
        };
        if data.header.crit.is_some() {
            return Err(AppError::Unauthenticated("critical header extension"));
        }
        let claims = Claims::read(&data.claims, &self.claims)?;
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
        let viewer = Viewer {
            subject: claims.sub,
            role,
            board,
            scope,
            today,
        };
        Ok((viewer, claims.exp))
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
