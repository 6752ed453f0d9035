//! Row-level security, tested at the database. Each test opens a transaction the way the server
//! does (`db::begin_scoped`: scope settings and `SET LOCAL ROLE`) and then runs raw SQL that
//! deliberately carries no tenant filter, so only PostgreSQL's policies stand between it and
//! other boards' rows. The tables come from the catalog (every table with a `province_code`),
//! so a new tenant table is tested without anyone adding it here.
//!
//! SQLite has no row-level security: there these tests return at once, and the application's
//! filter is what `leaks/` tests.

use cadre_health::db::{self, begin_scoped, begin_system};
use cadre_health::scope::Scope;
use migrations::tenant::APP_ROLE;
use migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement,
    TransactionTrait,
};
use uuid::Uuid;

use crate::helpers::{TestApp, TestDatabase, test_config};

/// `app`, made only when the suite runs on PostgreSQL: row-level security is PostgreSQL's, so
/// on SQLite these tests have nothing to check (and make no database).
async fn on_postgres(app: impl Future<Output = TestApp>) -> Option<TestApp> {
    TestDatabase::postgres_admin_url()?;
    Some(app.await)
}

fn vinh() -> Scope {
    Scope::districts(["40".into()], ["412".into()])
}

fn nghe_an() -> Scope {
    Scope::provinces(["40".into()])
}

async fn rows(conn: &impl ConnectionTrait, sql: &str) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
    conn.query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
}

async fn count(conn: &impl ConnectionTrait, sql: &str) -> i64 {
    let rows = rows(conn, sql).await.expect(sql);
    rows[0].try_get_by_index(0).expect("a count")
}

async fn exec(conn: &impl ConnectionTrait, sql: &str) -> Result<u64, DbErr> {
    conn.execute_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .map(|r| r.rows_affected())
}

/// Every table of the schema that carries tenant keys.
async fn tenant_tables(conn: &impl ConnectionTrait) -> Vec<String> {
    rows(
        conn,
        "SELECT table_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND column_name = 'province_code' ORDER BY 1",
    )
    .await
    .expect("catalog")
    .iter()
    .map(|r| r.try_get_by_index::<String>(0).expect("name"))
    .collect()
}

/// A transaction as the application role with no scope set at all.
async fn begin_unscoped(db: &DatabaseConnection) -> sea_orm::DatabaseTransaction {
    let tx = db.begin().await.expect("begin");
    exec(
        &tx,
        &format!("SELECT set_config('role', '{APP_ROLE}', true)"),
    )
    .await
    .expect("set role");
    tx
}

fn refused_by_policy(result: Result<u64, DbErr>) -> bool {
    matches!(result, Err(e) if e.to_string().contains("row-level security"))
}

fn permission_denied(result: Result<u64, DbErr>) -> bool {
    matches!(result, Err(e) if e.to_string().contains("permission denied"))
}

/// Runs `sql` in a savepoint of `tx`, so a refused statement leaves `tx` usable.
async fn attempt(tx: &sea_orm::DatabaseTransaction, sql: &str) -> Result<u64, DbErr> {
    let savepoint = tx.begin().await.expect("savepoint");
    let result = exec(&savepoint, sql).await;
    savepoint.rollback().await.ok();
    result
}

/// One audit event per cadre, each with its own ID, so the append-only table has rows in every
/// scope too. Written as the superuser (or on SQLite), below the API.
pub async fn add_audit_events(db: &DatabaseConnection) {
    use cadre_health::db::entities::{audit_event, cadre};
    use sea_orm::{EntityTrait, IntoActiveModel};
    let events: Vec<audit_event::ActiveModel> = cadre::Entity::find()
        .all(db)
        .await
        .expect("cadres")
        .into_iter()
        .map(|c| {
            audit_event::Model {
                id: Uuid::now_v7(),
                board_code: c.board_code,
                province_code: c.province_code,
                district_code: c.district_code,
                version: 1,
                created_at: c.created_at,
                updated_at: c.created_at,
                actor_sub: "seed".into(),
                actor_board: "TW".into(),
                actor_role: "admin".into(),
                action: "createCadre".into(),
                entity: "cadre".into(),
                entity_id: Some(c.id),
                cadre_id: Some(c.id),
                request_id: None,
                changed_fields: String::new(),
                occurred_at: c.created_at,
            }
            .into_active_model()
        })
        .collect();
    for chunk in events.chunks(1000) {
        audit_event::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await
            .expect("audit events");
    }
}

#[tokio::test]
async fn every_tenant_table_is_forced_under_a_policy_and_the_role_is_powerless() {
    let Some(app) = on_postgres(TestApp::spawn()).await else {
        return;
    };
    let tables = tenant_tables(&app.db).await;
    assert!(tables.len() >= 11, "tenant tables found: {tables:?}");
    // Each check: a count over the catalog, what it must be, and what that means.
    let mut checks = vec![];
    for table in &tables {
        checks.push((
            format!(
                "SELECT count(*) FROM pg_class WHERE oid = '{table}'::regclass \
                 AND relrowsecurity AND relforcerowsecurity"
            ),
            1,
            format!("{table}: row-level security enabled and forced"),
        ));
        checks.push((
            format!(
                "SELECT count(*) FROM pg_policies WHERE tablename = '{table}' \
                 AND cmd = 'ALL' AND qual IS NOT NULL AND with_check IS NOT NULL"
            ),
            1,
            format!("{table}: one policy with USING and WITH CHECK"),
        ));
    }
    checks.push((
        format!(
            "SELECT count(*) FROM pg_roles WHERE rolname = '{APP_ROLE}' \
             AND (rolsuper OR rolbypassrls OR rolcanlogin OR rolcreaterole OR rolcreatedb)"
        ),
        0,
        "the application role has no special powers".to_owned(),
    ));
    checks.push((
        format!(
            "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner \
             WHERE r.rolname = '{APP_ROLE}'"
        ),
        0,
        "the application role owns nothing".to_owned(),
    ));
    for (sql, expected, meaning) in checks {
        assert_eq!(count(&app.db, &sql).await, expected, "{meaning}");
    }
}

#[tokio::test]
async fn raw_sql_without_a_tenant_filter_sees_only_the_scope() {
    let Some(app) = on_postgres(TestApp::seeded()).await else {
        return;
    };
    add_audit_events(&app.db).await;
    let scopes = [
        (vinh(), "district_code = '412'"),
        (nghe_an(), "province_code = '40'"),
        (Scope::provinces(["01".into()]), "province_code = '01'"),
        // A merged province holds its predecessors' rows, which keep their keys.
        (
            Scope::provinces(["01".into(), "40".into()]),
            "province_code IN ('01', '40')",
        ),
        (
            Scope::districts(["40".into()], ["412".into(), "413".into()]),
            "district_code IN ('412', '413')",
        ),
        (Scope::nothing(), "false"),
        (Scope::All, "true"),
    ];
    for table in tenant_tables(&app.db).await {
        for (scope, inside) in &scopes {
            // The superuser's count is the independent answer.
            let expected = count(
                &app.db,
                &format!("SELECT count(*) FROM {table} WHERE {inside}"),
            )
            .await;
            let tx = begin_scoped(&app.db, scope).await.expect("begin");
            let seen = count(&tx, &format!("SELECT count(*) FROM {table}")).await;
            tx.rollback().await.ok();
            assert_eq!(seen, expected, "{table} under {scope:?}");
        }
        let vinh_rows = count(
            &app.db,
            &format!("SELECT count(*) FROM {table} WHERE district_code = '412'"),
        )
        .await;
        let all_rows = count(&app.db, &format!("SELECT count(*) FROM {table}")).await;
        assert!(
            all_rows > vinh_rows,
            "{table}: other boards have rows, so the cut is real"
        );

        // No scope set: nothing at all, even with the table full.
        let tx = begin_unscoped(&app.db).await;
        assert_eq!(
            count(&tx, &format!("SELECT count(*) FROM {table}")).await,
            0,
            "{table} with no scope"
        );
        tx.rollback().await.ok();
    }
}

#[tokio::test]
async fn writes_outside_the_scope_are_refused_by_the_database() {
    let Some(app) = on_postgres(TestApp::seeded()).await else {
        return;
    };
    add_audit_events(&app.db).await;
    let tx = begin_scoped(&app.db, &nghe_an()).await.expect("begin");
    for table in tenant_tables(&app.db).await {
        match table.as_str() {
            "boards" => {
                assert!(permission_denied(
                    attempt(&tx, "UPDATE boards SET name = name").await
                ));
                continue;
            }
            "audit_events" => {
                // Append-only: not even rows inside the scope can be changed or removed.
                assert!(permission_denied(
                    attempt(&tx, "UPDATE audit_events SET action = 'x'").await
                ));
                assert!(permission_denied(
                    attempt(&tx, "DELETE FROM audit_events").await
                ));
                continue;
            }
            _ => {}
        }
        assert!(
            refused_by_policy(
                attempt(&tx, &format!("UPDATE {table} SET province_code = '01'")).await
            ),
            "{table}: moving rows out of the scope"
        );
        let columns: Vec<String> = rows(
            &app.db,
            &format!(
                "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = '{table}' \
                 ORDER BY ordinal_position"
            ),
        )
        .await
        .expect("columns")
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("name"))
        .collect();
        // A copy of a visible row, moved to another province: refused by WITH CHECK.
        let copied = columns
            .iter()
            .map(|c| match c.as_str() {
                "id" => "gen_random_uuid()".to_owned(),
                "board_code" | "province_code" => "'01'".to_owned(),
                "district_code" => "NULL".to_owned(),
                "national_id" => "NULL".to_owned(),
                other => other.to_owned(),
            })
            .collect::<Vec<_>>()
            .join(", ");
        assert!(
            refused_by_policy(
                attempt(
                    &tx,
                    &format!(
                        "INSERT INTO {table} ({}) SELECT {copied} FROM {table} LIMIT 1",
                        columns.join(", ")
                    ),
                )
                .await
            ),
            "{table}: inserting into another province"
        );
        assert!(
            permission_denied(attempt(&tx, &format!("DELETE FROM {table}")).await),
            "{table}: health records are never deleted"
        );
    }
    // Rows of another province are invisible to an update, so nothing changes.
    assert_eq!(
        attempt(
            &tx,
            "UPDATE cadres SET full_name = 'x' WHERE province_code = '01'"
        )
        .await
        .expect("update"),
        0
    );
    // The same statement inside the scope works: the refusals above are the policy at work.
    assert!(
        attempt(
            &tx,
            "UPDATE cadres SET full_name = full_name WHERE province_code = '40'"
        )
        .await
        .expect("update in scope")
            > 0
    );
    tx.rollback().await.ok();

    // A district cannot move its cadres to a sibling district, nor write with no scope.
    let tx = begin_scoped(&app.db, &vinh()).await.expect("begin");
    assert!(refused_by_policy(
        attempt(
            &tx,
            "UPDATE cadres SET district_code = '413', board_code = '413'"
        )
        .await
    ));
    tx.rollback().await.ok();
    let tx = begin_unscoped(&app.db).await;
    assert!(refused_by_policy(
        attempt(
            &tx,
            "INSERT INTO cadres (id, board_code, province_code, district_code, version, \
             created_at, updated_at, full_name, name_folded, gender, birth_date, status, \
             management_tier) VALUES (gen_random_uuid(), '412', '40', '412', 1, now(), now(), \
             'A', 'a', 'MALE', '1960-01-01', 'SERVING', 'DISTRICT')"
        )
        .await
    ));
    tx.rollback().await.ok();
}

#[tokio::test]
async fn the_scope_and_the_role_end_with_the_transaction() {
    let Some(app) = on_postgres(TestApp::spawn()).await else {
        return;
    };
    let url = app.database_url().expect("own database");
    // One connection, so the next transaction surely reuses the scoped one's session.
    let mut options = ConnectOptions::new(url);
    options.max_connections(1).sqlx_logging(false);
    let pool = Database::connect(options).await.expect("connect");
    let session = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            let rows = rows(&pool, sql).await.expect(sql);
            rows[0].try_get_by_index::<String>(0).expect("text")
        }
    };
    let user = session("SELECT current_user::text").await;
    for commit in [true, false] {
        let tx = begin_scoped(&pool, &vinh()).await.expect("begin");
        assert_eq!(
            rows(&tx, "SELECT current_user::text").await.expect("user")[0]
                .try_get_by_index::<String>(0)
                .expect("text"),
            APP_ROLE
        );
        if commit {
            tx.commit().await.expect("commit");
        } else {
            tx.rollback().await.expect("rollback");
        }
        assert_eq!(session("SELECT current_user::text").await, user);
        assert_eq!(
            session("SELECT coalesce(current_setting('app.districts', true), '')").await,
            ""
        );
        assert_eq!(
            session("SELECT coalesce(current_setting('app.provinces', true), '')").await,
            ""
        );
    }
    pool.close().await.ok();
}

/// A login role that owns a database of its own, both dropped when the test ends.
struct OwnerDatabase {
    admin_url: String,
    role: String,
    url: String,
}

impl OwnerDatabase {
    async fn create(admin_url: &str) -> OwnerDatabase {
        let role = format!("cadre_owner_{}", Uuid::now_v7().simple());
        let admin = Database::connect(admin_url).await.expect("connect");
        for sql in [
            format!("CREATE ROLE {role} LOGIN CREATEROLE"),
            format!("CREATE DATABASE {role} OWNER {role}"),
        ] {
            exec(&admin, &sql).await.expect("create owner");
        }
        admin.close().await.ok();
        let (scheme, rest) = admin_url.split_once("://").expect("a URL");
        let host = rest.split_once('@').map_or(rest, |(_, host)| host);
        let url = format!("{scheme}://{role}@{host}");
        let url = crate::helpers::with_database(&url, &role);
        OwnerDatabase {
            admin_url: admin_url.to_owned(),
            role,
            url,
        }
    }
}

impl Drop for OwnerDatabase {
    fn drop(&mut self) {
        let role = &self.role;
        crate::helpers::cleanup_on_server(
            self.admin_url.clone(),
            vec![
                format!("DROP DATABASE IF EXISTS {role} WITH (FORCE)"),
                format!("DROP ROLE IF EXISTS {role}"),
            ],
        );
    }
}

#[tokio::test]
async fn policies_bind_a_non_superuser_owner_and_requests_hold_whoever_connects() {
    let Some(admin_url) = TestDatabase::postgres_admin_url() else {
        return;
    };
    let owner = OwnerDatabase::create(&admin_url).await;
    let db = db::connect(&owner.url).await.expect("connect as the owner");
    db::migrate(&db).await.expect("the owner migrates");
    cadre_health::seed::seed(&db, cadre_health::seed::Scale::Demo)
        .await
        .expect("the owner seeds in a system transaction");

    // Forced: the owner itself sees nothing without a scope...
    assert_eq!(count(&db, "SELECT count(*) FROM cadres").await, 0);
    // ...and everything in the service's own system transaction.
    let tx = begin_system(&db).await.expect("begin");
    let in_vinh = count(
        &tx,
        "SELECT count(*) FROM cadres WHERE district_code = '412'",
    )
    .await;
    let all = count(&tx, "SELECT count(*) FROM cadres").await;
    tx.rollback().await.ok();
    assert!(all > in_vinh && in_vinh > 0);

    // A migration's backfill runs under the same policies: take the last exam dates away (down
    // to before migration 17) and apply it again as the owner; every cadre gets its date back.
    Migrator::down(&db, Some(2))
        .await
        .expect("down to migration 16");
    db::migrate(&db).await.expect("migration 17 again");
    let tx = begin_system(&db).await.expect("begin");
    let dated = count(
        &tx,
        "SELECT count(*) FROM cadres WHERE last_exam_on IS NOT NULL",
    )
    .await;
    let wrong = count(
        &tx,
        "SELECT count(*) FROM cadres c WHERE last_exam_on IS DISTINCT FROM \
         (SELECT max(examined_on) FROM health_exams e WHERE e.cadre_id = c.id)",
    )
    .await;
    tx.rollback().await.ok();
    assert!(dated > 0);
    assert_eq!(wrong, 0);

    // Requests over the owner's connection still see only their scope.
    let app = TestApp::on(
        db.clone(),
        test_config(&owner.url),
        crate::helpers::TEST_SECRET.as_bytes(),
        None,
    )
    .await;
    let data = app
        .as_board("412", "clinician")
        .data("{ cadres { totalCount } }")
        .await;
    assert_eq!(data["cadres"]["totalCount"], in_vinh);
    db.close().await.ok();
}
