//! Campaign enrolments (danh sách khám): who was due an exam in a campaign, where they were
//! managed at its start, and when (if at all) they were examined in it.
//!
//! Exam coverage is "eligible cadres examined". Eligibility is a fact about the campaign's start
//! (cohort, alive, managed by this board then) that the cadre's current row cannot answer once
//! a cadre retires, dies or is transferred; and a district cannot read its province's campaign
//! rows. So each enrolment carries the tenant keys of the board that managed the cadre at the
//! start (it does NOT move with a transfer), plus the campaign's year and round, and statistics
//! count enrolments without joining anything.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tenant::{self, Parent, References, Tenant, cols};

#[derive(DeriveIden)]
enum CampaignEnrolments {
    Table,
    CampaignId,
    CadreId,
    Year,
    Round,
    /// The date of the cadre's exam in this campaign; null while not examined.
    ExaminedOn,
}

migration! {
    creates CampaignEnrolments as E,
    up(manager) {
        let table = tenant::table(E::Table)
            .col(uuid(E::CampaignId))
            .col(uuid(E::CadreId))
            .col(integer(E::Year))
            .col(small_integer(E::Round).check(Expr::col(E::Round).is_in([1, 2])))
            .col(date_null(E::ExaminedOn))
            .references(E::CadreId, Parent::Cadres)
            .references(E::CampaignId, Parent::ExamCampaigns)
            .to_owned();
        let indexes = [
            // One enrolment per cadre and campaign.
            tenant::plain_index(
                "campaign_enrolments_campaign_cadre",
                cols![E::CampaignId, E::CadreId],
            )
            .unique()
            .to_owned(),
            // Coverage for a year and round, grouped by province or district: a central viewer
            // has no tenant key to lead with, so (year, round) leads and the keys follow.
            tenant::plain_index(
                "campaign_enrolments_year_round_tenant",
                cols![
                    E::Year,
                    E::Round,
                    Tenant::ProvinceCode,
                    Tenant::DistrictCode,
                    E::ExaminedOn
                ],
            ),
            tenant::index(
                "campaign_enrolments_tenant_year_round",
                cols![E::Year, E::Round, E::ExaminedOn],
            ),
        ];
        tenant::create(manager, &table, indexes).await?;
        // Row-level security on PostgreSQL, like every tenant table.
        tenant::protect(manager, "campaign_enrolments").await
    }
}
