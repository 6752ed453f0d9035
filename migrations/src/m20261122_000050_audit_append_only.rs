//! Audit events are append-only on SQLite too: triggers refuse every `UPDATE` and `DELETE`.
//!
//! On PostgreSQL the application role was never granted either (see `tenant::Access`), so the
//! database already refuses them there; SQLite has no roles, so the rule lives in triggers.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

use crate::tenant;

migration! {
    up(manager) {
        let sql = "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
                 BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
                 CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
                 BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;";
        tenant::execute_on(manager, DatabaseBackend::Sqlite, sql).await
    }
    down(manager) {
        let sql = "DROP TRIGGER IF EXISTS audit_events_no_update;
                 DROP TRIGGER IF EXISTS audit_events_no_delete;";
        tenant::execute_on(manager, DatabaseBackend::Sqlite, sql).await
    }
}
