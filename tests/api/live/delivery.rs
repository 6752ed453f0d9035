//! What each subscriber receives: its subtree's events and nothing else, at every level; the
//! same coverage figures as `statistics`; clinical events for clinicians only, audited.

use serde_json::{Value, json};

use super::{COVERAGE, EXAMS, Got, Ws, campaign, coverage, record, subscribed};
use crate::helpers::TestApp;

/// Cadres in district 412 and 414 (province 40), at the provincial board 40 itself, and in
/// Hà Nội (01), all enrolled in a central campaign of 2026 round 1.
struct World {
    app: TestApp,
    campaign: String,
    /// (board, cadre ID)
    cadres: Vec<(&'static str, String)>,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let mut cadres = Vec::new();
    for (board, name) in [
        ("412", "Nguyễn Văn Ân"),
        ("414", "Đặng Quang Huy"),
        ("40", "Hồ Thị Mai"),
        ("01", "Vũ Thu Trang"),
        ("412", "Phan Thị Lan"),
    ] {
        cadres.push((board, app.add_cadre(board, name).await.to_string()));
    }
    let campaign = campaign(&app, "TW").await;
    World {
        app,
        campaign,
        cadres,
    }
}

/// Every level (TW, a province, a district) receives, in order, exactly the events of its
/// subtree, and each coverage event carries what `statistics` answers right after that exam.
#[tokio::test]
async fn each_level_receives_its_subtree_and_nothing_else() {
    let w = world().await;
    let addr = w.app.listen().await;
    let levels = ["TW", "40", "412"];
    let mut analysts = Vec::new();
    let mut clinicians = Vec::new();
    for board in levels {
        let mut a = Ws::open_as(&w.app, addr, board, "analyst").await;
        a.subscribe("c", COVERAGE, json!({})).await;
        analysts.push(a);
        let mut c = Ws::open_as(&w.app, addr, board, "clinician").await;
        c.subscribe("e", EXAMS, json!({})).await;
        clinicians.push(c);
    }
    subscribed(&w.app, 6).await;
    let writer = w.app.as_board("TW", "admin");
    // The last cadre (412) is in every subtree: what a subscriber has before that event is
    // all it will ever get of the others.
    let mut exams = Vec::new();
    for (board, cadre) in &w.cadres {
        let exam = record(&writer, cadre, Some(&w.campaign)).await;
        exams.push((*board, cadre.clone(), exam));
        for (level, analyst) in levels.iter().zip(analysts.iter_mut()) {
            if !within(board, level) {
                continue;
            }
            let event = analyst.event().await["data"]["coverageChanged"].clone();
            let stats = coverage(&w.app.as_board(level, "analyst"), level).await;
            assert_eq!(
                event["total"], stats["total"],
                "{level} after an exam in {board}"
            );
            let changed = event["changed"]["board"]["code"].as_str().expect("code");
            let row = stats["byBoard"]
                .as_array()
                .expect("rows")
                .iter()
                .find(|r| r["board"]["code"] == changed)
                .expect("the changed cell is a row of byBoard");
            assert_eq!(&event["changed"], row);
            assert_eq!(changed, cell_of(board, level), "{level}: exam in {board}");
        }
    }
    for (level, clinician) in levels.iter().zip(clinicians.iter_mut()) {
        let expected: Vec<&(&str, String, String)> =
            exams.iter().filter(|(b, _, _)| within(b, level)).collect();
        for (board, cadre, exam) in expected {
            let event = clinician.event().await["data"]["examRecorded"].clone();
            assert_eq!(event["id"], *exam, "{level}: the exam in {board}");
            assert_eq!(event["cadre"]["id"], *cadre);
            assert_eq!(event["systolicMmhg"], 128);
            assert_eq!(event["cadre"]["board"]["code"], *board);
        }
    }
    // Nothing more is queued for anybody.
    for ws in analysts.iter_mut().chain(clinicians.iter_mut()) {
        let extra = ws.next_within(std::time::Duration::from_millis(300)).await;
        assert!(extra.is_none(), "an extra event: {extra:?}");
    }
}

/// Whether a record of `board` lies in the subtree of `level` (the world's boards only).
fn within(board: &str, level: &str) -> bool {
    match level {
        "TW" => true,
        "40" => ["40", "412", "414"].contains(&board),
        _ => board == level,
    }
}

/// The `byBoard` row of `level` that counts a record of `board`.
fn cell_of<'a>(board: &'a str, level: &'a str) -> &'a str {
    match (level, board) {
        ("TW", "01") => "01",
        ("TW", _) => "40",
        _ => board,
    }
}

/// `boardCode` picks a subtree inside the scope, and refuses one outside it with the code
/// `statistics(boardCode:)` answers, before any event.
#[tokio::test]
async fn board_code_narrows_and_a_board_outside_the_scope_is_refused() {
    let w = world().await;
    let addr = w.app.listen().await;
    let mut ws = Ws::open_as(&w.app, addr, "40", "clinician").await;
    ws.subscribe("outside", EXAMS, json!({"board": "01"})).await;
    assert_eq!(refusal(&mut ws).await, "NOT_FOUND");
    let statistics = w
        .app
        .as_board("40", "clinician")
        .query("{ statistics(boardCode: \"01\") { board { code } } }")
        .await;
    assert_eq!(statistics["errors"][0]["extensions"]["code"], "NOT_FOUND");

    ws.subscribe("414", EXAMS, json!({"board": "414"})).await;
    subscribed(&w.app, 1).await;
    let writer = w.app.as_board("40", "admin");
    let in_412 = &w.cadres[0].1;
    let in_414 = &w.cadres[1].1;
    record(&writer, in_412, None).await;
    let exam = record(&writer, in_414, None).await;
    let event = ws.event().await;
    assert_eq!(event["data"]["examRecorded"]["id"], exam);
}

/// The code of the error a refused subscription answers: one `next` with the error and no
/// data (the resolver refused before any event), then `complete`.
async fn refusal(ws: &mut Ws) -> String {
    let Got::Message(refused) = ws.next().await else {
        panic!("expected an answer");
    };
    assert_eq!(refused["type"], "next", "{refused}");
    assert_eq!(refused["payload"]["data"], Value::Null, "{refused}");
    let code = refused["payload"]["errors"][0]["extensions"]["code"].clone();
    match ws.next().await {
        Got::Message(m) => assert_eq!(m["type"], "complete", "{m}"),
        other => panic!("expected complete, got {other:?}"),
    }
    code.as_str().expect("a code").to_owned()
}

/// Analysts follow coverage but never receive an exam: `examRecorded` answers FORBIDDEN.
#[tokio::test]
async fn analysts_get_coverage_but_not_exams() {
    let w = world().await;
    let addr = w.app.listen().await;
    let mut ws = Ws::open_as(&w.app, addr, "40", "analyst").await;
    ws.subscribe("e", EXAMS, json!({})).await;
    assert_eq!(refusal(&mut ws).await, "FORBIDDEN");
    ws.subscribe("c", COVERAGE, json!({})).await;
    subscribed(&w.app, 1).await;
    record(
        &w.app.as_board("TW", "admin"),
        &w.cadres[0].1,
        Some(&w.campaign),
    )
    .await;
    let event = ws.event().await;
    assert_eq!(event["data"]["coverageChanged"]["total"]["examined"], 1);
}

/// A clinician's delivered exam is a clinical read, audited like one: a `readClinical` event
/// of that cadre by that clinician.
#[tokio::test]
async fn a_delivered_exam_is_audited_as_a_clinical_read() {
    let w = world().await;
    let addr = w.app.listen().await;
    let mut ws = Ws::open_as(&w.app, addr, "412", "clinician").await;
    ws.subscribe("e", EXAMS, json!({})).await;
    subscribed(&w.app, 1).await;
    let cadre = &w.cadres[0].1;
    let reads = || async {
        let body = w
            .app
            .as_board("TW", "admin")
            .data(&format!(
                "{{ auditEvents(filter: {{cadreId: \"{cadre}\", actor: \"Clinician@412\"}}) \
                 {{ edges {{ node {{ action cadreId }} }} }} }}"
            ))
            .await;
        body["auditEvents"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .filter(|e| e["node"]["action"] == "readClinical")
            .count()
    };
    assert_eq!(reads().await, 0);
    record(&w.app.as_board("412", "admin"), cadre, None).await;
    let event = ws.event().await;
    assert_eq!(event["data"]["examRecorded"]["cadre"]["id"], *cadre);
    assert_eq!(reads().await, 1, "the delivery is in the audit trail");
}

/// An exam corrected out of the campaign changes coverage too: subscribers hear of it.
#[tokio::test]
async fn a_correction_moving_an_exam_out_of_the_campaign_is_announced() {
    let w = world().await;
    let addr = w.app.listen().await;
    let mut ws = Ws::open_as(&w.app, addr, "412", "analyst").await;
    ws.subscribe("c", COVERAGE, json!({})).await;
    subscribed(&w.app, 1).await;
    let writer = w.app.as_board("TW", "clinician");
    let exam = record(&writer, &w.cadres[0].1, Some(&w.campaign)).await;
    let first = ws.event().await;
    assert_eq!(first["data"]["coverageChanged"]["total"]["examined"], 1);
    let corrected: Value = writer
        .query_with(
            "mutation($id: ID!, $exam: HealthExamValues!) { correctHealthExam(id: $id, version: 1, exam: $exam) { id } }",
            json!({"id": exam, "exam": {"examinedOn": "2026-03-10", "kind": "ROUTINE"}}),
        )
        .await;
    assert!(corrected.get("errors").is_none(), "{corrected}");
    let second = ws.event().await;
    assert_eq!(second["data"]["coverageChanged"]["total"]["examined"], 0);
}

/// Identical coverage subscriptions (same scope, role, board, year and round) share one
/// computation per event; a different role or board computes its own. Each still gets the
/// figures `statistics` answers.
#[tokio::test]
async fn identical_coverage_subscriptions_share_one_computation() {
    let w = world().await;
    let addr = w.app.listen().await;
    let mut sockets = Vec::new();
    for (board, role) in [
        ("40", "analyst"),
        ("40", "analyst"),
        ("40", "analyst"),
        ("40", "clinician"),
        ("412", "analyst"),
    ] {
        let mut ws = Ws::open_as(&w.app, addr, board, role).await;
        ws.subscribe("c", COVERAGE, json!({})).await;
        sockets.push((board, ws));
    }
    subscribed(&w.app, sockets.len()).await;
    let before = w.app.live.coverage.runs();
    record(
        &w.app.as_board("TW", "admin"),
        &w.cadres[0].1,
        Some(&w.campaign),
    )
    .await;
    for (board, ws) in sockets.iter_mut() {
        let event = ws.event().await;
        let stats = coverage(&w.app.as_board(board, "analyst"), board).await;
        assert_eq!(event["data"]["coverageChanged"]["total"], stats["total"]);
    }
    assert_eq!(
        w.app.live.coverage.runs() - before,
        3,
        "40 analysts, 40 clinician, 412 analyst"
    );
}

/// The strangest values each argument takes (a 40 KB board code, a NUL byte, the ends of
/// `Int`) are refused with a code, never an internal error or a dropped socket, and the socket
/// then still serves a good subscription.
#[tokio::test]
async fn the_strangest_arguments_are_refused_cleanly() {
    let w = world().await;
    let addr = w.app.listen().await;
    let mut ws = Ws::open_as(&w.app, addr, "40", "clinician").await;
    let query = "subscription($year: Int!, $round: Int!, $board: String) { \
                 coverageChanged(year: $year, round: $round, boardCode: $board) \
                 { total { eligible } } }";
    let huge = "4".repeat(40_000);
    let strange = [
        json!({"year": 2026, "round": 1, "board": huge}),
        json!({"year": 2026, "round": 1, "board": "40\u{0}"}),
        json!({"year": i32::MAX, "round": 1}),
        json!({"year": i32::MIN, "round": 1}),
        json!({"year": 2026, "round": i32::MAX}),
        json!({"year": 2026, "round": 0}),
    ];
    for (i, variables) in strange.into_iter().enumerate() {
        ws.subscribe(&format!("s{i}"), query, variables).await;
        let code = refusal(&mut ws).await;
        assert!(
            ["BAD_USER_INPUT", "NOT_FOUND"].contains(&code.as_str()),
            "case {i}: {code}"
        );
    }
    ws.subscribe("good", EXAMS, json!({})).await;
    subscribed(&w.app, 1).await;
    let (_, cadre) = &w.cadres[0];
    let exam = record(&w.app.as_board("412", "clinician"), cadre, None).await;
    assert_eq!(
        ws.event().await["data"]["examRecorded"]["id"],
        exam.as_str()
    );
}
