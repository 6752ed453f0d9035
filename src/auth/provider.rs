//! Identity providers (Keycloak and the like): tokens signed with the provider's own keys
//! (RS256, ES256, …), verified against the JSON Web Key Set it publishes, from a file
//! (`--jwks-file`) or a URL (`--jwks-url`).
//!
//! The key set is cached. A token naming a key the cache does not hold (`kid`) makes it fetch
//! the set again, at most once per `--jwks-min-refresh`, so that a rotated key is picked up and
//! a stream of made-up `kid`s cannot turn into a stream of fetches. A set older than
//! `--jwks-max-age` is fetched again in the background (revoked keys leave within that time).
//! A failed fetch keeps the cached keys: a provider that is briefly unreachable stops nobody.
//!
//! Only the asymmetric algorithms a key declares (or, when it declares none, the one its type
//! implies: RS256 for RSA, ES256/ES384 by curve, EdDSA) are accepted with it. Symmetric keys
//! in a key set are ignored, so an HS256 token "signed" with a public key is refused: the
//! algorithm confusion of RFC 8725 §2.1.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use tokio::sync::{Mutex, RwLock};

/// How long one fetch of a key set may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest key set read, in bytes (a real one is a few kilobytes).
const MAX_JWKS_BYTES: usize = 1024 * 1024;

/// Where tokens come from and what their claims are called.
#[derive(clap::Args, Debug, Clone)]
pub struct IdentityConfig {
    /// Verify tokens against the JSON Web Key Set in this file (RS256, ES256, …) instead of
    /// the HS256 secret.
    #[arg(long, env = "CADRE_HEALTH_JWKS_FILE", global = true)]
    pub jwks_file: Option<PathBuf>,

    /// Verify tokens against the JSON Web Key Set at this URL (an identity provider's
    /// `.../protocol/openid-connect/certs`) instead of the HS256 secret.
    #[arg(long, env = "CADRE_HEALTH_JWKS_URL", global = true)]
    pub jwks_url: Option<String>,

    /// Fetch the key set again on a token with an unknown `kid` at most this often.
    #[arg(
        long,
        env = "CADRE_HEALTH_JWKS_MIN_REFRESH",
        default_value = "30s",
        value_parser = humantime::parse_duration,
        global = true
    )]
    pub jwks_min_refresh: Duration,

    /// Fetch the key set again (in the background) when it is older than this.
    #[arg(
        long,
        env = "CADRE_HEALTH_JWKS_MAX_AGE",
        default_value = "10m",
        value_parser = humantime::parse_duration,
        global = true
    )]
    pub jwks_max_age: Duration,

    /// Accept only tokens whose `iss` is this (e.g. `https://sso.example.vn/realms/cadres`).
    #[arg(long, env = "CADRE_HEALTH_TOKEN_ISSUER", global = true)]
    pub token_issuer: Option<String>,

    /// Accept only tokens whose `aud` holds this.
    #[arg(long, env = "CADRE_HEALTH_TOKEN_AUDIENCE", global = true)]
    pub token_audience: Option<String>,

    /// The claim holding the board code; a dotted path (`realm_access.board`) reaches into an
    /// object when no claim has the whole name.
    #[arg(
        long,
        env = "CADRE_HEALTH_BOARD_CLAIM",
        default_value = "board",
        global = true
    )]
    pub board_claim: String,

    /// The claim holding the role (a string, or a list of which exactly one is a role of
    /// ours, like Keycloak's `realm_access.roles`); dotted paths as for the board.
    #[arg(
        long,
        env = "CADRE_HEALTH_ROLE_CLAIM",
        default_value = "role",
        global = true
    )]
    pub role_claim: String,
}

impl IdentityConfig {
    /// The key set's source, when one is configured.
    pub fn source(&self) -> anyhow::Result<Option<Source>> {
        match (&self.jwks_file, &self.jwks_url) {
            (Some(_), Some(_)) => bail!("set --jwks-file or --jwks-url, not both"),
            (Some(path), None) => Ok(Some(Source::File(path.clone()))),
            (None, Some(url)) => {
                let parsed = reqwest::Url::parse(url)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https"));
                match parsed {
                    Some(url) => Ok(Some(Source::Url(url))),
                    None => bail!("--jwks-url: not an http(s) URL"),
                }
            }
            (None, None) => Ok(None),
        }
    }
}

/// Where a key set is read from.
#[derive(Debug, Clone)]
pub enum Source {
    File(PathBuf),
    Url(reqwest::Url),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::File(path) => write!(f, "{}", path.display()),
            Source::Url(url) => write!(f, "{url}"),
        }
    }
}

/// A verification key and the one algorithm it is accepted with.
#[derive(Clone)]
pub(super) struct SigningKey {
    pub key: DecodingKey,
    pub algorithm: Algorithm,
}

#[derive(Default)]
struct Cached {
    /// By `kid`; a key without one is kept under `""`.
    keys: HashMap<String, SigningKey>,
    fetched_at: Option<Instant>,
}

/// The provider's key set, cached and refreshed.
pub(super) struct Jwks {
    source: Source,
    client: reqwest::Client,
    cached: RwLock<Cached>,
    /// When a fetch was last tried; held while one runs, so there is one at a time.
    last_attempt: Mutex<Option<Instant>>,
    min_refresh: Duration,
    max_age: Duration,
}

impl Jwks {
    /// Reads the key set once. A file that cannot be read, or holds no usable key, stops the
    /// start; a URL that does not answer only warns (the provider may come up after us, and
    /// tokens are refused until it does).
    pub async fn load(source: Source, config: &IdentityConfig) -> anyhow::Result<Arc<Jwks>> {
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .build()
            .context("building the HTTP client for --jwks-url")?;
        let jwks = Arc::new(Jwks {
            source,
            client,
            cached: RwLock::default(),
            last_attempt: Mutex::new(None),
            min_refresh: config.jwks_min_refresh,
            max_age: config.jwks_max_age,
        });
        // The first fetch does not count against the rate limit: a key rotated just after the
        // start is picked up by the first token that names it.
        let first = jwks.fetch().await;
        match (first, &jwks.source) {
            (Ok(keys), _) => jwks.store(keys).await,
            (Err(err), Source::File(_)) => return Err(err.context("--jwks-file")),
            (Err(err), Source::Url(url)) => {
                tracing::warn!(%url, error = %format!("{err:#}"), "identity provider's keys not fetched yet; tokens are refused until they are");
            }
        }
        Ok(jwks)
    }

    /// The key a token names (`kid`); a token naming none may use the only key of a set of
    /// one. An unknown `kid` fetches the set again, within the rate limit.
    pub async fn key(self: &Arc<Self>, kid: Option<&str>) -> Option<SigningKey> {
        let (found, stale) = {
            let cached = self.cached.read().await;
            let stale = cached
                .fetched_at
                .is_none_or(|at| at.elapsed() > self.max_age);
            (lookup(&cached.keys, kid), stale)
        };
        if let Some(key) = found {
            if stale {
                let jwks = self.clone();
                tokio::spawn(async move { jwks.refresh().await });
            }
            return Some(key);
        }
        self.refresh().await;
        lookup(&self.cached.read().await.keys, kid)
    }

    /// Fetches the set again unless a fetch was tried within the rate limit; a failed fetch
    /// keeps the keys we have.
    async fn refresh(&self) {
        let mut last = self.last_attempt.lock().await;
        if last.is_some_and(|at| at.elapsed() < self.min_refresh) {
            return;
        }
        *last = Some(Instant::now());
        match self.fetch().await {
            Ok(keys) => {
                self.store(keys).await;
                metrics::counter!("cadre_health_jwks_fetches_total", "outcome" => "ok")
                    .increment(1);
            }
            Err(err) => {
                metrics::counter!("cadre_health_jwks_fetches_total", "outcome" => "failed")
                    .increment(1);
                tracing::warn!(source = %self.source, error = %format!("{err:#}"), "fetching the identity provider's keys failed; keeping the cached ones");
            }
        }
    }

    async fn store(&self, keys: HashMap<String, SigningKey>) {
        let mut cached = self.cached.write().await;
        tracing::info!(source = %self.source, keys = keys.len(), "identity provider's keys loaded");
        cached.keys = keys;
        cached.fetched_at = Some(Instant::now());
    }

    async fn fetch(&self) -> anyhow::Result<HashMap<String, SigningKey>> {
        let bytes = match &self.source {
            Source::File(path) => tokio::fs::read(path)
                .await
                .with_context(|| format!("reading {}", path.display()))?,
            Source::Url(url) => {
                let mut response = self
                    .client
                    .get(url.clone())
                    .send()
                    .await
                    .context("fetching the key set")?
                    .error_for_status()
                    .context("fetching the key set")?;
                let mut bytes = Vec::new();
                while let Some(chunk) = response.chunk().await.context("reading the key set")? {
                    if bytes.len() + chunk.len() > MAX_JWKS_BYTES {
                        bail!("the key set is larger than {MAX_JWKS_BYTES} bytes");
                    }
                    bytes.extend_from_slice(&chunk);
                }
                bytes
            }
        };
        parse_key_set(&bytes)
    }
}

fn lookup(keys: &HashMap<String, SigningKey>, kid: Option<&str>) -> Option<SigningKey> {
    match kid {
        Some(kid) => keys.get(kid).cloned(),
        None if keys.len() == 1 => keys.values().next().cloned(),
        None => None,
    }
}

/// The signing keys of a JWKS document. Keys for encryption, symmetric keys and keys of an
/// unknown type or algorithm are skipped (providers publish encryption keys beside signing
/// ones); a set with no usable key at all is an error.
pub(super) fn parse_key_set(bytes: &[u8]) -> anyhow::Result<HashMap<String, SigningKey>> {
    #[derive(serde::Deserialize)]
    struct Document {
        keys: Vec<serde_json::Value>,
    }
    let document: Document =
        serde_json::from_slice(bytes).context("the key set is not a JWKS document")?;
    let mut keys = HashMap::new();
    for value in document.keys {
        let Ok(jwk) = serde_json::from_value::<Jwk>(value) else {
            continue;
        };
        if let Some(key) = signing_key(&jwk) {
            keys.insert(jwk.common.key_id.clone().unwrap_or_default(), key);
        }
    }
    if keys.is_empty() {
        bail!("the key set holds no RSA, EC or Ed25519 signing key");
    }
    Ok(keys)
}

fn signing_key(jwk: &Jwk) -> Option<SigningKey> {
    if matches!(
        jwk.common.public_key_use,
        Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
    ) {
        return None;
    }
    let implied = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
            EllipticCurve::P256 => Algorithm::ES256,
            EllipticCurve::P384 => Algorithm::ES384,
            _ => return None,
        },
        AlgorithmParameters::OctetKeyPair(_) => Algorithm::EdDSA,
        // Symmetric keys have no place in a public key set.
        _ => return None,
    };
    let algorithm = match jwk.common.key_algorithm {
        Some(declared) => Algorithm::try_from(declared).ok()?,
        None => implied,
    };
    // The declared algorithm must be one of the key's own family, and never HMAC.
    let same_family = algorithm.family() == implied.family();
    let fits_curve =
        !matches!(implied, Algorithm::ES256 | Algorithm::ES384) || algorithm == implied;
    if !same_family || !fits_curve {
        return None;
    }
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some(SigningKey { key, algorithm })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_and_encryption_keys_are_skipped() {
        let set = br#"{"keys": [
            {"kty": "oct", "kid": "h", "k": "c2VjcmV0", "alg": "HS256"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "alg": "RSA-OAEP", "n": "AQAB", "e": "AQAB"},
            {"kty": "EC", "kid": "e", "crv": "P-256", "x": "dc27lBfcvGaW4Nhp7pMp1Bj1de66Kr0Nmwo3lCllZiw", "y": "nGoB1oATfu99Y0yCb-6f27RY3_D97QQZXHnVDIdMejQ"},
            {"kty": "EC", "kid": "lie", "crv": "P-256", "alg": "HS256", "x": "dc27lBfcvGaW4Nhp7pMp1Bj1de66Kr0Nmwo3lCllZiw", "y": "nGoB1oATfu99Y0yCb-6f27RY3_D97QQZXHnVDIdMejQ"}
        ]}"#;
        let keys = parse_key_set(set).expect("one usable key");
        assert_eq!(keys.len(), 1);
        assert_eq!(keys["e"].algorithm, Algorithm::ES256);
        assert!(parse_key_set(br#"{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}"#).is_err());
    }
}
