//! The registry of tenant tables (`scope::registry`) against the database: every table with
//! tenant keys is declared there, every table it says moves with a cadre does move on a
//! transfer, and every text column is as long as `domain::columns` says.

use std::collections::{BTreeMap, BTreeSet};

use cadre_health::domain::columns::TEXT_COLUMNS;
use cadre_health::scope::registry::{TableKind, tenant_tables};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement, Value};

use crate::helpers::TestApp;
use crate::writes::{cadre_with_everything, create_cadre, ok};

/// Every column of every table, from the catalog of either database: (table, column, declared
/// length of a text column).
async fn catalog(db: &DatabaseConnection) -> Vec<(String, String, Option<usize>)> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "SELECT table_name::text, column_name::text, character_maximum_length::int8 \
             FROM information_schema.columns WHERE table_schema = current_schema()"
        }
        // SQLite keeps the declared type, `varchar(100)`, as written by the migration.
        _ => {
            "SELECT m.name, p.name, CAST(NULLIF(substr(p.type, instr(p.type, '(') + 1), p.type) \
             AS INTEGER) FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table'"
        }
    };
    db.query_all_raw(Statement::from_string(backend, sql))
        .await
        .expect("catalog")
        .iter()
        .map(|r| {
            let table: String = r.try_get_by_index(0).expect("table");
            let column: String = r.try_get_by_index(1).expect("column");
            let length: Option<i64> = r.try_get_by_index(2).expect("length");
            (table, column, length.and_then(|n| usize::try_from(n).ok()))
        })
        .collect()
}

async fn tables_with(db: &DatabaseConnection, column: &str) -> BTreeSet<String> {
    catalog(db)
        .await
        .into_iter()
        .filter(|(_, c, _)| c == column)
        .map(|(t, _, _)| t)
        .collect()
}

#[tokio::test]
async fn the_registry_declares_every_table_with_tenant_keys() {
    let app = TestApp::spawn().await;
    let registry: BTreeSet<String> = tenant_tables().iter().map(|t| t.name.to_owned()).collect();
    assert_eq!(
        tables_with(&app.db, "province_code").await,
        registry,
        "a table with tenant keys must be declared once in scope/registry.rs, and only those"
    );

    // A table that names a cadre is declared as one: its rows either move with the cadre on a
    // transfer or, said explicitly, stay (an enrolment records where the cadre was; the audit
    // trail stays where it was written).
    let about_a_cadre: BTreeSet<String> = tenant_tables()
        .iter()
        .filter(|t| {
            matches!(
                t.kind,
                TableKind::Clinical | TableKind::CadreSnapshot | TableKind::AuditTrail
            )
        })
        .map(|t| t.name.to_owned())
        .collect();
    assert_eq!(tables_with(&app.db, "cadre_id").await, about_a_cadre);
}

/// The boards holding the rows of `table` that belong to `cadre`, with how many each.
async fn boards_of(app: &TestApp, table: &str, cadre: &str) -> BTreeMap<String, i64> {
    let backend = app.db.get_database_backend();
    let column = if table == "cadres" { "id" } else { "cadre_id" };
    let placeholder = match backend {
        DatabaseBackend::Postgres => "$1",
        _ => "?",
    };
    let id = uuid::Uuid::parse_str(cadre).expect("a cadre ID");
    let sql = format!(
        "SELECT board_code, COUNT(*) FROM {table} WHERE {column} = {placeholder} GROUP BY board_code"
    );
    app.db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [Value::from(id)],
        ))
        .await
        .expect("rows of the cadre")
        .iter()
        .map(|r| {
            (
                r.try_get_by_index::<String>(0).expect("board"),
                r.try_get_by_index::<i64>(1).expect("count"),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_transfer_moves_every_table_the_registry_says_moves() {
    let app = TestApp::spawn().await;
    let clinician = app.as_board("412", "clinician");
    let id = cadre_with_everything(&clinician, "412", "Phan Đình Giót").await;
    let moving: Vec<&str> = tenant_tables()
        .into_iter()
        .filter(|t| t.moves_with_cadre())
        .map(|t| t.name)
        .collect();
    // For each table that moves, the boards holding its rows of the cadre.
    let holders = || async {
        let mut holders = BTreeMap::new();
        for table in &moving {
            let boards = boards_of(&app, table, &id).await.into_keys().collect();
            holders.insert(*table, boards);
        }
        holders
    };
    let all_on = |board: &str| {
        moving
            .iter()
            .map(|table| (*table, vec![board.to_owned()]))
            .collect::<BTreeMap<_, Vec<String>>>()
    };
    assert_eq!(
        holders().await,
        all_on("412"),
        "the fixture records a row of every table that moves, before the transfer"
    );

    ok(
        &app.as_board("40", "admin"),
        "mutation($id: ID!) { transferCadre(id: $id, toBoardCode: \"414\", version: 1) { id } }",
        serde_json::json!({"id": id}),
        "transferCadre",
    )
    .await;

    assert_eq!(
        holders().await,
        all_on("414"),
        "every row of every table that moves moved with the cadre"
    );
}

#[tokio::test]
async fn text_columns_are_as_long_as_the_input_rules_say() {
    let app = TestApp::spawn().await;
    let lengths: BTreeMap<(String, String), Option<usize>> = catalog(&app.db)
        .await
        .into_iter()
        .map(|(t, c, n)| ((t, c), n))
        .collect();
    for (table, column, chars) in TEXT_COLUMNS {
        assert_eq!(
            lengths.get(&(table.to_string(), column.to_string())),
            Some(&Some(*chars)),
            "{table}.{column}: domain::columns and the migration disagree"
        );
    }
}

/// A value the input rules accept always fits its column: a condition's note of 501
/// characters (its column holds 500) is the user's error, on both databases, and writes
/// nothing; 500 is stored whole.
#[tokio::test]
async fn a_note_longer_than_its_column_is_refused_before_anything_is_written() {
    use crate::helpers::assert_bad_user_input;
    use crate::writes::{ADD_CONDITION, writes};

    let app = TestApp::spawn().await;
    let clinician = app.as_board("412", "clinician");
    let id = create_cadre(&clinician, "412", "Lê Văn Dài").await;
    let input = |note: String| {
        serde_json::json!({"input": {"cadreId": id, "icdCode": "I10",
            "diagnosedOn": "2020-01-15", "note": note}})
    };
    let before = writes(&app).await;
    let body = clinician
        .query_with(ADD_CONDITION, input("ồ".repeat(501)))
        .await;
    assert_bad_user_input(&body, "note");
    assert_eq!(writes(&app).await, before, "a refused note writes nothing");

    ok(
        &clinician,
        ADD_CONDITION,
        input("ồ".repeat(500)),
        "addCondition",
    )
    .await;
}
