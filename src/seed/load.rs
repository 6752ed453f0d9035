//! Writing the generated batches: one transaction on a connection of the seed's own, the
//! tables' secondary indexes (and on PostgreSQL their keys and foreign keys) dropped first and
//! rebuilt after the load from the definitions the database itself reports, so the migrations
//! stay the one place that defines them.
//!
//! PostgreSQL loads with `COPY ... FROM STDIN` (text format, encoded on the generator's
//! thread). `COPY FROM` refuses a table whose row-level security applies to the connecting
//! user, and the tables force it even on their owner, so the load lifts `FORCE` for its own
//! transaction only: the change is transactional, and every other role (the application's
//! above all) stays under the policies throughout. SQLite loads with multi-row prepared
//! inserts, `synchronous = OFF` on its own connection, which is closed afterwards.

use std::collections::HashMap;

use anyhow::{Context, bail};
use sea_orm::sqlx::{self, Arguments, AssertSqlSafe, Connection};
use sea_orm::{
    DatabaseBackend, DatabaseConnection, EntityName, EntityTrait, IdenStatic, Iterable, ModelTrait,
    Value,
};
use tokio::sync::mpsc::Receiver;

use super::progress::Progress;
use super::{Batch, Options};
use crate::db::entities::{
    audit_event, cadre, campaign_enrolment, chronic_condition, clinic_visit, consultation,
    exam_campaign, health_exam, prescription, referral, vaccination,
};

/// A table the seed fills: its name and its columns, in the entity's order.
pub struct Table {
    pub name: &'static str,
    columns: Vec<&'static str>,
}

impl Table {
    fn of<E: EntityTrait + Default>() -> Table {
        Table {
            name: E::default().table_name(),
            columns: E::Column::iter().map(|c| c.as_str()).collect(),
        }
    }

    /// The tables the seed fills, parents before children (the order of [`Chunk::of`]).
    pub fn all() -> Vec<Table> {
        vec![
            Table::of::<exam_campaign::Entity>(),
            Table::of::<cadre::Entity>(),
            Table::of::<chronic_condition::Entity>(),
            Table::of::<health_exam::Entity>(),
            Table::of::<campaign_enrolment::Entity>(),
            Table::of::<clinic_visit::Entity>(),
            Table::of::<prescription::Entity>(),
            Table::of::<referral::Entity>(),
            Table::of::<consultation::Entity>(),
            Table::of::<vaccination::Entity>(),
        ]
    }

    fn column_list(&self) -> String {
        self.columns.join(", ")
    }
}

/// How the generator's thread prepares rows for the loader.
#[derive(Debug, Clone, Copy)]
pub enum Encoding {
    /// `COPY` text format, ready to send.
    CopyText,
    /// Values to bind, row after row.
    Values,
}

impl Encoding {
    pub fn of(backend: DatabaseBackend) -> Encoding {
        match backend {
            DatabaseBackend::Postgres => Encoding::CopyText,
            _ => Encoding::Values,
        }
    }
}

/// One table's rows of a batch.
pub enum Rows {
    CopyText(Vec<u8>),
    Values(Vec<Value>),
}

/// A batch, encoded: each table's rows in the order of [`Table::all`], and how many of each.
pub struct Chunk {
    pub cadres: u64,
    tables: Vec<(Rows, u64)>,
}

impl Chunk {
    pub fn of(batch: Batch, encoding: Encoding) -> Chunk {
        fn rows<M: ModelTrait>(rows: Vec<M>, encoding: Encoding) -> (Rows, u64) {
            let count = rows.len() as u64;
            let columns: Vec<_> = <M::Entity as EntityTrait>::Column::iter().collect();
            let encoded = match encoding {
                Encoding::CopyText => {
                    let mut out = Vec::with_capacity(rows.len() * 160);
                    for row in &rows {
                        for (i, column) in columns.iter().enumerate() {
                            if i > 0 {
                                out.push(b'\t');
                            }
                            copy_text(&mut out, &row.get(*column));
                        }
                        out.push(b'\n');
                    }
                    Rows::CopyText(out)
                }
                Encoding::Values => Rows::Values(
                    rows.iter()
                        .flat_map(|row| columns.iter().map(|c| row.get(*c)))
                        .collect(),
                ),
            };
            (encoded, count)
        }
        let cadres = batch.cadres.len() as u64;
        Chunk {
            cadres,
            tables: vec![
                rows(batch.campaigns, encoding),
                rows(batch.cadres, encoding),
                rows(batch.conditions, encoding),
                rows(batch.exams, encoding),
                rows(batch.enrolments, encoding),
                rows(batch.visits, encoding),
                rows(batch.prescriptions, encoding),
                rows(batch.referrals, encoding),
                rows(batch.consultations, encoding),
                rows(batch.vaccinations, encoding),
            ],
        }
    }
}

/// Appends `value` in `COPY`'s text format: `\N` for null, backslash escapes in text.
fn copy_text(out: &mut Vec<u8>, value: &Value) {
    use std::io::Write;
    fn text(out: &mut Vec<u8>, s: &str) {
        for b in s.bytes() {
            match b {
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\t' => out.extend_from_slice(b"\\t"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                _ => out.push(b),
            }
        }
    }
    // Writing to a Vec cannot fail.
    let _ = match value {
        Value::Bool(Some(b)) => write!(out, "{}", if *b { 't' } else { 'f' }),
        Value::SmallInt(Some(i)) => write!(out, "{i}"),
        Value::Int(Some(i)) => write!(out, "{i}"),
        Value::BigInt(Some(i)) => write!(out, "{i}"),
        // Rust prints the shortest text that reads back as the same double.
        Value::Double(Some(d)) => write!(out, "{d}"),
        Value::String(Some(s)) => {
            text(out, s);
            Ok(())
        }
        Value::Uuid(Some(u)) => write!(out, "{}", u.hyphenated()),
        Value::ChronoDate(Some(d)) => write!(out, "{}", d.format("%Y-%m-%d")),
        Value::ChronoDateTimeUtc(Some(t)) => write!(out, "{}", t.format("%Y-%m-%d %H:%M:%S%.f+00")),
        Value::Bool(None)
        | Value::SmallInt(None)
        | Value::Int(None)
        | Value::BigInt(None)
        | Value::Double(None)
        | Value::String(None)
        | Value::Uuid(None)
        | Value::ChronoDate(None)
        | Value::ChronoDateTimeUtc(None) => write!(out, "\\N"),
        // No seeded column has another type; a new one fails the load at once (and the
        // demo digest test), never silently.
        other => write!(out, "unsupported value {other:?}"),
    };
}

/// Binds `value` as sea-orm's own SQLite driver does, for the types the seeded columns have.
fn bind(args: &mut sqlx::sqlite::SqliteArguments, value: Value) -> anyhow::Result<()> {
    let added = match value {
        Value::Bool(v) => args.add(v),
        Value::SmallInt(v) => args.add(v),
        Value::Int(v) => args.add(v),
        Value::BigInt(v) => args.add(v),
        Value::Double(v) => args.add(v),
        Value::String(v) => args.add(v),
        Value::Uuid(v) => args.add(v),
        Value::ChronoDate(v) => args.add(v),
        Value::ChronoDateTimeUtc(v) => args.add(v),
        other => bail!("a seeded column of an unsupported type: {other:?}"),
    };
    added.map_err(|e| anyhow::anyhow!("binding a value: {e}"))
}

/// The data tables `--reset` empties: the seeded ones and the audit trail. Never the board
/// tree, its reorganisations or the migrations' own table.
fn reset_tables(tables: &[Table]) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = tables.iter().map(|t| t.name).collect();
    names.push(audit_event::Entity.table_name());
    names
}

fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The message when the database is not empty and `--reset` was not given.
fn refusal(what: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "the database already holds data ({what}); seed fills only an empty one: pass --reset \
         to empty its data tables (cadres, records, campaigns, audit trail; the board tree \
         stays) and seed again"
    )
}

/// Loads into PostgreSQL; returns how many cadres it wrote.
pub async fn postgres(
    db: &DatabaseConnection,
    tables: &[Table],
    mut chunks: Receiver<Chunk>,
    options: Options,
    progress: &Progress,
) -> anyhow::Result<u64> {
    let mut conn = db
        .get_postgres_connection_pool()
        .acquire()
        .await
        .context("connecting")?;
    // Whatever happens, this connection is not handed to anyone after the seed.
    conn.close_on_drop();
    let names: Vec<&str> = tables.iter().map(|t| t.name).collect();
    let list = quoted_list(&names);
    let mut tx = conn.begin().await.context("beginning the load")?;
    let sql = |s: String| sqlx::raw_sql(AssertSqlSafe(s));
    sql("SELECT set_config('app.all', 'on', true); \
         SELECT set_config('maintenance_work_mem', '256MB', true)"
        .into())
    .execute(&mut *tx)
    .await?;

    let cadres: i64 = sqlx::query_scalar("SELECT count(*) FROM cadres")
        .fetch_one(&mut *tx)
        .await?;
    if options.reset {
        let all = reset_tables(tables).join(", ");
        progress.phase(&format!("emptying {all}"));
        sql(format!("TRUNCATE {all}")).execute(&mut *tx).await?;
    } else {
        let mut filled = Vec::new();
        for name in reset_tables(tables) {
            let any: bool = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT EXISTS (SELECT 1 FROM {name})"
            )))
            .fetch_one(&mut *tx)
            .await?;
            if any {
                filled.push(name);
            }
        }
        if !filled.is_empty() {
            bail!(refusal(&format!(
                "{cadres} cadres; rows in {}",
                filled.join(", ")
            )));
        }
    }

    // What to rebuild, read before dropping: keys and unique constraints, then the other
    // indexes, then the foreign keys (into and out of the loaded tables).
    let constraints: Vec<(String, String, String, String)> =
        sqlx::query_as(AssertSqlSafe(format!(
            "SELECT c.conrelid::regclass::text, c.conname::text, c.contype::text, \
                pg_get_constraintdef(c.oid) \
         FROM pg_constraint c \
         WHERE c.contype IN ('p', 'u', 'f') \
           AND (c.conrelid::regclass::text IN ({list}) \
                OR (c.contype = 'f' AND c.confrelid::regclass::text IN ({list}))) \
         ORDER BY c.contype = 'f', c.conrelid::regclass::text, c.conname"
        )))
        .fetch_all(&mut *tx)
        .await?;
    let indexes: Vec<(String, String)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) \
         FROM pg_index i \
         WHERE i.indrelid::regclass::text IN ({list}) \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c \
                           WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x')) \
         ORDER BY 1"
    )))
    .fetch_all(&mut *tx)
    .await?;
    let forced: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT relname::text FROM pg_class \
         WHERE oid::regclass::text IN ({list}) AND relforcerowsecurity"
    )))
    .fetch_all(&mut *tx)
    .await?;

    progress.phase("dropping indexes and constraints");
    for (table, name, kind, _) in constraints.iter().filter(|c| c.2 == "f") {
        debug_assert_eq!(kind, "f");
        sql(format!("ALTER TABLE {table} DROP CONSTRAINT {name}"))
            .execute(&mut *tx)
            .await?;
    }
    for (name, _) in &indexes {
        sql(format!("DROP INDEX {name}")).execute(&mut *tx).await?;
    }
    for (table, name, _, _) in constraints.iter().filter(|c| c.2 != "f") {
        sql(format!("ALTER TABLE {table} DROP CONSTRAINT {name}"))
            .execute(&mut *tx)
            .await?;
    }
    for table in &forced {
        sql(format!("ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY"))
            .execute(&mut *tx)
            .await?;
    }

    let statements: Vec<String> = tables
        .iter()
        .map(|t| format!("COPY {} ({}) FROM STDIN", t.name, t.column_list()))
        .collect();
    let mut cadres = 0;
    while let Some(chunk) = chunks.recv().await {
        for (i, (rows, count)) in chunk.tables.into_iter().enumerate() {
            let Rows::CopyText(bytes) = rows else {
                bail!("rows for PostgreSQL come as COPY text");
            };
            if count == 0 {
                continue;
            }
            let mut copy = tx.copy_in_raw(&statements[i]).await?;
            copy.send(bytes).await?;
            copy.finish().await?;
            progress.add(i, count);
        }
        cadres += chunk.cadres;
    }

    progress.phase("building indexes and constraints");
    for (table, name, _, definition) in constraints.iter().filter(|c| c.2 != "f") {
        sql(format!(
            "ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
        ))
        .execute(&mut *tx)
        .await?;
    }
    for (name, definition) in &indexes {
        progress.phase(&format!("building {name}"));
        sql(definition.clone()).execute(&mut *tx).await?;
    }
    progress.phase("checking foreign keys");
    for (table, name, _, definition) in constraints.iter().filter(|c| c.2 == "f") {
        sql(format!(
            "ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
        ))
        .execute(&mut *tx)
        .await?;
    }
    for table in &forced {
        sql(format!("ALTER TABLE {table} FORCE ROW LEVEL SECURITY"))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await.context("committing the load")?;

    // Outside the transaction (VACUUM cannot run in one): statistics for the planner and the
    // visibility map, so index-only scans skip the heap from the first request.
    progress.phase("VACUUM (ANALYZE)");
    let vacuum = format!("VACUUM (ANALYZE) {}", reset_tables(tables).join(", "));
    sql(vacuum).execute(&mut *conn).await?;
    Ok(cadres)
}

/// Loads into SQLite; returns how many cadres it wrote.
pub async fn sqlite(
    db: &DatabaseConnection,
    tables: &[Table],
    mut chunks: Receiver<Chunk>,
    options: Options,
    progress: &Progress,
) -> anyhow::Result<u64> {
    let mut conn = db
        .get_sqlite_connection_pool()
        .acquire()
        .await
        .context("opening the database")?;
    // The pragmas below are this connection's alone, and it is closed after the seed.
    conn.close_on_drop();
    let sql = |s: String| sqlx::raw_sql(AssertSqlSafe(s));
    // A failed seed rolls back; an operating-system crash during one may lose it (the seed is
    // run again), never anything committed before it.
    sql("PRAGMA synchronous = OFF; PRAGMA cache_size = -65536".into())
        .execute(&mut *conn)
        .await?;
    sql("BEGIN IMMEDIATE".into()).execute(&mut *conn).await?;
    let loaded = sqlite_load(&mut conn, tables, &mut chunks, options, progress).await;
    match loaded {
        Ok(cadres) => {
            sql("COMMIT".into()).execute(&mut *conn).await?;
            progress.phase("PRAGMA optimize");
            sql("PRAGMA optimize=0x10002".into())
                .execute(&mut *conn)
                .await?;
            Ok(cadres)
        }
        Err(err) => {
            let _ = sql("ROLLBACK".into()).execute(&mut *conn).await;
            Err(err)
        }
    }
}

async fn sqlite_load(
    conn: &mut sqlx::SqliteConnection,
    tables: &[Table],
    chunks: &mut Receiver<Chunk>,
    options: Options,
    progress: &Progress,
) -> anyhow::Result<u64> {
    let sql = |s: String| sqlx::raw_sql(AssertSqlSafe(s));
    let all = reset_tables(tables);
    let list = quoted_list(&all);
    if options.reset {
        progress.phase(&format!("emptying {}", all.join(", ")));
        // The audit trail's append-only triggers refuse a DELETE: lift them for this
        // transaction and put the same definitions back.
        let triggers: Vec<(String, String)> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({list})"
        )))
        .fetch_all(&mut *conn)
        .await?;
        for (name, _) in &triggers {
            sql(format!("DROP TRIGGER {name}"))
                .execute(&mut *conn)
                .await?;
        }
        for name in all.iter().rev() {
            sql(format!("DELETE FROM {name}"))
                .execute(&mut *conn)
                .await?;
        }
        for (_, definition) in triggers {
            sql(definition).execute(&mut *conn).await?;
        }
    } else {
        let mut filled = Vec::new();
        for name in &all {
            let any: bool = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT EXISTS (SELECT 1 FROM {name})"
            )))
            .fetch_one(&mut *conn)
            .await?;
            if any {
                filled.push(*name);
            }
        }
        if !filled.is_empty() {
            let cadres: i64 = sqlx::query_scalar("SELECT count(*) FROM cadres")
                .fetch_one(&mut *conn)
                .await?;
            bail!(refusal(&format!(
                "{cadres} cadres; rows in {}",
                filled.join(", ")
            )));
        }
    }

    // Indexes with a definition of their own (a primary key's or an inline UNIQUE's have none
    // and stay), dropped and built again after the load.
    let names: Vec<&str> = tables.iter().map(|t| t.name).collect();
    let indexes: Vec<(String, String)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT name, sql FROM sqlite_master \
         WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({}) ORDER BY name",
        quoted_list(&names)
    )))
    .fetch_all(&mut *conn)
    .await?;
    progress.phase("dropping indexes");
    for (name, _) in &indexes {
        sql(format!("DROP INDEX {name}"))
            .execute(&mut *conn)
            .await?;
    }

    // SQLite binds at most 32,766 values a statement; 200 rows a statement is past the point
    // where more rows save anything.
    let mut statements: HashMap<(usize, usize), String> = HashMap::new();
    let mut cadres = 0;
    while let Some(chunk) = chunks.recv().await {
        for (i, (rows, count)) in chunk.tables.into_iter().enumerate() {
            let Rows::Values(values) = rows else {
                bail!("rows for SQLite come as values");
            };
            let table = &tables[i];
            let width = table.columns.len();
            let per_statement = 200.min(32_000 / width);
            let mut values = values.into_iter();
            let mut left = count as usize;
            while left > 0 {
                let n = left.min(per_statement);
                let statement = statements.entry((i, n)).or_insert_with(|| {
                    let row = format!("({})", vec!["?"; width].join(", "));
                    format!(
                        "INSERT INTO {} ({}) VALUES {}",
                        table.name,
                        table.column_list(),
                        vec![row; n].join(", ")
                    )
                });
                let mut args = sqlx::sqlite::SqliteArguments::default();
                for value in values.by_ref().take(n * width) {
                    bind(&mut args, value)?;
                }
                sqlx::query_with(AssertSqlSafe(statement.clone()), args)
                    .execute(&mut *conn)
                    .await?;
                left -= n;
            }
            progress.add(i, count);
        }
        cadres += chunk.cadres;
    }

    for (name, definition) in indexes {
        progress.phase(&format!("building {name}"));
        sql(definition).execute(&mut *conn).await?;
    }
    Ok(cadres)
}
