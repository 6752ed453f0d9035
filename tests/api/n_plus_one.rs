//! Nested fields are batched per request: the number of SQL statements for a list does not
//! grow with its page size. And nested connections page correctly through those batches.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cadre_health::domain::CadreClass;
use serde_json::Value;

use crate::fixtures::{add_campaign, add_records, put_in_campaign};
use crate::helpers::{Client, TestApp, nodes};

/// The statements a list of cadres with their board (and its parent), latest exam (and its
/// campaign) and conditions (with `totalCount`) takes, whatever its length: the cadre count,
/// the page, boards, parent boards, latest exams, campaigns, conditions and their counts (8),
/// plus one more for parent boards outside the viewer's scope (the loader caches what it
/// found, not what it did not), plus the one insert of the request's clinical-read audit events
/// (a page of 100 cadres costs one insert, not 100). PostgreSQL adds the request's one setup
/// statement (scope, role and statement timeout).
const BOUND: usize = 10;
const POSTGRES_SETUP: usize = 1;

const LIST: &str = "query ($n: Int) { cadres(first: $n) { totalCount edges { node { id fullName
    board { code parent { code } }
    latestExam { examinedOn cadreClass campaign { id } }
    conditions { totalCount edges { node { icdCode active } } } } } } }";

#[tokio::test]
async fn listing_cadres_with_nested_fields_takes_a_bounded_number_of_statements() {
    let statements = Arc::new(AtomicUsize::new(0));
    let counter = statements.clone();
    let app = TestApp::spawn_custom(
        |_| {},
        move |db| {
            db.set_metric_callback(move |_| {
                counter.fetch_add(1, Ordering::SeqCst);
            })
        },
    )
    .await;
    let campaign = add_campaign(&app, "40", 2025, 1).await;
    // 120 cadres over the province and three districts, each with two exams (one in the
    // campaign) and a full set of records.
    for i in 0..120 {
        let board = ["40", "412", "414", "415"][i % 4];
        let id = app.add_cadre(board, &format!("Nguyễn Văn {i:03}")).await;
        app.add_exam(id, "2024-09-01", CadreClass::A).await;
        let latest = app.add_exam(id, "2025-03-01", CadreClass::B1).await;
        put_in_campaign(&app, latest, campaign).await;
        add_records(&app, id, "I10").await;
    }
    let client = app.as_board("40", "clinician");
    let mut counts = Vec::new();
    for n in [1, 10, 100] {
        statements.store(0, Ordering::SeqCst);
        let data = client.query_with(LIST, serde_json::json!({ "n": n })).await;
        let used = statements.load(Ordering::SeqCst);
        assert!(data.get("errors").is_none(), "{data}");
        let edges = data["data"]["cadres"]["edges"].as_array().expect("edges");
        assert_eq!(edges.len(), n);
        for edge in edges {
            let node = &edge["node"];
            assert_eq!(node["latestExam"]["examinedOn"], "2025-03-01");
            assert_eq!(node["latestExam"]["campaign"]["id"], campaign.to_string());
            assert_eq!(node["conditions"]["totalCount"], 1);
            assert_eq!(node["conditions"]["edges"][0]["node"]["icdCode"], "I10");
            assert!(node["board"]["code"].is_string());
            // A district's parent is the province; the province's (the centre) is out of scope.
            let parent = if node["board"]["code"] == "40" {
                Value::Null
            } else {
                "40".into()
            };
            assert_eq!(node["board"]["parent"]["code"], parent);
        }
        counts.push(used);
    }
    let bound = BOUND + if app.is_postgres() { POSTGRES_SETUP } else { 0 };
    assert!(
        counts[2] <= bound,
        "100 cadres took {} statements: {counts:?}",
        counts[2]
    );
    assert_eq!(
        counts[0], counts[2],
        "statements grew with the page: {counts:?}"
    );
    assert_eq!(
        counts[1], counts[2],
        "statements grew with the page: {counts:?}"
    );
}

#[tokio::test]
async fn nested_connections_page_per_cadre_through_the_batches() {
    let app = TestApp::spawn().await;
    let mut cadres = Vec::new();
    for (i, name) in ["Lê Văn A", "Lê Văn B", "Lê Văn C"].into_iter().enumerate() {
        let id = app.add_cadre("40", name).await;
        // 3, 4 and 5 exams, on distinct dates.
        for k in 0..(3 + i) {
            app.add_exam(id, &format!("2020-0{}-1{k}", 1 + i), CadreClass::A)
                .await;
        }
        cadres.push(id);
    }
    let client = app.as_board("40", "clinician");
    let data = client
        .data("{ cadres { edges { node { exams(first: 2) { totalCount pageInfo { hasNextPage } edges { node { examinedOn } } } } } } }")
        .await;
    let edges = data["cadres"]["edges"].as_array().expect("edges");
    for (i, edge) in edges.iter().enumerate() {
        let exams = &edge["node"]["exams"];
        assert_eq!(exams["totalCount"], 3 + i);
        assert_eq!(exams["pageInfo"]["hasNextPage"], true);
        let dates: Vec<&str> = exams["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| e["node"]["examinedOn"].as_str().expect("date"))
            .collect();
        // Newest first, this cadre's own.
        let newest = 3 + i - 1;
        assert_eq!(
            dates,
            [
                format!("2020-0{}-1{}", 1 + i, newest),
                format!("2020-0{}-1{}", 1 + i, newest - 1)
            ]
        );
    }

    // Walking one cadre's exams both ways meets each once.
    let id = cadres[2];
    let forward = walk_exams(&client, id, Walk::Forward).await;
    let backward = walk_exams(&client, id, Walk::Backward).await;
    assert_eq!(forward.len(), 5);
    assert_eq!(forward, backward);
}

/// Which way [`walk_exams`] pages.
#[derive(PartialEq)]
enum Walk {
    /// `first`, `after` the end cursor, while there is a next page.
    Forward,
    /// `last`, `before` the start cursor, while there is a previous page.
    Backward,
}

/// The IDs of cadre `id`'s exams, in the list's order, met by paging through them two at a
/// time, one way or the other.
async fn walk_exams(client: &Client<'_>, id: impl std::fmt::Display, walk: Walk) -> Vec<String> {
    let (size, from, more, cursor) = match walk {
        Walk::Forward => ("first", "after", "hasNextPage", "endCursor"),
        Walk::Backward => ("last", "before", "hasPreviousPage", "startCursor"),
    };
    let mut pages = Vec::new();
    let mut at = String::from("null");
    loop {
        let data = client
            .data(&format!(
                r#"{{ cadre(id: "{id}") {{ exams({size}: 2, {from}: {at}) {{ pageInfo {{ {more} {cursor} }} edges {{ node {{ id }} }} }} }} }}"#
            ))
            .await;
        let page = &data["cadre"]["exams"];
        pages.push(nodes(page, "id"));
        if page["pageInfo"][more] != true {
            break;
        }
        at = format!("\"{}\"", page["pageInfo"][cursor].as_str().expect("cursor"));
    }
    if walk == Walk::Backward {
        pages.reverse();
    }
    pages.concat()
}
