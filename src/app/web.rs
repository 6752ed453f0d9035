//! What the binary serves to a browser: GraphiQL (`GET /graphql` without a query, and
//! `GET /graphiql`), the reference dashboard (`GET /dashboard`) and their files under `/web/`.
//!
//! Everything is compiled in (`web/` at the crate root): the boards' networks have no internet,
//! so neither page may load anything from a CDN, and the Content-Security-Policy below tells
//! the browser to refuse any other origin should a library try. The vendored libraries live
//! under `web/vendor/<package>@<version>/` (see `web/vendor/README.md`): their URL holds the
//! version, so browsers may keep them for a year; our own files are asked again each time.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A page's or file's answer headers beside its type: only this origin, inline styles allowed
/// (React and Chart.js set `style` attributes), data: URLs for GraphiQL's inlined fonts and
/// icons, `connect-src 'self'` for `fetch` and the subscription socket on the same host.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; \
    connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

/// Versioned files never change under their URL.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Our own pages and scripts change with the binary: the browser asks again every time.
const REVALIDATE: &str = "no-cache";

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// One file served under `/web/`.
struct Asset {
    /// Its path under `/web/` (and under `web/` in the source tree).
    path: &'static str,
    content_type: &'static str,
    cache_control: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $content_type:expr, $cache_control:expr) => {
        Asset {
            path: $path,
            content_type: $content_type,
            cache_control: $cache_control,
            body: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/", $path)),
        }
    };
}

/// Every file under `/web/`: the pages' own scripts and styles, and the vendored libraries.
const ASSETS: &[Asset] = &[
    asset!("graphiql.js", JS, REVALIDATE),
    asset!("graphiql.css", CSS, REVALIDATE),
    asset!("dashboard.js", JS, REVALIDATE),
    asset!("dashboard.css", CSS, REVALIDATE),
    asset!("vendor/graphiql@3.9.0/graphiql.min.js", JS, IMMUTABLE),
    asset!("vendor/graphiql@3.9.0/graphiql.min.css", CSS, IMMUTABLE),
    asset!("vendor/react@18.3.1/react.production.min.js", JS, IMMUTABLE),
    asset!(
        "vendor/react-dom@18.3.1/react-dom.production.min.js",
        JS,
        IMMUTABLE
    ),
    asset!("vendor/graphql-ws@5.16.2/graphql-ws.min.js", JS, IMMUTABLE),
    asset!("vendor/chart.js@4.5.1/chart.umd.min.js", JS, IMMUTABLE),
];

const GRAPHIQL_PAGE: &str = include_str!("../../web/graphiql.html");
const DASHBOARD_PAGE: &str = include_str!("../../web/dashboard.html");

/// GraphiQL, with the subscription transport (`/graphql/ws`) and a headers editor for the
/// token.
pub fn graphiql() -> Response {
    serve(HTML, REVALIDATE, GRAPHIQL_PAGE.as_bytes())
}

/// `GET /dashboard`: the reference dashboard.
pub async fn dashboard() -> Response {
    serve(HTML, REVALIDATE, DASHBOARD_PAGE.as_bytes())
}

/// `GET /graphiql`.
pub async fn graphiql_page() -> Response {
    graphiql()
}

/// `GET /web/{*path}`: one of [`ASSETS`], or 404.
pub async fn asset(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.path == path) {
        Some(a) => serve(a.content_type, a.cache_control, a.body),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

fn serve(content_type: &'static str, cache_control: &'static str, body: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static(cache_control),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every script and stylesheet a page names is one we serve, and none is from elsewhere.
    #[test]
    fn pages_load_only_served_files() {
        for page in [GRAPHIQL_PAGE, DASHBOARD_PAGE] {
            let mut named = 0;
            for attr in ["src=\"", "href=\""] {
                for (i, _) in page.match_indices(attr) {
                    let rest = &page[i + attr.len()..];
                    let url = &rest[..rest.find('"').unwrap_or(rest.len())];
                    // In-page links and inline data (the empty favicon) fetch nothing.
                    if url.starts_with('#') || url.starts_with("data:") {
                        continue;
                    }
                    let path = url
                        .strip_prefix("/web/")
                        .unwrap_or_else(|| panic!("{url}: a page loads only files under /web/"));
                    assert!(ASSETS.iter().any(|a| a.path == path), "{url} is not served");
                    named += 1;
                }
            }
            assert!(named >= 3, "each page loads its scripts");
        }
    }
}
