//! Prescriptions: drugs dispensed at a clinic visit. They carry the tenant keys and the cadre
//! themselves (not only through the visit) so scope checks never need a join.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tenant::{self, Parent, References, Tenant, cols};

#[derive(DeriveIden)]
enum Prescriptions {
    Table,
    VisitId,
    CadreId,
    Drug,
    Quantity,
    Dosage,
}

migration! {
    creates Prescriptions as P,
    up(manager) {
        let table = tenant::table(P::Table)
            .col(uuid(P::VisitId))
            .col(uuid(P::CadreId))
            .col(string_len(P::Drug, 200))
            .col(integer(P::Quantity).check(Expr::col(P::Quantity).gt(0)))
            .col(string_len_null(P::Dosage, 200))
            .references(P::VisitId, Parent::ClinicVisits)
            .references(P::CadreId, Parent::Cadres)
            .to_owned();
        let indexes = [
            tenant::index("prescriptions_tenant_visit", cols![P::VisitId]),
            tenant::plain_index("prescriptions_visit", cols![P::VisitId, Tenant::Id]),
        ];
        tenant::create(manager, &table, indexes).await
    }
}
