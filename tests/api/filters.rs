//! Every filter of every list, `orderBy`, and paging both ways.

use cadre_health::domain::{
    CadreClass, CadreStatus, ExamKind, Gender, GeneralClass, ManagementTier,
};
use serde_json::{Value, json};
use std::collections::HashSet;
use uuid::Uuid;

use crate::fixtures::{
    add_campaign, add_records, day, edit_cadre, edit_exam, put_in_campaign, resolve_condition,
};
use crate::helpers::{TestApp, error_codes, nodes};
use crate::writes::{create_cadre, exam, ok, record_exam, update_cadre};

/// The names of the cadres matching `filter`, as a provincial clinician of Nghệ An sees them.
async fn cadres(app: &TestApp, filter: &str) -> Vec<String> {
    let data = app
        .as_board("40", "clinician")
        .data(&format!(
            "{{ cadres(filter: {filter}, first: 100) {{ totalCount edges {{ node {{ fullName }} }} }} }}"
        ))
        .await;
    let found = nodes(&data["cadres"], "fullName");
    assert_eq!(data["cadres"]["totalCount"], found.len(), "{filter}");
    found
}

/// The cadres the filter tests look for: four in Nghệ An (two on the province's own board, one
/// in each of two districts), and one in Hà Nội that a viewer of Nghệ An never finds.
struct Cast {
    an: Uuid,
    binh: Uuid,
    cuong: Uuid,
    dung: Uuid,
}

impl Cast {
    async fn add(app: &TestApp) -> Cast {
        let cast = Cast {
            an: app.add_cadre("40", "Nguyễn Văn An").await,
            binh: app.add_cadre("412", "Trần Thị Bình").await,
            cuong: app.add_cadre("414", "Lê Văn Cường").await,
            dung: app.add_cadre("40", "Phạm Thị Dung").await,
        };
        app.add_cadre("01", "Hoàng Văn Em").await;
        cast
    }
}

#[tokio::test]
async fn the_cadre_filter_narrows_by_each_condition() {
    let app = TestApp::spawn().await;
    let Cast {
        an,
        binh,
        cuong,
        dung,
    } = Cast::add(&app).await;
    edit_cadre(&app, binh, |c| {
        c.gender = Gender::Female;
        c.birth_date = day("1958-02-01");
        c.status = CadreStatus::Retired;
        c.management_tier = ManagementTier::Central;
    })
    .await;
    edit_cadre(&app, dung, |c| {
        c.gender = Gender::Female;
        c.birth_date = day("1972-12-31");
        c.status = CadreStatus::Deceased;
    })
    .await;
    // Latest exams: An A then B2 (latest B2), Bình C, Cường none, Dung A.
    app.add_exam(an, "2024-03-01", CadreClass::A).await;
    let an_latest = app.add_exam(an, "2025-03-01", CadreClass::B2).await;
    edit_exam(&app, an_latest, |e| {
        e.general_class = Some(GeneralClass::Iii)
    })
    .await;
    app.add_exam(binh, "2025-03-02", CadreClass::C).await;
    app.add_exam(dung, "2023-03-02", CadreClass::A).await;
    add_records(&app, an, "I10").await;
    add_records(&app, binh, "E11").await;
    let cuong_records = add_records(&app, cuong, "I25").await;
    resolve_condition(&app, cuong_records.condition, "2024-01-01").await;

    let all = [
        "Lê Văn Cường",
        "Nguyễn Văn An",
        "Phạm Thị Dung",
        "Trần Thị Bình",
    ];
    for (filter, expected) in [
        ("{}", all.to_vec()),
        (r#"{boardCode: "412"}"#, vec!["Trần Thị Bình"]),
        ("{status: RETIRED}", vec!["Trần Thị Bình"]),
        ("{managementTier: CENTRAL}", vec!["Trần Thị Bình"]),
        ("{gender: FEMALE}", vec!["Phạm Thị Dung", "Trần Thị Bình"]),
        ("{bornToYear: 1960}", vec!["Trần Thị Bình"]),
        ("{bornFromYear: 1972}", vec!["Phạm Thị Dung"]),
        (
            "{bornFromYear: 1965, bornToYear: 1972}",
            vec!["Lê Văn Cường", "Nguyễn Văn An", "Phạm Thị Dung"],
        ),
        // The latest exam counts, not an earlier one: An's A of 2024 does not match.
        ("{latestCadreClass: [A]}", vec!["Phạm Thị Dung"]),
        (
            "{latestCadreClass: [B2, C]}",
            vec!["Nguyễn Văn An", "Trần Thị Bình"],
        ),
        ("{latestGeneralClass: [III]}", vec!["Nguyễn Văn An"]),
        // Active conditions only: Cường's I25 is resolved.
        (r#"{activeCondition: "I"}"#, vec!["Nguyễn Văn An"]),
        (r#"{activeCondition: "e11"}"#, vec!["Trần Thị Bình"]),
        (r#"{activeCondition: "I25"}"#, vec![]),
        // Conditions combine.
        (
            "{gender: FEMALE, status: RETIRED, latestCadreClass: [C]}",
            vec!["Trần Thị Bình"],
        ),
    ] {
        assert_eq!(cadres(&app, filter).await, expected, "{filter}");
    }
    let body = app
        .as_board("40", "clinician")
        .query(r#"{ cadres(filter: {activeCondition: "I%"}) { totalCount } }"#)
        .await;
    assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "activeCondition");
}

#[tokio::test]
async fn due_in_campaign_lists_who_has_not_been_examined_in_it() {
    let app = TestApp::spawn().await;
    let Cast { an, binh, dung, .. } = Cast::add(&app).await;
    edit_cadre(&app, dung, |c| c.status = CadreStatus::Deceased).await;
    let campaign = add_campaign(&app, "40", 2025, 1).await;
    let other = add_campaign(&app, "01", 2025, 1).await;
    let exam = app.add_exam(an, "2025-03-10", CadreClass::A).await;
    put_in_campaign(&app, exam, campaign).await;
    // An exam outside the campaign does not count.
    app.add_exam(binh, "2025-03-10", CadreClass::A).await;

    assert_eq!(
        cadres(&app, &format!(r#"{{dueInCampaign: "{campaign}"}}"#)).await,
        ["Lê Văn Cường", "Trần Thị Bình"]
    );
    // Another province's campaign does not exist for Nghệ An.
    assert_eq!(
        cadres(&app, &format!(r#"{{dueInCampaign: "{other}"}}"#)).await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn cadres_sort_by_name_or_birth_date_both_ways() {
    let app = TestApp::spawn().await;
    for (name, born) in [
        ("Đỗ Văn Bảo", "1961-01-01"),
        ("Bùi Thị Ánh", "1970-05-05"),
        ("Cao Văn Công", "1955-07-07"),
    ] {
        let id = app.add_cadre("40", name).await;
        edit_cadre(&app, id, |c| c.birth_date = day(born)).await;
    }
    let client = app.as_board("40", "clinician");
    let list = |order: &str| {
        format!("{{ cadres(orderBy: {order}) {{ edges {{ node {{ fullName }} }} }} }}")
    };
    let by = |order: &'static str| {
        let client = &client;
        let q = list(order);
        async move { nodes(&client.data(&q).await["cadres"], "fullName") }
    };
    assert_eq!(
        by("{}").await,
        ["Bùi Thị Ánh", "Cao Văn Công", "Đỗ Văn Bảo"]
    );
    assert_eq!(
        by("{field: NAME, direction: DESC}").await,
        ["Đỗ Văn Bảo", "Cao Văn Công", "Bùi Thị Ánh"]
    );
    assert_eq!(
        by("{field: BIRTH_DATE}").await,
        ["Cao Văn Công", "Đỗ Văn Bảo", "Bùi Thị Ánh"]
    );
    assert_eq!(
        by("{field: BIRTH_DATE, direction: DESC}").await,
        ["Bùi Thị Ánh", "Đỗ Văn Bảo", "Cao Văn Công"]
    );
}

#[tokio::test]
async fn cadres_sort_by_last_exam_date_which_every_exam_write_keeps_current() {
    let app = TestApp::spawn().await;
    let clinician = app.as_board("40", "clinician");
    let mut ids = std::collections::HashMap::new();
    for name in ["An", "Bình", "Cường", "Dũng", "Em", "Giang"] {
        ids.insert(name, create_cadre(&clinician, "412", name).await);
    }
    create_cadre(&app.as_board("01", "clinician"), "01", "Hà Nội").await; // never listed
    let record = |name: &'static str, on: &'static str| {
        let (client, id) = (&clinician, ids[name].clone());
        async move {
            let mut input = exam(&id);
            input["exam"]["examinedOn"] = json!(on);
            record_exam(client, input).await
        }
    };
    record("An", "2025-03-01").await;
    record("Bình", "2024-06-01").await;
    record("Bình", "2025-05-05").await; // a later exam moves Bình's date on
    record("Em", "2025-03-01").await; // the same day as An: the ID breaks the tie
    let cuong = record("Cường", "2025-06-30").await;
    // A correction to an earlier date moves Cường's date back (recomputed, not compared).
    let mut corrected = exam(&ids["Cường"])["exam"].clone();
    corrected["examinedOn"] = json!("2023-02-02");
    ok(
        &clinician,
        "mutation($id: ID!, $exam: HealthExamValues!) { correctHealthExam(id: $id, version: 1, exam: $exam) { id } }",
        json!({"id": cuong["id"], "exam": corrected}),
        "correctHealthExam",
    )
    .await;
    // Editing the cadre afterwards leaves the date alone.
    update_cadre(&clinician, &ids["An"], 1, json!({"workplace": "Huyện ủy"})).await;

    // Dũng and Giang were never examined: first ascending, last descending.
    let (an_em, em_an) = if ids["An"] < ids["Em"] {
        (["An", "Em"], ["Em", "An"])
    } else {
        (["Em", "An"], ["An", "Em"])
    };
    let (never, never_desc) = if ids["Dũng"] < ids["Giang"] {
        (["Dũng", "Giang"], ["Giang", "Dũng"])
    } else {
        (["Giang", "Dũng"], ["Dũng", "Giang"])
    };
    let ascending: Vec<&str> = [&never[..], &["Cường"], &an_em[..], &["Bình"]].concat();
    let descending: Vec<&str> = [&["Bình"], &em_an[..], &["Cường"], &never_desc[..]].concat();
    for role in ["clinician", "analyst"] {
        let client = app.as_board("40", role);
        for (direction, expected) in [("ASC", &ascending), ("DESC", &descending)] {
            let data = client
                .data(&format!(
                    "{{ cadres(orderBy: {{field: LAST_EXAM_DATE, direction: {direction}}}) {{ edges {{ node {{ fullName lastExamOn }} }} }} }}"
                ))
                .await;
            assert_eq!(
                &nodes(&data["cadres"], "fullName"),
                expected,
                "{role} {direction}"
            );
            let dates: Vec<&Value> = data["cadres"]["edges"]
                .as_array()
                .expect("edges")
                .iter()
                .map(|e| &e["node"]["lastExamOn"])
                .collect();
            let date_of = |name: &str| match name {
                "An" | "Em" => json!("2025-03-01"),
                "Bình" => json!("2025-05-05"),
                "Cường" => json!("2023-02-02"),
                _ => Value::Null,
            };
            let expected_dates: Vec<Value> = expected.iter().map(|n| date_of(n)).collect();
            assert_eq!(dates, expected_dates.iter().collect::<Vec<_>>(), "{role}");
        }
        // Paging in threes, both ways, through the nulls and the tie.
        for direction in ["ASC", "DESC"] {
            let args = format!("orderBy: {{field: LAST_EXAM_DATE, direction: {direction}}},");
            let forward = walk(&client, "cadres", &args, false).await;
            let backward = walk(&client, "cadres", &args, true).await;
            let expected: Vec<String> = if direction == "ASC" {
                &ascending
            } else {
                &descending
            }
            .iter()
            .map(|n| ids[n].clone())
            .collect();
            assert_eq!(forward, expected, "{role} {direction} forwards");
            assert_eq!(backward, expected, "{role} {direction} backwards");
        }
    }
}

/// Walks a connection page by page, forwards or backwards, and returns the IDs in list order.
async fn walk(
    client: &crate::helpers::Client<'_>,
    list: &str,
    args: &str,
    backward: bool,
) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let paging = match (&cursor, backward) {
            (None, false) => "first: 3".to_owned(),
            (Some(c), false) => format!(r#"first: 3, after: "{c}""#),
            (None, true) => "last: 3".to_owned(),
            (Some(c), true) => format!(r#"last: 3, before: "{c}""#),
        };
        let data = client
            .data(&format!(
                "{{ {list}({args} {paging}) {{ totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} edges {{ node {{ id }} }} }} }}"
            ))
            .await;
        let page = &data[list];
        let mut got = nodes(page, "id");
        assert!(got.len() <= 3);
        let info = &page["pageInfo"];
        if backward {
            got.extend(ids);
            ids = got;
            if info["hasPreviousPage"] != true {
                break;
            }
            cursor = info["startCursor"].as_str().map(str::to_owned);
        } else {
            ids.extend(got);
            if info["hasNextPage"] != true {
                break;
            }
            cursor = info["endCursor"].as_str().map(str::to_owned);
        }
        assert!(ids.len() <= 100, "paging does not end");
    }
    ids
}

#[tokio::test]
async fn walking_every_page_both_ways_yields_each_row_once_in_order() {
    let app = TestApp::spawn().await;
    // Ten cadres, several with the same name and birth date: ties must break stably.
    for i in 0..10 {
        let name = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"][i % 3];
        let id = app.add_cadre("40", name).await;
        edit_cadre(&app, id, |c| {
            c.birth_date = day(["1960-01-01", "1961-01-01"][i % 2])
        })
        .await;
        add_records(&app, id, "I10").await;
        app.add_exam(id, ["2025-03-01", "2025-03-02"][i % 2], CadreClass::A)
            .await;
    }
    let client = app.as_board("40", "clinician");
    for (list, args) in [
        ("cadres", ""),
        ("cadres", "orderBy: {field: BIRTH_DATE, direction: DESC},"),
        ("cadres", r#"filter: {search: "van"},"#),
        ("healthExams", ""),
        ("clinicVisits", ""),
        ("chronicConditions", ""),
        ("prescriptions", ""),
        ("referrals", ""),
        ("consultations", ""),
        ("vaccinations", ""),
    ] {
        let forward = walk(&client, list, args, false).await;
        let backward = walk(&client, list, args, true).await;
        let unique: HashSet<_> = forward.iter().collect();
        assert_eq!(
            unique.len(),
            forward.len(),
            "{list} {args}: a row came twice"
        );
        let expected = if args.contains("search") { 7 } else { 10 };
        assert_eq!(forward.len(), expected, "{list} {args}");
        assert_eq!(forward, backward, "{list} {args}: backwards differs");
    }
    let forward = walk(&client, "boards", r#"parentCode: "40","#, false).await;
    let backward = walk(&client, "boards", r#"parentCode: "40","#, true).await;
    assert_eq!(forward.iter().collect::<HashSet<_>>().len(), forward.len());
    assert!(
        forward.len() > 10 && forward.contains(&"412".to_owned()),
        "{forward:?}"
    );
    assert_eq!(forward, backward);
}

#[tokio::test]
async fn exams_visits_and_referrals_filter_on_dates_kind_class_and_status() {
    let app = TestApp::spawn().await;
    let an = app.add_cadre("412", "Nguyễn Văn An").await;
    let binh = app.add_cadre("40", "Trần Thị Bình").await;
    let campaign = add_campaign(&app, "40", 2025, 1).await;
    let e1 = app.add_exam(an, "2024-09-10", CadreClass::A).await;
    let e2 = app.add_exam(an, "2025-03-10", CadreClass::B1).await;
    let e3 = app.add_exam(binh, "2025-03-12", CadreClass::C).await;
    put_in_campaign(&app, e2, campaign).await;
    edit_exam(&app, e3, |e| {
        e.kind = ExamKind::Specialist;
        e.general_class = Some(GeneralClass::Iv);
    })
    .await;
    let client = app.as_board("40", "clinician");
    let exams = |filter: String| {
        let client = &client;
        async move {
            let data = client
                .data(&format!(
                    "{{ healthExams(filter: {filter}) {{ totalCount edges {{ node {{ id }} }} }} }}"
                ))
                .await;
            let mut ids = nodes(&data["healthExams"], "id");
            ids.sort();
            ids
        }
    };
    let sorted = |mut v: Vec<uuid::Uuid>| {
        v.sort();
        v.into_iter().map(|u| u.to_string()).collect::<Vec<_>>()
    };
    assert_eq!(exams("{}".into()).await, sorted(vec![e1, e2, e3]));
    assert_eq!(
        exams(r#"{from: "2025-01-01"}"#.into()).await,
        sorted(vec![e2, e3])
    );
    assert_eq!(
        exams(r#"{to: "2025-03-10"}"#.into()).await,
        sorted(vec![e1, e2])
    );
    assert_eq!(
        exams(r#"{from: "2025-03-10", to: "2025-03-10"}"#.into()).await,
        sorted(vec![e2])
    );
    assert_eq!(
        exams(format!(r#"{{campaignId: "{campaign}"}}"#)).await,
        sorted(vec![e2])
    );
    assert_eq!(exams("{kind: SPECIALIST}".into()).await, sorted(vec![e3]));
    assert_eq!(
        exams("{cadreClass: [A, B1]}".into()).await,
        sorted(vec![e1, e2])
    );
    assert_eq!(exams("{generalClass: [IV]}".into()).await, sorted(vec![e3]));
    assert_eq!(
        exams(r#"{boardCode: "412"}"#.into()).await,
        sorted(vec![e1, e2])
    );
    assert_eq!(
        exams(r#"{boardCode: "01"}"#.into()).await,
        Vec::<String>::new()
    );

    // Visits (2025-04-02 08:30 UTC, 15:30 in Vietnam) and referrals (2025-04-03, REQUESTED).
    add_records(&app, an, "I10").await;
    let count = |query: String| {
        let client = &client;
        async move {
            let data = client.data(&query).await;
            data.as_object()
                .and_then(|o| o.values().next())
                .map(|v| v["totalCount"].as_u64().unwrap_or(99))
                .unwrap_or(99)
        }
    };
    for (filter, expected) in [
        (r#"{from: "2025-04-02", to: "2025-04-02"}"#, 1),
        (r#"{from: "2025-04-03"}"#, 0),
        (r#"{to: "2025-04-01"}"#, 0),
        (r#"{boardCode: "414"}"#, 0),
    ] {
        let q = format!("{{ clinicVisits(filter: {filter}) {{ totalCount }} }}");
        assert_eq!(count(q).await, expected, "visits {filter}");
    }
    for (filter, expected) in [
        (r#"{from: "2025-04-03", to: "2025-04-03"}"#, 1),
        (r#"{from: "2025-04-04"}"#, 0),
        ("{status: [REQUESTED, ACCEPTED]}", 1),
        ("{status: [COMPLETED]}", 0),
        ("{urgency: [URGENT]}", 1),
    ] {
        let q = format!("{{ referrals(filter: {filter}) {{ totalCount }} }}");
        assert_eq!(count(q).await, expected, "referrals {filter}");
    }
}

#[tokio::test]
async fn search_is_backed_by_a_trigram_index_on_the_folded_name_on_postgres() {
    let app = TestApp::spawn().await;
    if !app.is_postgres() {
        return; // SQLite searches its few thousand cadres through the tenant index.
    }
    use sea_orm::{ConnectionTrait, Statement};
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'cadres' AND indexname = 'cadres_name_trgm'",
        ))
        .await
        .expect("query")
        .expect("the trigram index exists");
    let def: String = row.try_get("", "indexdef").expect("indexdef");
    assert!(
        def.contains("gin") && def.contains("name_folded gin_trgm_ops"),
        "{def}"
    );
}
