//! Consultations (hội chẩn): an expert council's review of a cadre with serious illness.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tenant;

#[derive(DeriveIden)]
enum Consultations {
    Table,
    CadreId,
    HeldOn,
    Council,
    Participants,
    Conclusion,
}

migration! {
    creates Consultations as C,
    up(manager) {
        let table = tenant::cadre_table(C::Table, C::CadreId)
            .col(date(C::HeldOn))
            .col(string_len(C::Council, 200))
            .col(string_len_null(C::Participants, 2000))
            .col(string_len_null(C::Conclusion, 4000))
            .to_owned();
        let indexes = ["consultations_tenant_date", "consultations_cadre_date"];
        tenant::create_dated(manager, &table, (C::CadreId, C::HeldOn), indexes).await
    }
}
