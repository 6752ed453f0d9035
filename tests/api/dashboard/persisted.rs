//! Persisted documents: Apollo's automatic persisted queries (the miss-then-register round
//! trip, GET by hash, the hash checked, the document limits kept), and the trusted-documents
//! mode (`--trusted-documents`, `--only-trusted`: refused and allowed by role, nothing written
//! on refusal; a manifest with a wrong hash stops the start).

use axum::body::Body;
use axum::http::{StatusCode, header};
use serde_json::{Value, json};

use super::{get, post, sha256_hex};
use crate::fixtures::add_records;
use crate::helpers::{TestApp, error_codes};
use crate::writes::{assert_only_audit_events_since, counts};
use cadre_health::app::TrustedDocuments;

const VIEWER: &str = "query Viewer { viewer { role board { code } } }";

fn apq(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

async fn send(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    let (status, _, answer) = app.send_full(post(Some(token), &body)).await;
    (status, answer)
}

#[tokio::test]
async fn an_unknown_hash_is_asked_for_then_registered_and_served_by_get() {
    let app = TestApp::spawn().await;
    let token = app.token("40", "analyst");
    let hash = sha256_hex(VIEWER);

    // 1. The hash alone: not known yet. 200 (Apollo Client takes a 400 for "no APQ here"),
    //    with the message Apollo's and urql's clients look for, whatever the media type.
    for accept in ["application/json", "application/graphql-response+json"] {
        let mut request = post(Some(&token), &json!({ "extensions": apq(&hash) }));
        request
            .headers_mut()
            .insert(header::ACCEPT, accept.parse().expect("header"));
        let (status, _, answer) = app.send_full(request).await;
        assert_eq!(status, StatusCode::OK, "{accept}: {answer}");
        assert_eq!(error_codes(&answer), ["PERSISTED_QUERY_NOT_FOUND"]);
        assert_eq!(answer["errors"][0]["message"], "PersistedQueryNotFound");
    }

    // 2. The document with its hash: run and registered.
    let (status, answer) = send(
        &app,
        &token,
        json!({ "query": VIEWER, "extensions": apq(&hash) }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["data"]["viewer"]["board"]["code"], "40", "{answer}");

    // 3. The hash alone, by POST, by anyone (a document holds no viewer data): each viewer's
    //    own answer.
    let (_, answer) = send(&app, &token, json!({ "extensions": apq(&hash) })).await;
    assert_eq!(answer["data"]["viewer"]["role"], "ANALYST", "{answer}");
    let other = app.token("412", "clinician");
    let (_, answer) = send(&app, &other, json!({ "extensions": apq(&hash) })).await;
    assert_eq!(answer["data"]["viewer"]["board"]["code"], "412", "{answer}");

    // 4. By GET with only the hash (and variables), as urql and Apollo send cacheable queries.
    let with_variable = "query Board($code: String!) { board(code: $code) { name } }";
    let hash = sha256_hex(with_variable);
    let (_, answer) = send(
        &app,
        &token,
        json!({ "query": with_variable, "variables": { "code": "412" }, "extensions": apq(&hash) }),
    )
    .await;
    assert!(answer.get("errors").is_none(), "{answer}");
    let request = get(
        Some(&token),
        None,
        Some(&json!({ "code": "40" })),
        Some(&apq(&hash)),
    )
    .body(Body::empty())
    .expect("request");
    let (status, headers, answer) = app.send_full(request).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["data"]["board"]["name"], "Tỉnh Nghệ An", "{answer}");
    assert!(headers.contains_key(header::ETAG));
}

#[tokio::test]
async fn a_hash_that_is_not_the_documents_is_refused_and_not_kept() {
    let app = TestApp::spawn().await;
    let token = app.token("40", "analyst");
    let wrong = sha256_hex("{ something { else } }");
    let (_, answer) = send(
        &app,
        &token,
        json!({ "query": VIEWER, "extensions": apq(&wrong) }),
    )
    .await;
    assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{answer}");
    assert_eq!(
        answer["errors"][0]["extensions"]["field"],
        "extensions.persistedQuery.sha256Hash"
    );
    assert!(answer.get("data").is_none() || answer["data"].is_null());
    let (_, answer) = send(&app, &token, json!({ "extensions": apq(&wrong) })).await;
    assert_eq!(error_codes(&answer), ["PERSISTED_QUERY_NOT_FOUND"]);
    // A malformed extension: its own coded error.
    for extensions in [
        json!({ "persistedQuery": { "version": 2, "sha256Hash": wrong } }),
        json!({ "persistedQuery": { "version": 1, "sha256Hash": "abc" } }),
        json!({ "persistedQuery": "yes" }),
    ] {
        let (_, answer) = send(&app, &token, json!({ "extensions": extensions })).await;
        assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{answer}");
    }
}

/// A document registered through APQ is read within the document limits like any other, and
/// one that breaks them (or fails validation) is not kept.
#[tokio::test]
async fn registering_keeps_the_document_limits() {
    let app = TestApp::spawn_with(|c| c.max_aliases = 2).await;
    let token = app.token("40", "analyst");
    let aliased = "{ a: viewer { role } b: viewer { role } c: viewer { role } }";
    let invalid = "{ noSuchField }";
    for document in [aliased, invalid] {
        let hash = sha256_hex(document);
        let (_, answer) = send(
            &app,
            &token,
            json!({ "query": document, "extensions": apq(&hash) }),
        )
        .await;
        let codes = error_codes(&answer);
        assert!(
            codes == ["TOO_MANY_ALIASES"] || codes == ["BAD_USER_INPUT"],
            "{answer}"
        );
        let (_, answer) = send(&app, &token, json!({ "extensions": apq(&hash) })).await;
        assert_eq!(
            error_codes(&answer),
            ["PERSISTED_QUERY_NOT_FOUND"],
            "{document}"
        );
    }
}

/// A manifest as GraphQL Codegen writes it (bare hex) with an entry as Relay and the
/// persisted-documents appendix name it (`sha256:`), written to a file and read as the
/// setting reads it.
fn manifest(documents: &[&str]) -> (tempfile::TempDir, TrustedDocuments) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut entries = serde_json::Map::new();
    for (i, document) in documents.iter().enumerate() {
        let key = match i % 2 {
            0 => sha256_hex(document),
            _ => format!("sha256:{}", sha256_hex(document)),
        };
        entries.insert(key, Value::from(*document));
    }
    let path = dir.path().join("persisted-documents.json");
    std::fs::write(&path, Value::Object(entries).to_string()).expect("write the manifest");
    let trusted = TrustedDocuments::load(path.to_str().expect("utf-8 path")).expect("load");
    (dir, trusted)
}

const COVERAGE: &str =
    "query Coverage { statistics { examCoverage(year: 2025) { total { eligible rate } } } }";
const CADRES: &str = "query Cadres { cadres { totalCount } }";

#[tokio::test]
async fn only_trusted_refuses_free_documents_except_an_admins() {
    let (_dir, trusted) = manifest(&[COVERAGE, CADRES]);
    let app = TestApp::spawn_with(|c| {
        c.trusted_documents = Some(trusted);
        c.only_trusted = true;
    })
    .await;
    let free = json!({ "query": "{ viewer { role } }" });
    for role in ["analyst", "clinician"] {
        let token = app.token("40", role);
        let (status, answer) = send(&app, &token, free.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}: {answer}");
        assert_eq!(error_codes(&answer), ["TRUSTED_DOCUMENT_REQUIRED"]);
        assert!(answer.get("data").is_none(), "{answer}");
        // A batch with one free document among trusted ones: refused whole.
        let batch = json!([
            { "documentId": format!("sha256:{}", sha256_hex(CADRES)) },
            { "query": "{ viewer { role } }" },
        ]);
        let (status, _) = send(&app, &token, batch).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
        // Registering a new document through APQ is off for them.
        let (status, answer) = send(
            &app,
            &token,
            json!({ "query": "{ viewer { role } }", "extensions": apq(&sha256_hex("{ viewer { role } }")) }),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    }
    let admin = app.token("40", "admin");
    let (status, answer) = send(&app, &admin, free).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["data"]["viewer"]["role"], "ADMIN");
}

#[tokio::test]
async fn a_manifest_document_is_allowed_for_every_role_however_it_is_named() {
    let (_dir, trusted) = manifest(&[COVERAGE, CADRES]);
    let app = TestApp::spawn_with(|c| {
        c.trusted_documents = Some(trusted);
        c.only_trusted = true;
    })
    .await;
    for role in ["analyst", "clinician", "admin"] {
        let token = app.token("412", role);
        for document in [COVERAGE, CADRES] {
            let hash = sha256_hex(document);
            for body in [
                json!({ "documentId": format!("sha256:{hash}") }),
                json!({ "documentId": hash }),
                json!({ "extensions": apq(&hash) }),
                json!({ "query": document }),
                json!({ "query": document, "extensions": apq(&hash) }),
            ] {
                let (status, answer) = send(&app, &token, body.clone()).await;
                assert_eq!(status, StatusCode::OK, "{role} {body}: {answer}");
                assert!(answer.get("errors").is_none(), "{role} {body}: {answer}");
            }
        }
        // By GET and documentId, as the persisted-documents appendix sends it.
        let request =
            axum::http::Request::get(format!("/graphql?documentId=sha256:{}", sha256_hex(CADRES)))
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .expect("request");
        let (status, _, answer) = app.send_full(request).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["data"]["cadres"]["totalCount"], 0, "{answer}");
    }
    // An id no manifest holds.
    let token = app.token("412", "analyst");
    let unknown = format!("sha256:{}", sha256_hex("{ nothing }"));
    let (_, answer) = send(&app, &token, json!({ "documentId": unknown })).await;
    assert_eq!(
        error_codes(&answer),
        ["PERSISTED_QUERY_NOT_FOUND"],
        "{answer}"
    );
}

/// A refused request writes nothing, not even the audit of the clinical read it asked for.
#[tokio::test]
async fn a_refused_request_writes_nothing() {
    let (_dir, trusted) = manifest(&[CADRES]);
    let app = TestApp::spawn_with(|c| {
        c.trusted_documents = Some(trusted);
        c.only_trusted = true;
    })
    .await;
    let cadre = app.add_cadre("412", "Lê Văn Cường").await;
    add_records(&app, cadre, "E11").await;
    let clinical = format!(
        "{{ cadre(id: \"{cadre}\") {{ conditions {{ edges {{ node {{ icdCode }} }} }} }} }}"
    );
    let clinician = app.token("412", "clinician");
    let before = counts(&app).await;
    let (status, answer) = send(&app, &clinician, json!({ "query": clinical })).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert_only_audit_events_since(&app, &before, 0).await;
    // The same read by an admin runs, and is audited.
    let admin = app.token("412", "admin");
    let (status, answer) = send(&app, &admin, json!({ "query": clinical })).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        answer["data"]["cadre"]["conditions"]["edges"][0]["node"]["icdCode"],
        "E11"
    );
    assert_only_audit_events_since(&app, &before, 1).await;
}

/// A manifest entry whose key is not its document's hash stops the start with one line naming
/// the entry and the setting (exit code 2); so does `--only-trusted` without a manifest.
#[test]
fn a_wrong_manifest_stops_the_start() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("persisted-documents.json");
    let wrong_key = sha256_hex(CADRES);
    let body = json!({ sha256_hex(COVERAGE): COVERAGE, wrong_key.clone(): "query Cadres { cadres { edges { cursor } } }" });
    std::fs::write(&path, body.to_string()).expect("write");
    let output = super::binary()
        .args(["config", "--check"])
        .env("CADRE_HEALTH_TRUSTED_DOCUMENTS", &path)
        .env("CADRE_HEALTH_DATA_DIR", dir.path())
        .output()
        .expect("run cadre-health");
    let said = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{said}");
    assert_eq!(said.trim().lines().count(), 1, "{said}");
    assert!(said.contains(&wrong_key), "{said}");
    assert!(
        said.contains("--trusted-documents") && said.contains("CADRE_HEALTH_TRUSTED_DOCUMENTS"),
        "{said}"
    );

    let output = super::binary()
        .args(["config", "--check", "--only-trusted"])
        .env("CADRE_HEALTH_DATA_DIR", dir.path())
        .output()
        .expect("run cadre-health");
    let said = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{said}");
    assert_eq!(said.trim().lines().count(), 1, "{said}");
    assert!(said.contains("--trusted-documents"), "{said}");

    // A good manifest passes, and the flag and its variable are both taken.
    std::fs::write(&path, json!({ sha256_hex(CADRES): CADRES }).to_string()).expect("write");
    let output = super::binary()
        .args(["config", "--check", "--only-trusted", "--trusted-documents"])
        .arg(&path)
        .env("CADRE_HEALTH_DATA_DIR", dir.path())
        .output()
        .expect("run cadre-health");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
