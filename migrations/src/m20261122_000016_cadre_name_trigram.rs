//! A trigram index on the folded cadre name, for name search on PostgreSQL.
//!
//! Search matches each word of the query against the start of any word of `name_folded`
//! (`LIKE 'term%' OR LIKE '% term%'`). A btree, even with `text_pattern_ops`, serves only the
//! first half, so PostgreSQL scans the table for a central viewer. Measured on 252,000
//! synthetic cadres (README, "Performance"): a GIN trigram index brings a central search for
//! `nguyen van` from 51 ms to 22 ms (its count from 58 ms to 15 ms); a btree was not used at
//! all. In one province the tenant index alone already answers in under a millisecond.
//!
//! `pg_trgm` is a trusted extension (PostgreSQL 13+): the database's owner may create it. On
//! SQLite, whose databases hold one deployment's few thousand cadres, this does nothing.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

use crate::tenant;

migration! {
    up(manager) {
        for sql in [
            "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            "CREATE INDEX IF NOT EXISTS cadres_name_trgm ON cadres USING gin (name_folded gin_trgm_ops)",
        ] {
            tenant::execute_on(manager, DatabaseBackend::Postgres, sql).await?;
        }
        Ok(())
    }
    down(manager) {
        let sql = "DROP INDEX IF EXISTS cadres_name_trgm";
        tenant::execute_on(manager, DatabaseBackend::Postgres, sql).await
    }
}
