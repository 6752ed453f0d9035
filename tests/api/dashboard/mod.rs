//! What a dashboard frontend needs of the HTTP side (issue 15): CORS for configured origins
//! (`cors`), compressed answers (`compression`), persisted documents, automatic and trusted
//! (`persisted`), and `ETag`/304 on GET answers that never serve one viewer's answer to
//! another (`etag`).

mod compression;
mod cors;
mod etag;
mod persisted;

use axum::body::Body;
use axum::http::{Request, header};
use serde_json::Value;

/// The central coverage answer a dashboard's first screen asks for: every province, a few
/// kilobytes.
pub const CENTRAL_COVERAGE: &str = "{ statistics { examCoverage(year: 2025, round: 1) { \
    total { eligible examined rate } \
    byBoard { board { code name } eligible examined rate } } } }";

/// `GET /graphql?query=…` (with `variables` and `extensions` when given) as `token`'s user.
pub fn get(
    token: Option<&str>,
    query: Option<&str>,
    variables: Option<&Value>,
    extensions: Option<&Value>,
) -> axum::http::request::Builder {
    let mut params = vec![];
    if let Some(query) = query {
        params.push(("query", query.to_owned()));
    }
    if let Some(variables) = variables {
        params.push(("variables", variables.to_string()));
    }
    if let Some(extensions) = extensions {
        params.push(("extensions", extensions.to_string()));
    }
    let encoded: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect();
    let mut request = Request::get(format!("/graphql?{}", encoded.join("&")));
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    request
}

/// `POST /graphql` of `body` as `token`'s user.
pub fn post(token: Option<&str>, body: &Value) -> Request<Body> {
    let mut request = Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    request.body(Body::from(body.to_string())).expect("request")
}

/// Percent-encoding of a query parameter's value.
pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The lower-case hex SHA-256 of `text`, as APQ and trusted documents name a document.
pub fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

/// The built `cadre-health`, with nothing from the test's environment but `PATH`.
pub fn binary() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_cadre-health"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn");
    command
}
