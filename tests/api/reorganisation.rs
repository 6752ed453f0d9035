//! Reorganising the board tree (issue 14): the 2025 merger applied to the demo data, and plans
//! that must be refused. Custody passes to the successor and to nobody else, closed boards'
//! tokens are refused naming the successor, the tree answers for any day, both statistic modes
//! add up to the same totals, and nothing is lost.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use cadre_health::reorg::{self, Mode, plan::Plan};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Statement,
};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_bad_user_input, error_codes, nodes};
use crate::writes::{CREATE_CADRE, RECORD_EXAM, cadre_input, counts, exam};

const VN_2025: &str = "vn-2025";
const MERGER_DAY: &str = "2025-07-01";

/// The first row `sql` selects, read as the superuser (no scope).
async fn first_row(app: &TestApp, sql: &str) -> sea_orm::QueryResult {
    let backend = app.db.get_database_backend();
    app.db
        .query_one_raw(Statement::from_string(backend, sql))
        .await
        .expect(sql)
        .expect("a row")
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    let row = first_row(app, sql).await;
    row.try_get_by_index::<i64>(0).expect("a count")
}

/// The IDs in the first row `sql` selects.
async fn ids<const N: usize>(app: &TestApp, sql: &str) -> [String; N] {
    let row = first_row(app, sql).await;
    std::array::from_fn(|i| {
        row.try_get_by_index::<uuid::Uuid>(i)
            .expect("an ID")
            .to_string()
    })
}

async fn cadres_seen(app: &TestApp, board: &str, role: &str) -> i64 {
    let body = app
        .as_board(board, role)
        .data("{ cadres { totalCount } }")
        .await;
    body["cadres"]["totalCount"].as_i64().expect("a count")
}

#[tokio::test]
async fn a_merged_provinces_records_pass_to_its_successor_and_to_nobody_else() {
    let app = TestApp::seeded().await;
    let in_province = |p: &str| format!("SELECT COUNT(*) FROM cadres WHERE province_code = '{p}'");
    let (tuyen_quang, ha_giang) = (
        scalar(&app, &in_province("08")).await,
        scalar(&app, &in_province("02")).await,
    );
    assert!(
        tuyen_quang > 0 && ha_giang > 0,
        "the demo has cadres in both"
    );
    let before: BTreeMap<&str, i64> = [
        ("TW", cadres_seen(&app, "TW", "analyst").await),
        ("40", cadres_seen(&app, "40", "analyst").await),
        ("01", cadres_seen(&app, "01", "analyst").await),
    ]
    .into();
    assert_eq!(cadres_seen(&app, "08", "analyst").await, tuyen_quang);

    app.reorganise(VN_2025, MERGER_DAY).await;

    for role in ["analyst", "clinician", "admin"] {
        assert_eq!(
            cadres_seen(&app, "08", role).await,
            tuyen_quang + ha_giang,
            "08 {role} holds Hà Giang's cadres too"
        );
        for (board, n) in &before {
            assert_eq!(cadres_seen(&app, board, role).await, *n, "{board} {role}");
        }
    }

    // A Hà Giang cadre's whole clinical history, and the audit trail of what happened to it.
    let [cadre] = ids(
        &app,
        "SELECT c.id FROM cadres c WHERE c.province_code = '02' \
         AND EXISTS (SELECT 1 FROM health_exams e WHERE e.cadre_id = c.id) \
         ORDER BY c.id LIMIT 1",
    )
    .await;
    let exams = cadre_health::db::entities::health_exam::Entity::find()
        .filter(
            cadre_health::db::entities::health_exam::Column::CadreId
                .eq(cadre.parse::<uuid::Uuid>().expect("a UUID")),
        )
        .count(&app.db)
        .await
        .expect("count the exams") as i64;
    let history = format!("{{ cadre(id: \"{cadre}\") {{ fullName exams {{ totalCount }} }} }}");
    let seen = app.as_board("08", "clinician").data(&history).await;
    assert_eq!(seen["cadre"]["exams"]["totalCount"].as_i64(), Some(exams));
    let seen = app.as_board("08", "analyst").query(&history).await;
    assert_eq!(
        error_codes(&seen),
        ["FORBIDDEN"],
        "analysts still read no clinical detail"
    );
    for (board, role) in [("40", "clinician"), ("19", "admin"), ("01", "analyst")] {
        let seen = app
            .as_board(board, role)
            .data(&format!("{{ cadre(id: \"{cadre}\") {{ id }} }}"))
            .await;
        assert_eq!(
            seen["cadre"],
            Value::Null,
            "{board} {role} sees no Hà Giang cadre"
        );
    }
    let trail = format!("{{ auditEvents(filter: {{ cadreId: \"{cadre}\" }}) {{ totalCount }} }}");
    let read = app.as_board("08", "admin").data(&trail).await;
    assert!(
        read["auditEvents"]["totalCount"].as_i64() > Some(0),
        "the successor's admin reads the trail of the cadre's reads"
    );
    let read = app.as_board("40", "admin").data(&trail).await;
    assert_eq!(read["auditEvents"]["totalCount"].as_i64(), Some(0));
}

/// Every cadre ID of `board`'s directory in `order`, read page by page (`first`/`after`, or
/// `last`/`before` from the end, put back in order) with the `filter` given.
async fn directory(
    app: &TestApp,
    board: &str,
    filter: &str,
    order: &str,
    forward: bool,
) -> Vec<String> {
    let (size, cursor) = if forward {
        ("first", "after")
    } else {
        ("last", "before")
    };
    let mut ids = Vec::new();
    let mut at: Option<String> = None;
    loop {
        let from = at
            .as_ref()
            .map(|c| format!(", {cursor}: \"{c}\""))
            .unwrap_or_default();
        let query = format!(
            "{{ cadres(filter: {{ {filter} }}, orderBy: {order}, {size}: 7{from}) {{ \
             edges {{ cursor node {{ id }} }} pageInfo {{ hasNextPage hasPreviousPage }} }} }}"
        );
        let page = &app.as_board(board, "analyst").data(&query).await["cadres"];
        let mut got = nodes(page, "id");
        let edges = page["edges"].as_array().expect("edges");
        if forward {
            at = edges
                .last()
                .map(|e| e["cursor"].as_str().expect("a cursor").to_owned());
            ids.append(&mut got);
        } else {
            at = edges
                .first()
                .map(|e| e["cursor"].as_str().expect("a cursor").to_owned());
            got.append(&mut ids);
            ids = got;
        }
        let more = if forward {
            "hasNextPage"
        } else {
            "hasPreviousPage"
        };
        if page["pageInfo"][more] != json!(true) {
            return ids;
        }
    }
}

/// The successor's own directory (its scope holds two provinces: on PostgreSQL each one's page
/// is read from the index and the pages merged) pages through exactly the rows, in exactly the
/// order, that the centre's directory filtered to the successor's subtree gives (one query over
/// both provinces), forwards and backwards, in every order.
#[tokio::test]
async fn a_merged_boards_directory_pages_through_both_predecessors_in_one_order() {
    let app = TestApp::seeded().await;
    app.reorganise(VN_2025, MERGER_DAY).await;
    let orders = [
        "{ field: NAME }",
        "{ field: NAME, direction: DESC }",
        "{ field: BIRTH_DATE, direction: DESC }",
        "{ field: LAST_EXAM_DATE }",
    ];
    for order in orders {
        let expected = directory(&app, "TW", "boardCode: \"08\"", order, true).await;
        assert_eq!(
            expected.len() as i64,
            cadres_seen(&app, "08", "analyst").await
        );
        for (filter, forward) in [("", true), ("", false), ("status: SERVING", true)] {
            let seen = directory(&app, "08", filter, order, forward).await;
            let expected = match filter {
                "" => expected.clone(),
                _ => {
                    directory(
                        &app,
                        "TW",
                        "boardCode: \"08\", status: SERVING",
                        order,
                        true,
                    )
                    .await
                }
            };
            assert_eq!(seen, expected, "{order} {filter} forward: {forward}");
        }
    }
}

#[tokio::test]
async fn a_token_naming_a_closed_board_is_refused_naming_its_successor() {
    let app = TestApp::seeded().await;
    app.reorganise(VN_2025, MERGER_DAY).await;
    for (closed, successor) in [("02", "08"), ("412", "40"), ("001", "01")] {
        let (status, body) = app
            .as_board(closed, "admin")
            .post(json!({"query": "{ viewer { subject } }"}))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{closed}: {body}");
        assert_eq!(error_codes(&body), ["UNAUTHENTICATED"]);
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!("held by {successor}")) && message.contains("2025-07-01"),
            "{closed}: {message}"
        );
    }
}

#[tokio::test]
async fn a_plan_effective_later_changes_nothing_until_its_day() {
    let app = TestApp::seeded().await;
    let ha_giang = cadres_seen(&app, "02", "analyst").await;
    app.reorganise(VN_2025, "2999-01-01").await;
    assert_eq!(cadres_seen(&app, "02", "analyst").await, ha_giang);
    let boards = app
        .as_board("TW", "analyst")
        .data("{ boards(level: PROVINCE, first: 100) { totalCount } }")
        .await;
    assert_eq!(boards["boards"]["totalCount"], 63);
}

#[tokio::test]
async fn the_tree_answers_for_any_day_with_its_lineage() {
    let app = TestApp::seeded().await;
    app.reorganise(VN_2025, MERGER_DAY).await;
    let tw = app.as_board("TW", "analyst");
    let provinces =
        |as_of: &str| format!("{{ boards(level: PROVINCE, first: 100{as_of}) {{ totalCount }} }}");
    assert_eq!(tw.data(&provinces("")).await["boards"]["totalCount"], 34);
    let before = provinces(", asOf: \"2025-06-30\"");
    assert_eq!(tw.data(&before).await["boards"]["totalCount"], 63);
    let districts = "{ boards(level: DISTRICT) { totalCount } }";
    assert_eq!(tw.data(districts).await["boards"]["totalCount"], 0);
    let districts = "{ boards(level: DISTRICT, asOf: \"2025-06-30\") { totalCount } }";
    assert_eq!(tw.data(districts).await["boards"]["totalCount"], 696);

    assert_eq!(
        tw.data("{ board(code: \"02\") { code } }").await["board"],
        Value::Null
    );
    let ha_giang = tw
        .data(
            "{ board(code: \"02\", asOf: \"2025-06-30\") { name closedOn successor { code name } } }",
        )
        .await;
    assert_eq!(
        ha_giang["board"],
        json!({"name": "Tỉnh Hà Giang", "closedOn": "2025-07-01",
               "successor": {"code": "08", "name": "Tuyên Quang"}})
    );
    // The successor's users see the lineage; a board beside it sees none of it.
    let lineage = "{ board(code: \"08\") { predecessors { code } } }";
    let seen = app.as_board("08", "analyst").data(lineage).await;
    let codes: Vec<&str> = seen["board"]["predecessors"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|b| b["code"].as_str())
        .collect();
    assert!(codes.contains(&"02") && codes.len() > 1, "{codes:?}");
    let seen = app
        .as_board("40", "analyst")
        .data("{ board(code: \"02\", asOf: \"2025-06-30\") { code } }")
        .await;
    assert_eq!(seen["board"], Value::Null);
}

#[tokio::test]
async fn the_strangest_days_and_years_are_answered_or_refused_cleanly() {
    let app = TestApp::seeded().await;
    app.reorganise(VN_2025, MERGER_DAY).await;
    let tw = app.as_board("TW", "analyst");
    let edges = "{ first: boards(level: PROVINCE, asOf: \"0001-01-01\") { totalCount } \
                 last: boards(level: PROVINCE, asOf: \"9999-12-31\") { totalCount } \
                 gone: board(code: \"02\", asOf: \"9999-12-31\") { code } }";
    let body = tw.data(edges).await;
    assert_eq!(
        body["first"]["totalCount"], 63,
        "the first tree is the 2024 one"
    );
    assert_eq!(body["last"]["totalCount"], 34);
    assert_eq!(body["gone"], Value::Null);
    for year in [i32::MAX, i32::MIN, 0] {
        let query = format!(
            "{{ statistics(tree: AS_RECORDED) {{ examCoverage(year: {year}) {{ total {{ eligible }} }} }} }}"
        );
        let body = tw.query(&query).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{year}: {body}");
    }
    let bad = tw
        .query("{ boards(asOf: \"2025-02-30\") { totalCount } }")
        .await;
    assert_eq!(error_codes(&bad), ["BAD_USER_INPUT"]);
}

fn coverage(tree: &str) -> String {
    format!(
        "{{ statistics(tree: {tree}) {{ examCoverage(year: 2024) {{ total {{ eligible examined }} \
         byBoard {{ board {{ code }} eligible examined }} }} }} }}"
    )
}

fn rows(body: &Value) -> BTreeMap<String, (i64, i64)> {
    body["statistics"]["examCoverage"]["byBoard"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            let code = r["board"]["code"].as_str().unwrap_or_default().to_owned();
            let n = |f: &str| r[f].as_i64().unwrap_or(-1);
            (code, (n("eligible"), n("examined")))
        })
        .collect()
}

#[tokio::test]
async fn statistics_by_todays_tree_and_as_recorded_add_up_to_the_same_totals() {
    let app = TestApp::seeded().await;
    let tw = app.as_board("TW", "analyst");
    let before = tw.data(&coverage("CURRENT")).await;
    app.reorganise(VN_2025, MERGER_DAY).await;
    let current = tw.data(&coverage("CURRENT")).await;
    let recorded = tw.data(&coverage("AS_RECORDED")).await;

    let total = |b: &Value| b["statistics"]["examCoverage"]["total"].clone();
    assert_eq!(total(&current), total(&before));
    assert_eq!(total(&recorded), total(&before));
    assert!(total(&before)["eligible"].as_i64() > Some(0));

    // As recorded, 2024 is reported by the 63 provinces of 2024, exactly as before the merger.
    assert_eq!(rows(&recorded), rows(&before));
    assert_eq!(rows(&recorded).len(), 1 + 63);
    // By today's tree, the 34 provinces; the merged Tuyên Quang counts Hà Giang too.
    let now = rows(&current);
    assert_eq!(now.len(), 1 + 34);
    let then = rows(&before);
    let sum = |a: (i64, i64), b: (i64, i64)| (a.0 + b.0, a.1 + b.1);
    assert_eq!(now["08"], sum(then["08"], then["02"]));
    assert_eq!(now["79"], sum(sum(then["79"], then["74"]), then["77"]));
    let add = |m: &BTreeMap<String, (i64, i64)>| m.values().fold((0, 0), |a, b| sum(a, *b));
    assert_eq!(add(&now), add(&then));

    // A province's own breakdown: by 2024's tree its districts (dissolved since) still appear.
    let nghe_an = app.as_board("40", "analyst");
    let recorded = nghe_an.data(&coverage("AS_RECORDED")).await;
    assert!(
        rows(&recorded).contains_key("412"),
        "Vinh, a district of 2024"
    );
    let current = nghe_an.data(&coverage("CURRENT")).await;
    assert_eq!(rows(&current).len(), 1, "no districts today");
    assert_eq!(total(&current), total(&recorded));
}

#[tokio::test]
async fn writes_naming_a_closed_board_are_refused_naming_its_successor() {
    let app = TestApp::seeded().await;
    app.reorganise(VN_2025, MERGER_DAY).await;
    let admin = app.as_board("TW", "admin");
    let before = counts(&app).await;
    let body = admin
        .query_with(
            CREATE_CADRE,
            json!({"input": cadre_input("02", "Nguyễn Văn Mới")}),
        )
        .await;
    assert_bad_user_input(&body, "boardCode");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("held by 08")
    );

    let found = cadre_health::db::entities::cadre::Entity::find()
        .filter(cadre_health::db::entities::cadre::Column::ProvinceCode.eq("08"))
        .order_by_asc(cadre_health::db::entities::cadre::Column::Id)
        .one(&app.db)
        .await
        .expect("read")
        .expect("a Tuyên Quang cadre");
    let (cadre, version) = (found.id.to_string(), found.version);
    let transfer = "mutation($id: ID!, $v: Int!) { transferCadre(id: $id, toBoardCode: \"412\", version: $v) { id } }";
    let body = admin
        .query_with(transfer, json!({"id": cadre, "v": version}))
        .await;
    assert_bad_user_input(&body, "toBoardCode");
    assert_eq!(counts(&app).await, before, "a refused write writes nothing");

    // Writes to the successor work, and land under today's keys.
    let body = admin
        .query_with(
            CREATE_CADRE,
            json!({"input": cadre_input("08", "Nguyễn Văn Mới")}),
        )
        .await;
    assert_eq!(body["data"]["createCadre"]["board"]["code"], "08", "{body}");
}

#[tokio::test]
async fn an_exam_recorded_after_the_merger_in_an_old_campaign_still_counts() {
    let app = TestApp::seeded().await;
    // A Hà Giang cadre enrolled in a 2025 campaign of a Hà Giang board, not yet examined.
    let [cadre, campaign] = ids(
        &app,
        "SELECT e.cadre_id, e.campaign_id FROM campaign_enrolments e \
         WHERE e.province_code = '02' AND e.year = 2025 AND e.examined_on IS NULL \
         ORDER BY e.id LIMIT 1",
    )
    .await;
    app.reorganise(VN_2025, MERGER_DAY).await;
    let examined = |b: &Value| b["statistics"]["examCoverage"]["total"]["examined"].as_i64();
    let query = "{ statistics { examCoverage(year: 2025) { total { examined } } } }";
    let clinician = app.as_board("08", "clinician");
    let before = examined(&clinician.data(query).await);
    let mut input = exam(&cadre);
    input["exam"]["campaignId"] = json!(campaign);
    input["exam"]["examinedOn"] = json!("2025-09-15");
    let body = clinician
        .query_with(RECORD_EXAM, json!({"input": input}))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(
        examined(&clinician.data(query).await),
        before.map(|n| n + 1)
    );
}

#[tokio::test]
async fn a_plan_is_applied_once() {
    let app = TestApp::seeded().await;
    app.reorganise(VN_2025, MERGER_DAY).await;
    let plan = Plan::load(VN_2025).expect("read").expect("parse");
    let events = scalar(&app, "SELECT COUNT(*) FROM audit_events").await;
    let again = reorg::run(
        &app.db,
        &plan,
        "2025-07-01".parse().expect("date"),
        Mode::Apply,
    )
    .await;
    let message = again.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("applied already"), "{message}");
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM audit_events").await,
        events
    );
}

/// Every table's rows, each serialised whole, in ID order: compares a table before and after.
async fn dump(app: &TestApp, table: &str) -> Vec<String> {
    let backend = app.db.get_database_backend();
    let sql = format!("SELECT * FROM {table} ORDER BY id");
    let rows = app
        .db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .expect("read the table");
    rows.iter()
        .map(|r| {
            (0..r.column_names().len())
                .map(|i| cell(r, i))
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

/// Column `i` of `row` as text, whatever its type on either database.
fn cell(row: &sea_orm::QueryResult, i: usize) -> String {
    fn read<T: sea_orm::TryGetable + std::fmt::Debug>(
        row: &sea_orm::QueryResult,
        i: usize,
    ) -> Option<String> {
        row.try_get_by_index::<Option<T>>(i)
            .ok()
            .map(|v| format!("{v:?}"))
    }
    read::<String>(row, i)
        .or_else(|| read::<f64>(row, i))
        .or_else(|| read::<i64>(row, i))
        .or_else(|| read::<i32>(row, i))
        .or_else(|| read::<i16>(row, i))
        .or_else(|| read::<bool>(row, i))
        .or_else(|| read::<uuid::Uuid>(row, i))
        .or_else(|| read::<chrono::NaiveDate>(row, i))
        .or_else(|| read::<chrono::DateTime<chrono::Utc>>(row, i))
        .unwrap_or_else(|| format!("column {i} unread"))
}

#[tokio::test]
async fn applying_the_2025_plan_loses_and_rewrites_nothing() {
    let app = TestApp::seeded().await;
    let tables: Vec<&str> = cadre_health::scope::registry::tenant_tables()
        .iter()
        .map(|t| t.name)
        .filter(|t| *t != "boards" && *t != "audit_events")
        .collect();
    let mut before = BTreeMap::new();
    for t in &tables {
        before.insert(*t, dump(&app, t).await);
    }
    let trail = dump(&app, "audit_events").await;
    let report = app.reorganise(VN_2025, MERGER_DAY).await;
    assert!(report.contains("no row is rewritten"));
    for t in &tables {
        let after = dump(&app, t).await;
        assert!(!after.is_empty(), "{t} has rows");
        assert!(after == before[t], "{t} changed");
        assert!(
            !after.iter().any(|r| r.contains("unread")),
            "{t}: every column read"
        );
    }
    // The trail only grew: the earlier events are untouched, one event per changed board.
    let grown = dump(&app, "audit_events").await;
    assert_eq!(grown[..trail.len()].len(), trail.len());
    assert!(trail.iter().all(|e| grown.contains(e)));
    assert_eq!(grown.len() - trail.len(), 696 + 29 + 28);
}

/// Plans in a temporary file, refused with the line at fault; nothing written.
async fn refused(app: &TestApp, plan: &str, effective: &str) -> Vec<String> {
    let text = format!("action,board,into,name\n{plan}");
    let plan = match Plan::parse("test", &text) {
        Ok(plan) => plan,
        Err(errors) => return errors.iter().map(ToString::to_string).collect(),
    };
    let closed = "SELECT COUNT(*) FROM boards WHERE closed_on IS NOT NULL";
    let boards = scalar(app, closed).await;
    let day = effective.parse().expect("date");
    let mut refusals = Vec::new();
    for mode in [Mode::DryRun, Mode::Apply] {
        let answer = reorg::run(&app.db, &plan, day, mode).await;
        refusals.push(answer.err().map(|e| e.to_string()).unwrap_or_default());
    }
    let closed_after = scalar(app, closed).await;
    assert_eq!(closed_after, boards, "a refused plan writes nothing");
    let [dry, applied] = [&refusals[0], &refusals[1]];
    assert_eq!(dry, applied, "the dry run refuses what the apply refuses");
    dry.lines().skip(1).map(|l| l.trim().to_owned()).collect()
}

#[tokio::test]
async fn an_invalid_plan_is_refused_with_every_fault_by_line() {
    let app = TestApp::spawn().await;
    let day = "2025-07-01";
    assert_eq!(
        refused(&app, "merge,02,999,\n", day).await,
        ["line 2: unknown board 999"]
    );
    assert_eq!(
        refused(&app, "merge,02,08,\nmerge,02,19,\n", day).await,
        ["line 3: board 02 is merged twice: it already closes on line 2"]
    );
    let cycle = refused(&app, "merge,02,08,\nmerge,08,02,\n", day).await;
    assert_eq!(cycle, ["line 3: a cycle: 08 → 02 → 08"]);
    assert_eq!(
        refused(&app, "fold,02,08,\nmerge,02,08,x,y\n", day).await,
        [
            "line 2: unknown action \"fold\": merge, dissolve, rename or open",
            "line 3: 5 fields; a step has 4: action,board,into,name"
        ]
    );
    let orphans = refused(&app, "merge,02,08,\n", day).await;
    assert!(
        orphans[0].starts_with("line 2: 02 closes but 024 stays open under it"),
        "{orphans:?}"
    );
    let astray = refused(&app, "dissolve,412,01,\n", day).await;
    assert!(
        astray[0].contains("would leave the lineage of its province 40"),
        "{astray:?}"
    );
    let level = refused(&app, "merge,412,40,\n", day).await;
    assert!(
        level[0].starts_with("line 2: 412 is a district board"),
        "{level:?}"
    );

    // A date before an earlier reorganisation.
    app.reorganise(
        &write_plan("action,board,into,name\ndissolve,412,40,\n"),
        "2025-07-01",
    )
    .await;
    assert_eq!(
        refused(&app, "dissolve,414,40,\n", "2025-01-01").await,
        [
            "--effective 2025-01-01 is before an earlier reorganisation, which took effect on 2025-07-01"
        ]
    );
}

fn write_plan(text: &str) -> String {
    let file = tempfile::NamedTempFile::new().expect("a temporary file");
    std::fs::write(file.path(), text).expect("write the plan");
    let (_, path) = file.keep().expect("keep the file");
    path.display().to_string()
}

#[tokio::test]
async fn the_dry_run_lists_what_changes_custody_per_board_and_table() {
    let app = TestApp::seeded().await;
    let plan = Plan::load(VN_2025).expect("read").expect("parse");
    let report = reorg::run(
        &app.db,
        &plan,
        "2025-07-01".parse().expect("date"),
        Mode::DryRun,
    )
    .await
    .expect("a dry run");
    let cadres = scalar(&app, "SELECT COUNT(*) FROM cadres WHERE board_code = '02'").await;
    assert!(
        report.contains("02 Tỉnh Hà Giang closes into 08 Tuyên Quang"),
        "{report}"
    );
    let line = report
        .lines()
        .find(|l| {
            l.trim_start()
                .starts_with("02 Tỉnh Hà Giang → 08 Tuyên Quang: ")
        })
        .unwrap_or_default();
    assert!(line.contains(&format!(" cadres {cadres},")), "{report}");
    assert!(
        report.contains("boards: 725 close, 0 open, 28 renamed"),
        "{report}"
    );
    // Nothing written: the tree is as it was.
    let tw = app.as_board("TW", "analyst");
    let boards = tw.data("{ boards(level: DISTRICT) { totalCount } }").await;
    assert_eq!(boards["boards"]["totalCount"], 696);
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM reorganisations").await,
        0
    );
}
