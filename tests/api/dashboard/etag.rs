//! `ETag` and 304 on GET answers: the same viewer revalidates, a different viewer (another
//! board, or the same board in another role) never matches the first viewer's tag, even when
//! the answers are the same bytes; POST answers carry no tag; a 304 is still audited.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use serde_json::{Value, json};

use super::{get, post};
use crate::fixtures::add_records;
use crate::helpers::TestApp;
use crate::writes::{assert_only_audit_events_since, counts};

/// The same bytes for every viewer of an empty database.
const COUNT: &str = "{ cadres { totalCount } }";

fn get_request(token: &str, query: &str, tag: Option<&str>) -> Request<Body> {
    let mut request = get(Some(token), Some(query), None, None);
    if let Some(tag) = tag {
        request = request.header(header::IF_NONE_MATCH, tag);
    }
    request.body(Body::empty()).expect("request")
}

fn tag(headers: &HeaderMap) -> String {
    headers[header::ETAG].to_str().expect("text").to_owned()
}

#[tokio::test]
async fn the_same_viewer_gets_304_with_its_tag() {
    let app = TestApp::spawn().await;
    let token = app.token("40", "analyst");
    let (status, headers, first) = app.send_raw(get_request(&token, COUNT, None)).await;
    assert_eq!(status, StatusCode::OK);
    let etag = tag(&headers);
    // Strong: no W/ prefix, quoted.
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let cache_control = headers[header::CACHE_CONTROL].to_str().expect("text");
    assert!(cache_control.contains("private"), "{cache_control}");
    assert!(!cache_control.contains("no-store"), "{cache_control}");

    let (status, headers, body) = app.send_raw(get_request(&token, COUNT, Some(&etag))).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(tag(&headers), etag);
    assert!(
        headers[header::CACHE_CONTROL]
            .to_str()
            .expect("text")
            .contains("private")
    );

    // Among other tags, and as a weak one (If-None-Match compares weakly).
    let list = format!("\"other\", W/{etag}");
    let (status, _, _) = app.send_raw(get_request(&token, COUNT, Some(&list))).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);

    // A changed answer is a new tag and a 200.
    app.add_cadre("40", "Nguyễn Văn An").await;
    let (status, headers, body) = app.send_raw(get_request(&token, COUNT, Some(&etag))).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(tag(&headers), etag);
    assert_ne!(body, first);
    let answer: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(answer["data"]["cadres"]["totalCount"], 1);
}

#[tokio::test]
async fn another_viewer_never_matches_the_first_viewers_tag() {
    let app = TestApp::spawn().await;
    let first = app.token("412", "clinician");
    let (_, headers, first_body) = app.send_raw(get_request(&first, COUNT, None)).await;
    let first_tag = tag(&headers);
    // Another district, the province above it, the centre; the same board in the other roles.
    for (board, role) in [
        ("414", "clinician"),
        ("40", "clinician"),
        ("TW", "clinician"),
        ("412", "analyst"),
        ("412", "admin"),
    ] {
        let token = app.token(board, role);
        let (status, headers, body) = app
            .send_raw(get_request(&token, COUNT, Some(&first_tag)))
            .await;
        assert_eq!(status, StatusCode::OK, "{board} {role}");
        // The same bytes (an empty database), yet another tag.
        assert_eq!(body, first_body, "{board} {role}");
        assert_ne!(tag(&headers), first_tag, "{board} {role}");
    }
    // Another user of the same board and role: a tag per person.
    let other = app
        .keys
        .issue(
            "412",
            cadre_health::domain::Role::Clinician,
            "someone-else",
            std::time::Duration::from_secs(600),
        )
        .expect("sign");
    let (status, headers, _) = app
        .send_raw(get_request(&other, COUNT, Some(&first_tag)))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(tag(&headers), first_tag);
}

#[tokio::test]
async fn post_answers_and_answers_with_errors_carry_no_tag_and_are_not_stored() {
    let app = TestApp::spawn().await;
    let token = app.token("40", "analyst");
    let (status, headers, _) = app
        .send_raw(post(Some(&token), &json!({ "query": COUNT })))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get(header::ETAG).is_none(), "{headers:?}");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    // A GET whose answer holds an error (an analyst asking for clinical detail).
    let query = "{ cadres { totalCount } healthExams { totalCount } }";
    let (status, headers, body) = app.send_raw(get_request(&token, query, None)).await;
    assert_eq!(status, StatusCode::OK);
    let answer: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(crate::helpers::error_codes(&answer), ["FORBIDDEN"]);
    assert!(headers.get(header::ETAG).is_none(), "{headers:?}");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
}

/// The answer is computed to hash it, so a clinical read answered 304 is audited like one
/// answered 200.
#[tokio::test]
async fn a_clinical_read_answered_304_is_still_audited() {
    let app = TestApp::spawn().await;
    let cadre = app.add_cadre("412", "Trần Thị Bình").await;
    add_records(&app, cadre, "I10").await;
    let token = app.token("412", "clinician");
    let query = format!(
        "{{ cadre(id: \"{cadre}\") {{ conditions {{ edges {{ node {{ icdCode }} }} }} }} }}"
    );
    let before = counts(&app).await;
    let (status, headers, body) = app.send_raw(get_request(&token, &query, None)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_only_audit_events_since(&app, &before, 1).await;
    let etag = tag(&headers);
    let before = counts(&app).await;
    let (status, _, _) = app.send_raw(get_request(&token, &query, Some(&etag))).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert_only_audit_events_since(&app, &before, 1).await;
}
