//! What must hold across writes: concurrent updates lose nothing, a transfer moves the whole
//! record, the audit trail matches what was done and read and cannot be rewritten, and writes
//! outside the scope change nothing.

use cadre_health::scope::Scope;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_codes};
use crate::writes::{
    ADD_CONDITION, CREATE_CADRE, MOVE_REFERRAL, RECORD_EXAM, UPDATE_CADRE, cadre_input,
    cadre_with_everything, counts, create_cadre, exam, ok, record_exam, update_cadre,
};

const N: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_updates_have_one_winner_per_version_and_lose_nothing() {
    let app = TestApp::spawn().await;
    let clinician = app.as_board("40", "clinician");
    let id = create_cadre(&clinician, "40", "Nguyễn Văn Tranh").await;

    // Round 1: N updates all based on version 1. Exactly one wins; the rest are CONFLICT.
    let clients: Vec<_> = (0..N).map(|_| app.as_board("40", "clinician")).collect();
    let answers = futures::future::join_all(clients.iter().enumerate().map(|(i, c)| {
        c.query_with(
            UPDATE_CADRE,
            json!({"id": id, "version": 1, "input": {"workplace": format!("w{i}")}}),
        )
    }))
    .await;
    let winners: Vec<usize> = (0..N)
        .filter(|i| answers[*i].get("errors").is_none())
        .collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    for (i, a) in answers.iter().enumerate() {
        if i != winners[0] {
            assert_eq!(error_codes(a), ["CONFLICT"], "{a}");
        }
    }
    let now = clinician
        .data(&format!(
            "{{ cadre(id: \"{id}\") {{ workplace version }} }}"
        ))
        .await;
    assert_eq!(
        now["cadre"],
        json!({"workplace": format!("w{}", winners[0]), "version": 2})
    );

    // Round 2: N writers each append their mark, re-reading and retrying on CONFLICT. Every
    // mark survives (no lost update) and each version was won exactly once.
    let run = |i: usize| {
        let client = &clients[i];
        let id = id.clone();
        async move {
            let mut wins = Vec::new();
            for _attempt in 0..200 {
                let read = client
                    .data(&format!(
                        "{{ cadre(id: \"{id}\") {{ workplace version }} }}"
                    ))
                    .await;
                let version = read["cadre"]["version"].as_i64().expect("version");
                let workplace =
                    format!("{},{i}", read["cadre"]["workplace"].as_str().unwrap_or(""));
                let body = client
                    .query_with(
                        UPDATE_CADRE,
                        json!({"id": id, "version": version, "input": {"workplace": workplace}}),
                    )
                    .await;
                match error_codes(&body).as_slice() {
                    [] => {
                        wins.push(version);
                        return wins;
                    }
                    [code] if code == "CONFLICT" => continue,
                    _ => panic!("unexpected answer {body}"),
                }
            }
            panic!("writer {i} never won");
        }
    };
    let won: Vec<i64> = futures::future::join_all((0..N).map(run))
        .await
        .into_iter()
        .flatten()
        .collect();
    let mut sorted = won.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        (2..2 + N as i64).collect::<Vec<_>>(),
        "one winner per version"
    );
    let last = clinician
        .data(&format!(
            "{{ cadre(id: \"{id}\") {{ workplace version }} }}"
        ))
        .await;
    assert_eq!(last["cadre"]["version"], 2 + N as i64);
    let marks: Vec<&str> = last["cadre"]["workplace"]
        .as_str()
        .expect("workplace")
        .split(',')
        .skip(1)
        .collect();
    let mut marks: Vec<usize> = marks.iter().map(|m| m.parse().expect("mark")).collect();
    marks.sort();
    assert_eq!(
        marks,
        (0..N).collect::<Vec<_>>(),
        "every writer's mark is kept"
    );
}

/// How many records of each kind the cadre has, as `viewer` sees them.
async fn record_counts(app: &TestApp, viewer: &str, id: &str) -> Value {
    let q = format!(
        "{{ cadre(id: \"{id}\") {{ board {{ code }} conditions {{ totalCount }} exams {{ totalCount }} visits {{ totalCount }} referrals {{ totalCount }} consultations {{ totalCount }} vaccinations {{ totalCount }} }} }}"
    );
    app.as_board(viewer, "admin").data(&q).await["cadre"].clone()
}

async fn prescriptions_seen(app: &TestApp, viewer: &str) -> i64 {
    let q = "{ clinicVisits(first: 100) { edges { node { prescriptions { id } } } } }";
    let data = app.as_board(viewer, "admin").data(q).await;
    data["clinicVisits"]["edges"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|n| n["node"]["prescriptions"].as_array().map_or(0, Vec::len) as i64)
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn a_transfer_moves_the_whole_record_and_loses_nothing() {
    let app = TestApp::spawn().await;
    let clinician = app.as_board("412", "clinician");
    let id = cadre_with_everything(&clinician, "412", "Phan Đình Giót").await;
    // A bystander, whose records stay on 412.
    cadre_with_everything(&clinician, "412", "Người Ở Lại").await;

    let before_rows = counts(&app).await;
    let before = record_counts(&app, "412", &id).await;
    assert_eq!(before["board"]["code"], "412");
    assert_eq!(prescriptions_seen(&app, "412").await, 4);

    // A district admin cannot reach another district, nor a province admin another province.
    let transfer = "mutation($id: ID!, $to: String!, $v: Int!) { transferCadre(id: $id, toBoardCode: $to, version: $v) { id version board { code } } }";
    for (board, to) in [("412", "414"), ("01", "414")] {
        let body = app
            .as_board(board, "admin")
            .query_with(transfer, json!({"id": id, "to": to, "v": 1}))
            .await;
        assert_eq!(error_codes(&body), ["NOT_FOUND"], "{body}");
    }
    // The province's admin is above both districts.
    let moved = ok(
        &app.as_board("40", "admin"),
        transfer,
        json!({"id": id, "to": "414", "v": 1}),
        "transferCadre",
    )
    .await;
    assert_eq!(moved["board"]["code"], "414");
    assert_eq!(moved["version"], 2);

    // The old board sees nothing of the cadre; the new one sees all of it.
    assert!(record_counts(&app, "412", &id).await.is_null());
    let after = record_counts(&app, "414", &id).await;
    let strip = |v: &Value| {
        let mut v = v.clone();
        v.as_object_mut().expect("object").remove("board");
        v
    };
    assert_eq!(strip(&after), strip(&before));
    assert_eq!(after["board"]["code"], "414");
    assert_eq!(
        prescriptions_seen(&app, "412").await,
        2,
        "only the bystander's are left"
    );
    assert_eq!(prescriptions_seen(&app, "414").await, 2);
    for list in [
        "chronicConditions",
        "healthExams",
        "clinicVisits",
        "referrals",
        "consultations",
        "vaccinations",
    ] {
        let q = format!("{{ {list}(first: 100) {{ totalCount }} }}");
        let old = app.as_board("412", "admin").data(&q).await[list]["totalCount"].as_i64();
        let new = app.as_board("414", "admin").data(&q).await[list]["totalCount"].as_i64();
        assert_eq!((old, new), (Some(1), Some(1)), "{list}");
    }

    // Nothing lost, nothing duplicated: every table holds as many rows as before, plus the
    // two audit events of the transfer and the reads of this test.
    let after_rows = counts(&app).await;
    for (table, n) in &before_rows {
        if *table != "audit_events" {
            assert_eq!(after_rows[table], *n, "{table}");
        }
    }

    // Both ends are in the trail, each where that board's admin sees it.
    let events = "{ auditEvents(filter: {action: \"transferCadreOut\"}) { edges { node { cadreId board { code } changedFields } } } }";
    let out = app.as_board("412", "admin").data(events).await;
    assert_eq!(
        out["auditEvents"]["edges"][0]["node"]["cadreId"],
        id.as_str()
    );
    assert_eq!(
        out["auditEvents"]["edges"][0]["node"]["board"]["code"],
        "412"
    );
    let fields = out["auditEvents"]["edges"][0]["node"]["changedFields"].to_string();
    assert!(
        fields.contains("prescriptions") && fields.contains("health_exams"),
        "{fields}"
    );
    let events_in = "{ auditEvents(filter: {action: \"transferCadreIn\"}) { totalCount edges { node { cadreId board { code } } } } }";
    assert_eq!(
        app.as_board("412", "admin").data(events_in).await["auditEvents"]["totalCount"],
        0
    );
    let inn = app.as_board("414", "admin").data(events_in).await;
    assert_eq!(
        inn["auditEvents"]["edges"][0]["node"]["board"]["code"],
        "414"
    );

    // Past events stay with the board that wrote them (append-only): the new board does not
    // see the records' creation, the old board still does.
    let created = format!(
        "{{ auditEvents(filter: {{cadreId: \"{id}\", action: \"createCadre\"}}) {{ totalCount }} }}"
    );
    assert_eq!(
        app.as_board("412", "admin").data(&created).await["auditEvents"]["totalCount"],
        1
    );
    assert_eq!(
        app.as_board("414", "admin").data(&created).await["auditEvents"]["totalCount"],
        0
    );

    // A stale version does not move anything.
    let body = app
        .as_board("40", "admin")
        .query_with(transfer, json!({"id": id, "to": "412", "v": 1}))
        .await;
    assert_eq!(error_codes(&body), ["CONFLICT"], "{body}");
    assert!(record_counts(&app, "412", &id).await.is_null());
}

/// The audit events `admin` of `board` sees, as (action, entity, cadreId, changedFields,
/// requestId, occurredAt), oldest first.
async fn trail(app: &TestApp, board: &str, filter: &str) -> Vec<Value> {
    let q = format!(
        "{{ auditEvents(first: 100, filter: {{{filter}}}) {{ edges {{ node {{ action entity cadreId changedFields requestId occurredAt actorSubject actorRole actorBoardCode }} }} }} }}"
    );
    let data = app.as_board(board, "admin").data(&q).await;
    let mut events: Vec<Value> = data["auditEvents"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    events.reverse();
    events
}

#[tokio::test]
async fn the_trail_matches_the_mutations_and_clinical_reads_performed() {
    let app = TestApp::spawn().await;
    let clinician = app.as_board("40", "clinician");
    let a = create_cadre(&clinician, "40", "Cadre A").await;
    let b = create_cadre(&clinician, "40", "Cadre B").await;
    record_exam(&clinician, exam(&a)).await;
    record_exam(&clinician, exam(&b)).await;
    update_cadre(&clinician, &a, 1, json!({"workplace": "Sở Y tế"})).await;
    ok(
        &clinician,
        ADD_CONDITION,
        json!({"input": {"cadreId": a, "icdCode": "I10", "diagnosedOn": "2020-01-15"}}),
        "addCondition",
    )
    .await;
    // A rejected mutation leaves no event.
    let body = clinician
        .query_with(
            UPDATE_CADRE,
            json!({"id": a, "version": 1, "input": {"workplace": "x"}}),
        )
        .await;
    assert_eq!(error_codes(&body), ["CONFLICT"]);

    let subject = "Clinician@40";
    let writes = trail(&app, "40", &format!("actor: \"{subject}\"")).await;
    let actions: Vec<(&str, &str)> = writes
        .iter()
        .filter(|e| e["action"] != "readClinical")
        .map(|e| {
            (
                e["action"].as_str().unwrap_or(""),
                e["entity"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("createCadre", "cadres"),
            ("createCadre", "cadres"),
            ("recordHealthExam", "health_exams"),
            ("recordHealthExam", "health_exams"),
            ("updateCadre", "cadres"),
            ("addCondition", "chronic_conditions"),
        ]
    );
    let update = writes
        .iter()
        .find(|e| e["action"] == "updateCadre")
        .expect("update event");
    assert_eq!(update["changedFields"], json!(["workplace"]));
    assert_eq!(update["cadreId"], a.as_str());
    assert_eq!(
        (
            update["actorRole"].as_str(),
            update["actorBoardCode"].as_str()
        ),
        (Some("clinician"), Some("40"))
    );
    assert!(update["requestId"].as_str().is_some_and(|r| !r.is_empty()));
    // Names of the clinical fields, never their values.
    let exam_event = writes
        .iter()
        .find(|e| e["action"] == "recordHealthExam")
        .expect("exam event");
    let fields = exam_event["changedFields"].to_string();
    assert!(
        fields.contains("systolicMmhg") && fields.contains("bmi") && !fields.contains("130"),
        "{fields}"
    );

    // One page of cadres with clinical detail: one read event per cadre, all from one insert
    // (same request, same instant).
    let reader = app.as_board("40", "admin");
    reader
        .data("{ cadres(first: 50) { edges { node { fullName latestExam { bmi } } } } }")
        .await;
    let reads = trail(&app, "40", "actor: \"Admin@40\", action: \"readClinical\"").await;
    let mut cadres: Vec<&str> = reads.iter().filter_map(|e| e["cadreId"].as_str()).collect();
    cadres.sort();
    let mut expected = vec![a.as_str(), b.as_str()];
    expected.sort();
    assert_eq!(cadres, expected);
    assert_eq!(reads[0]["requestId"], reads[1]["requestId"]);
    assert_eq!(reads[0]["occurredAt"], reads[1]["occurredAt"]);

    // The directory alone is not clinical detail: no read events.
    let analyst_before = trail(&app, "40", "action: \"readClinical\"").await.len();
    app.as_board("40", "analyst")
        .data("{ cadres(first: 50) { edges { node { fullName } } } }")
        .await;
    reader
        .data("{ cadres(first: 50) { totalCount edges { node { fullName status } } } }")
        .await;
    // (The trail queries themselves read no clinical rows either.)
    assert_eq!(
        trail(&app, "40", "action: \"readClinical\"").await.len(),
        analyst_before
    );

    // Reading one exam by ID is audited too, and out of scope is invisible in the trail.
    let exam_id = {
        let q = format!("{{ cadre(id: \"{a}\") {{ exams {{ edges {{ node {{ id }} }} }} }} }}");
        clinician.data(&q).await["cadre"]["exams"]["edges"][0]["node"]["id"].clone()
    };
    assert!(exam_id.is_string());
    assert_eq!(
        trail(&app, "01", "").await.len(),
        0,
        "another province sees none of it"
    );
    let mine = trail(
        &app,
        "40",
        &format!("actor: \"{subject}\", action: \"readClinical\""),
    )
    .await;
    assert!(!mine.is_empty());
}

#[tokio::test]
async fn audit_events_cannot_be_changed_or_deleted_by_the_application() {
    let app = TestApp::spawn().await;
    let clinician = app.as_board("40", "clinician");
    create_cadre(&clinician, "40", "Cadre A").await;
    let before = counts(&app).await["audit_events"];
    assert!(before > 0);
    let update = "UPDATE audit_events SET action = 'forged'";
    let delete = "DELETE FROM audit_events";
    if app.is_postgres() {
        // As the application's role, under the request's settings: no grant for either.
        for sql in [update, delete] {
            let tx = cadre_health::db::begin_scoped(&app.db, &Scope::All)
                .await
                .expect("tx");
            let err = tx.execute_unprepared(sql).await.expect_err(sql);
            assert!(err.to_string().contains("permission denied"), "{err}");
            tx.rollback().await.expect("rollback");
        }
    } else {
        // SQLite has no roles: triggers refuse, whoever connects.
        for sql in [update, delete] {
            let tx = app.db.begin().await.expect("tx");
            let err = tx
                .execute_raw(Statement::from_string(DbBackend::Sqlite, sql))
                .await
                .expect_err(sql);
            assert!(err.to_string().contains("append-only"), "{err}");
            tx.rollback().await.expect("rollback");
        }
    }
    assert_eq!(counts(&app).await["audit_events"], before);
    let forged = "{ auditEvents(filter: {action: \"forged\"}) { totalCount } }";
    assert_eq!(
        app.as_board("TW", "admin").data(forged).await["auditEvents"]["totalCount"],
        0
    );
}

/// Random mutations by viewers of other boards on IDs outside their scope: every answer is
/// NOT_FOUND (or FORBIDDEN for a role that may not write at all), and no row changes.
#[tokio::test]
async fn writes_outside_the_scope_answer_not_found_and_change_nothing() {
    let app = TestApp::spawn().await;
    let vinh = app.as_board("412", "clinician");
    let cadre = cadre_with_everything(&vinh, "412", "Cadre Vinh").await;
    let ids = |list: &'static str| {
        let app = &app;
        async move {
            let q = format!("{{ {list}(first: 10) {{ edges {{ node {{ id version }} }} }} }}");
            app.as_board("412", "admin").data(&q).await[list]["edges"][0]["node"].clone()
        }
    };
    let exam = ids("healthExams").await;
    let condition = ids("chronicConditions").await;
    let referral = ids("referrals").await;
    let campaign = ok(&app.as_board("40", "admin"), "mutation { createExamCampaign(input: {boardCode: \"412\", name: \"Đợt 1\", year: 2025, round: 1, cohort: ALL, startsOn: \"2025-03-01\", endsOn: \"2025-04-01\"}) { id } }", json!({}), "createExamCampaign").await;
    let before = counts(&app).await;

    let mutations: Vec<(&str, Value)> = vec![
        (
            UPDATE_CADRE,
            json!({"id": cadre, "version": 1, "input": {"workplace": "x"}}),
        ),
        (
            "mutation($id: ID!) { changeCadreStatus(id: $id, version: 1, status: RETIRED) { id } }",
            json!({"id": cadre}),
        ),
        (
            "mutation($id: ID!) { transferCadre(id: $id, toBoardCode: \"01\", version: 1) { id } }",
            json!({"id": cadre}),
        ),
        (
            ADD_CONDITION,
            json!({"input": {"cadreId": cadre, "icdCode": "I10", "diagnosedOn": "2020-01-15"}}),
        ),
        (
            "mutation($id: ID!) { resolveCondition(id: $id, version: 1, resolvedOn: \"2024-01-01\") { id } }",
            json!({"id": condition["id"]}),
        ),
        (RECORD_EXAM, json!({"input": exam_for(&cadre)})),
        (
            "mutation($id: ID!, $exam: HealthExamValues!) { correctHealthExam(id: $id, version: 1, exam: $exam) { id } }",
            json!({"id": exam["id"], "exam": exam_for(&cadre)["exam"]}),
        ),
        (
            MOVE_REFERRAL,
            json!({"id": referral["id"], "version": 1, "status": "ACCEPTED"}),
        ),
        (
            "mutation($c: ID!) { recordVaccination(input: {cadreId: $c, vaccine: \"Cúm\", doseNumber: 1, givenOn: \"2024-10-01\"}) { id } }",
            json!({"c": cadre}),
        ),
        (
            "mutation($c: ID!) { recordConsultation(input: {cadreId: $c, heldOn: \"2024-10-01\", council: \"HĐ\"}) { id } }",
            json!({"c": cadre}),
        ),
        (
            "mutation($c: ID!) { createReferral(input: {cadreId: $c, referredOn: \"2024-10-01\", destination: \"BV\", urgency: ROUTINE}) { id } }",
            json!({"c": cadre}),
        ),
        (
            "mutation($c: ID!) { recordClinicVisit(input: {cadreId: $c, visitedAt: \"2024-10-01T08:00:00Z\", prescriptions: [{drug: \"A\", quantity: 1}]}) { id } }",
            json!({"c": cadre}),
        ),
        (
            "mutation($id: ID!) { updateExamCampaign(id: $id, version: 1, input: {name: \"x\"}) { id } }",
            json!({"id": campaign["id"]}),
        ),
        (
            CREATE_CADRE,
            json!({"input": cadre_input("412", "Người Lạ")}),
        ),
        (
            "mutation { createExamCampaign(input: {boardCode: \"412\", name: \"x\", year: 2025, round: 2, cohort: ALL, startsOn: \"2025-09-01\", endsOn: \"2025-10-01\"}) { id } }",
            json!({}),
        ),
    ];
    // Viewers whose subtree does not hold Vinh (412, province 40).
    let outsiders = ["414", "01", "001", "79", "38"];
    let roles = ["clinician", "admin", "analyst"];
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for _ in 0..60 {
        let board = *outsiders.choose(&mut rng).expect("board");
        let role = *roles.choose(&mut rng).expect("role");
        let (query, variables) = &mutations[rng.random_range(0..mutations.len())];
        let body = app
            .as_board(board, role)
            .query_with(query, variables.clone())
            .await;
        let codes = error_codes(&body);
        assert!(
            codes == ["NOT_FOUND"] || codes == ["FORBIDDEN"],
            "{board} {role} {query}: {body}"
        );
        if role != "analyst"
            && !(query.contains("Campaign") && role == "clinician")
            && !(query.contains("transferCadre") && role == "clinician")
        {
            assert_eq!(codes, ["NOT_FOUND"], "{board} {role} {query}: {body}");
        }
    }
    // The audit trail only grows by the reads the checks above did not make: no row changed.
    assert_eq!(counts(&app).await, before);
}

fn exam_for(cadre: &str) -> Value {
    exam(cadre)
}

/// Exam coverage of `board` for 2025 round 1, as its admin sees it: (eligible, examined).
async fn coverage(app: &TestApp, board: &str) -> (i64, i64) {
    let q = format!(
        "{{ statistics(boardCode: \"{board}\") {{ examCoverage(year: 2025, round: 1) {{ total {{ eligible examined }} }} }} }}"
    );
    let data = app.as_board(board, "admin").data(&q).await;
    let total = &data["statistics"]["examCoverage"]["total"];
    (
        total["eligible"].as_i64().expect("eligible"),
        total["examined"].as_i64().expect("examined"),
    )
}

/// The write API keeps campaign enrolments (issue 6's coverage statistics) in step: a new
/// campaign enrols its cohort; an exam in it marks the cadre examined, a correction that moves
/// the exam out unmarks them; a transfer leaves the enrolment where the cadre was due.
#[tokio::test]
async fn campaigns_enrol_their_cohort_and_exams_keep_coverage_correct() {
    let app = TestApp::spawn().await;
    let clinician = app.as_board("40", "clinician");
    let serving = create_cadre(&clinician, "412", "Đang Công Tác").await;
    let other = create_cadre(&clinician, "40", "Cũng Công Tác").await;
    let retired = create_cadre(&clinician, "412", "Đã Nghỉ Hưu").await;
    let status =
        "mutation($id: ID!) { changeCadreStatus(id: $id, version: 1, status: RETIRED) { id } }";
    ok(
        &clinician,
        status,
        json!({"id": retired}),
        "changeCadreStatus",
    )
    .await;
    create_cadre(&app.as_board("01", "clinician"), "01", "Tỉnh Khác").await;

    let campaign = ok(&app.as_board("40", "admin"), "mutation { createExamCampaign(input: {boardCode: \"40\", name: \"Đợt 1\", year: 2025, round: 1, cohort: SERVING, startsOn: \"2025-03-01\", endsOn: \"2025-05-31\"}) { id } }", json!({}), "createExamCampaign").await;
    assert_eq!(
        coverage(&app, "40").await,
        (2, 0),
        "the two serving cadres of the province"
    );

    let mut input = exam(&serving);
    input["exam"]["campaignId"] = campaign["id"].clone();
    let recorded = record_exam(&clinician, input).await;
    assert_eq!(coverage(&app, "40").await, (2, 1));
    assert_eq!(coverage(&app, "412").await, (1, 1));

    let correct = "mutation($id: ID!, $exam: HealthExamValues!) { correctHealthExam(id: $id, version: 1, exam: $exam) { id } }";
    ok(
        &clinician,
        correct,
        json!({"id": recorded["id"], "exam": exam(&serving)["exam"]}),
        "correctHealthExam",
    )
    .await;
    assert_eq!(
        coverage(&app, "40").await,
        (2, 0),
        "the exam left the campaign"
    );

    // A transfer moves the cadre's records, not the enrolment: it says where they were due.
    let transfer =
        "mutation($id: ID!) { transferCadre(id: $id, toBoardCode: \"414\", version: 1) { id } }";
    ok(
        &app.as_board("40", "admin"),
        transfer,
        json!({"id": serving}),
        "transferCadre",
    )
    .await;
    assert_eq!(coverage(&app, "412").await, (1, 0));
    assert_eq!(coverage(&app, "414").await, (0, 0));
    let _ = other;
}
