//! HTTP caching of `GET /graphql` answers: a strong `ETag` that depends on who asked as well as
//! on the answer, `Cache-Control: private, no-cache` (a browser may keep the answer but asks
//! again every time, with `If-None-Match`), and 304 when the tag still holds.
//!
//! The request is executed either way (the tag is a hash of the answer), so a clinical read
//! answered 304 is audited like one answered 200; what a 304 saves is the transfer.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::auth::Viewer;
use crate::scope::Scope;

/// Who an answer was computed for: what the tag covers besides the answer's bytes.
pub struct Audience(Sha256);

impl Audience {
    /// The viewer's role, board, scope and subject.
    ///
    /// The subject is in it although the role and the scope decide what a query answers, and
    /// the answer's bytes are in the tag anyway: a browser's cache serves one person, so a tag
    /// per person costs no cache hit in practice, and it makes "one viewer's tag never matches
    /// another's answer" hold by construction, without having to argue that two people's
    /// identical answers are interchangeable (fields that name the viewer, such as
    /// `viewer { subject }` or an admin's audit trail by actor, would make that argument
    /// depend on the query).
    pub fn of(viewer: &Viewer) -> Audience {
        let mut hash = Sha256::new();
        // Each part length-prefixed, so that no two audiences hash alike by running together.
        let mut part = |text: &str| {
            hash.update((text.len() as u64).to_be_bytes());
            hash.update(text.as_bytes());
        };
        part(viewer.role.as_str());
        part(&viewer.board.code);
        match &viewer.scope {
            Scope::All => part("all"),
            Scope::Provinces(provinces) => {
                part("provinces");
                provinces.iter().for_each(|p| part(p));
            }
            Scope::Districts {
                provinces,
                districts,
            } => {
                part("districts");
                provinces.iter().for_each(|p| part(p));
                part("in");
                districts.iter().for_each(|d| part(d));
            }
        }
        part(&viewer.subject);
        Audience(hash)
    }

    /// The strong entity tag of `body` computed for this audience: `"<64 hex>"`.
    pub fn tag(self, body: &[u8]) -> String {
        let mut hash = self.0;
        hash.update((body.len() as u64).to_be_bytes());
        hash.update(body);
        format!("\"{}\"", hex::encode(hash.finalize()))
    }
}

/// The codings `browser::tag_by_coding` appends to a tag for a compressed representation.
const CODING_SUFFIXES: [&str; 3] = ["-gzip", "-br", "-zstd"];

/// The tag in `If-None-Match` that `tag` satisfies (weak comparison, as RFC 9110 asks of
/// `If-None-Match`; a compressed representation's tag counts as the plain one's), if any.
fn matching<'a>(request: &'a HeaderMap, tag: &str) -> Option<&'a str> {
    let opaque = tag.trim_matches('"');
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .find(|candidate| {
            if *candidate == "*" {
                return true;
            }
            let candidate = candidate.strip_prefix("W/").unwrap_or(candidate);
            let Some(inner) = candidate
                .strip_prefix('"')
                .and_then(|c| c.strip_suffix('"'))
            else {
                return false;
            };
            let inner = CODING_SUFFIXES
                .iter()
                .find_map(|s| inner.strip_suffix(s))
                .unwrap_or(inner);
            inner == opaque
        })
}

fn cache_headers(response: &mut Response, tag: &str) {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(tag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    // A browser keeps one entry per URL: a different token must not be answered from it
    // without asking (it would then be revalidated with this tag and get a 200 anyway).
    headers.append(header::VARY, HeaderValue::from_static("authorization"));
}

/// The answer to a successful GET whose tag is `tag`: `ok()` with its tag and caching headers,
/// or 304 with no body when `request` already holds it.
pub fn cached(request: &HeaderMap, tag: String, ok: impl FnOnce() -> Response) -> Response {
    if let Some(held) = matching(request, &tag) {
        let held = match held {
            "*" => tag.clone(),
            held => held.strip_prefix("W/").unwrap_or(held).to_owned(),
        };
        let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
        cache_headers(&mut not_modified, &held);
        return not_modified;
    }
    let mut ok = ok();
    cache_headers(&mut ok, &tag);
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(value).expect("a header"),
        );
        headers
    }

    #[test]
    fn if_none_match_compares_weakly_and_ignores_the_coding() {
        let tag = "\"abc\"";
        assert!(matching(&with("\"abc\""), tag).is_some());
        assert!(matching(&with("W/\"abc\""), tag).is_some());
        assert!(matching(&with("\"x\", \"abc-gzip\""), tag).is_some());
        assert!(matching(&with("*"), tag).is_some());
        assert!(matching(&with("\"abcd\""), tag).is_none());
        assert!(matching(&with("abc"), tag).is_none());
        assert!(matching(&HeaderMap::new(), tag).is_none());
    }
}
