//! An index for statistics over a year of exams from the centre, which has no tenant key to
//! lead with: the year's exams by date, carrying every column `healthClassDistribution` reads
//! (cadre, ID for the latest-exam order, both classes, the tenant keys the scope and row-level
//! policies test), so PostgreSQL answers from the index alone.

use sea_orm_migration::prelude::*;

use crate::tenant::{self, Tenant, cols};

#[derive(DeriveIden)]
enum HealthExams {
    Table,
    ExaminedOn,
    CadreId,
    CadreClass,
    GeneralClass,
}

const INDEX: &str = "health_exams_date_cadre_classes";

migration! {
    up(manager) {
        use HealthExams as H;
        let columns = cols![
            H::ExaminedOn,
            H::CadreId,
            Tenant::Id,
            H::CadreClass,
            H::GeneralClass,
            Tenant::ProvinceCode,
            Tenant::DistrictCode,
        ];
        tenant::create_indexes(manager, H::Table, [tenant::plain_index(INDEX, columns)]).await
    }
    down(manager) {
        let index = Index::drop()
            .name(INDEX)
            .table(HealthExams::Table)
            .to_owned();
        manager.drop_index(index).await
    }
}
