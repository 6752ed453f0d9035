//! Row-level security on PostgreSQL: the database enforces the tenancy rule a second time,
//! whatever the application asks for.
//!
//! - The role `cadre_health_app` (no login, no superuser, no `BYPASSRLS`, owns nothing) is what
//!   every request runs as (`SET LOCAL ROLE`); the connecting user must be able to become it,
//!   so it is granted to the user running this migration.
//! - Every table that carries tenant keys gets a forced policy with `USING` and `WITH CHECK`
//!   (see `tenant::SCOPE_PREDICATE`), and the role gets only the privileges it needs.
//!
//! SQLite has no row-level security; this migration does nothing there.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

use crate::tenant::{self, APP_ROLE, Access};

/// Every table that carries tenant keys, and what the application may do with it.
const TABLES: [(&str, Access); 11] = [
    ("boards", Access::ReadOnly),
    ("cadres", Access::ReadWrite),
    ("chronic_conditions", Access::ReadWrite),
    ("exam_campaigns", Access::ReadWrite),
    ("health_exams", Access::ReadWrite),
    ("clinic_visits", Access::ReadWrite),
    ("prescriptions", Access::ReadWrite),
    ("referrals", Access::ReadWrite),
    ("consultations", Access::ReadWrite),
    ("vaccinations", Access::ReadWrite),
    ("audit_events", Access::AppendOnly),
];

migration! {
    up(manager) {
        // Roles are shared by every database of the server, so the role may exist already, or
        // be created at this moment by a migration of another database: both are fine.
        let role = format!(
            "DO $$
             BEGIN
               IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                 BEGIN
                   CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
                 EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
                 END;
               END IF;
               IF NOT pg_has_role(current_user, '{APP_ROLE}', 'MEMBER') THEN
                 EXECUTE format('GRANT {APP_ROLE} TO %I', current_user);
               END IF;
               EXECUTE format('GRANT USAGE ON SCHEMA %I TO {APP_ROLE}', current_schema());
             END $$;"
        );
        tenant::execute_on(manager, DatabaseBackend::Postgres, &role).await?;
        for (table, access) in TABLES {
            tenant::protect_with(manager, table, access).await?;
        }
        Ok(())
    }
    down(manager) {
        for (table, _) in TABLES {
            tenant::unprotect(manager, table).await?;
        }
        Ok(())
    }
}
