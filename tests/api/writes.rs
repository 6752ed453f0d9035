//! The write API: each mutation's happy path, each validation rule (with the row counts shown
//! unchanged for every rejected case), roles, versions and uniqueness.

use std::collections::BTreeMap;

use cadre_health::scope::registry::{TableKind, tenant_tables};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::{Client, TestApp, assert_bad_user_input, error_codes};

/// Every table the API writes (every tenant table of the registry but the board tree), for
/// row counts: a rejected request must leave all equal.
pub fn tables() -> Vec<&'static str> {
    tenant_tables()
        .into_iter()
        .filter(|t| t.kind != TableKind::BoardTree)
        .map(|t| t.name)
        .collect()
}

pub async fn counts(app: &TestApp) -> BTreeMap<&'static str, i64> {
    counts_where(app, |_| "").await
}

/// Asserts that since `before` (a [`counts`]) nothing was written but `events` audit events.
pub async fn assert_only_audit_events_since(
    app: &TestApp,
    before: &BTreeMap<&'static str, i64>,
    events: i64,
) {
    let mut after = counts(app).await;
    assert_eq!(
        after.remove("audit_events"),
        Some(before["audit_events"] + events)
    );
    let mut unchanged = before.clone();
    unchanged.remove("audit_events");
    assert_eq!(after, unchanged);
}

/// [`counts`], with `audit_events` counting only changes: what a rejected mutation must not
/// leave. The clinical rows it read on the way (a check against a stored value) are audited
/// even so (`clinical_reads.rs`).
pub async fn writes(app: &TestApp) -> BTreeMap<&'static str, i64> {
    counts_where(app, |table| {
        if table == "audit_events" {
            " WHERE action <> 'readClinical'"
        } else {
            ""
        }
    })
    .await
}

async fn counts_where(
    app: &TestApp,
    condition: impl Fn(&str) -> &'static str,
) -> BTreeMap<&'static str, i64> {
    let mut out = BTreeMap::new();
    for table in tables() {
        let backend = app.db.get_database_backend();
        let row = app
            .db
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT COUNT(*) AS n FROM {table}{}", condition(table)),
            ))
            .await
            .expect("count")
            .expect("a row");
        out.insert(table, row.try_get::<i64>("", "n").expect("n"));
    }
    out
}

pub const CREATE_CADRE: &str = "mutation($input: CreateCadreInput!) { createCadre(input: $input) \
    { id version fullName birthDate status nationalId insuranceNumber board { code } } }";

pub fn cadre_input(board: &str, name: &str) -> Value {
    json!({
        "boardCode": board,
        "fullName": name,
        "gender": "FEMALE",
        "birthDate": "1968-03-08",
        "position": "Phó Chủ tịch UBND",
        "managementTier": "PROVINCIAL",
    })
}

/// Creates a cadre through the API and returns its ID.
pub async fn create_cadre(client: &Client<'_>, board: &str, name: &str) -> String {
    create_cadre_with(client, cadre_input(board, name)).await["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

/// Creates a cadre from `input` through the API and returns it as [`CREATE_CADRE`] selects it.
pub async fn create_cadre_with(client: &Client<'_>, input: Value) -> Value {
    ok(
        client,
        CREATE_CADRE,
        json!({ "input": input }),
        "createCadre",
    )
    .await
}

/// Records an exam (`input` as [`exam`] makes it) through the API, failing on any error.
pub async fn record_exam(client: &Client<'_>, input: Value) -> Value {
    ok(
        client,
        RECORD_EXAM,
        json!({ "input": input }),
        "recordHealthExam",
    )
    .await
}

/// Updates cadre `id`, held at `version`, with `input`, failing on any error.
pub async fn update_cadre(client: &Client<'_>, id: &str, version: i64, input: Value) -> Value {
    let variables = json!({ "id": id, "version": version, "input": input });
    ok(client, UPDATE_CADRE, variables, "updateCadre").await
}

/// Posts a mutation and returns `data.<field>`, failing on any error.
pub async fn ok(client: &Client<'_>, query: &str, variables: Value, field: &str) -> Value {
    let body = client.query_with(query, variables).await;
    assert!(body.get("errors").is_none(), "{query}: {body}");
    body["data"][field].clone()
}

pub const ADD_CONDITION: &str = "mutation($input: AddConditionInput!) { addCondition(input: $input) \
    { id version icdCode active board { code } } }";
pub const RECORD_EXAM: &str = "mutation($input: RecordHealthExamInput!) { recordHealthExam(input: $input) \
    { id version bmi heightCm weightKg diagnoses cadreClass board { code } } }";
pub const RECORD_VISIT: &str = "mutation($input: RecordClinicVisitInput!) { recordClinicVisit(input: $input) \
    { id version diagnoses prescriptions { drug quantity dosage } board { code } } }";
pub const CREATE_REFERRAL: &str = "mutation($input: CreateReferralInput!) { createReferral(input: $input) \
    { id version status } }";
pub const MOVE_REFERRAL: &str = "mutation($id: ID!, $version: Int!, $status: ReferralStatus!) \
    { changeReferralStatus(id: $id, version: $version, status: $status) { id version status } }";
pub const RECORD_CONSULTATION: &str = "mutation($input: RecordConsultationInput!) \
    { recordConsultation(input: $input) { id version council } }";
pub const RECORD_VACCINATION: &str = "mutation($input: RecordVaccinationInput!) \
    { recordVaccination(input: $input) { id version vaccine doseNumber } }";
pub const UPDATE_CADRE: &str = "mutation($id: ID!, $version: Int!, $input: UpdateCadreInput!) \
    { updateCadre(id: $id, version: $version, input: $input) { id version fullName workplace position } }";

pub fn exam(cadre: &str) -> Value {
    json!({ "cadreId": cadre, "exam": {
        "examinedOn": "2025-04-10", "kind": "PERIODIC", "heightCm": 165.0, "weightKg": 60.0,
        "systolicMmhg": 130, "diastolicMmhg": 85, "pulseBpm": 72,
        "diagnoses": ["i10", "E11.9"], "cadreClass": "B1", "generalClass": "II" } })
}

/// Adds condition `icd` (diagnosed on 2020-01-15) to `cadre` through the API; the new
/// condition.
pub async fn add_condition(client: &Client<'_>, cadre: &str, icd: &str) -> Value {
    let input = json!({"cadreId": cadre, "icdCode": icd, "diagnosedOn": "2020-01-15"});
    ok(
        client,
        ADD_CONDITION,
        json!({ "input": input }),
        "addCondition",
    )
    .await
}

/// Refers `cadre` urgently to Bạch Mai (on 2025-04-03) through the API; the new referral.
pub async fn create_referral(client: &Client<'_>, cadre: &str) -> Value {
    let input = json!({"cadreId": cadre, "referredOn": "2025-04-03",
        "destination": "Bệnh viện Bạch Mai", "urgency": "URGENT"});
    ok(
        client,
        CREATE_REFERRAL,
        json!({ "input": input }),
        "createReferral",
    )
    .await
}

/// The variables of [`RECORD_VACCINATION`] for dose `number` of a COVID-19 vaccine, given to
/// `cadre` on `given_on`.
pub fn covid_dose(cadre: &str, number: i32, given_on: &str) -> Value {
    json!({"input": {"cadreId": cadre, "vaccine": "COVID-19", "doseNumber": number,
        "givenOn": given_on}})
}

/// Records a vaccination ([`covid_dose`], say) through the API; the new vaccination.
pub async fn record_vaccination(client: &Client<'_>, variables: Value) -> Value {
    ok(client, RECORD_VACCINATION, variables, "recordVaccination").await
}

/// A cadre of `board` named `name`, created through the API with one of every clinical record
/// ([`record_everything`]); its ID.
pub async fn cadre_with_everything(client: &Client<'_>, board: &str, name: &str) -> String {
    let id = create_cadre(client, board, name).await;
    record_everything(client, &id).await;
    id
}

/// One of every clinical record on `cadre`, through the API.
pub async fn record_everything(client: &Client<'_>, cadre: &str) {
    add_condition(client, cadre, "I10").await;
    record_exam(client, exam(cadre)).await;
    ok(client, RECORD_VISIT, json!({"input": {"cadreId": cadre, "visitedAt": "2025-04-02T08:30:00Z",
        "diagnoses": ["I10"], "prescriptions": [{"drug": "Amlodipin 5mg", "quantity": 30}, {"drug": "Metformin", "quantity": 60, "dosage": "2 viên/ngày"}]}}), "recordClinicVisit").await;
    create_referral(client, cadre).await;
    ok(client, RECORD_CONSULTATION, json!({"input": {"cadreId": cadre, "heldOn": "2025-04-05", "council": "Hội đồng chuyên môn"}}), "recordConsultation").await;
    record_vaccination(client, covid_dose(cadre, 1, "2021-08-01")).await;
}

fn violation_fields(body: &Value) -> Vec<String> {
    body["errors"][0]["extensions"]["violations"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_clinician_creates_a_cadre_on_a_board_of_their_subtree_with_keys_from_the_board() {
    let app = TestApp::spawn().await;
    let nghe_an = app.as_board("40", "clinician");
    let mut input = cadre_input("412", "  Nguye\u{302}\u{303}n  Thị Lan ");
    input["nationalId"] = json!("040168001234");
    input["insuranceNumber"] = json!("cb2400000012345");
    // A client cannot smuggle tenant keys in: the input type has no such field.
    let mut smuggled = input.clone();
    smuggled["provinceCode"] = json!("01");
    let body = nghe_an
        .query_with(CREATE_CADRE, json!({ "input": smuggled }))
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");

    let cadre = create_cadre_with(&nghe_an, input).await;
    assert_eq!(cadre["fullName"], "Nguyễn  Thị Lan");
    assert_eq!(cadre["version"], 1);
    assert_eq!(cadre["status"], "SERVING");
    assert_eq!(cadre["board"]["code"], "412");
    assert_eq!(cadre["nationalId"], "040168001234");
    assert_eq!(cadre["insuranceNumber"], "CB2400000012345");

    // Vinh's own staff see it; another province's do not.
    let id = cadre["id"].as_str().expect("id");
    let q = format!("{{ cadre(id: \"{id}\") {{ fullName }} }}");
    assert_eq!(
        app.as_board("412", "clinician").data(&q).await["cadre"]["fullName"],
        "Nguyễn  Thị Lan"
    );
    assert!(app.as_board("01", "admin").data(&q).await["cadre"].is_null());
    use cadre_health::db::entities::cadre as cadre_entity;
    use sea_orm::EntityTrait;
    let id: uuid::Uuid = id.parse().expect("uuid");
    let row = cadre_entity::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("row");
    assert_eq!(
        (
            row.board_code.as_str(),
            row.province_code.as_deref(),
            row.district_code.as_deref()
        ),
        ("412", Some("40"), Some("412"))
    );
}

#[tokio::test]
async fn every_mutation_happy_path() {
    let app = TestApp::spawn().await;
    let clinician = app.as_board("40", "clinician");
    let admin = app.as_board("40", "admin");
    let cadre = create_cadre(&clinician, "412", "Trần Văn Bình").await;

    let updated = update_cadre(
        &clinician,
        &cadre,
        1,
        json!({"workplace": " Tỉnh ủy Nghệ An ", "position": null}),
    )
    .await;
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["workplace"], "Tỉnh ủy Nghệ An");
    assert!(updated["position"].is_null());

    let status = "mutation($id: ID!, $v: Int!, $s: CadreStatus!) { changeCadreStatus(id: $id, version: $v, status: $s) { status version } }";
    let retired = ok(
        &clinician,
        status,
        json!({"id": cadre, "v": 2, "s": "RETIRED"}),
        "changeCadreStatus",
    )
    .await;
    assert_eq!(retired, json!({"status": "RETIRED", "version": 3}));

    let condition = add_condition(&clinician, &cadre, " e11.9 ").await;
    assert_eq!(condition["icdCode"], "E11.9");
    assert_eq!(condition["active"], true);
    assert_eq!(condition["board"]["code"], "412");
    let resolve = "mutation($id: ID!, $v: Int!) { resolveCondition(id: $id, version: $v, resolvedOn: \"2024-02-01\") { active resolvedOn version } }";
    let resolved = ok(
        &clinician,
        resolve,
        json!({"id": condition["id"], "v": 1}),
        "resolveCondition",
    )
    .await;
    assert_eq!(
        resolved,
        json!({"active": false, "resolvedOn": "2024-02-01", "version": 2})
    );

    let campaign_q = "mutation($input: CreateExamCampaignInput!) { createExamCampaign(input: $input) { id version name board { code } } }";
    let campaign = ok(&admin, campaign_q, json!({"input": {"boardCode": "40", "name": "Khám định kỳ đợt 1", "year": 2025, "round": 1, "cohort": "ALL", "startsOn": "2025-03-01", "endsOn": "2025-05-31"}}), "createExamCampaign").await;
    assert_eq!(campaign["board"]["code"], "40");
    let update_campaign = "mutation($id: ID!) { updateExamCampaign(id: $id, version: 1, input: {endsOn: \"2025-06-15\"}) { endsOn version } }";
    let moved = ok(
        &admin,
        update_campaign,
        json!({"id": campaign["id"]}),
        "updateExamCampaign",
    )
    .await;
    assert_eq!(moved, json!({"endsOn": "2025-06-15", "version": 2}));

    let mut input = exam(&cadre);
    input["exam"]["campaignId"] = campaign["id"].clone();
    input["exam"]["bmi"] = json!(99.0);
    // BMI is derived, never sent: the input has no such field.
    let body = clinician
        .query_with(RECORD_EXAM, json!({"input": input.clone()}))
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    input["exam"].as_object_mut().expect("exam").remove("bmi");
    let recorded = record_exam(&clinician, input).await;
    assert_eq!(recorded["bmi"], 22.0);
    assert_eq!(recorded["diagnoses"], json!(["I10", "E11.9"]));
    assert_eq!(recorded["board"]["code"], "412");
    let correct = "mutation($id: ID!, $exam: HealthExamValues!) { correctHealthExam(id: $id, version: 1, exam: $exam) { bmi weightKg version } }";
    let mut values = exam(&cadre)["exam"].clone();
    values["weightKg"] = json!(68.1);
    let corrected = ok(
        &clinician,
        correct,
        json!({"id": recorded["id"], "exam": values}),
        "correctHealthExam",
    )
    .await;
    assert_eq!(
        corrected,
        json!({"bmi": 25.0, "weightKg": 68.1, "version": 2})
    );

    let visit = ok(&clinician, RECORD_VISIT, json!({"input": {"cadreId": cadre, "visitedAt": "2025-04-02T08:30:00Z",
        "diagnoses": ["I10"], "prescriptions": [{"drug": "Amlodipin 5mg", "quantity": 30}, {"drug": "Metformin", "quantity": 60, "dosage": "2 viên/ngày"}]}}), "recordClinicVisit").await;
    assert_eq!(visit["prescriptions"].as_array().map(Vec::len), Some(2));
    assert_eq!(visit["board"]["code"], "412");

    let referral = create_referral(&clinician, &cadre).await;
    assert_eq!(referral["status"], "REQUESTED");
    let accepted = ok(
        &clinician,
        MOVE_REFERRAL,
        json!({"id": referral["id"], "version": 1, "status": "ACCEPTED"}),
        "changeReferralStatus",
    )
    .await;
    assert_eq!(accepted["status"], "ACCEPTED");
    let completed = ok(
        &clinician,
        MOVE_REFERRAL,
        json!({"id": referral["id"], "version": 2, "status": "COMPLETED"}),
        "changeReferralStatus",
    )
    .await;
    assert_eq!(
        completed,
        json!({"id": referral["id"], "version": 3, "status": "COMPLETED"})
    );
    let other = ok(&clinician, CREATE_REFERRAL, json!({"input": {"cadreId": cadre, "referredOn": "2025-04-03", "destination": "Bệnh viện Chợ Rẫy", "urgency": "ROUTINE"}}), "createReferral").await;
    let cancelled = ok(
        &clinician,
        MOVE_REFERRAL,
        json!({"id": other["id"], "version": 1, "status": "CANCELLED"}),
        "changeReferralStatus",
    )
    .await;
    assert_eq!(cancelled["status"], "CANCELLED");

    let consultation = ok(&clinician, RECORD_CONSULTATION, json!({"input": {"cadreId": cadre, "heldOn": "2025-04-05", "council": " Hội đồng chuyên môn "}}), "recordConsultation").await;
    assert_eq!(consultation["council"], "Hội đồng chuyên môn");
    let vaccination = record_vaccination(&clinician, covid_dose(&cadre, 1, "2021-08-01")).await;
    assert_eq!(vaccination["doseNumber"], 1);

    // Everything is on the cadre's record, seen by the district's clinician.
    let q = format!(
        "{{ cadre(id: \"{cadre}\") {{ conditions {{ totalCount }} exams {{ totalCount }} visits {{ totalCount }} referrals {{ totalCount }} consultations {{ totalCount }} vaccinations {{ totalCount }} }} }}"
    );
    let seen = app.as_board("412", "clinician").data(&q).await;
    let totals: Vec<i64> = [
        "conditions",
        "exams",
        "visits",
        "referrals",
        "consultations",
        "vaccinations",
    ]
    .iter()
    .map(|f| seen["cadre"][f]["totalCount"].as_i64().expect("count"))
    .collect();
    assert_eq!(totals, [1, 1, 1, 2, 1, 1]);
}

#[tokio::test]
async fn all_violations_are_reported_at_once_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let clinician = app.as_board("40", "clinician");
    let before = counts(&app).await;
    let mut input = cadre_input("40", "   ");
    input["birthDate"] = json!("1919-12-31");
    input["nationalId"] = json!("12345");
    input["insuranceNumber"] = json!("ABC");
    let body = clinician
        .query_with(CREATE_CADRE, json!({ "input": input }))
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "fullName");
    assert_eq!(
        violation_fields(&body),
        ["fullName", "birthDate", "nationalId", "insuranceNumber"]
    );
    assert_eq!(counts(&app).await, before);
}

/// One rejected case: a mutation, its variables, and the field the error must name.
struct Rejected {
    query: &'static str,
    variables: Value,
    field: &'static str,
}

#[tokio::test]
async fn each_validation_rule_rejects_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let clinician = app.as_board("40", "clinician");
    let cadre = create_cadre(&clinician, "40", "Lê Văn Cường").await;
    let referral = create_referral(&clinician, &cadre).await;
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(2))
        .date_naive()
        .to_string();
    let seventeen = (chrono::Utc::now() - chrono::Duration::days(17 * 365))
        .date_naive()
        .to_string();

    let with_cadre = |edit: &dyn Fn(&mut Value)| {
        let mut input = cadre_input("40", "Phạm Thị Dung");
        edit(&mut input);
        json!({ "input": input })
    };
    let with_exam = |edit: &dyn Fn(&mut Value)| {
        let mut input = exam(&cadre);
        edit(&mut input["exam"]);
        json!({ "input": input })
    };
    // One field of a new cadre's input, or of an exam's values, set to a value its rule
    // refuses: the error names that field.
    let cadre_fields = [
        ("fullName", json!("")),
        ("fullName", json!("a".repeat(101))),
        ("birthDate", json!("1919-12-31")),
        ("birthDate", json!(seventeen)),
        ("nationalId", json!("04016800123")),
        ("nationalId", json!("04016800123x")),
        ("insuranceNumber", json!("12345678901")),
        ("status", json!("DECEASED")),
    ];
    let exam_fields = [
        ("heightCm", json!(99.5)),
        ("heightCm", json!(231)),
        ("weightKg", json!(24.9)),
        ("weightKg", json!(251)),
        ("systolicMmhg", json!(281)),
        ("systolicMmhg", json!(59)),
        ("diastolicMmhg", json!(29)),
        ("diastolicMmhg", json!(181)),
        ("pulseBpm", json!(29)),
        ("pulseBpm", json!(221)),
        ("diagnoses", json!(["I10", "I1"])),
        ("examinedOn", json!(tomorrow)),
    ];
    let one_field = cadre_fields
        .into_iter()
        .map(|(field, value)| Rejected {
            query: CREATE_CADRE,
            variables: with_cadre(&|i| i[field] = value.clone()),
            field,
        })
        .chain(exam_fields.into_iter().map(|(field, value)| Rejected {
            query: RECORD_EXAM,
            variables: with_exam(&|e| e[field] = value.clone()),
            field,
        }))
        .chain(["I100", "10I", "I10."].map(|icd| Rejected {
            query: ADD_CONDITION,
            variables: json!({"input": {"cadreId": cadre, "icdCode": icd, "diagnosedOn": "2020-01-15"}}),
            field: "icdCode",
        }))
        // A requested referral can neither skip to completed nor move to where it is.
        .chain(["COMPLETED", "REQUESTED"].map(|status| Rejected {
            query: MOVE_REFERRAL,
            variables: json!({"id": referral["id"], "version": 1, "status": status}),
            field: "status",
        }));
    let cases = one_field.chain([
        Rejected {
            query: RECORD_EXAM,
            variables: with_exam(&|e| {
                e["systolicMmhg"] = json!(90);
                e["diastolicMmhg"] = json!(90);
            }),
            field: "systolicMmhg",
        },
        Rejected {
            query: RECORD_EXAM,
            variables: with_exam(&|e| e["cadreClass"] = json!("E")),
            field: "",
        },
        Rejected {
            query: RECORD_VISIT,
            variables: json!({"input": {"cadreId": cadre, "visitedAt": "2025-04-02T08:30:00Z",
            "prescriptions": [{"drug": "Amlodipin", "quantity": 30}, {"drug": "Metformin", "quantity": 0}]}}),
            field: "prescriptions[1].quantity",
        },
        Rejected {
            query: RECORD_VISIT,
            variables: json!({"input": {"cadreId": cadre, "visitedAt": "2025-04-02T08:30:00Z",
            "prescriptions": [{"drug": "  ", "quantity": 3}]}}),
            field: "prescriptions[0].drug",
        },
        Rejected {
            query: RECORD_VACCINATION,
            variables: covid_dose(&cadre, 0, "2021-08-01"),
            field: "doseNumber",
        },
        Rejected {
            query: "mutation($id: ID!) { changeCadreStatus(id: $id, version: 1, status: SERVING) { id } }",
            variables: json!({"id": cadre}),
            field: "status",
        },
        Rejected {
            query: "mutation { createCadre(input: {boardCode: \"40\", fullName: \"A\", gender: MALE, birthDate: \"1970-02-30\", managementTier: CENTRAL}) { id } }",
            variables: json!({}),
            field: "",
        },
    ]);
    let before = writes(&app).await;
    for case in cases {
        let body = clinician
            .query_with(case.query, case.variables.clone())
            .await;
        assert_eq!(
            error_codes(&body),
            ["BAD_USER_INPUT"],
            "{}: {body}",
            case.variables
        );
        assert_bad_user_input(&body, case.field);
        assert_eq!(
            writes(&app).await,
            before,
            "rows changed by {}",
            case.variables
        );
    }
}

#[tokio::test]
async fn analysts_write_nothing_and_only_admins_run_campaigns_and_transfers() {
    let app = TestApp::spawn().await;
    let cadre = create_cadre(&app.as_board("40", "clinician"), "40", "Hồ Thị Hoa").await;
    let before = counts(&app).await;
    for board in ["TW", "40"] {
        let analyst = app.as_board(board, "analyst");
        let body = analyst
            .query_with(CREATE_CADRE, json!({"input": cadre_input("40", "Ai Đó")}))
            .await;
        assert_eq!(error_codes(&body), ["FORBIDDEN"], "{body}");
        let body = analyst
            .query_with(
                UPDATE_CADRE,
                json!({"id": cadre, "version": 1, "input": {"workplace": "x"}}),
            )
            .await;
        assert_eq!(error_codes(&body), ["FORBIDDEN"], "{body}");
        let dose = covid_dose(&cadre, 1, "2021-08-01");
        let body = analyst.query_with(RECORD_VACCINATION, dose).await;
        assert_eq!(error_codes(&body), ["FORBIDDEN"], "{body}");
    }
    let clinician = app.as_board("40", "clinician");
    let campaign = "mutation { createExamCampaign(input: {boardCode: \"40\", name: \"Đợt 1\", year: 2025, round: 1, cohort: ALL, startsOn: \"2025-03-01\", endsOn: \"2025-04-01\"}) { id } }";
    assert_eq!(error_codes(&clinician.query(campaign).await), ["FORBIDDEN"]);
    let transfer = format!(
        "mutation {{ transferCadre(id: \"{cadre}\", toBoardCode: \"412\", version: 1) {{ id }} }}"
    );
    assert_eq!(
        error_codes(&clinician.query(&transfer).await),
        ["FORBIDDEN"]
    );
    assert_eq!(counts(&app).await, before);
}

#[tokio::test]
async fn stale_versions_and_unique_clashes_are_conflicts_that_write_nothing() {
    let app = TestApp::spawn().await;
    let clinician = app.as_board("40", "clinician");
    let mut input = cadre_input("40", "Đặng Văn Đức");
    input["nationalId"] = json!("040170009999");
    let first = create_cadre_with(&clinician, input.clone()).await;
    let id = first["id"].as_str().expect("id");
    update_cadre(&clinician, id, 1, json!({"workplace": "A"})).await;

    let before = counts(&app).await;
    let body = clinician
        .query_with(
            UPDATE_CADRE,
            json!({"id": id, "version": 1, "input": {"workplace": "B"}}),
        )
        .await;
    assert_eq!(error_codes(&body), ["CONFLICT"], "{body}");

    // The same national ID on another cadre, created or updated: the registry's answer on the
    // field (see `a_national_id_clash_is_the_same_answer_everywhere_and_audited_centrally`),
    // not a server error.
    input["fullName"] = json!("Người Khác");
    let body = clinician
        .query_with(CREATE_CADRE, json!({"input": input}))
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "nationalId");
    let other = create_cadre(&clinician, "40", "Người Thứ Ba").await;
    let body = clinician
        .query_with(
            UPDATE_CADRE,
            json!({"id": other, "version": 1, "input": {"nationalId": "040170009999"}}),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "nationalId");
    let before_dose = counts(&app).await;

    // A dose number already recorded for the vaccine.
    let dose = covid_dose(id, 2, "2021-09-01");
    record_vaccination(&clinician, dose.clone()).await;
    let after_dose = writes(&app).await;
    let body = clinician.query_with(RECORD_VACCINATION, dose).await;
    assert_eq!(error_codes(&body), ["CONFLICT"], "{body}");
    assert_eq!(writes(&app).await, after_dose);
    assert_eq!(before_dose["vaccinations"] + 1, after_dose["vaccinations"]);

    let now = clinician
        .data(&format!(
            "{{ cadre(id: \"{id}\") {{ workplace version }} }}"
        ))
        .await;
    assert_eq!(now["cadre"], json!({"workplace": "A", "version": 2}));
    assert_eq!(before["cadres"] + 1, counts(&app).await["cadres"]);
}

/// The `nationalIdClash` events `admin` of `board` sees, as (actor, cadreId) pairs.
async fn clash_events(app: &TestApp, board: &str) -> Vec<(String, String)> {
    let data = app
        .as_board(board, "admin")
        .data(
            "{ auditEvents(first: 100, filter: {action: \"nationalIdClash\"}) \
             { edges { node { actorSubject actorBoardCode cadreId changedFields board { code } } } } }",
        )
        .await;
    data["auditEvents"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            let node = &e["node"];
            assert_eq!(node["board"]["code"], "TW", "{node}");
            assert_eq!(node["changedFields"], json!(["nationalId"]), "{node}");
            (
                format!(
                    "{}@{}",
                    node["actorSubject"].as_str().unwrap_or(""),
                    node["actorBoardCode"].as_str().unwrap_or("")
                ),
                node["cadreId"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Finding 5: a national ID held by a cadre of another province answered `CONFLICT` "another
/// cadre already has this national ID" (an oracle for rows outside the scope); paired with a
/// mutation failing on purpose, the request rolled back and left no trace, and on PostgreSQL
/// the second mutation answered `INTERNAL_SERVER_ERROR` (the unique violation had aborted the
/// transaction).
#[tokio::test]
async fn a_national_id_clash_is_the_same_answer_everywhere_and_audited_centrally() {
    let app = TestApp::spawn().await;
    let nghe_an = app.as_board("40", "clinician");
    let mut held = cadre_input("40", "Lê Văn Giữ");
    held["nationalId"] = json!("040170004242");
    let holder = create_cadre_with(&nghe_an, held).await;
    let holder = holder["id"].as_str().expect("id").to_owned();

    let ha_noi = app.as_board("01", "clinician");
    let own = create_cadre(&ha_noi, "01", "Trần Thị Hà").await;
    let before = counts(&app).await;
    let mut probe = cadre_input("01", "Người Dò");
    probe["nationalId"] = json!("040170004242");
    // The clash, then a mutation that fails on purpose (a stale version), in one request.
    let body = ha_noi
        .query_with(
            "mutation($input: CreateCadreInput!, $id: ID!) { \
               a: createCadre(input: $input) { id } \
               b: changeCadreStatus(id: $id, version: 7, status: RETIRED) { id } }",
            json!({"input": probe.clone(), "id": own}),
        )
        .await;
    assert_eq!(
        error_codes(&body),
        ["BAD_USER_INPUT", "CONFLICT"],
        "each mutation answers its own error, never INTERNAL_SERVER_ERROR: {body}"
    );
    let out_of_scope = body["errors"][0].clone();
    assert_eq!(out_of_scope["extensions"]["field"], "nationalId");
    let told = format!("{} {}", out_of_scope["message"], out_of_scope["extensions"]);
    assert!(
        !told.contains("40") && !told.contains("Nghệ"),
        "nothing names the holder's board: {told}"
    );

    // Inside the scope the answer is word for word the same: it tells nothing about where.
    let mut twin = cadre_input("40", "Người Trùng");
    twin["nationalId"] = json!("040170004242");
    let in_scope = nghe_an
        .query_with(CREATE_CADRE, json!({"input": twin}))
        .await;
    for key in ["message", "extensions"] {
        assert_eq!(in_scope["errors"][0][key], out_of_scope[key], "{in_scope}");
    }

    // Nothing was written but the audit events of the two attempts, under the central board,
    // naming the holder: central admins see them; neither province's admins do.
    assert_only_audit_events_since(&app, &before, 2).await;
    assert_eq!(
        clash_events(&app, "TW").await,
        [
            ("Clinician@01@01".to_owned(), holder.clone()),
            ("Clinician@40@40".to_owned(), holder.clone()),
        ]
    );
    assert!(clash_events(&app, "01").await.is_empty());
    assert!(clash_events(&app, "40").await.is_empty());

    // The stale-version mutation still answers CONFLICT when it comes first; the request after
    // the clash still works.
    let body = ha_noi
        .query_with(
            "mutation($input: CreateCadreInput!, $id: ID!) { \
               b: changeCadreStatus(id: $id, version: 1, status: RETIRED) { status } \
               a: createCadre(input: $input) { id } }",
            json!({"input": probe, "id": own}),
        )
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
    assert_eq!(body["errors"][0]["path"], json!(["a"]));
}

/// A unique key inside the scope (a vaccine dose) clashes in the first mutation of a request:
/// the next mutation still answers its own error on PostgreSQL, where the violation used to
/// abort the transaction and turn it into `INTERNAL_SERVER_ERROR`.
#[tokio::test]
async fn a_unique_violation_leaves_the_rest_of_the_request_its_own_answers() {
    let app = TestApp::spawn().await;
    let clinician = app.as_board("40", "clinician");
    let cadre = create_cadre(&clinician, "40", "Phạm Văn Liều").await;
    let dose = covid_dose(&cadre, 1, "2021-08-01");
    record_vaccination(&clinician, dose.clone()).await;
    let dose = &dose["input"];
    let before = writes(&app).await;
    let body = clinician
        .query_with(
            "mutation($dose: RecordVaccinationInput!, $id: ID!) { \
               a: recordVaccination(input: $dose) { id } \
               b: updateCadre(id: $id, version: 5, input: {workplace: \"X\"}) { id } }",
            json!({"dose": dose, "id": cadre}),
        )
        .await;
    assert_eq!(error_codes(&body), ["CONFLICT", "CONFLICT"], "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("dose"),
        "{body}"
    );
    // The clash tells that dose is recorded: a clinical read, audited (`clinical_reads.rs`).
    assert_eq!(writes(&app).await, before);
}

#[tokio::test]
async fn a_rejected_child_row_takes_the_whole_visit_with_it() {
    let app = TestApp::spawn().await;
    let clinician = app.as_board("40", "clinician");
    let cadre = create_cadre(&clinician, "40", "Vũ Thị Mai").await;
    let before = counts(&app).await;
    // Two operations in one request: the second fails, so the first is not kept either.
    let query = format!(
        "mutation {{ a: recordClinicVisit(input: {{cadreId: \"{cadre}\", visitedAt: \"2025-04-02T08:30:00Z\", prescriptions: [{{drug: \"Amlodipin\", quantity: 30}}]}}) {{ id }} \
        b: recordVaccination(input: {{cadreId: \"{cadre}\", vaccine: \"COVID-19\", doseNumber: 11, givenOn: \"2021-08-01\"}}) {{ id }} }}"
    );
    let body = clinician.query(&query).await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
    assert_eq!(counts(&app).await, before);
}
