//! Each scope level sees exactly its subtree: lists, `totalCount`, lookups by ID, nested
//! fields, board filters and search.

use cadre_health::domain::CadreClass;
use serde_json::Value;

use crate::helpers::{TestApp, error_codes, nodes};

/// Cadres on the centre, Nghệ An (40) and two of its districts (412 Vinh, 414 Thái Hoà), and
/// Hà Nội (01) with its district 001.
struct Tree {
    app: TestApp,
    tw: uuid::Uuid,
    nghe_an: uuid::Uuid,
    vinh: uuid::Uuid,
    thai_hoa: uuid::Uuid,
    ha_noi: uuid::Uuid,
    ba_dinh: uuid::Uuid,
    vinh_exam: uuid::Uuid,
}

async fn tree() -> Tree {
    let app = TestApp::spawn().await;
    let tw = app.add_cadre("TW", "Lê Minh Khoa").await;
    app.add_cadre("TW", "Đỗ Văn Tâm").await;
    let nghe_an = app.add_cadre("40", "Nguyễn Văn An").await;
    app.add_cadre("40", "Trần Thị Hoa").await;
    app.add_cadre("40", "Hồ Đức Việt").await;
    let vinh = app.add_cadre("412", "Nguyễn Văn Ân").await;
    app.add_cadre("412", "Phan Thị Lan").await;
    let thai_hoa = app.add_cadre("414", "Đặng Quang Huy").await;
    let ha_noi = app.add_cadre("01", "Nguyễn Văn An").await;
    app.add_cadre("01", "Vũ Thu Trang").await;
    let ba_dinh = app.add_cadre("001", "Bùi Xuân Sơn").await;
    let vinh_exam = app.add_exam(vinh, "2025-03-10", CadreClass::B1).await;
    app.add_exam(ha_noi, "2025-03-11", CadreClass::A).await;
    Tree {
        app,
        tw,
        nghe_an,
        vinh,
        thai_hoa,
        ha_noi,
        ba_dinh,
        vinh_exam,
    }
}

fn board_codes(data: &Value) -> Vec<String> {
    let mut codes: Vec<String> = data["cadres"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            e["node"]["board"]["code"]
                .as_str()
                .expect("code")
                .to_owned()
        })
        .collect();
    codes.sort();
    codes
}

const LIST: &str = "{ cadres(first: 100) { totalCount edges { node { id board { code } } } } }";

#[tokio::test]
async fn each_level_sees_exactly_its_subtree_in_lists_and_counts() {
    let t = tree().await;

    let central = t.app.as_board("TW", "analyst").data(LIST).await;
    assert_eq!(central["cadres"]["totalCount"], 11);
    assert_eq!(
        board_codes(&central),
        [
            "001", "01", "01", "40", "40", "40", "412", "412", "414", "TW", "TW"
        ]
    );

    let province = t.app.as_board("40", "clinician").data(LIST).await;
    assert_eq!(province["cadres"]["totalCount"], 6);
    assert_eq!(
        board_codes(&province),
        ["40", "40", "40", "412", "412", "414"]
    );

    let district = t.app.as_board("412", "clinician").data(LIST).await;
    assert_eq!(district["cadres"]["totalCount"], 2);
    assert_eq!(board_codes(&district), ["412", "412"]);

    let other_province = t.app.as_board("01", "admin").data(LIST).await;
    assert_eq!(board_codes(&other_province), ["001", "01", "01"]);
}

#[tokio::test]
async fn lookups_by_id_outside_the_scope_answer_null_like_missing_ids() {
    let t = tree().await;
    let district = t.app.as_board("412", "clinician");
    let lookup = |id: uuid::Uuid| format!(r#"{{ cadre(id: "{id}") {{ id fullName }} }}"#);

    for outside in [
        t.tw,
        t.nghe_an,
        t.thai_hoa,
        t.ha_noi,
        t.ba_dinh,
        uuid::Uuid::now_v7(),
    ] {
        let body = district.query(&lookup(outside)).await;
        assert_eq!(
            body["data"]["cadre"],
            Value::Null,
            "cadre {outside} leaked to district 412: {body}"
        );
        assert!(
            body.get("errors").is_none(),
            "out of scope must look like absent, not an error: {body}"
        );
    }
    let own = district.data(&lookup(t.vinh)).await;
    assert_eq!(own["cadre"]["fullName"], "Nguyễn Văn Ân");

    let province = t.app.as_board("40", "clinician");
    assert_eq!(
        province.data(&lookup(t.vinh)).await["cadre"]["fullName"],
        "Nguyễn Văn Ân"
    );
    assert_eq!(province.data(&lookup(t.ha_noi)).await["cadre"], Value::Null);

    let exam = format!(
        r#"{{ healthExam(id: "{}") {{ id cadre {{ fullName }} }} }}"#,
        t.vinh_exam
    );
    assert_eq!(
        district.data(&exam).await["healthExam"]["cadre"]["fullName"],
        "Nguyễn Văn Ân"
    );
    assert_eq!(
        t.app.as_board("414", "clinician").data(&exam).await["healthExam"],
        Value::Null
    );
    assert_eq!(
        t.app.as_board("01", "clinician").data(&exam).await["healthExam"],
        Value::Null
    );
}

#[tokio::test]
async fn boards_outside_the_scope_do_not_exist_for_the_viewer() {
    let t = tree().await;
    let province = t.app.as_board("40", "clinician");

    let children = province
        .data(r#"{ boards(parentCode: "40", first: 100) { totalCount edges { node { code } } } }"#)
        .await;
    assert_eq!(
        children["boards"]["totalCount"], 20,
        "Nghệ An has 20 districts"
    );

    let data = province
        .data(r#"{ own: board(code: "40") { code parent { code } } centre: board(code: "TW") { code } other: board(code: "01") { code } }"#)
        .await;
    assert_eq!(data["own"]["code"], "40");
    assert_eq!(
        data["own"]["parent"],
        Value::Null,
        "the central board lies above a province's scope"
    );
    assert_eq!(data["centre"], Value::Null);
    assert_eq!(data["other"], Value::Null);

    let district = t.app.as_board("412", "clinician");
    let siblings = district
        .data(r#"{ boards(parentCode: "40", first: 100) { totalCount edges { node { code } } } }"#)
        .await;
    assert_eq!(siblings["boards"]["totalCount"], 1);
    assert_eq!(siblings["boards"]["edges"][0]["node"]["code"], "412");

    let central = t.app.as_board("TW", "analyst");
    let provinces = central
        .data(r#"{ boards(level: PROVINCE) { totalCount } all: boards { totalCount } }"#)
        .await;
    assert_eq!(provinces["boards"]["totalCount"], 63);
    assert_eq!(provinces["all"]["totalCount"], 1 + 63 + 696);
}

#[tokio::test]
async fn a_board_filter_outside_the_scope_finds_nothing() {
    let t = tree().await;
    let query = |code: &str| {
        format!(
            r#"{{ cadres(filter: {{ boardCode: "{code}" }}) {{ totalCount edges {{ node {{ id }} }} }} }}"#
        )
    };
    let province = t.app.as_board("40", "clinician");
    assert_eq!(
        province.data(&query("412")).await["cadres"]["totalCount"],
        2
    );
    assert_eq!(province.data(&query("40")).await["cadres"]["totalCount"], 6);
    for outside in ["01", "001", "TW", "no-such-board"] {
        let data = province.data(&query(outside)).await;
        assert_eq!(data["cadres"]["totalCount"], 0, "filter {outside}");
        assert_eq!(data["cadres"]["edges"], Value::Array(vec![]));
    }
    let central = t.app.as_board("TW", "analyst");
    assert_eq!(central.data(&query("01")).await["cadres"]["totalCount"], 3);
}

#[tokio::test]
async fn nested_fields_stay_in_the_scope() {
    let t = tree().await;
    let data = t
        .app
        .as_board("412", "clinician")
        .data("{ cadres { edges { node { fullName board { code parent { code } } latestExam { examinedOn cadre { board { code } } } } } } }")
        .await;
    for edge in data["cadres"]["edges"].as_array().expect("edges") {
        assert_eq!(edge["node"]["board"]["code"], "412");
        assert_eq!(
            edge["node"]["board"]["parent"],
            Value::Null,
            "province 40 lies above district 412"
        );
    }
    let central = t.app.as_board("TW", "clinician").data(LIST).await;
    assert_eq!(central["cadres"]["totalCount"], 11);
}

#[tokio::test]
async fn search_ignores_case_and_diacritics_matches_word_prefixes_and_stays_in_scope() {
    let t = tree().await;
    let search = |s: &str| {
        format!(
            r#"{{ cadres(filter: {{ search: "{s}" }}) {{ totalCount edges {{ node {{ fullName board {{ code }} }} }} }} }}"#
        )
    };
    let central = t.app.as_board("TW", "analyst");
    let province = t.app.as_board("40", "clinician");
    for (client, term, found, why) in [
        (&central, "nguyen van an", 3, "no diacritics"),
        (&central, "NGUYỄN VĂN", 3, "upper case"),
        (&central, "ngu va", 3, "word prefixes"),
        (&central, "Nguyen Van An", 3, "mixed case"),
        (&central, "dang quang", 1, "đ folds to d"),
        (&central, "van an", 3, "words match anywhere in the name"),
        (&central, "an van", 3, "in any order"),
        (&central, "guyen", 0, "only word prefixes match"),
        (&province, "nguyen van an", 2, "the province's own"),
    ] {
        let data = client.data(&search(term)).await;
        assert_eq!(
            data["cadres"]["totalCount"], found,
            "search {term:?}: {why}"
        );
    }
    let district = t.app.as_board("412", "clinician");
    let found = district.data(&search("nguyen")).await;
    assert_eq!(found["cadres"]["totalCount"], 1);
    assert_eq!(found["cadres"]["edges"][0]["node"]["board"]["code"], "412");
}

#[tokio::test]
async fn walking_every_page_yields_each_row_once() {
    let t = tree().await;
    let central = t.app.as_board("TW", "analyst");
    let mut seen = vec![];
    let mut after = Value::Null;
    loop {
        let body = central
            .query_with(
                "query($after: String) { cadres(first: 3, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }",
                serde_json::json!({ "after": after }),
            )
            .await;
        let page = &body["data"]["cadres"];
        seen.extend(nodes(page, "id"));
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (11, 11));
}

#[tokio::test]
async fn analysts_get_forbidden_on_clinical_fields_and_the_rest_still_comes_back() {
    let t = tree().await;
    let body = t
        .app
        .as_board("TW", "analyst")
        .query("{ cadres { totalCount edges { node { fullName latestExam { cadreClass } } } } }")
        .await;
    assert_eq!(body["data"]["cadres"]["totalCount"], 11);
    assert!(body["data"]["cadres"]["edges"][0]["node"]["fullName"].is_string());
    let codes = error_codes(&body);
    assert!(
        !codes.is_empty() && codes.iter().all(|c| c == "FORBIDDEN"),
        "{body}"
    );

    let exam = format!(
        r#"{{ healthExam(id: "{}") {{ cadreClass }} }}"#,
        t.vinh_exam
    );
    let body = t.app.as_board("TW", "analyst").query(&exam).await;
    assert_eq!(error_codes(&body), ["FORBIDDEN"]);
}

#[tokio::test]
async fn identifiers_show_in_full_only_in_a_clinicians_view_of_one_cadre_and_never_to_analysts() {
    let t = tree().await;
    let single = format!(
        r#"{{ cadre(id: "{}") {{ nationalId insuranceNumber }} }}"#,
        t.vinh
    );
    let clinician = t.app.as_board("412", "clinician").data(&single).await;
    let full = clinician["cadre"]["nationalId"]
        .as_str()
        .expect("national id")
        .to_owned();
    assert_eq!(full.len(), 12);
    assert!(full.chars().all(|c| c.is_ascii_digit()));
    assert_eq!(clinician["cadre"]["insuranceNumber"], "CB2400000012345");

    // Analysts get none of either (see `clinical_reads.rs`, finding 8).
    let analyst = t.app.as_board("412", "analyst").query(&single).await;
    assert_eq!(analyst["data"]["cadre"]["nationalId"], Value::Null);
    assert_eq!(analyst["data"]["cadre"]["insuranceNumber"], Value::Null);
    assert_eq!(error_codes(&analyst), ["FORBIDDEN", "FORBIDDEN"]);

    let listed = t
        .app
        .as_board("412", "clinician")
        .data("{ cadres { edges { node { nationalId } } } }")
        .await;
    for edge in listed["cadres"]["edges"].as_array().expect("edges") {
        assert!(
            edge["node"]["nationalId"]
                .as_str()
                .expect("id")
                .starts_with("********")
        );
    }
}
