//! The query root, merged from one object per domain.

mod audit;
mod boards;
mod cadres;
mod exams;
mod records;
mod statistics;

use async_graphql::{Context, Enum, ID, MergedObject, Object};
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, EntityTrait, PrimaryKeyTrait, QueryFilter, QueryTrait, Select};
use uuid::Uuid;

use crate::error::AppResult;
use crate::graphql::page::Page;
use crate::graphql::scalars::Date;
use crate::graphql::types::{ViewerInfo, parse_id};
use crate::graphql::{RequestData, request};
use crate::scope::Tenant;

#[derive(MergedObject, Default)]
pub struct Query(
    ViewerQuery,
    boards::BoardQuery,
    cadres::CadreQuery,
    exams::ExamQuery,
    exams::CampaignQuery,
    records::RecordQuery,
    audit::AuditQuery,
    statistics::StatisticsQuery,
);

#[derive(Default)]
pub struct ViewerQuery;

#[Object]
impl ViewerQuery {
    /// Who is asking: subject, role and board, from the bearer token.
    async fn viewer(&self, ctx: &Context<'_>) -> AppResult<ViewerInfo> {
        request(ctx)?;
        Ok(ViewerInfo)
    }
}

/// Ascending or descending.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortDirection {
    #[default]
    Asc,
    Desc,
}

/// The row of `E` whose ID is the `id` argument, or `None` when it is absent or outside the
/// viewer's scope (the two look alike); an `id` that is no UUID is bad input.
pub(crate) async fn by_id<E>(ctx: &Context<'_>, id: &ID) -> AppResult<Option<E::Model>>
where
    E: Tenant,
    E::PrimaryKey: PrimaryKeyTrait<ValueType = Uuid>,
{
    let id = parse_id("id", id)?;
    request(ctx)?.db.one(E::find_by_id(id)).await
}

/// Rows of `E` in the subtree of board `code`, when it is in the viewer's scope; nothing
/// otherwise (see `BoardTree::subtree`).
pub(crate) fn board_subtree<E: Tenant>(req: &RequestData, code: &str) -> Condition {
    req.boards
        .subtree::<E>(&req.viewer.scope, code, req.viewer.today)
}

pub(crate) use crate::boards::nothing;

/// A list's `filter` argument: the conditions it adds to the list's query (the scope is added
/// by `ScopedDb`, never here).
pub(crate) trait ListFilter<E: EntityTrait>: Default {
    /// Its `boardCode`: rows of that board and every board under it (see [`board_subtree`]).
    fn board_code(&self) -> Option<&str> {
        None
    }

    /// `query` narrowed by the filter's other conditions.
    async fn narrow(self, req: &RequestData, query: Select<E>) -> AppResult<Select<E>>;
}

/// `query` narrowed by `filter` (none: every row): its `boardCode`, then its other conditions.
pub(crate) async fn filtered<E: Tenant, F: ListFilter<E>>(
    req: &RequestData,
    filter: Option<F>,
    query: Select<E>,
) -> AppResult<Select<E>> {
    let filter = filter.unwrap_or_default();
    let query = match filter.board_code() {
        Some(code) => query.filter(board_subtree::<E>(req, code)),
        None => query,
    };
    filter.narrow(req, query).await
}

/// `query` cut to the rows whose date column `col` falls from day `from` to day `to`, both
/// inclusive; either end may be open.
pub(crate) fn on_days<E: EntityTrait>(
    query: Select<E>,
    col: E::Column,
    from: Option<Date>,
    to: Option<Date>,
) -> Select<E> {
    query
        .apply_if(from, |q, from| q.filter(col.gte(from.0)))
        .apply_if(to, |q, to| q.filter(col.lte(to.0)))
}

/// A list a guard may refuse: null, with the refusal as the field's error.
pub(crate) type Guarded<T> = Option<Page<T>>;

/// The `#[Object]` impl of a root query over tenant records: for each kind of record, in the
/// order given, a lookup by ID (`one`) and a list in the viewer's scope in its
/// [`Listed`](crate::graphql::orders::Listed) order (`many`), with an optional `filter`
/// argument of the given [`ListFilter`] type. The object's guard admits the viewer to every
/// field; its lists are `Page`s, or [`Guarded`] where the guard may refuse them, and describe
/// their cursor arguments alike. One arm, so the `complexity` expression and the arguments it
/// names share their hygiene.
macro_rules! scoped_queries {
    ($query:ident: $page:ident, guard $guard:tt, cursors($after_doc:tt, $before_doc:tt); $(
        $(#[doc = $one_doc:tt])+
        $one:ident,
        $(#[doc = $many_doc:tt])+
        $many:ident$(($filter:ty, $filter_doc:tt))?: $entity:ident => $node:ident;
    )+) => {
        #[async_graphql::Object]
        impl $query {
            $(
                $(#[doc = $one_doc])+
                #[graphql(guard = $guard)]
                async fn $one(
                    &self,
                    ctx: &async_graphql::Context<'_>,
                    #[graphql(desc = "The record\'s ID.")] id: async_graphql::ID,
                ) -> crate::error::AppResult<Option<$node>> {
                    let row = crate::graphql::query::by_id::<$entity::Entity>(ctx, &id).await?;
                    Ok(row.map($node))
                }

                $(#[doc = $many_doc])+
                #[graphql(
                    guard = $guard,
                    complexity = "crate::graphql::page::cost(first, last, child_complexity)"
                )]
                async fn $many(
                    &self,
                    ctx: &async_graphql::Context<'_>,
                    $(#[graphql(desc = $filter_doc)] filter: Option<$filter>,)?
                    #[graphql(desc = "Page size from the start, at most 100 (default 20).")]
                    first: Option<i32>,
                    #[graphql(desc = $after_doc)]
                    after: Option<String>,
                    #[graphql(desc = "Page size from the end, at most 100.")]
                    last: Option<i32>,
                    #[graphql(desc = $before_doc)]
                    before: Option<String>,
                ) -> crate::error::AppResult<$page<$node>> {
                    use crate::graphql::orders::Listed;
                    let req = crate::graphql::request(ctx)?;
                    let max = req.config.max_page_size;
                    let args = crate::graphql::page::PageArgs::check(max, first, after, last, before)?;
                    let query = <$entity::Entity as sea_orm::EntityTrait>::find();
                    $(
                        let query = crate::graphql::query::filtered::<_, $filter>(req, filter, query)
                            .await?;
                    )?
                    let order = $entity::Entity::order();
                    crate::graphql::page::fetch(ctx, &req.db, query, &order, &args, $node)
                        .await
                        .map(Into::into)
                }
            )+
        }
    };
}

pub(crate) use scoped_queries;
