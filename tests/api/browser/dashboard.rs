//! The reference dashboard (`GET /dashboard`) in a real browser, on the demo data: its
//! figures are the API's, drill-down reaches a province's districts, and coverage moves live
//! when an exam is recorded.

use std::time::Duration;

use fantoccini::Locator;
use fantoccini::key::Key;
use serde_json::{Value, json};

use super::{Browser, Served, vi_int};
use crate::helpers::{Client, TestApp};

const COVERAGE: &str = "query($board: String!, $year: Int!, $round: Int!) { \
    statistics(boardCode: $board) { examCoverage(year: $year, round: $round) { \
    total { eligible examined rate } byBoard { board { code } eligible examined rate } } } }";

/// The API's coverage for `board` as `client` sees it.
async fn coverage(client: &Client<'_>, board: &str, year: i64, round: i64) -> Value {
    let body = client
        .query_with(
            COVERAGE,
            json!({ "board": board, "year": year, "round": round }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["statistics"]["examCoverage"].clone()
}

/// A campaign of Nghệ An (`40`) with a cadre still due in it: (campaign, year, round, first
/// day, cadre).
async fn campaign_with_a_cadre_due(app: &TestApp) -> (String, i64, i64, String, String) {
    let clinician = app.as_board("40", "clinician");
    let campaigns = clinician
        .data(
            "{ examCampaigns(filter: { boardCode: \"40\" }, first: 100) \
             { edges { node { id year round startsOn board { code } } } } }",
        )
        .await;
    let mut campaigns: Vec<Value> = campaigns["examCampaigns"]["edges"]
        .as_array()
        .expect("campaigns")
        .iter()
        .map(|e| e["node"].clone())
        .filter(|c| c["board"]["code"] == "40")
        .collect();
    // The latest first: the demo's last round is still under way.
    campaigns.sort_by_key(|c| std::cmp::Reverse((c["year"].as_i64(), c["round"].as_i64())));
    for c in campaigns {
        let id = c["id"].as_str().expect("id");
        let due = clinician
            .data(&format!(
                "{{ cadres(filter: {{ dueInCampaign: \"{id}\" }}, first: 1) \
                 {{ edges {{ node {{ id }} }} }} }}"
            ))
            .await;
        if let Some(cadre) = due["cadres"]["edges"][0]["node"]["id"].as_str() {
            return (
                id.to_owned(),
                c["year"].as_i64().expect("year"),
                c["round"].as_i64().expect("round"),
                c["startsOn"].as_str().expect("date").to_owned(),
                cadre.to_owned(),
            );
        }
    }
    panic!("the demo data has a cadre of 40 due in one of its campaigns");
}

/// What the page shows for the coverage total: the raw number (`data-value`) and the text.
async fn shown_total(b: &Browser, field: &str) -> (Value, String) {
    let shown = b
        .js(&format!(
            "const el = document.querySelector('[data-testid=coverage-total-{field}]');
             return [el.dataset.value, el.textContent];"
        ))
        .await;
    let raw: Value =
        serde_json::from_str(shown[0].as_str().expect("data-value")).expect("a number");
    (raw, shown[1].as_str().expect("text").to_owned())
}

/// A row of the coverage table: `[eligible, examined, rate]` as raw numbers, or `null`.
async fn shown_row(b: &Browser, board: &str) -> Value {
    b.js(&format!(
        "const tr = document.querySelector('tr[data-testid=coverage-row][data-board=\"{board}\"]');
         if (!tr) return null;
         return ['eligible', 'examined', 'rate'].map(f =>
             Number(tr.querySelector('td[data-field=' + f + ']').dataset.value));"
    ))
    .await
}

fn figures(cell: &Value) -> Value {
    json!([cell["eligible"], cell["examined"], cell["rate"]])
}

async fn wait_loaded(b: &Browser, board: &str, year: i64, round: i64) {
    b.until(
        &format!("the dashboard of {board} for {year} round {round}"),
        Duration::from_secs(20),
        &format!("return document.body.dataset.loaded === '{board}:{year}:{round}'"),
    )
    .await;
}

/// A central analyst pastes a token, picks a year and round, and reads national coverage; the
/// figures are the API's for the same viewer, written the Vietnamese way. They drill down to
/// Nghệ An, whose districts' figures are the API's too; then a clinician records an exam in the
/// campaign, and the province's figures on the open page change without a reload.
#[tokio::test]
async fn the_dashboard_shows_the_api_figures_drills_down_and_updates_live() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let served = Served::start(TestApp::seeded().await).await;
    let app = &served.app;
    let (campaign, year, round, starts_on, cadre) = campaign_with_a_cadre_due(app).await;
    let analyst = app.as_board("TW", "analyst");

    let b = &browser;
    b.client
        .goto(&served.url("/dashboard"))
        .await
        .expect("open");
    let token = b
        .client
        .find(Locator::Css("[data-testid=token-input]"))
        .await
        .expect("the token field");
    token
        .send_keys(&app.token("TW", "analyst"))
        .await
        .expect("paste the token");
    b.client
        .find(Locator::Css("[data-testid=token-submit]"))
        .await
        .expect("the button")
        .click()
        .await
        .expect("submit");
    b.until(
        "the viewer's board",
        Duration::from_secs(20),
        "const v = document.querySelector('[data-testid=viewer]'); \
         return v.dataset.board === 'TW' && v.dataset.role === 'ANALYST'",
    )
    .await;

    b.until(
        "the first figures (the latest campaign)",
        Duration::from_secs(20),
        "return document.body.dataset.loaded || false",
    )
    .await;

    // Choose the year and round with the keyboard, as a user would.
    let year_input = b
        .client
        .find(Locator::Css("[data-testid=year]"))
        .await
        .expect("year");
    year_input.clear().await.expect("clear");
    year_input
        .send_keys(&year.to_string())
        .await
        .expect("type the year");
    b.client
        .find(Locator::Css(&format!(
            "[data-testid=round] option[value='{round}']"
        )))
        .await
        .expect("the round")
        .click()
        .await
        .expect("choose the round");
    // The first figures may be of the same period: wait for these.
    b.js("delete document.body.dataset.loaded").await;
    year_input
        .send_keys(&String::from(char::from(Key::Enter)))
        .await
        .expect("submit the period");
    wait_loaded(b, "TW", year, round).await;

    let api = coverage(&analyst, "TW", year, round).await;
    for field in ["eligible", "examined"] {
        let (raw, text) = shown_total(b, field).await;
        assert_eq!(raw, api["total"][field], "total {field}");
        let n = raw.as_i64().expect("a count");
        assert!(n > 1000, "the demo's national {field} has thousands: {n}");
        assert_eq!(text, vi_int(n), "written the Vietnamese way");
    }
    let (rate, rate_text) = shown_total(b, "rate").await;
    assert_eq!(rate, api["total"]["rate"]);
    assert!(
        rate_text.ends_with('%') && rate_text.contains(','),
        "a Vietnamese percentage: {rate_text}"
    );
    let api_40 = api["byBoard"]
        .as_array()
        .expect("byBoard")
        .iter()
        .find(|c| c["board"]["code"] == "40")
        .expect("Nghệ An among the provinces");
    assert_eq!(shown_row(b, "40").await, figures(api_40));
    let rows = b
        .js("return document.querySelectorAll('tr[data-testid=coverage-row]').length")
        .await;
    assert_eq!(rows, json!(api["byBoard"].as_array().expect("rows").len()));

    // Sorting by name puts the rows in Vietnamese order; the header says so.
    b.client
        .find(Locator::Css("button[data-sort=name]"))
        .await
        .expect("the name header")
        .click()
        .await
        .expect("sort");
    let sort = b
        .js("return document.querySelector('th[data-key=name]').getAttribute('aria-sort')")
        .await;
    assert_eq!(sort, "ascending");

    // Drill down to Nghệ An: its districts, as the API counts them for the same viewer.
    b.js("delete document.body.dataset.loaded").await;
    b.client
        .find(Locator::Css("[data-testid=drill-40]"))
        .await
        .expect("Nghệ An's drill-down button")
        .click()
        .await
        .expect("drill down");
    wait_loaded(b, "40", year, round).await;
    let api = coverage(&analyst, "40", year, round).await;
    assert_eq!(shown_total(b, "examined").await.0, api["total"]["examined"]);
    let vinh = api["byBoard"]
        .as_array()
        .expect("byBoard")
        .iter()
        .find(|c| c["board"]["code"] == "412")
        .expect("Vinh among Nghệ An's districts");
    assert_eq!(shown_row(b, "412").await, figures(vinh));
    let error = b
        .js("return document.querySelector('[data-testid=error]').hidden")
        .await;
    assert_eq!(error, true, "an analyst's dashboard raised no error");

    // Every file, query and the subscription socket so far: all on the server.
    b.assert_stayed_on(
        &served.origin(),
        &[
            "/web/vendor/chart.js@4.5.1/chart.umd.min.js",
            "/graphql",
            "/graphql/ws",
        ],
    )
    .await;

    // Live: only with the coverageChanged subscription in this build.
    let subscription = analyst
        .data("{ __schema { subscriptionType { fields { name } } } }")
        .await;
    let live = subscription["__schema"]["subscriptionType"]["fields"]
        .as_array()
        .is_some_and(|f| f.iter().any(|f| f["name"] == "coverageChanged"));
    if !live {
        eprintln!(
            "SKIPPED (live part): the `coverageChanged` subscription on /graphql/ws \
             (issue 15, branch dash-live) is not in this build"
        );
        browser.client.close().await.expect("close the browser");
        return;
    }
    b.until(
        "the live coverage socket",
        Duration::from_secs(20),
        "return document.querySelector('[data-testid=live-status]').dataset.live === 'on'",
    )
    .await;
    // The socket is up, but graphql-transport-ws acknowledges no subscription: give the server
    // time to start the stream (an event before that is not delivered), generously, as the
    // machine may be busy. (With 500 ms, 1 run in 12 failed on a loaded 2-core machine, its
    // cause not captured; this race is the likeliest.)
    tokio::time::sleep(Duration::from_secs(2)).await;
    b.js("window.__sameDocument = true;").await;
    let before = shown_total(b, "examined").await.0.as_i64().expect("count");

    let body = app
        .as_board("40", "clinician")
        .query_with(
            "mutation($input: RecordHealthExamInput!) { recordHealthExam(input: $input) { id } }",
            json!({ "input": { "cadreId": cadre, "exam": {
                "campaignId": campaign, "examinedOn": starts_on, "kind": "PERIODIC",
                "heightCm": 165.0, "weightKg": 60.0, "cadreClass": "A", "generalClass": "II" } } }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");

    b.until(
        "the examined count to move",
        Duration::from_secs(20),
        &format!(
            "return Number(document.querySelector('[data-testid=coverage-total-examined]')\
             .dataset.value) === {}",
            before + 1
        ),
    )
    .await;
    assert_eq!(
        b.js("return window.__sameDocument === true").await,
        true,
        "no reload"
    );
    let api = coverage(&analyst, "40", year, round).await;
    for field in ["eligible", "examined", "rate"] {
        assert_eq!(
            shown_total(b, field).await.0,
            api["total"][field],
            "{field}"
        );
    }
    for cell in api["byBoard"].as_array().expect("byBoard") {
        let code = cell["board"]["code"].as_str().expect("code");
        assert_eq!(shown_row(b, code).await, figures(cell), "the row of {code}");
    }
    b.assert_stayed_on(&served.origin(), &[]).await;
    browser.client.close().await.expect("close the browser");
}
