use async_graphql::{Context, ID, Object, OutputType};
use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use crate::db::entities::{
    cadre, chronic_condition, clinic_visit, consultation, health_exam, referral, vaccination,
};
use crate::domain::{CadreStatus, Gender, ManagementTier};
use crate::error::{AppError, AppResult};
use crate::graphql::loaders::{CadreKey, LatestExamKey};
use crate::graphql::page::{self, Ordering, Page, PageArgs};
use crate::graphql::scalars::Date;
use crate::graphql::{Clinical, request};
use crate::scope::Tenant;

use super::{
    Board, ChronicCondition, ClinicVisit, Consultation, HealthExam, Referral, Vaccination,
};

/// A cadre (cán bộ) whose health record a board keeps.
pub struct Cadre {
    row: cadre::Model,
    /// Reached as a single record (`cadre(id)`), where clinicians see identifiers in full.
    single: bool,
}

impl Cadre {
    pub fn listed(row: cadre::Model) -> Self {
        Cadre { row, single: false }
    }

    pub fn single(row: cadre::Model) -> Self {
        Cadre { row, single: true }
    }

    /// An identifier in full for a clinician's or admin's view of one cadre; otherwise only
    /// its last four characters (Decree 13/2023 on personal data).
    fn identifier(&self, ctx: &Context<'_>, value: &Option<String>) -> AppResult<Option<String>> {
        let full = self.single && request(ctx)?.viewer.role.reads_clinical();
        Ok(value
            .as_ref()
            .map(|v| if full { v.clone() } else { mask(v) }))
    }
}

fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let keep = chars.len().saturating_sub(4);
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < keep { '*' } else { *c })
        .collect()
}

#[Object]
impl Cadre {
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }

    /// Full name as written, with diacritics (e.g. *Nguyễn Văn An*).
    async fn full_name(&self) -> &str {
        &self.row.full_name
    }

    /// Gender.
    async fn gender(&self) -> Gender {
        self.row.gender
    }

    /// Date of birth.
    async fn birth_date(&self) -> Date {
        Date(self.row.birth_date)
    }

    /// Post held (chức vụ).
    async fn position(&self) -> Option<&str> {
        self.row.position.as_deref()
    }

    /// Agency or unit where the cadre works or worked.
    async fn workplace(&self) -> Option<&str> {
        self.row.workplace.as_deref()
    }

    /// Serving (đương chức), retired (nguyên chức) or deceased.
    async fn status(&self) -> CadreStatus {
        self.row.status
    }

    /// Which committee manages the cadre.
    async fn management_tier(&self) -> ManagementTier {
        self.row.management_tier
    }

    /// National ID (CCCD, 12 digits). Masked to its last four digits except in a clinician's or
    /// admin's view of this single cadre.
    async fn national_id(&self, ctx: &Context<'_>) -> AppResult<Option<String>> {
        self.identifier(ctx, &self.row.national_id)
    }

    /// Health-insurance number, masked like `nationalId`.
    async fn insurance_number(&self, ctx: &Context<'_>) -> AppResult<Option<String>> {
        self.identifier(ctx, &self.row.insurance_number)
    }

    /// Row version, for optimistic concurrency on updates.
    async fn version(&self) -> i32 {
        self.row.version
    }

    /// The board that keeps this cadre's record.
    async fn board(&self, ctx: &Context<'_>) -> AppResult<Board> {
        Board::owning(ctx, &self.row.board_code).await
    }

    /// The most recent health exam, by date.
    #[graphql(guard = "Clinical")]
    async fn latest_exam(&self, ctx: &Context<'_>) -> AppResult<Option<HealthExam>> {
        let req = request(ctx)?;
        Ok(req
            .loader
            .load_one(LatestExamKey(self.row.id))
            .await?
            .map(HealthExam))
    }

    /// Health exams, newest first.
    #[graphql(
        guard = "Clinical",
        complexity = "crate::graphql::query::page_cost(first, last, child_complexity)"
    )]
    async fn exams(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the row the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the row the page ends before.")] before: Option<String>,
    ) -> AppResult<Option<Page<HealthExam>>> {
        let args = PageArgs::parse_both(ctx, first, after, last, before)?;
        self.history(
            ctx,
            health_exam::Column::CadreId,
            HealthExam::order(),
            args,
            HealthExam,
        )
        .await
        .map(Some)
    }

    /// Chronic conditions, most recently diagnosed first.
    #[graphql(
        guard = "Clinical",
        complexity = "crate::graphql::query::page_cost(first, last, child_complexity)"
    )]
    async fn conditions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the row the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the row the page ends before.")] before: Option<String>,
    ) -> AppResult<Option<Page<ChronicCondition>>> {
        let args = PageArgs::parse_both(ctx, first, after, last, before)?;
        let order = ChronicCondition::order();
        self.history(
            ctx,
            chronic_condition::Column::CadreId,
            order,
            args,
            ChronicCondition,
        )
        .await
        .map(Some)
    }

    /// Clinic visits, most recent first.
    #[graphql(
        guard = "Clinical",
        complexity = "crate::graphql::query::page_cost(first, last, child_complexity)"
    )]
    async fn visits(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the row the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the row the page ends before.")] before: Option<String>,
    ) -> AppResult<Option<Page<ClinicVisit>>> {
        let args = PageArgs::parse_both(ctx, first, after, last, before)?;
        self.history(
            ctx,
            clinic_visit::Column::CadreId,
            ClinicVisit::order(),
            args,
            ClinicVisit,
        )
        .await
        .map(Some)
    }

    /// Referrals to higher-level hospitals, most recent first.
    #[graphql(
        guard = "Clinical",
        complexity = "crate::graphql::query::page_cost(first, last, child_complexity)"
    )]
    async fn referrals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the row the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the row the page ends before.")] before: Option<String>,
    ) -> AppResult<Option<Page<Referral>>> {
        let args = PageArgs::parse_both(ctx, first, after, last, before)?;
        self.history(
            ctx,
            referral::Column::CadreId,
            Referral::order(),
            args,
            Referral,
        )
        .await
        .map(Some)
    }

    /// Expert-council consultations, most recent first.
    #[graphql(
        guard = "Clinical",
        complexity = "crate::graphql::query::page_cost(first, last, child_complexity)"
    )]
    async fn consultations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the row the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the row the page ends before.")] before: Option<String>,
    ) -> AppResult<Option<Page<Consultation>>> {
        let args = PageArgs::parse_both(ctx, first, after, last, before)?;
        let order = Consultation::order();
        self.history(
            ctx,
            consultation::Column::CadreId,
            order,
            args,
            Consultation,
        )
        .await
        .map(Some)
    }

    /// Vaccine doses, most recent first.
    #[graphql(
        guard = "Clinical",
        complexity = "crate::graphql::query::page_cost(first, last, child_complexity)"
    )]
    async fn vaccinations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the row the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the row the page ends before.")] before: Option<String>,
    ) -> AppResult<Option<Page<Vaccination>>> {
        let args = PageArgs::parse_both(ctx, first, after, last, before)?;
        let order = Vaccination::order();
        self.history(ctx, vaccination::Column::CadreId, order, args, Vaccination)
            .await
            .map(Some)
    }
}

impl Cadre {
    /// The cadre a visible record belongs to. A record in scope always has its cadre in scope,
    /// so a miss is a broken invariant.
    pub async fn of(ctx: &Context<'_>, id: Uuid) -> AppResult<Cadre> {
        let req = request(ctx)?;
        req.loader
            .load_one(CadreKey(id))
            .await?
            .map(Cadre::listed)
            .ok_or_else(|| {
                AppError::Internal(format!("cadre {id} of a visible record not visible"))
            })
    }

    /// One page of this cadre's records of kind `E`.
    async fn history<E, T>(
        &self,
        ctx: &Context<'_>,
        cadre_column: E::Column,
        order: Ordering<E>,
        args: PageArgs,
        node: impl Fn(E::Model) -> T,
    ) -> AppResult<Page<T>>
    where
        E: Tenant,
        E::Model: Sync,
        T: OutputType,
    {
        let req = request(ctx)?;
        let query = E::find().filter(cadre_column.eq(self.row.id));
        page::fetch(ctx, &req.db, query, &order, &args, node).await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks_all_but_the_last_four_characters() {
        assert_eq!(super::mask("040085001234"), "********1234");
        assert_eq!(super::mask("123"), "123");
    }
}
