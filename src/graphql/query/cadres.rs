//! The cadre directory: by ID, and as a filtered, ordered, searchable connection.

use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, EntityTrait};

use crate::db::entities::{cadre, chronic_condition, exam_campaign, health_exam};
use crate::domain::calendar::{EARLIEST_FILTER_YEAR, LATEST_FILTER_YEAR};
use crate::domain::valid::Icd10Prefix;
use crate::domain::{CadreClass, CadreStatus, Gender, GeneralClass, ManagementTier, search_terms};
use crate::error::{AppError, AppResult};
use crate::graphql::page::{self, KeyKind, Ordering, Page, PageArgs};
use crate::graphql::types::{Cadre, parse_id};
use crate::graphql::{RequestData, request};
use crate::scope::Selection;

use super::{SortDirection, board_subtree, nothing};

#[derive(Default)]
pub struct CadreQuery;

/// Which cadres to list. All given conditions must hold.
#[derive(InputObject, Default)]
pub struct CadreFilter {
    /// Cadres of this board and every board under it. A board outside the viewer's scope
    /// matches nothing.
    pub board_code: Option<String>,
    /// Serving, retired or deceased.
    pub status: Option<CadreStatus>,
    /// Which committee manages them.
    pub management_tier: Option<ManagementTier>,
    /// Male or female.
    pub gender: Option<Gender>,
    /// Born in this year or later.
    pub born_from_year: Option<i32>,
    /// Born in this year or earlier.
    pub born_to_year: Option<i32>,
    /// Cadre health class (A–D) of their latest exam is one of these.
    pub latest_cadre_class: Option<Vec<CadreClass>>,
    /// General health class (I–V) of their latest exam is one of these.
    pub latest_general_class: Option<Vec<GeneralClass>>,
    /// Has an active chronic condition whose ICD-10 code starts with this prefix: `I10`
    /// (hypertension) or `I` (any circulatory disease).
    pub active_condition: Option<String>,
    /// Due in this exam campaign: in its board's subtree and its cohort, alive, and not yet
    /// examined in it. A campaign outside the viewer's scope matches nothing.
    pub due_in_campaign: Option<ID>,
    /// Words that each begin a word of the name, ignoring case and Vietnamese diacritics:
    /// `nguyen van an` and `ngu va` both find *Nguyễn Văn An*. At most 200 characters and 8
    /// words.
    pub search: Option<String>,
}

/// The fields the cadre directory sorts on. Ties are broken by ID, so the order is stable.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum CadreOrderField {
    /// Name, compared case- and diacritic-insensitively.
    #[default]
    Name,
    /// Date of birth.
    BirthDate,
    /// Date of the latest health exam. Cadres never examined count as examined longest ago:
    /// first ascending (who is most overdue), last descending.
    LastExamDate,
}

/// How to sort the cadre directory.
#[derive(InputObject, Default)]
pub struct CadreOrder {
    /// What to sort on (default: name).
    #[graphql(default)]
    pub field: CadreOrderField,
    /// Ascending or descending (default: ascending).
    #[graphql(default)]
    pub direction: SortDirection,
}

impl CadreFilter {
    /// Selecting cadres by clinical detail is a clinical read (which named cadres have
    /// hypertension, or a class D exam). Roles that may not read clinical detail are refused
    /// before any SQL, with no rows and no `totalCount`; the refusal names the first such
    /// condition given. For the other roles `apply` marks the selection, so that `ScopedDb`
    /// audits every cadre it returns.
    fn check_role(&self, req: &RequestData) -> AppResult<()> {
        let clinical = [
            (
                self.latest_cadre_class.is_some(),
                "select cadres by clinical detail (filter.latestCadreClass)",
            ),
            (
                self.latest_general_class.is_some(),
                "select cadres by clinical detail (filter.latestGeneralClass)",
            ),
            (
                self.active_condition.is_some(),
                "select cadres by clinical detail (filter.activeCondition)",
            ),
        ];
        match clinical.into_iter().find(|(given, _)| *given) {
            Some((_, refusal)) if !req.viewer.role.reads_clinical() => {
                Err(AppError::Forbidden(refusal))
            }
            _ => Ok(()),
        }
    }

    async fn apply(
        self,
        req: &RequestData,
        mut query: Selection<cadre::Entity>,
    ) -> AppResult<Selection<cadre::Entity>> {
        use cadre::Column;
        self.check_role(req)?;
        // Before anything is read or built: each word is a condition of its own.
        let search = match self.search.as_deref().map(search_terms).transpose() {
            Ok(terms) => terms.unwrap_or_default(),
            Err(message) => return Err(AppError::bad_input("search", message)),
        };
        if let Some(code) = &self.board_code {
            query = query.filter(board_subtree::<cadre::Entity>(req, code));
        }
        if let Some(status) = self.status {
            query = query.filter(Column::Status.eq(status));
        }
        if let Some(tier) = self.management_tier {
            query = query.filter(Column::ManagementTier.eq(tier));
        }
        if let Some(gender) = self.gender {
            query = query.filter(Column::Gender.eq(gender));
        }
        if let Some(year) = self.born_from_year {
            query = query.filter(Column::BirthDate.gte(year_day("bornFromYear", year, 1, 1)?));
        }
        if let Some(year) = self.born_to_year {
            query = query.filter(Column::BirthDate.lte(year_day("bornToYear", year, 12, 31)?));
        }
        if let Some(classes) = self.latest_cadre_class {
            let classes = classes.into_iter().map(|c| c.as_str());
            let cond = Expr::col((LATEST, health_exam::Column::CadreClass)).is_in(classes);
            query = query.filter_by_clinical_detail(Expr::exists(latest_exam_where(cond)));
        }
        if let Some(classes) = self.latest_general_class {
            let classes = classes.into_iter().map(|c| c.as_str());
            let cond = Expr::col((LATEST, health_exam::Column::GeneralClass)).is_in(classes);
            query = query.filter_by_clinical_detail(Expr::exists(latest_exam_where(cond)));
        }
        if let Some(prefix) = &self.active_condition {
            query = query.filter_by_clinical_detail(Expr::exists(active_condition(prefix)?));
        }
        if let Some(id) = &self.due_in_campaign {
            let id = parse_id("dueInCampaign", id)?;
            query = match req.db.one(exam_campaign::Entity::find_by_id(id)).await? {
                Some(campaign) => due_in(req, query, &campaign),
                None => query.filter(nothing()),
            };
        }
        for term in search {
            // Terms are folded to [a-z0-9], so they carry no LIKE wildcards.
            query = query.filter(
                Condition::any()
                    .add(Column::NameFolded.like(format!("{term}%")))
                    .add(Column::NameFolded.like(format!("% {term}%"))),
            );
        }
        Ok(query)
    }
}

fn year_day(field: &str, year: i32, month: u32, day: u32) -> AppResult<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
        .filter(|_| (EARLIEST_FILTER_YEAR..=LATEST_FILTER_YEAR).contains(&year))
        .ok_or_else(|| AppError::bad_input(field, format!("{field} is not a plausible year")))
}

// The subqueries below read a cadre's own records, correlated on `cadres.id`. They need no
// tenant condition of their own: a cadre's records carry the cadre's tenant keys, the outer
// query is cut to the scope by `ScopedDb`, and on PostgreSQL row-level security applies to
// every table a statement reads.

const LATEST: &str = "latest";

/// `SELECT 1 FROM health_exams latest WHERE latest.cadre_id = cadres.id AND <cond> AND no exam
/// of the cadre is later` (by date, then ID; served by `health_exams_cadre_date`).
fn latest_exam_where(cond: sea_orm::sea_query::SimpleExpr) -> SelectStatement {
    use health_exam::Column as E;
    let latest = Alias::new(LATEST);
    Query::select()
        .expr(Expr::val(1))
        .from_as(health_exam::Entity, latest.clone())
        .and_where(
            Expr::col((latest.clone(), E::CadreId)).equals((cadre::Entity, cadre::Column::Id)),
        )
        .and_where(cond)
        .and_where(Expr::not_exists(health_exam::later_exam_than(latest)))
        .to_owned()
}

/// `SELECT 1 FROM chronic_conditions WHERE cadre_id = cadres.id AND active AND icd LIKE p%`.
fn active_condition(prefix: &str) -> AppResult<SelectStatement> {
    use chronic_condition::Column as C;
    let prefix = Icd10Prefix::parse(prefix).map_err(|_| {
        AppError::bad_input(
            "activeCondition",
            "activeCondition must be an ICD-10 code or prefix such as I10, I1 or E11.9",
        )
    })?;
    Ok(Query::select()
        .expr(Expr::val(1))
        .from(chronic_condition::Entity)
        .and_where(
            Expr::col((chronic_condition::Entity, C::CadreId))
                .equals((cadre::Entity, cadre::Column::Id)),
        )
        .and_where(Expr::col((chronic_condition::Entity, C::ResolvedOn)).is_null())
        .and_where(Expr::col((chronic_condition::Entity, C::IcdCode)).like(prefix.like_pattern()))
        .to_owned())
}

/// Cadres due in `campaign`: in its board's subtree and cohort, not deceased, and without an
/// exam in it.
fn due_in(
    req: &RequestData,
    query: Selection<cadre::Entity>,
    campaign: &exam_campaign::Model,
) -> Selection<cadre::Entity> {
    use cadre::Column;
    let examined = Query::select()
        .expr(Expr::val(1))
        .from(health_exam::Entity)
        .and_where(
            Expr::col((health_exam::Entity, health_exam::Column::CadreId))
                .equals((cadre::Entity, Column::Id)),
        )
        .and_where(
            Expr::col((health_exam::Entity, health_exam::Column::CampaignId)).eq(campaign.id),
        )
        .to_owned();
    query
        .filter(board_subtree::<cadre::Entity>(req, &campaign.board_code))
        .filter(Column::Status.is_in(campaign.cohort.statuses()))
        .filter(Expr::not_exists(examined))
}

fn order(by: &CadreOrder) -> Ordering<cadre::Entity> {
    let descending = by.direction == SortDirection::Desc;
    let (col, kind, key_of): (_, _, fn(&cadre::Model) -> Vec<String>) = match by.field {
        CadreOrderField::Name => (cadre::Column::NameFolded, KeyKind::Text, |c| {
            vec![c.name_folded.clone(), c.id.to_string()]
        }),
        CadreOrderField::BirthDate => (cadre::Column::BirthDate, KeyKind::Date, |c| {
            vec![c.birth_date.to_string(), c.id.to_string()]
        }),
        CadreOrderField::LastExamDate => (cadre::Column::LastExamOn, KeyKind::NullableDate, |c| {
            vec![page::nullable_date_key(c.last_exam_on), c.id.to_string()]
        }),
    };
    Ordering::then_id(col, kind, cadre::Column::Id, descending, key_of)
}

#[Object]
impl CadreQuery {
    /// A cadre by ID, or null when absent or outside the viewer's scope.
    async fn cadre(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record\'s ID.")] id: ID,
    ) -> AppResult<Option<Cadre>> {
        Ok(super::by_id::<cadre::Entity>(ctx, &id)
            .await?
            .map(Cadre::single))
    }

    /// The cadre directory in the viewer's scope, by name unless `orderBy` says otherwise.
    /// Selecting by clinical detail (`latestCadreClass`, `latestGeneralClass`,
    /// `activeCondition`) is a clinical read: null with `FORBIDDEN` for analysts, and audited
    /// (one `readClinical` event per cadre returned or counted) for everyone else.
    #[graphql(complexity = "crate::graphql::page::cost(first, last, child_complexity)")]
    async fn cadres(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which cadres; all given conditions must hold.")] filter: Option<
            CadreFilter,
        >,
        #[graphql(desc = "Sort order (default: by name, ascending).")] order_by: Option<CadreOrder>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the cadre the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the cadre the page ends before.")] before: Option<String>,
    ) -> AppResult<Option<Page<Cadre>>> {
        let req = request(ctx)?;
        let args = PageArgs::check(req.config.max_page_size, first, after, last, before)?;
        let selection = filter
            .unwrap_or_default()
            .apply(req, Selection::new(cadre::Entity::find()))
            .await?;
        let order = order(&order_by.unwrap_or_default());
        let total = if page::wants_total(ctx) {
            req.db.count_selection(&selection).await?
        } else {
            0
        };
        let page_query = selection.paged(|q| order.page_query(q, &args))?;
        let rows = req.db.page(page_query, args.size).await?;
        let node = ctx.look_ahead().field("edges").field("node");
        // The extra row fetched to tell whether there is a next page is not shown.
        let shown = &rows[..rows.len().min(args.size as usize)];
        Cadre::prefetch(ctx, node, shown).await?;
        Ok(Some(page::connection(
            rows,
            &args,
            total,
            &order,
            Cadre::listed,
        )))
    }
}
