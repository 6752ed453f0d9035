//! A cadre's last exam date, stored on the cadre so the directory can be sorted and paged by it
//! with a keyset cursor (an order computed per row from `health_exams` cannot be indexed).
//!
//! Expand-only: a nullable column (null until the cadre's first exam), filled from the exams
//! already recorded, and an index leading with the tenant keys. The API keeps it current on
//! every exam write (record, correct); nothing else writes it.
//!
//! A cadre never examined sorts as the longest ago: first ascending, last descending. On
//! PostgreSQL, whose btree puts nulls last by default, the index says `NULLS FIRST` so the same
//! index serves both directions; SQLite already sorts nulls first (and has no `NULLS` in index
//! definitions).

use sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
enum Cadres {
    Table,
    LastExamOn,
}

const INDEX: &str = "cadres_tenant_last_exam";

migration! {
    up(manager) {
        manager
            .alter_table(
                Table::alter()
                    .table(Cadres::Table)
                    .add_column(date_null(Cadres::LastExamOn))
                    .to_owned(),
            )
            .await?;
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        // Under forced row-level security even the tables' owner sees no row without a scope,
        // so the backfill runs with the central one, set for this migration's transaction only
        // (on PostgreSQL the migrator gives each migration its own).
        if backend == DatabaseBackend::Postgres {
            db.execute_unprepared("SELECT set_config('app.all', 'on', true)")
                .await?;
        }
        db.execute_unprepared(
            "UPDATE cadres SET last_exam_on = \
             (SELECT max(e.examined_on) FROM health_exams e WHERE e.cadre_id = cadres.id)",
        )
        .await?;
        let nulls = match backend {
            DatabaseBackend::Postgres => " NULLS FIRST",
            _ => "",
        };
        db.execute_unprepared(&format!(
            "CREATE INDEX {INDEX} ON cadres (province_code, district_code, last_exam_on{nulls}, id)"
        ))
        .await?;
        Ok(())
    }
    down(manager) {
        manager
            .drop_index(Index::drop().name(INDEX).table(Cadres::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Cadres::Table)
                    .drop_column(Cadres::LastExamOn)
                    .to_owned(),
            )
            .await
    }
}
