//! Vaccinations (tiêm chủng): one row per dose; a dose number is recorded once per vaccine.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tenant::{self, cols};

#[derive(DeriveIden)]
enum Vaccinations {
    Table,
    CadreId,
    Vaccine,
    DoseNumber,
    GivenOn,
    Lot,
}

migration! {
    creates Vaccinations as V,
    up(manager) {
        let table = tenant::cadre_table(V::Table, V::CadreId)
            .col(string_len(V::Vaccine, 100))
            .col(small_integer(V::DoseNumber).check(Expr::col(V::DoseNumber).between(1, 10)))
            .col(date(V::GivenOn))
            .col(string_len_null(V::Lot, 50))
            .to_owned();
        let cadre_dose = cols![V::CadreId, V::Vaccine, V::DoseNumber];
        let indexes = [
            tenant::index(
                "vaccinations_tenant_vaccine",
                cols![V::Vaccine, V::DoseNumber],
            ),
            tenant::plain_index("vaccinations_cadre_dose", cadre_dose)
                .unique()
                .to_owned(),
        ];
        tenant::create(manager, &table, indexes).await
    }
}
