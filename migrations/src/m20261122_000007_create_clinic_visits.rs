//! Clinic visits (khám, cấp phát thuốc): a cadre seen at the board's clinic.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tenant;

#[derive(DeriveIden)]
enum ClinicVisits {
    Table,
    CadreId,
    VisitedAt,
    Complaint,
    /// ICD-10 codes, comma-separated.
    Diagnoses,
    Physician,
}

migration! {
    creates ClinicVisits as V,
    up(manager) {
        let table = tenant::cadre_table(V::Table, V::CadreId)
            .col(timestamp_with_time_zone(V::VisitedAt))
            .col(string_len_null(V::Complaint, 1000))
            .col(string_len(V::Diagnoses, 400).default(""))
            .col(string_len_null(V::Physician, 100))
            .to_owned();
        let indexes = ["clinic_visits_tenant_time", "clinic_visits_cadre_time"];
        tenant::create_dated(manager, &table, (V::CadreId, V::VisitedAt), indexes).await
    }
}
