//! What a dashboard in a browser on another origin needs of the HTTP layer: CORS for the
//! configured origins only (`--cors-origin`) and compressed answers (gzip, br, zstd, by
//! `Accept-Encoding`). Both are tower-http layers, added in `router.rs`.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode, header};
use tower_http::compression::predicate::{Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Answers smaller than this are sent as they are: compressing a few hundred bytes saves
/// less than its headers and CPU cost.
pub const COMPRESS_ABOVE_BYTES: u16 = 1024;

/// How long a browser may reuse a preflight's answer before asking again.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// A `--cors-origin` value: an origin as a browser sends it in `Origin` (scheme, host, and a
/// port unless it is the scheme's default; no path, no trailing slash), so that a setting
/// that could never match is refused at start rather than silently matching nothing.
pub fn parse_origin(text: &str) -> Result<String, String> {
    let text = text.trim();
    let hint = "write an origin as a browser sends it: scheme, host and port only, such as \
                https://dashboard.example.gov.vn or http://localhost:5173";
    let url = reqwest::Url::parse(text).map_err(|err| format!("{text:?}: {err}; {hint}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{text:?}: not http(s); {hint}"));
    }
    let origin = url.origin().ascii_serialization();
    if origin != text {
        return Err(format!("{text:?} is not an origin ({origin}?); {hint}"));
    }
    Ok(origin)
}

/// The CORS layer for `origins`, or none when no origin is configured (then no answer carries
/// a CORS header). Preflights are answered here; `Authorization` and `content-type` may be
/// sent, `x-request-id` read. No credentials (cookies): the token travels in `Authorization`.
pub fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .expose_headers([HeaderName::from_static("x-request-id")])
            .max_age(PREFLIGHT_MAX_AGE),
    )
}

/// tower-http adds `Access-Control-Allow-Methods`, `-Allow-Headers`, `-Max-Age` and
/// `-Expose-Headers` whatever the origin; an origin that is not allowed gets none of them (it
/// learns nothing of the API's CORS rules). Runs outside [`cors`].
pub async fn only_for_allowed_origins<B>(mut response: Response<B>) -> Response<B> {
    let headers = response.headers_mut();
    if !headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
        let cors: Vec<HeaderName> = headers
            .keys()
            .filter(|name| name.as_str().starts_with("access-control-"))
            .cloned()
            .collect();
        for name in cors {
            headers.remove(name);
        }
    }
    response
}

/// Compression by `Accept-Encoding` (gzip, br, zstd; brotli at quality 4, tower-http's
/// default) of answers above [`COMPRESS_ABOVE_BYTES`] whose type compresses well.
pub fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .no_deflate()
        .quality(CompressionLevel::Default)
        .compress_when(SizeAbove::new(COMPRESS_ABOVE_BYTES).and(compressible))
}

/// JSON, text (HTML, CSS) and scripts: what this server sends that compresses. Never an event
/// stream (each event must leave when it is written) nor what is already compressed.
fn compressible(
    _: StatusCode,
    _: axum::http::Version,
    headers: &HeaderMap,
    _: &axum::http::Extensions,
) -> bool {
    let Some(content_type) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence != "text/event-stream"
        && (essence.starts_with("text/")
            || essence.ends_with("json")
            || essence.ends_with("javascript")
            || essence == "image/svg+xml")
}

/// A compressed answer is another representation than the plain one, so its strong `ETag`
/// must differ (RFC 9110, 8.8.1): the coding is added to the tag (`"…-gzip"`), as Apache does.
/// `If-None-Match` accepts either form (see `etag.rs`). Runs outside [`compression`].
pub async fn tag_by_coding<B>(mut response: Response<B>) -> Response<B> {
    let headers = response.headers_mut();
    let coding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let tag = headers
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.strip_suffix('"'))
        .map(str::to_owned);
    if let (Some(coding), Some(tag)) = (coding, tag)
        && let Ok(value) = HeaderValue::from_str(&format!("{tag}-{coding}\""))
    {
        headers.insert(header::ETAG, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_is_scheme_host_and_port() {
        assert_eq!(
            parse_origin("https://dash.example.vn").as_deref(),
            Ok("https://dash.example.vn")
        );
        assert_eq!(
            parse_origin("http://localhost:5173").as_deref(),
            Ok("http://localhost:5173")
        );
        for bad in [
            "https://dash.example.vn/",
            "https://dash.example.vn/app",
            "https://dash.example.vn:443",
            "https://Dash.example.vn",
            "dash.example.vn",
            "*",
            "ftp://dash.example.vn",
            "null",
        ] {
            let err = parse_origin(bad).expect_err(bad);
            assert!(!err.contains('\n'), "{err}");
        }
    }
}
