//! Exam campaigns (đợt khám định kỳ): a board's periodic exam round, twice a year.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tenant::{self, Tenant, cols};

#[derive(DeriveIden)]
enum ExamCampaigns {
    Table,
    Name,
    Year,
    Round,
    Cohort,
    StartsOn,
    EndsOn,
}

migration! {
    creates ExamCampaigns as E,
    up(manager) {
        let table = tenant::table(E::Table)
            .col(string_len(E::Name, 200))
            .col(integer(E::Year))
            .col(small_integer(E::Round).check(Expr::col(E::Round).is_in([1, 2])))
            .col(
                string_len(E::Cohort, 8)
                    .check(Expr::col(E::Cohort).is_in(["SERVING", "RETIRED", "ALL"])),
            )
            .col(date(E::StartsOn))
            .col(date(E::EndsOn))
            .to_owned();
        let board_round = cols![Tenant::BoardCode, E::Year, E::Round];
        let index = tenant::index("exam_campaigns_tenant_board_round", board_round)
            .unique()
            .to_owned();
        tenant::create(manager, &table, [index]).await
    }
}
