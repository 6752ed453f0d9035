use async_graphql::{Context, ID, Object};
use sea_orm::sea_query::{Condition, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::db::entities::{cadre, health_exam};
use crate::domain::{CadreStatus, Gender, ManagementTier};
use crate::error::{AppError, AppResult};
use crate::graphql::loaders::{BoardKey, LatestExamKey};
use crate::graphql::page::{self, Page, PageArgs};
use crate::graphql::scalars::Date;
use crate::graphql::{Clinical, request};

use super::{Board, HealthExam};

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

    async fn full_name(&self) -> &str {
        &self.row.full_name
    }

    async fn gender(&self) -> Gender {
        self.row.gender
    }

    async fn birth_date(&self) -> Date {
        Date(self.row.birth_date)
    }

    /// Post held (chức vụ).
    async fn position(&self) -> Option<&str> {
        self.row.position.as_deref()
    }

    async fn workplace(&self) -> Option<&str> {
        self.row.workplace.as_deref()
    }

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
        let req = request(ctx)?;
        let board = req
            .loader
            .load_one(BoardKey(self.row.board_code.clone()))
            .await?;
        // A cadre in scope always has its board in scope; anything else is a broken invariant.
        board.map(Board).ok_or_else(|| {
            AppError::Internal(format!("board of cadre {} not visible", self.row.id))
        })
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

    /// Health exams, newest first. Null, with a `FORBIDDEN` error, for roles that may not read
    /// clinical detail.
    #[graphql(guard = "Clinical")]
    async fn exams(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last exam of the previous page.")] after: Option<String>,
    ) -> AppResult<Option<Page<HealthExam>>> {
        use health_exam::Column;
        let req = request(ctx)?;
        let args = PageArgs::parse(ctx, first, after)?;
        let query = health_exam::Entity::find().filter(Column::CadreId.eq(self.row.id));
        let total = if page::wants_total(ctx) {
            req.db.count(query.clone()).await?
        } else {
            0
        };
        let mut query = query;
        if let Some([date, id]) = args.after_key::<2>()? {
            let (date, id) = (parse_date_key(&date)?, parse_uuid_key(&id)?);
            query = query.filter(
                Condition::any()
                    .add(Column::ExaminedOn.lt(date))
                    .add(Column::ExaminedOn.eq(date).and(Column::Id.lt(id))),
            );
        }
        let rows = req
            .db
            .all(
                query
                    .order_by_desc(Column::ExaminedOn)
                    .order_by_desc(Column::Id)
                    .limit(args.first + 1),
            )
            .await?;
        Ok(Some(page::connection(
            rows,
            &args,
            total,
            |e| page::encode_cursor(&[&e.examined_on.to_string(), &e.id.to_string()]),
            HealthExam,
        )))
    }
}

fn parse_date_key(s: &str) -> AppResult<chrono::NaiveDate> {
    s.parse().map_err(|_| page::bad_cursor())
}

fn parse_uuid_key(s: &str) -> AppResult<uuid::Uuid> {
    s.parse().map_err(|_| page::bad_cursor())
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks_all_but_the_last_four_characters() {
        assert_eq!(super::mask("040085001234"), "********1234");
        assert_eq!(super::mask("123"), "123");
    }
}
