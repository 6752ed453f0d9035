//! Clinical detail reaches only the roles that may read it, every read of it is audited, and
//! nothing above the viewer's scope shows through an ID (issue 11, findings 3, 7, 8 and 10).
//!
//! - Selecting cadres by clinical detail (`activeCondition`, `latestCadreClass`,
//!   `latestGeneralClass`) is refused to analysts with no rows and no count, and audited for
//!   everyone else: one `readClinical` event per cadre returned or counted.
//! - A failed mutation's reads of clinical rows (its checks against stored values) are audited.
//! - An exam's `campaignId` is null where its `campaign` is.
//! - Analysts get no part of a national ID or insurance number.

use std::collections::BTreeSet;

use cadre_health::db::entities::audit_event;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_codes, nodes};
use crate::writes::{
    MOVE_REFERRAL, RECORD_VACCINATION, add_condition, assert_only_audit_events_since, cadre_input,
    counts, covid_dose, create_cadre, create_cadre_with, create_referral, exam, ok, record_exam,
    record_vaccination,
};

/// The `readClinical` events in the database, as (event ID, actor, cadre).
async fn read_events(app: &TestApp) -> Vec<(String, String, String)> {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("readClinical"))
        .all(&app.db)
        .await
        .expect("audit events")
        .into_iter()
        .map(|e| {
            (
                e.id.to_string(),
                e.actor_sub,
                e.cadre_id.map(|c| c.to_string()).unwrap_or_default(),
            )
        })
        .collect()
}

/// Remembers the read events seen so far, to tell which ones a request added.
struct Trail {
    seen: BTreeSet<String>,
}

impl Trail {
    async fn start(app: &TestApp) -> Trail {
        let seen = read_events(app).await.into_iter().map(|e| e.0).collect();
        Trail { seen }
    }

    /// The cadres of the read events written since the last call, sorted (one per event).
    async fn new_reads(&mut self, app: &TestApp) -> Vec<String> {
        let mut cadres = vec![];
        for (id, _, cadre) in read_events(app).await {
            if self.seen.insert(id) {
                cadres.push(cadre);
            }
        }
        cadres.sort();
        cadres
    }
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

/// Three cadres of Thành phố Vinh (412), recorded through the API by Nghệ An's clinician:
/// `hypertensive` (I10, a class D exam), `also_hypertensive` (I10) and `diabetic` (E11).
struct Ward {
    app: TestApp,
    hypertensive: String,
    also_hypertensive: String,
    diabetic: String,
}

async fn ward() -> Ward {
    let app = TestApp::spawn().await;
    let clinician = app.as_board("40", "clinician");
    let hypertensive = create_cadre(&clinician, "412", "Nguyễn Văn Huyết").await;
    let also_hypertensive = create_cadre(&clinician, "412", "Trần Văn Áp").await;
    let diabetic = create_cadre(&clinician, "412", "Lê Thị Đường").await;
    for (cadre, code) in [
        (&hypertensive, "I10"),
        (&also_hypertensive, "I10"),
        (&diabetic, "E11"),
    ] {
        add_condition(&clinician, cadre, code).await;
    }
    let mut class_d = exam(&hypertensive);
    class_d["exam"]["cadreClass"] = json!("D");
    class_d["exam"]["generalClass"] = json!("IV");
    record_exam(&clinician, class_d).await;
    Ward {
        app,
        hypertensive,
        also_hypertensive,
        diabetic,
    }
}

const CLINICAL_FILTERS: [&str; 4] = [
    r#"{activeCondition: "I10"}"#,
    r#"{activeCondition: "I"}"#,
    "{latestCadreClass: [D]}",
    "{latestGeneralClass: [IV, V]}",
];

/// Finding 3: an analyst listed the named cadres with active hypertension, and walked ICD-10
/// prefixes with `search` to recover one cadre's codes.
#[tokio::test]
async fn finding_3_analysts_cannot_select_cadres_by_clinical_detail() {
    let w = ward().await;
    let mut trail = Trail::start(&w.app).await;
    for board in ["412", "40", "TW"] {
        let analyst = w.app.as_board(board, "analyst");
        for filter in CLINICAL_FILTERS {
            for selection in [
                "totalCount edges { node { id fullName } }",
                "totalCount",
                "edges { node { id } }",
                "pageInfo { hasNextPage }",
            ] {
                let q =
                    format!("{{ viewer {{ role }} cadres(filter: {filter}) {{ {selection} }} }}");
                let body = analyst.query(&q).await;
                assert_eq!(error_codes(&body), ["FORBIDDEN"], "{q}: {body}");
                assert_eq!(body["errors"][0]["path"], json!(["cadres"]), "{body}");
                assert_eq!(body["data"]["cadres"], Value::Null, "{q}: {body}");
                // The refusal is the field's alone: the rest of the answer comes back.
                assert_eq!(body["data"]["viewer"]["role"], "ANALYST", "{body}");
            }
        }
        // Walking prefixes with a name gets nowhere either.
        let walk = r#"{ cadres(filter: {search: "huyet", activeCondition: "I1"}) { totalCount } }"#;
        assert_eq!(
            error_codes(&analyst.query(walk).await),
            ["FORBIDDEN"],
            "{board}"
        );
        // The directory itself, and its non-clinical filters, stay open to analysts.
        let plain = analyst
            .data(r#"{ cadres(filter: {boardCode: "412", search: "van"}) { totalCount } }"#)
            .await;
        assert_eq!(plain["cadres"]["totalCount"], 2, "{board}");
    }
    assert!(
        trail.new_reads(&w.app).await.is_empty(),
        "refused requests read nothing"
    );
}

/// Finding 3, the other half: a clinician's selection by clinical detail left no audit event.
#[tokio::test]
async fn finding_3_a_clinicians_selection_by_clinical_detail_is_audited_per_cadre() {
    let w = ward().await;
    let mut trail = Trail::start(&w.app).await;
    let clinician = w.app.as_board("412", "clinician");
    let list = |filter: &str, first: u32| {
        format!(r#"{{ cadres(filter: {filter}, first: {first}) {{ edges {{ node {{ id }} }} }} }}"#)
    };
    let ids = |data: &Value| -> Vec<String> {
        let mut ids = nodes(&data["cadres"], "id");
        ids.sort();
        ids
    };

    // One event per cadre returned, and none for the cadres the filter left out.
    let data = clinician
        .data(&list(r#"{activeCondition: "I10"}"#, 10))
        .await;
    let returned = ids(&data);
    assert_eq!(returned, sorted(&[&w.hypertensive, &w.also_hypertensive]));
    assert_eq!(trail.new_reads(&w.app).await, returned);

    let data = clinician.data(&list("{latestCadreClass: [D]}", 10)).await;
    assert_eq!(ids(&data), vec![w.hypertensive.clone()]);
    assert_eq!(trail.new_reads(&w.app).await, vec![w.hypertensive.clone()]);

    let data = clinician
        .data(&list("{latestGeneralClass: [IV]}", 10))
        .await;
    assert_eq!(ids(&data), vec![w.hypertensive.clone()]);
    assert_eq!(trail.new_reads(&w.app).await, vec![w.hypertensive.clone()]);

    // Only the cadres shown: the row fetched to tell whether there is a next page is not.
    let data = clinician
        .data(&list(r#"{activeCondition: "I10"}"#, 1))
        .await;
    assert_eq!(ids(&data).len(), 1);
    assert_eq!(trail.new_reads(&w.app).await, ids(&data));

    // A count alone is audited like the rows it counts: with a name it singles a person out.
    let count = clinician
        .data(r#"{ cadres(filter: {search: "duong", activeCondition: "E"}) { totalCount } }"#)
        .await;
    assert_eq!(count["cadres"]["totalCount"], 1);
    assert_eq!(trail.new_reads(&w.app).await, vec![w.diabetic.clone()]);

    // The same list without a clinical condition is the directory: no clinical read.
    clinician
        .data("{ cadres(first: 10) { totalCount edges { node { id fullName } } } }")
        .await;
    assert!(trail.new_reads(&w.app).await.is_empty());

    // Admins are audited alike, and the events are theirs.
    let admin = w.app.as_board("40", "admin");
    admin
        .data(r#"{ cadres(filter: {activeCondition: "E11"}) { edges { node { id } } } }"#)
        .await;
    let events = read_events(&w.app).await;
    let mine: Vec<&(String, String, String)> = events
        .iter()
        .filter(|e| !trail.seen.contains(&e.0))
        .collect();
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0].1, "Admin@40");
    assert_eq!(mine[0].2, w.diabetic);
}

/// Finding 10: binary-searching `resolveCondition`'s `resolvedOn` against "not before the
/// diagnosis" recovered a diagnosis date, and the failed attempts left no event.
#[tokio::test]
async fn finding_10_a_failed_mutation_audits_the_clinical_rows_it_checked() {
    let app = TestApp::spawn().await;
    let clinician = app.as_board("412", "clinician");
    let cadre = create_cadre(&clinician, "412", "Phạm Văn Chẩn").await;
    let condition = add_condition(&clinician, &cadre, "I10").await;
    let referral = create_referral(&clinician, &cadre).await;
    let recorded = record_exam(&clinician, exam(&cadre)).await;
    let dose = covid_dose(&cadre, 1, "2021-08-01");
    record_vaccination(&clinician, dose.clone()).await;

    let prober = app.as_board("40", "clinician");
    let mut trail = Trail::start(&app).await;
    let before = counts(&app).await;
    let resolve = "mutation($id: ID!, $on: Date!) { resolveCondition(id: $id, version: 1, resolvedOn: $on) { id } }";
    let correct = "mutation($id: ID!, $exam: HealthExamValues!) { correctHealthExam(id: $id, version: 9, exam: $exam) { id } }";
    let failures = [
        // Checked against the stored diagnosis date.
        (
            resolve,
            json!({"id": condition["id"], "on": "2019-06-01"}),
            "BAD_USER_INPUT",
        ),
        // Checked against the stored status.
        (
            MOVE_REFERRAL,
            json!({"id": referral["id"], "version": 1, "status": "COMPLETED"}),
            "BAD_USER_INPUT",
        ),
        // The stored exam was read, then found changed since.
        (
            correct,
            json!({"id": recorded["id"], "exam": exam(&cadre)["exam"]}),
            "CONFLICT",
        ),
        // The clash tells that this dose is on record.
        (RECORD_VACCINATION, dose.clone(), "CONFLICT"),
    ];
    for (query, variables, code) in failures {
        let body = prober.query_with(query, variables.clone()).await;
        assert_eq!(error_codes(&body), [code], "{variables}: {body}");
        assert_eq!(
            trail.new_reads(&app).await,
            vec![cadre.clone()],
            "a failed {variables} read the cadre's record: one event"
        );
    }
    // Nothing else was written: no row, no change event.
    assert_only_audit_events_since(&app, &before, 4).await;

    // A failure before any stored row is read (invalid input, out of scope) leaves nothing.
    let mut bad = exam(&cadre)["exam"].clone();
    bad["heightCm"] = json!(500);
    let body = prober
        .query_with(correct, json!({"id": recorded["id"], "exam": bad}))
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
    let body = app
        .as_board("01", "clinician")
        .query_with(resolve, json!({"id": condition["id"], "on": "2019-06-01"}))
        .await;
    assert_eq!(error_codes(&body), ["NOT_FOUND"], "{body}");
    assert!(trail.new_reads(&app).await.is_empty());
}

/// Finding 7: a district viewer read `HealthExam.campaignId` of its province's campaign while
/// `campaign` answered null.
#[tokio::test]
async fn finding_7_a_district_sees_no_campaign_id_above_its_scope() {
    let app = TestApp::spawn().await;
    let campaign = ok(
        &app.as_board("40", "admin"),
        "mutation { createExamCampaign(input: {boardCode: \"40\", name: \"Đợt 1\", year: 2025, round: 1, cohort: ALL, startsOn: \"2025-03-01\", endsOn: \"2025-04-30\"}) { id } }",
        json!({}),
        "createExamCampaign",
    )
    .await;
    let province = app.as_board("40", "clinician");
    let cadre = create_cadre(&province, "412", "Hoàng Văn Đợt").await;
    let mut input = exam(&cadre);
    input["exam"]["campaignId"] = campaign["id"].clone();
    let recorded = record_exam(&province, input).await;

    let by_id = format!(
        r#"{{ healthExam(id: "{}") {{ campaignId campaign {{ id }} }} }}"#,
        recorded["id"].as_str().expect("id")
    );
    let listed = "{ cadres { edges { node { latestExam { campaignId } } } } healthExams { edges { node { campaignId } } } }";
    let filtered = format!(
        r#"{{ healthExams(filter: {{campaignId: "{}"}}) {{ totalCount }} }}"#,
        campaign["id"].as_str().expect("id")
    );

    // The province ran it and sees it.
    let seen = province.data(&by_id).await;
    assert_eq!(seen["healthExam"]["campaignId"], campaign["id"]);
    assert_eq!(seen["healthExam"]["campaign"]["id"], campaign["id"]);
    assert_eq!(
        province.data(&filtered).await["healthExams"]["totalCount"],
        1
    );

    // The district sees its exam, and nothing of the campaign above it: not even its ID.
    for role in ["clinician", "admin"] {
        let district = app.as_board("412", role);
        let exam = district.data(&by_id).await;
        assert_eq!(
            exam["healthExam"],
            json!({"campaignId": null, "campaign": null})
        );
        let data = district.data(listed).await;
        assert_eq!(
            data["cadres"]["edges"][0]["node"]["latestExam"]["campaignId"],
            Value::Null
        );
        assert_eq!(
            data["healthExams"]["edges"][0]["node"]["campaignId"],
            Value::Null
        );
        // An ID from above the scope selects nothing, like a board code from above it.
        assert_eq!(
            district.data(&filtered).await["healthExams"]["totalCount"],
            0
        );
    }
}

/// Finding 8: the last four digits shown to analysts, with the province, gender and birth year
/// they see, left about a hundred candidates for a national ID.
#[tokio::test]
async fn finding_8_analysts_receive_no_part_of_a_national_id_or_insurance_number() {
    let app = TestApp::spawn().await;
    let clinician = app.as_board("40", "clinician");
    let mut input = cadre_input("412", "Đinh Văn Số");
    input["nationalId"] = json!("040168001234");
    input["insuranceNumber"] = json!("CB2400000012345");
    let cadre = create_cadre_with(&clinician, input).await;
    let id = cadre["id"].as_str().expect("id");
    let single = format!(r#"{{ cadre(id: "{id}") {{ fullName nationalId insuranceNumber }} }}"#);
    let listed = "{ cadres { edges { node { fullName nationalId insuranceNumber } } } }";

    for board in ["412", "40", "TW"] {
        let analyst = app.as_board(board, "analyst");
        for (query, at) in [
            (single.as_str(), json!(["cadre"])),
            (listed, json!(["cadres", "edges", 0, "node"])),
        ] {
            let body = analyst.query(query).await;
            let node = at
                .as_array()
                .expect("path")
                .iter()
                .fold(&body["data"], |v, k| match k {
                    Value::String(k) => &v[k.as_str()],
                    k => &v[k.as_u64().expect("index") as usize],
                });
            assert_eq!(node["fullName"], "Đinh Văn Số", "{body}");
            assert_eq!(node["nationalId"], Value::Null, "{body}");
            assert_eq!(node["insuranceNumber"], Value::Null, "{body}");
            assert_eq!(error_codes(&body), ["FORBIDDEN", "FORBIDDEN"], "{body}");
            assert!(!body.to_string().contains("1234"), "{body}");
            assert!(!body.to_string().contains("2345"), "{body}");
        }
    }

    // Clinicians keep the rule they had: in full for one cadre, the last four in a list.
    let one = clinician.data(&single).await;
    assert_eq!(one["cadre"]["nationalId"], "040168001234");
    assert_eq!(one["cadre"]["insuranceNumber"], "CB2400000012345");
    let list = clinician.data(listed).await;
    let node = &list["cadres"]["edges"][0]["node"];
    assert_eq!(node["nationalId"], "********1234");
    assert_eq!(node["insuranceNumber"], "***********2345");
}
