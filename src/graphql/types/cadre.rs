use async_graphql::{Context, ID, Object, OutputType};
use uuid::Uuid;

use crate::db::entities::{
    cadre, chronic_condition, clinic_visit, consultation, health_exam, referral, vaccination,
};
use crate::domain::{CadreStatus, Gender, ManagementTier};
use crate::error::{AppError, AppResult};
use crate::graphql::loaders::{
    BoardKey, CadreKey, CampaignKey, History, HistoryCountKey, HistoryKey, LatestExamKey,
};
use crate::graphql::page::{self, Page, PageArgs};
use crate::graphql::scalars::Date;
use crate::graphql::{Clinical, request};

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
    /// its last four characters (Decree 13/2023 on personal data). Analysts get none of it
    /// (`FORBIDDEN`): a CCCD is province, gender and century, birth year and six digits, and
    /// they see the first three in the directory, so the last four would leave about a
    /// hundred candidates.
    fn identifier(&self, ctx: &Context<'_>, value: &Option<String>) -> AppResult<Option<String>> {
        if !request(ctx)?.viewer.role.reads_clinical() {
            return Err(AppError::Forbidden("read national ID or insurance numbers"));
        }
        Ok(value
            .as_ref()
            .map(|v| if self.single { v.clone() } else { mask(v) }))
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

/// The `#[Object]` impl of [`Cadre`]: its own fields, then one connection per kind of record
/// kept on the cadre (`name: entity => node type`), each paged through [`Cadre::history`].
/// One arm, so the `complexity` expression and the arguments it names share their hygiene.
macro_rules! cadre_object {
    ({ $($own:tt)* } $($(#[doc = $doc:tt])+ $name:ident: $entity:path => $node:ident;)+) => {
        #[Object]
        impl Cadre {
            $($own)*

            $(
                $(#[doc = $doc])+
                #[graphql(
                    guard = "Clinical",
                    complexity = "crate::graphql::page::cost(first, last, child_complexity)"
                )]
                async fn $name(
                    &self,
                    ctx: &Context<'_>,
                    #[graphql(desc = "Page size from the start, at most 100 (default 20).")]
                    first: Option<i32>,
                    #[graphql(desc = "Cursor of the row the page starts after.")]
                    after: Option<String>,
                    #[graphql(desc = "Page size from the end, at most 100.")]
                    last: Option<i32>,
                    #[graphql(desc = "Cursor of the row the page ends before.")]
                    before: Option<String>,
                ) -> AppResult<Option<Page<$node>>> {
                    let max = request(ctx)?.config.max_page_size;
                    let args = PageArgs::check(max, first, after, last, before)?;
                    self.history::<$entity, _>(ctx, args, $node).await.map(Some)
                }
            )+
        }
    };
}

cadre_object!(
    {
        /// The record\'s ID (a UUID v7), stable and never reused.
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
        /// admin's view of this single cadre; null with `FORBIDDEN` for analysts.
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

        /// Date of the most recent health exam; null if never examined. Open to analysts like the
        /// rest of the directory: when a cadre was examined is coverage, not clinical detail (the
        /// exam itself is `latestExam`).
        async fn last_exam_on(&self) -> Option<Date> {
            self.row.last_exam_on.map(Date)
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
    }
    /// Health exams, newest first.
    exams: health_exam::Entity => HealthExam;
    /// Chronic conditions, most recently diagnosed first.
    conditions: chronic_condition::Entity => ChronicCondition;
    /// Clinic visits, most recent first.
    visits: clinic_visit::Entity => ClinicVisit;
    /// Referrals to higher-level hospitals, most recent first.
    referrals: referral::Entity => Referral;
    /// Expert-council consultations, most recent first.
    consultations: consultation::Entity => Consultation;
    /// Vaccine doses, most recent first.
    vaccinations: vaccination::Entity => Vaccination;
);

impl Cadre {
    /// Loads, in one statement per field, what the selection `node` (a cadre's, in a list)
    /// will ask of each of `rows`: board, latest exam, and each nested history with its
    /// paging arguments. The rows' resolvers then find it in the request's loader cache, so a
    /// list's statement count does not depend on how the executor happens to interleave them
    /// with the loader's batching delay.
    pub async fn prefetch(
        ctx: &Context<'_>,
        node: async_graphql::Lookahead<'_>,
        rows: &[cadre::Model],
    ) -> AppResult<()> {
        let req = request(ctx)?;
        if rows.is_empty() {
            return Ok(());
        }
        let clinical = req.viewer.role.reads_clinical();
        let board = node.field("board");
        if board.exists() {
            let codes = rows.iter().map(|c| BoardKey(c.board_code.clone()));
            let boards = req.preload(codes).await?;
            if board.field("parent").exists() {
                let parents = boards.values().filter_map(|b| b.parent_code.clone());
                req.preload(parents.map(BoardKey)).await?;
            }
        }
        if !clinical {
            return Ok(());
        }
        let latest = node.field("latestExam");
        if latest.exists() {
            let exams = req
                .preload(rows.iter().map(|c| LatestExamKey(c.id)))
                .await?;
            // `campaignId` is shown only when the campaign is visible, so it loads it too.
            if latest.field("campaign").exists() || latest.field("campaignId").exists() {
                let campaigns = exams.values().filter_map(|e| e.campaign_id);
                req.preload(campaigns.map(CampaignKey)).await?;
            }
        }
        let max = req.config.max_page_size;
        let ids: Vec<Uuid> = rows.iter().map(|c| c.id).collect();
        prefetch_history::<health_exam::Entity>(req, node.field("exams"), &ids, max).await?;
        prefetch_history::<chronic_condition::Entity>(req, node.field("conditions"), &ids, max)
            .await?;
        prefetch_history::<clinic_visit::Entity>(req, node.field("visits"), &ids, max).await?;
        prefetch_history::<referral::Entity>(req, node.field("referrals"), &ids, max).await?;
        prefetch_history::<consultation::Entity>(req, node.field("consultations"), &ids, max)
            .await?;
        prefetch_history::<vaccination::Entity>(req, node.field("vaccinations"), &ids, max).await?;
        Ok(())
    }

    /// The cadre a visible record belongs to. A record in scope always has its cadre in scope,
    /// so a miss is a broken invariant.
    pub async fn of(ctx: &Context<'_>, id: &Uuid) -> AppResult<Cadre> {
        let req = request(ctx)?;
        req.loader
            .load_one(CadreKey(*id))
            .await?
            .map(Cadre::listed)
            .ok_or_else(|| {
                AppError::Internal(format!("cadre {id} of a visible record not visible"))
            })
    }

    /// One page of this cadre's records of kind `E`, through the per-request loaders: the
    /// cadres of a list ask together, and each kind is one statement for all of them (one
    /// more for `totalCount` when selected).
    async fn history<E, T>(
        &self,
        ctx: &Context<'_>,
        args: PageArgs,
        node: impl Fn(E::Model) -> T,
    ) -> AppResult<Page<T>>
    where
        E: History,
        E::Model: Clone + Send + Sync,
        T: OutputType,
    {
        let req = request(ctx)?;
        let key = HistoryKey::<E>::new(self.row.id, args.clone());
        let total = if page::wants_total(ctx) {
            req.loader
                .load_one(HistoryCountKey::<E>::new(self.row.id))
                .await?
                .unwrap_or(0)
        } else {
            0
        };
        let rows = req.loader.load_one(key).await?.unwrap_or_default();
        Ok(page::connection(
            rows,
            &args,
            total,
            &<E as crate::graphql::orders::Listed>::order(),
            node,
        ))
    }
}

/// Prefetches each selection of one nested history field (aliases may ask for different
/// pages). Arguments that do not parse are left for the field itself to report.
async fn prefetch_history<E>(
    req: &crate::graphql::RequestData,
    field: async_graphql::Lookahead<'_>,
    cadres: &[Uuid],
    max: u32,
) -> AppResult<()>
where
    E: History,
    E::Model: Clone + Send + Sync,
{
    for selection in field.selection_fields() {
        let Ok(arguments) = selection.arguments() else {
            continue;
        };
        let int = |name: &str| {
            arguments
                .iter()
                .find(|(n, _)| n.as_str() == name)
                .and_then(|(_, v)| match v {
                    async_graphql::Value::Number(n) => {
                        n.as_i64().and_then(|n| i32::try_from(n).ok())
                    }
                    _ => None,
                })
        };
        let text = |name: &str| {
            arguments
                .iter()
                .find(|(n, _)| n.as_str() == name)
                .and_then(|(_, v)| match v {
                    async_graphql::Value::String(s) => Some(s.clone()),
                    _ => None,
                })
        };
        let Ok(args) = PageArgs::check(
            max,
            int("first"),
            text("after"),
            int("last"),
            text("before"),
        ) else {
            continue;
        };
        let keys = cadres
            .iter()
            .map(|&c| HistoryKey::<E>::new(c, args.clone()));
        req.preload(keys).await?;
        let wants_total = selection.selection_set().any(|f| f.name() == "totalCount");
        if wants_total {
            let keys = cadres.iter().map(|&c| HistoryCountKey::<E>::new(c));
            req.preload(keys).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks_all_but_the_last_four_characters() {
        assert_eq!(super::mask("040085001234"), "********1234");
        assert_eq!(super::mask("123"), "123");
    }
}
