//! Two servers on one PostgreSQL database: an exam recorded through one reaches the
//! subscribers of both (`LISTEN/NOTIFY`). SQLite is one process, so there is one server.

use serde_json::json;

use super::{COVERAGE, EXAMS, Ws, campaign, record, subscribed};
use crate::helpers::{TEST_SECRET, TestApp, test_config};

#[tokio::test]
async fn two_instances_on_one_postgresql_both_deliver() {
    let first = TestApp::spawn().await;
    let Some(url) = first.database_url().filter(|_| first.is_postgres()) else {
        eprintln!(
            "SKIPPED two_instances_on_one_postgresql_both_deliver: it needs PostgreSQL (TEST_DATABASE_URL)"
        );
        return;
    };
    let url = url.to_owned();
    let pool = cadre_health::db::connect(&url).await.expect("connect");
    let second = TestApp::on(pool, test_config(&url), TEST_SECRET.as_bytes(), None).await;
    let cadre = first.add_cadre("412", "Nguyễn Văn Ân").await.to_string();
    let campaign = campaign(&first, "40").await;

    let (one, two) = (first.listen().await, second.listen().await);
    let mut on_first = Ws::open_as(&first, one, "40", "clinician").await;
    on_first.subscribe("e", EXAMS, json!({})).await;
    let mut on_second = Ws::open_as(&second, two, "40", "clinician").await;
    on_second.subscribe("e", EXAMS, json!({})).await;
    let mut coverage_on_second = Ws::open_as(&second, two, "412", "analyst").await;
    coverage_on_second.subscribe("c", COVERAGE, json!({})).await;
    subscribed(&first, 1).await;
    subscribed(&second, 2).await;

    // Recorded through the first server: both deliver.
    let exam = record(&first.as_board("40", "clinician"), &cadre, Some(&campaign)).await;
    for ws in [&mut on_first, &mut on_second] {
        let event = ws.event().await;
        assert_eq!(event["data"]["examRecorded"]["id"], exam);
    }
    let coverage = coverage_on_second.event().await;
    assert_eq!(coverage["data"]["coverageChanged"]["total"]["examined"], 1);

    // And the other way round.
    let exam = record(&second.as_board("412", "clinician"), &cadre, None).await;
    for ws in [&mut on_first, &mut on_second] {
        let event = ws.event().await;
        assert_eq!(event["data"]["examRecorded"]["id"], exam);
    }
}

/// A mutation that fails writes nothing and announces nothing: an event exists only for an
/// exam that committed.
#[tokio::test]
async fn a_rolled_back_exam_is_never_announced() {
    let app = TestApp::spawn().await;
    let cadre = app.add_cadre("412", "Nguyễn Văn Ân").await.to_string();
    let addr = app.listen().await;
    let mut ws = Ws::open_as(&app, addr, "40", "clinician").await;
    ws.subscribe("e", EXAMS, json!({})).await;
    subscribed(&app, 1).await;
    // The exam is recorded, then the second mutation of the request fails: all rolls back.
    let writer = app.as_board("40", "clinician");
    let failed = writer
        .query_with(
            "mutation($input: RecordHealthExamInput!, $cadre: ID!) { recordHealthExam(input: $input) { id } \
             other: updateCadre(id: $cadre, version: 99, input: {position: \"x\"}) { id } }",
            json!({"cadre": cadre, "input": {"cadreId": cadre, "exam": {
                "examinedOn": "2026-03-10", "kind": "ROUTINE"}}}),
        )
        .await;
    assert!(failed.get("errors").is_some(), "{failed}");
    let kept = record(&writer, &cadre, None).await;
    let event = ws.event().await;
    assert_eq!(
        event["data"]["examRecorded"]["id"], kept,
        "only the committed exam"
    );
}
