//! Chronic conditions (bệnh mạn tính): an ICD-10 code per cadre, active until resolved.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tenant::{self, Tenant, cols};

#[derive(DeriveIden)]
enum ChronicConditions {
    Table,
    CadreId,
    IcdCode,
    DiagnosedOn,
    /// Null while the condition is active.
    ResolvedOn,
    Note,
}

migration! {
    creates ChronicConditions as C,
    up(manager) {
        let table = tenant::cadre_table(C::Table, C::CadreId)
            .col(string_len(C::IcdCode, 8))
            .col(date(C::DiagnosedOn))
            .col(date_null(C::ResolvedOn))
            .col(string_len_null(C::Note, 500))
            .to_owned();
        let indexes = [
            tenant::index(
                "chronic_conditions_tenant_code",
                cols![C::IcdCode, C::CadreId],
            ),
            tenant::plain_index("chronic_conditions_cadre", cols![C::CadreId, Tenant::Id]),
        ];
        tenant::create(manager, &table, indexes).await
    }
}
