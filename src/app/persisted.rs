//! Persisted documents: a request may name its GraphQL document by hash instead of sending it.
//!
//! - **Trusted documents** (`--trusted-documents FILE`): a manifest of `sha256 → document`, as
//!   GraphQL Codegen's client preset (`persisted-documents.json`) and Relay
//!   (`persisted_queries.json`) write it, with `sha256:<hex>` or bare hex keys. Every key is
//!   checked against its document when the file is read. With `--only-trusted`, a request whose
//!   documents are not all in the manifest is refused (`TRUSTED_DOCUMENT_REQUIRED`, HTTP 403) for
//!   every role but `admin`.
//! - **Automatic persisted queries** (Apollo's APQ, `extensions.persistedQuery.sha256Hash`): a
//!   hash alone is looked up and, unknown, answered `PERSISTED_QUERY_NOT_FOUND`; the client then
//!   sends hash and document, the hash is checked, and the document is kept in a bounded store
//!   once it has passed the document limits and validation (see `graphql_http.rs`).
//!
//! A request names a document by `documentId` (GraphQL over HTTP, appendix "Persisted
//! Documents") or by the APQ hash. Both stores hold document text and nothing else: what a
//! document answers is decided per request, by the viewer who sends it, so nothing a store
//! keeps depends on a viewer.
//!
//! async-graphql's `ApolloPersistedQueries` extension is not used: it parses a registered
//! document with no regard for the document limits (`graphql/limits.rs`), stores it before
//! validation, answers without an `extensions.code`, and runs inside the executor, after the
//! HTTP layer must already know which documents a request runs (mutation or query, trusted or
//! not).

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use async_graphql::Value;
use sha2::{Digest, Sha256};

use crate::domain::Role;

/// A SHA-256 digest of a document's UTF-8 text.
pub type Hash = [u8; 32];

/// Most documents the automatic store keeps; the least recently used goes first.
const APQ_MAX_DOCUMENTS: usize = 1_000;
/// Most bytes of document text the automatic store keeps (each document is also within
/// `--max-document-bytes`).
const APQ_MAX_BYTES: usize = 8 * 1024 * 1024;

/// The message Apollo's and urql's clients look for before they send the document itself.
pub const NOT_FOUND_MESSAGE: &str = "PersistedQueryNotFound";

fn sha256(text: &str) -> Hash {
    Sha256::digest(text.as_bytes()).into()
}

/// `sha256:<64 hex>` or `<64 hex>`, as a digest.
fn parse_id(id: &str) -> Option<Hash> {
    let hex_digits = id.strip_prefix("sha256:").unwrap_or(id);
    if hex_digits.len() != 64 {
        return None;
    }
    let mut hash = [0u8; 32];
    hex::decode_to_slice(hex_digits, &mut hash).ok()?;
    Some(hash)
}

/// The manifest of trusted documents, read once at start.
#[derive(Clone, Default)]
pub struct TrustedDocuments(Arc<HashMap<Hash, Arc<str>>>);

impl std::fmt::Debug for TrustedDocuments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TrustedDocuments({} documents)", self.0.len())
    }
}

impl TrustedDocuments {
    /// Reads the manifest at `path` (the `--trusted-documents` value parser): any fault is one
    /// line, naming the entry at fault.
    pub fn load(path: &str) -> Result<TrustedDocuments, String> {
        let text = std::fs::read_to_string(path).map_err(|err| format!("reading it: {err}"))?;
        TrustedDocuments::from_json(&text)
    }

    /// A manifest from its JSON: an object of `"<sha256 hex>"` (or `"sha256:<hex>"`) to the
    /// document's text. Every key must be the SHA-256 of its document's UTF-8 text.
    pub fn from_json(text: &str) -> Result<TrustedDocuments, String> {
        let entries: HashMap<String, String> = serde_json::from_str(text).map_err(|err| {
            format!("not a manifest (an object of \"<sha256 hex>\": \"<document>\"): {err}")
        })?;
        let mut documents = HashMap::with_capacity(entries.len());
        for (id, document) in entries {
            let Some(hash) = parse_id(&id) else {
                return Err(format!(
                    "entry {id:?}: the key is not a SHA-256 (64 hex digits, optionally after \
                     `sha256:`)"
                ));
            };
            let actual = sha256(&document);
            if actual != hash {
                return Err(format!(
                    "entry {id:?}: its document's SHA-256 is {}, not its key",
                    hex::encode(actual)
                ));
            }
            documents.insert(hash, Arc::from(document));
        }
        Ok(TrustedDocuments(Arc::new(documents)))
    }

    fn get(&self, hash: &Hash) -> Option<Arc<str>> {
        self.0.get(hash).cloned()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Where an operation's document came from, once [`PersistedDocuments::resolve`] has read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Sent in full (`query`), in no manifest.
    Sent,
    /// In the trusted manifest (named by hash, or sent in full with the text of one).
    Trusted,
    /// Named by hash and found in the automatic store.
    Automatic,
    /// Sent in full with its APQ hash, which matched: kept once it has passed the limits and
    /// validation.
    Register(Hash),
}

/// Why a request's document could not be resolved.
#[derive(Debug)]
pub enum Unresolved {
    /// Named by a hash that no store holds.
    NotFound,
    /// A malformed persisted-query extension or document id, or a hash that is not the
    /// document's: `(message, field)`.
    BadInput(&'static str, &'static str),
}

/// The persisted documents a server knows: the trusted manifest and the automatic store.
pub struct PersistedDocuments {
    trusted: TrustedDocuments,
    only_trusted: bool,
    automatic: Mutex<Automatic>,
}

/// The automatic store: least recently used first out, bounded by count and by bytes.
struct Automatic {
    documents: lru::LruCache<Hash, Arc<str>>,
    bytes: usize,
}

impl PersistedDocuments {
    pub fn new(trusted: Option<TrustedDocuments>, only_trusted: bool) -> PersistedDocuments {
        let capacity = NonZeroUsize::new(APQ_MAX_DOCUMENTS).unwrap_or(NonZeroUsize::MIN);
        PersistedDocuments {
            trusted: trusted.unwrap_or_default(),
            only_trusted,
            automatic: Mutex::new(Automatic {
                documents: lru::LruCache::new(capacity),
                bytes: 0,
            }),
        }
    }

    /// Fills in `request.query` from the hash it names (`document_id`, or the APQ extension,
    /// which is taken out of the request's extensions), checks a hash sent with its document,
    /// and says where the document came from.
    pub fn resolve(
        &self,
        request: &mut async_graphql::Request,
        document_id: Option<&str>,
    ) -> Result<Source, Unresolved> {
        let apq = request.extensions.0.remove("persistedQuery");
        let named = match (document_id, apq) {
            (Some(id), _) => {
                if !request.query.is_empty() {
                    return Err(Unresolved::BadInput(
                        "send either a documentId or a query, not both",
                        "documentId",
                    ));
                }
                Some(parse_id(id).ok_or(Unresolved::NotFound)?)
            }
            (None, Some(extension)) => {
                let hash = apq_hash(&extension)?;
                if request.query.is_empty() {
                    Some(hash)
                } else if sha256(&request.query) != hash {
                    return Err(Unresolved::BadInput(
                        "provided sha does not match query",
                        "extensions.persistedQuery.sha256Hash",
                    ));
                } else if self.trusted.get(&hash).is_some() {
                    return Ok(Source::Trusted);
                } else {
                    return Ok(Source::Register(hash));
                }
            }
            (None, None) => None,
        };
        let Some(hash) = named else {
            // A document sent in full is trusted when the manifest holds its very text (hashed
            // only when it matters: under --only-trusted).
            if self.only_trusted && self.trusted.get(&sha256(&request.query)).is_some() {
                return Ok(Source::Trusted);
            }
            return Ok(Source::Sent);
        };
        if let Some(document) = self.trusted.get(&hash) {
            request.query = document.to_string();
            return Ok(Source::Trusted);
        }
        let found = self
            .automatic
            .lock()
            .ok()
            .and_then(|mut store| store.documents.get(&hash).cloned());
        match found {
            Some(document) => {
                request.query = document.to_string();
                Ok(Source::Automatic)
            }
            None => Err(Unresolved::NotFound),
        }
    }

    /// Whether `role` may run documents from these sources: under `--only-trusted`, only
    /// trusted ones, unless it is an admin's request.
    pub fn admits(&self, role: Role, sources: &[Source]) -> bool {
        !self.only_trusted || role == Role::Admin || sources.iter().all(|s| *s == Source::Trusted)
    }

    /// Keeps `document` under `hash` in the automatic store, making room by the least recently
    /// used. Called only for a document that passed the limits and validation.
    pub fn register(&self, hash: Hash, document: Arc<str>) {
        let Ok(mut store) = self.automatic.lock() else {
            return;
        };
        if document.len() > APQ_MAX_BYTES {
            return;
        }
        if let Some(old) = store.documents.pop(&hash) {
            store.bytes -= old.len();
        }
        while store.bytes + document.len() > APQ_MAX_BYTES {
            match store.documents.pop_lru() {
                Some((_, old)) => store.bytes -= old.len(),
                None => break,
            }
        }
        store.bytes += document.len();
        if let Some((_, evicted)) = store.documents.push(hash, document) {
            store.bytes -= evicted.len();
        }
    }
}

/// The hash of an APQ extension `{ "version": 1, "sha256Hash": "<hex>" }`.
fn apq_hash(extension: &Value) -> Result<Hash, Unresolved> {
    const FIELD: &str = "extensions.persistedQuery";
    let Value::Object(fields) = extension else {
        return Err(Unresolved::BadInput(
            "persistedQuery must be an object with version and sha256Hash",
            FIELD,
        ));
    };
    if fields.get("version") != Some(&Value::from(1)) {
        return Err(Unresolved::BadInput(
            "only version 1 of persistedQuery is supported",
            "extensions.persistedQuery.version",
        ));
    }
    match fields.get("sha256Hash") {
        Some(Value::String(hex_digits)) if !hex_digits.contains(':') => {
            parse_id(hex_digits).ok_or(Unresolved::BadInput(
                "sha256Hash must be 64 hex digits",
                "extensions.persistedQuery.sha256Hash",
            ))
        }
        _ => Err(Unresolved::BadInput(
            "sha256Hash must be 64 hex digits",
            "extensions.persistedQuery.sha256Hash",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "{ viewer { role } }";

    fn hex_of(text: &str) -> String {
        hex::encode(sha256(text))
    }

    #[test]
    fn a_manifest_takes_both_key_forms_and_names_a_wrong_entry() {
        let json = serde_json::json!({
            hex_of(DOC): DOC,
            format!("sha256:{}", hex_of("{ a }")): "{ a }",
        });
        let manifest = TrustedDocuments::from_json(&json.to_string()).expect("a good manifest");
        assert_eq!(manifest.len(), 2);

        let wrong = serde_json::json!({ hex_of(DOC): DOC, hex_of("{ a }"): "{ b }" });
        let err = TrustedDocuments::from_json(&wrong.to_string()).expect_err("a wrong hash");
        assert!(
            err.contains(&hex_of("{ a }")) && !err.contains('\n'),
            "{err}"
        );

        let md5 = serde_json::json!({ "0123456789abcdef0123456789abcdef": DOC });
        let err = TrustedDocuments::from_json(&md5.to_string()).expect_err("not a sha256");
        assert!(err.contains("0123456789abcdef0123456789abcdef"), "{err}");
    }

    #[test]
    fn the_automatic_store_stays_within_its_bytes() {
        let store = PersistedDocuments::new(None, false);
        let big: Arc<str> = Arc::from("x".repeat(APQ_MAX_BYTES / 2 + 1));
        store.register([1; 32], big.clone());
        store.register([2; 32], big.clone());
        let automatic = store.automatic.lock().expect("lock");
        assert_eq!(automatic.documents.len(), 1);
        assert_eq!(automatic.bytes, big.len());
        assert!(automatic.documents.contains(&[2; 32]));
    }
}
