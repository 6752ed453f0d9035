//! Compression by `Accept-Encoding`: gzip, br and zstd each give back the very answer sent
//! plain; small answers are sent as they are.

use std::io::Read;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use super::{CENTRAL_COVERAGE, get, post};
use crate::helpers::TestApp;

fn decode(coding: &str, bytes: &[u8]) -> Vec<u8> {
    let mut plain = vec![];
    match coding {
        "gzip" => flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut plain)
            .expect("gzip"),
        "br" => brotli_decompressor::Decompressor::new(bytes, 4096)
            .read_to_end(&mut plain)
            .expect("br"),
        "zstd" => zstd::stream::read::Decoder::new(bytes)
            .expect("zstd")
            .read_to_end(&mut plain)
            .expect("zstd"),
        other => panic!("unknown coding {other}"),
    };
    plain
}

fn accepting(coding: Option<&str>, mut request: Request<Body>) -> Request<Body> {
    if let Some(coding) = coding {
        request.headers_mut().insert(
            header::ACCEPT_ENCODING,
            coding.parse().expect("a header value"),
        );
    }
    request
}

#[tokio::test]
async fn each_encoding_gives_back_the_plain_answer() {
    let app = TestApp::spawn().await;
    let token = app.token("TW", "analyst");
    let body = json!({ "query": CENTRAL_COVERAGE });
    let (status, headers, plain) = app.send_raw(post(Some(&token), &body)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get(header::CONTENT_ENCODING).is_none());
    let answer: Value = serde_json::from_slice(&plain).expect("json");
    let provinces = answer["data"]["statistics"]["examCoverage"]["byBoard"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(provinces >= 63, "{answer}");
    assert!(plain.len() > 1024, "{} bytes", plain.len());

    for coding in ["gzip", "br", "zstd"] {
        let request = accepting(Some(coding), post(Some(&token), &body));
        let (status, headers, compressed) = app.send_raw(request).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_ENCODING], coding);
        assert!(
            headers[header::VARY]
                .to_str()
                .expect("text")
                .to_ascii_lowercase()
                .contains("accept-encoding"),
            "{headers:?}"
        );
        assert!(
            compressed.len() < plain.len() / 2,
            "{coding}: {}",
            compressed.len()
        );
        assert_eq!(decode(coding, &compressed), plain.to_vec(), "{coding}");
    }
    // Negotiated by preference: the client's best-valued coding it lists.
    let request = accepting(
        Some("gzip;q=0.5, zstd;q=0.9, br;q=0.1"),
        post(Some(&token), &body),
    );
    let (_, headers, _) = app.send_raw(request).await;
    assert_eq!(headers[header::CONTENT_ENCODING], "zstd");
    // Identity only: plain.
    let request = accepting(Some("identity"), post(Some(&token), &body));
    let (_, headers, bytes) = app.send_raw(request).await;
    assert!(headers.get(header::CONTENT_ENCODING).is_none());
    assert_eq!(bytes, plain);
}

#[tokio::test]
async fn small_answers_are_sent_as_they_are() {
    let app = TestApp::spawn().await;
    let token = app.token("412", "clinician");
    let request = accepting(
        Some("gzip, br, zstd"),
        post(Some(&token), &json!({ "query": "{ viewer { role } }" })),
    );
    let (status, headers, bytes) = app.send_raw(request).await;
    assert_eq!(status, StatusCode::OK);
    assert!(bytes.len() < 1024);
    assert!(
        headers.get(header::CONTENT_ENCODING).is_none(),
        "{headers:?}"
    );
    let answer: Value = serde_json::from_slice(&bytes).expect("plain json");
    assert_eq!(answer["data"]["viewer"]["role"], "CLINICIAN");
}

/// A compressed GET answer is another representation: its tag names the coding, and either
/// form of the tag is accepted back.
#[tokio::test]
async fn a_compressed_get_answer_has_its_own_tag_and_revalidates() {
    let app = TestApp::spawn().await;
    let token = app.token("TW", "analyst");
    let plain_request = get(Some(&token), Some(CENTRAL_COVERAGE), None, None)
        .body(Body::empty())
        .expect("request");
    let (_, headers, _) = app.send_raw(plain_request).await;
    let plain_tag = headers[header::ETAG].to_str().expect("text").to_owned();
    let gzip_request = accepting(
        Some("gzip"),
        get(Some(&token), Some(CENTRAL_COVERAGE), None, None)
            .body(Body::empty())
            .expect("request"),
    );
    let (status, headers, _) = app.send_raw(gzip_request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
    let gzip_tag = headers[header::ETAG].to_str().expect("text").to_owned();
    assert_eq!(
        gzip_tag,
        format!("{}-gzip\"", plain_tag.trim_end_matches('"'))
    );
    for tag in [&plain_tag, &gzip_tag] {
        let request = accepting(
            Some("gzip"),
            get(Some(&token), Some(CENTRAL_COVERAGE), None, None)
                .header(header::IF_NONE_MATCH, tag.as_str())
                .body(Body::empty())
                .expect("request"),
        );
        let (status, _, bytes) = app.send_raw(request).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "{tag}");
        assert!(bytes.is_empty());
    }
}
