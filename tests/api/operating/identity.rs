//! Tokens from an identity provider: RS256/ES256 verified against a JWKS that a server in the
//! test publishes (and rotates, and stops answering), with the issuer and audience checked and
//! the board and role read from the provider's own claims. Every refusal is HTTP 401 with
//! `UNAUTHENTICATED`. The keys under `keys/` are test-only, generated for this suite.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use cadre_health::app::{AppState, router};
use cadre_health::auth::TokenKeys;
use cadre_health::config::Config;
use http_body_util::BodyExt;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::helpers::{TEST_SECRET, TestApp, test_config};

const ISSUER: &str = "https://sso.example.test/realms/cadres";
const AUDIENCE: &str = "cadre-health";

const EC_A: &[u8] = include_bytes!("keys/ec-a.pem");
const EC_B: &[u8] = include_bytes!("keys/ec-b.pem");
const RSA_C: &[u8] = include_bytes!("keys/rsa-c.pem");
const EC_B_PUBLIC: &[u8] = include_bytes!("keys/ec-b.pub.pem");
const RSA_C_PUBLIC: &[u8] = include_bytes!("keys/rsa-c.pub.pem");

fn jwk(file: &str) -> Value {
    serde_json::from_str(file).expect("a JWK")
}

fn key_set(keys: &[&str]) -> String {
    json!({ "keys": keys.iter().map(|k| jwk(k)).collect::<Vec<_>>() }).to_string()
}

const JWK_A: &str = include_str!("keys/ec-a.jwk.json");
const JWK_B: &str = include_str!("keys/ec-b.jwk.json");
const JWK_C: &str = include_str!("keys/rsa-c.jwk.json");

/// A provider's JWKS endpoint: the set it publishes can be changed, it can be made to fail,
/// and it counts the fetches.
#[derive(Clone)]
struct Provider {
    set: Arc<Mutex<String>>,
    down: Arc<AtomicBool>,
    fetches: Arc<AtomicUsize>,
    url: String,
}

impl Provider {
    async fn start(set: String) -> Provider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!(
            "http://{}/realms/cadres/protocol/openid-connect/certs",
            listener.local_addr().expect("address")
        );
        let provider = Provider {
            set: Arc::new(Mutex::new(set)),
            down: Arc::default(),
            fetches: Arc::default(),
            url,
        };
        let state = provider.clone();
        let app = Router::new().route(
            "/realms/cadres/protocol/openid-connect/certs",
            axum::routing::get(move || {
                let state = state.clone();
                async move {
                    state.fetches.fetch_add(1, Ordering::SeqCst);
                    if state.down.load(Ordering::SeqCst) {
                        return (StatusCode::SERVICE_UNAVAILABLE, String::new());
                    }
                    let set = state.set.lock().expect("set").clone();
                    (StatusCode::OK, set)
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        provider
    }

    fn publish(&self, set: String) {
        *self.set.lock().expect("set") = set;
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

/// The real router over a fresh database, verifying tokens as `configure` says.
struct App {
    router: Router,
    _base: TestApp,
}

impl App {
    async fn start(configure: impl FnOnce(&mut Config)) -> App {
        let base = TestApp::spawn().await;
        let mut config = test_config(base.database_url().expect("own database"));
        configure(&mut config);
        let keys = TokenKeys::from_config(&config)
            .await
            .expect("keys from config");
        let state = AppState::new(base.db.clone(), config, keys)
            .await
            .expect("state");
        App {
            router: router(state),
            _base: base,
        }
    }

    /// Asks `{ viewer { ... } }` with `token`: the status, and the viewer's board or the error
    /// code.
    async fn viewer(&self, token: &str) -> (StatusCode, String) {
        let request = Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from(
                json!({ "query": "{ viewer { subject role board { code } } }" }).to_string(),
            ))
            .expect("request");
        let response = self.router.clone().oneshot(request).await.expect("answer");
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let body: Value = serde_json::from_slice(&bytes).expect("JSON");
        let said = match body["errors"][0]["extensions"]["code"].as_str() {
            Some(code) => code.to_owned(),
            None => format!(
                "{} {} {}",
                body["data"]["viewer"]["subject"].as_str().unwrap_or("?"),
                body["data"]["viewer"]["role"].as_str().unwrap_or("?"),
                body["data"]["viewer"]["board"]["code"]
                    .as_str()
                    .unwrap_or("?")
            ),
        };
        (status, said)
    }
}

fn keycloak_style(config: &mut Config, url: &str) {
    config.identity.jwks_url = Some(url.to_owned());
    config.identity.token_issuer = Some(ISSUER.into());
    config.identity.token_audience = Some(AUDIENCE.into());
    config.identity.board_claim = "attributes.board".into();
    config.identity.role_claim = "realm_access.roles".into();
}

/// Claims as Keycloak lays them out: roles in `realm_access.roles` (with roles of its own
/// beside ours), the board in a mapped attribute.
fn claims(board: &str, role: &str) -> Value {
    let now = jsonwebtoken::get_current_timestamp();
    json!({
        "sub": "f3b1c2d4-0000-4000-8000-000000000001",
        "iss": ISSUER,
        "aud": ["account", AUDIENCE],
        "iat": now,
        "exp": now + 300,
        "attributes": { "board": board },
        "realm_access": { "roles": ["offline_access", role, "uma_authorization"] },
    })
}

fn sign(alg: Algorithm, kid: &str, key: &EncodingKey, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, claims, key).expect("sign")
}

fn ec(pem: &[u8]) -> EncodingKey {
    EncodingKey::from_ec_pem(pem).expect("EC key")
}

#[tokio::test]
async fn provider_tokens_are_verified_across_a_key_rotation() {
    let provider = Provider::start(key_set(&[JWK_A])).await;
    let app = App::start(|c| keycloak_style(c, &provider.url)).await;
    assert_eq!(provider.fetches(), 1, "the key set is fetched at start");

    let old = sign(
        Algorithm::ES256,
        "key-a",
        &ec(EC_A),
        &claims("40", "clinician"),
    );
    let ok = (
        StatusCode::OK,
        "f3b1c2d4-0000-4000-8000-000000000001 CLINICIAN 40".to_owned(),
    );
    assert_eq!(app.viewer(&old).await, ok, "a token of the published key");
    assert_eq!(provider.fetches(), 1, "served from the cache");

    // The provider rotates: key A is withdrawn, B (EC) and C (RSA) published.
    provider.publish(key_set(&[JWK_B, JWK_C]));
    let new = sign(
        Algorithm::ES256,
        "key-b",
        &ec(EC_B),
        &claims("40", "clinician"),
    );
    assert_eq!(
        app.viewer(&new).await,
        ok,
        "a token of the new key: its kid fetches the set again"
    );
    assert_eq!(provider.fetches(), 2);
    let rsa = EncodingKey::from_rsa_pem(RSA_C).expect("RSA key");
    assert_eq!(
        app.viewer(&sign(
            Algorithm::RS256,
            "key-c",
            &rsa,
            &claims("412", "analyst")
        ))
        .await,
        (
            StatusCode::OK,
            "f3b1c2d4-0000-4000-8000-000000000001 ANALYST 412".to_owned()
        ),
        "RS256 from the same set"
    );

    let unauthenticated = (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED".to_owned());
    assert_eq!(
        app.viewer(&old).await,
        unauthenticated,
        "the withdrawn key's tokens are refused"
    );
    // Unknown kids fetch the set again at most once per --jwks-min-refresh (30 s): one was
    // fetched just now, so none of these fetches anything.
    for i in 0..5 {
        let made_up = sign(
            Algorithm::ES256,
            &format!("key-{i}"),
            &ec(EC_B),
            &claims("40", "clinician"),
        );
        assert_eq!(app.viewer(&made_up).await, unauthenticated, "a wrong kid");
    }
    assert_eq!(provider.fetches(), 2, "unknown kids are rate-limited");

    let mut wrong_issuer = claims("40", "clinician");
    wrong_issuer["iss"] = json!("https://sso.example.test/realms/other");
    let mut wrong_audience = claims("40", "clinician");
    wrong_audience["aud"] = json!("another-app");
    let mut no_audience = claims("40", "clinician");
    no_audience.as_object_mut().expect("object").remove("aud");
    let mut two_roles = claims("40", "clinician");
    two_roles["realm_access"]["roles"] = json!(["clinician", "admin"]);
    for (case, claims) in [
        ("wrong issuer", wrong_issuer),
        ("wrong audience", wrong_audience),
        ("no audience", no_audience),
        ("two of our roles", two_roles),
    ] {
        let token = sign(Algorithm::ES256, "key-b", &ec(EC_B), &claims);
        assert_eq!(app.viewer(&token).await, unauthenticated, "{case}");
    }

    // Algorithm confusion: HS256 "signed" with the public key, as a verifier that takes the
    // algorithm from the token would check it.
    for (kid, public) in [("key-b", EC_B_PUBLIC), ("key-c", RSA_C_PUBLIC)] {
        let forged = sign(
            Algorithm::HS256,
            kid,
            &EncodingKey::from_secret(public),
            &claims("TW", "admin"),
        );
        assert_eq!(
            app.viewer(&forged).await,
            unauthenticated,
            "HS256 with {kid}'s public key"
        );
    }
    // Nor does our own secret sign anything while a provider is configured.
    let ours = TokenKeys::hs256(TEST_SECRET.as_bytes(), std::time::Duration::from_secs(3600));
    let hs256 = ours
        .issue(
            "TW",
            cadre_health::domain::Role::Admin,
            "x",
            std::time::Duration::from_secs(60),
        )
        .expect("sign");
    assert_eq!(app.viewer(&hs256).await, unauthenticated, "HS256 is off");
    assert_eq!(provider.fetches(), 2);
}

#[tokio::test]
async fn a_provider_that_is_down_leaves_the_cached_keys_working() {
    let provider = Provider::start(key_set(&[JWK_B])).await;
    let app = App::start(|c| {
        keycloak_style(c, &provider.url);
        // Every unknown kid and every request fetches again, so the failures are exercised.
        c.identity.jwks_min_refresh = std::time::Duration::ZERO;
        c.identity.jwks_max_age = std::time::Duration::ZERO;
    })
    .await;
    let token = sign(
        Algorithm::ES256,
        "key-b",
        &ec(EC_B),
        &claims("40", "clinician"),
    );
    assert_eq!(app.viewer(&token).await.0, StatusCode::OK);

    provider.down.store(true, Ordering::SeqCst);
    let before = provider.fetches();
    let unknown = sign(
        Algorithm::ES256,
        "key-new",
        &ec(EC_B),
        &claims("40", "clinician"),
    );
    assert_eq!(
        app.viewer(&unknown).await,
        (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED".to_owned())
    );
    assert!(
        provider.fetches() > before,
        "the unknown kid tried the provider"
    );
    for _ in 0..3 {
        assert_eq!(
            app.viewer(&token).await.0,
            StatusCode::OK,
            "the cached key still verifies while the provider is down"
        );
    }

    provider.down.store(false, Ordering::SeqCst);
    assert_eq!(app.viewer(&token).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_key_set_file_verifies_tokens_and_names_claims_at_the_top() {
    let dir = tempfile::tempdir().expect("directory");
    let path = dir.path().join("jwks.json");
    std::fs::write(&path, key_set(&[JWK_C])).expect("write");
    let app = App::start(|c| c.identity.jwks_file = Some(path.clone())).await;
    let now = jsonwebtoken::get_current_timestamp();
    let rsa = EncodingKey::from_rsa_pem(RSA_C).expect("RSA key");
    let claims = json!({ "sub": "u", "board": "412", "role": "clinician", "exp": now + 60 });
    assert_eq!(
        app.viewer(&sign(Algorithm::RS256, "key-c", &rsa, &claims))
            .await,
        (StatusCode::OK, "u CLINICIAN 412".to_owned())
    );
    // A token signed by a key the set does not hold, under a kid it does.
    assert_eq!(
        app.viewer(&sign(Algorithm::ES256, "key-c", &ec(EC_A), &claims))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );

    // A file without a usable key stops the start, naming the setting.
    std::fs::write(&path, r#"{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}"#).expect("write");
    let base = TestApp::spawn().await;
    let mut config = test_config(base.database_url().expect("own database"));
    config.identity.jwks_file = Some(path);
    let err = TokenKeys::from_config(&config)
        .await
        .err()
        .expect("refused");
    assert!(format!("{err:#}").contains("--jwks-file"), "{err:#}");
}

#[tokio::test]
async fn our_own_tokens_follow_the_claim_settings_too() {
    let configure = |c: &mut Config| {
        c.jwt_secret = Some(cadre_health::config::Secret(TEST_SECRET.into()));
        c.identity.board_claim = "org.board".into();
        c.identity.token_issuer = Some(ISSUER.into());
        c.identity.token_audience = Some(AUDIENCE.into());
    };
    let app = App::start(configure).await;
    let base = TestApp::spawn().await;
    let mut config = test_config(base.database_url().expect("own database"));
    configure(&mut config);
    let keys = TokenKeys::from_config(&config).await.expect("keys");
    let token = keys
        .issue(
            "412",
            cadre_health::domain::Role::Analyst,
            "cli",
            std::time::Duration::from_secs(60),
        )
        .expect("sign");
    assert_eq!(
        app.viewer(&token).await,
        (StatusCode::OK, "cli ANALYST 412".to_owned()),
        "`cadre-health token` writes the board where it is read, and the issuer and audience"
    );
    // The default claims, without issuer or audience, no longer do.
    let plain = TokenKeys::hs256(TEST_SECRET.as_bytes(), std::time::Duration::from_secs(3600))
        .issue(
            "412",
            cadre_health::domain::Role::Analyst,
            "cli",
            std::time::Duration::from_secs(60),
        )
        .expect("sign");
    assert_eq!(
        app.viewer(&plain).await,
        (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED".to_owned())
    );
}
