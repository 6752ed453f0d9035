//! Health exams (khám sức khỏe): vitals, labs, ICD-10 diagnoses and both health classifications.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tenant::{self, Parent, References, Tenant, cols};

#[derive(DeriveIden)]
enum HealthExams {
    Table,
    CadreId,
    CampaignId,
    ExaminedOn,
    Facility,
    Kind,
    HeightCm,
    WeightKg,
    /// Derived from height and weight when the exam is written; stored so statistics can group on it.
    Bmi,
    SystolicMmhg,
    DiastolicMmhg,
    PulseBpm,
    GlucoseMmolL,
    Hba1cPercent,
    CholesterolMmolL,
    TriglyceridesMmolL,
    CreatinineUmolL,
    /// ICD-10 codes, comma-separated (each checked on the way in).
    Diagnoses,
    CadreClass,
    GeneralClass,
    Conclusion,
    Physician,
}

migration! {
    creates HealthExams as H,
    up(manager) {
        let table = tenant::cadre_table(H::Table, H::CadreId)
            .col(uuid_null(H::CampaignId))
            .col(date(H::ExaminedOn))
            .col(string_len_null(H::Facility, 200))
            .col(string_len(H::Kind, 16).check(Expr::col(H::Kind).is_in([
                "PERIODIC",
                "ROUTINE",
                "SPECIALIST",
            ])))
            .col(double_null(H::HeightCm))
            .col(double_null(H::WeightKg))
            .col(double_null(H::Bmi))
            .col(integer_null(H::SystolicMmhg))
            .col(integer_null(H::DiastolicMmhg))
            .col(integer_null(H::PulseBpm))
            .col(double_null(H::GlucoseMmolL))
            .col(double_null(H::Hba1cPercent))
            .col(double_null(H::CholesterolMmolL))
            .col(double_null(H::TriglyceridesMmolL))
            .col(double_null(H::CreatinineUmolL))
            .col(string_len(H::Diagnoses, 400).default(""))
            .col(
                string_len_null(H::CadreClass, 2)
                    .check(Expr::col(H::CadreClass).is_in(["A", "B1", "B2", "C", "D"])),
            )
            .col(
                string_len_null(H::GeneralClass, 3)
                    .check(Expr::col(H::GeneralClass).is_in(["I", "II", "III", "IV", "V"])),
            )
            .col(string_len_null(H::Conclusion, 2000))
            .col(string_len_null(H::Physician, 100))
            .references(H::CampaignId, Parent::ExamCampaigns)
            .to_owned();
        let indexes = [
            tenant::index("health_exams_tenant_date", cols![H::ExaminedOn, H::CadreId]),
            tenant::index(
                "health_exams_tenant_campaign",
                cols![H::CampaignId, H::CadreId],
            ),
            tenant::plain_index(
                "health_exams_cadre_date",
                cols![H::CadreId, H::ExaminedOn, Tenant::Id],
            ),
        ];
        tenant::create(manager, &table, indexes).await
    }
}
