//! Audit events (nhật ký truy cập): who did or saw what, when, on which cadre. Append-only.
//!
//! The tenant keys are those of the cadre concerned (or of the actor's board when no cadre is),
//! so an admin's audit query is scoped like everything else.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tenant::{self, Tenant};

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

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use AuditEvents as A;
        manager
            .create_table(
                tenant::table(A::Table)
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
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(tenant::index(
                "audit_events_tenant_time",
                A::Table,
                vec![A::OccurredAt.into_iden()],
            ))
            .await?;
        manager
            .create_index(tenant::plain_index(
                "audit_events_cadre_time",
                A::Table,
                vec![
                    A::CadreId.into_iden(),
                    A::OccurredAt.into_iden(),
                    Tenant::Id.into_iden(),
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditEvents::Table).to_owned())
            .await
    }
}
