//! Audit events (nhật ký truy cập): who did or saw what, when, on which cadre. Append-only.
//!
//! The tenant keys are those of the cadre concerned (or of the actor's board when no cadre is),
//! so an admin's audit query is scoped like everything else.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tenant;

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    ActorSub,
    ActorBoard,
    ActorRole,
    Action,
    Entity,
    EntityId,
    CadreId,
    RequestId,
    /// Names of the changed fields (never clinical values), comma-separated.
    ChangedFields,
    OccurredAt,
}

migration! {
    creates AuditEvents as A,
    up(manager) {
        let table = tenant::table(A::Table)
            .col(string_len(A::ActorSub, 200))
            .col(string_len(A::ActorBoard, 8))
            .col(string_len(A::ActorRole, 16))
            .col(string_len(A::Action, 64))
            .col(string_len(A::Entity, 64))
            .col(uuid_null(A::EntityId))
            // No foreign key: the trail outlives any change to the rows it speaks of.
            .col(uuid_null(A::CadreId))
            .col(string_len_null(A::RequestId, 64))
            .col(string_len(A::ChangedFields, 1000).default(""))
            .col(timestamp_with_time_zone(A::OccurredAt))
            .to_owned();
        let indexes = ["audit_events_tenant_time", "audit_events_cadre_time"];
        tenant::create_dated(manager, &table, (A::CadreId, A::OccurredAt), indexes).await
    }
}
