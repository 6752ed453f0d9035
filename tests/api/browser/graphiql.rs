//! GraphiQL, from the binary, in a real browser with no outbound network.

use std::time::Duration;

use fantoccini::Locator;
use serde_json::Value;

use super::{Browser, Served};
use crate::helpers::TestApp;

const QUERY: &str = "{ viewer { role board { code name } } \
    statistics { board { code } examCoverage(year: 2025, round: 1) { total { eligible } } } }";

/// A user opens `GET /graphql`, sets the token in the headers editor, types a query, presses
/// run, and reads the API's answer in the result pane; nothing is fetched from elsewhere.
#[tokio::test]
async fn graphiql_runs_a_query_with_the_token_from_its_headers_editor() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let served = Served::start(TestApp::spawn().await).await;
    let token = served.app.token("40", "analyst");
    let expected = served.app.as_board("40", "analyst").data(QUERY).await;

    let b = &browser;
    b.client.goto(&served.url("/graphql")).await.expect("open");
    b.until(
        "GraphiQL's query editor",
        Duration::from_secs(20),
        "return document.querySelector('.graphiql-query-editor .CodeMirror') !== null",
    )
    .await;

    b.client
        .find(Locator::Css("button[data-name=headers]"))
        .await
        .expect("the Headers tab")
        .click()
        .await
        .expect("open the headers editor");
    let headers = format!(r#"{{"Authorization": "Bearer {token}"}}"#);
    b.until(
        "the headers editor",
        Duration::from_secs(5),
        &format!(
            "const ed = document.querySelector(
                 '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror');
             if (!ed) return false;
             ed.CodeMirror.setValue({headers});
             return ed.CodeMirror.getValue().includes('Bearer ey');",
            headers = serde_json::to_string(&headers).expect("json"),
        ),
    )
    .await;
    b.js(&format!(
        "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue({});",
        serde_json::to_string(QUERY).expect("json"),
    ))
    .await;
    b.client
        .find(Locator::Css(".graphiql-execute-button"))
        .await
        .expect("the run button")
        .click()
        .await
        .expect("run");

    let shown = b
        .until(
            "an answer in the result pane",
            Duration::from_secs(15),
            "const r = document.querySelector('.graphiql-response .CodeMirror');
             const text = r && r.CodeMirror.getValue();
             return text && text.includes('\"data\"') ? text : false;",
        )
        .await;
    let shown: Value =
        serde_json::from_str(shown.as_str().expect("text")).expect("the pane shows JSON");
    assert_eq!(
        shown["data"], expected,
        "the pane shows the API's answer for the same viewer: {shown}"
    );
    assert_eq!(shown["data"]["viewer"]["board"]["code"], "40");

    b.assert_stayed_on(
        &served.origin(),
        &["/web/vendor/graphiql@3.9.0/graphiql.min.js"],
    )
    .await;
    browser.client.close().await.expect("close the browser");
}

/// `GET /graphiql` is the same page, and its files come from the binary with their types and
/// a year of caching for the versioned ones.
#[tokio::test]
async fn graphiql_files_are_served_from_the_binary() {
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};

    let app = TestApp::spawn().await;
    let (status, headers, body) = app
        .send_full(
            Request::get("/graphiql")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    let csp = headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("ascii");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(
        body.as_str()
            .is_some_and(|html| html.contains("/web/graphiql.js"))
    );

    for (path, kind, cache) in [
        (
            "/web/vendor/graphiql@3.9.0/graphiql.min.js",
            "text/javascript",
            "immutable",
        ),
        (
            "/web/vendor/graphiql@3.9.0/graphiql.min.css",
            "text/css",
            "immutable",
        ),
        (
            "/web/vendor/graphql-ws@5.16.2/graphql-ws.min.js",
            "text/javascript",
            "immutable",
        ),
        ("/web/dashboard.js", "text/javascript", "no-cache"),
    ] {
        let (status, headers, _) = app
            .send_full(Request::get(path).body(Body::empty()).expect("request"))
            .await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let content_type = headers[header::CONTENT_TYPE].to_str().expect("ascii");
        assert!(content_type.starts_with(kind), "{path}: {content_type}");
        let cache_control = headers[header::CACHE_CONTROL].to_str().expect("ascii");
        assert!(cache_control.contains(cache), "{path}: {cache_control}");
    }
    let (status, _, _) = app
        .send_full(
            Request::get("/web/../Cargo.toml")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
