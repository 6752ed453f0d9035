use async_graphql::{Context, ID, InputObject, Object};
use sea_orm::sea_query::{Condition, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

use crate::db::entities::cadre;
use crate::domain::{CadreStatus, search_terms};
use crate::error::AppResult;
use crate::graphql::page::{self, Page, PageArgs};
use crate::graphql::types::{Cadre, parse_id};
use crate::graphql::{RequestData, request};
use crate::scope::Scope;

#[derive(Default)]
pub struct CadreQuery;

/// Which cadres to list. All conditions must hold.
#[derive(InputObject, Default)]
pub struct CadreFilter {
    /// Cadres of this board and every board under it. A board outside the viewer's scope
    /// matches nothing.
    pub board_code: Option<String>,
    pub status: Option<CadreStatus>,
    /// Words that each begin a word of the name, ignoring case and Vietnamese diacritics:
    /// `nguyen van an` and `ngu va` both find *Nguyễn Văn An*.
    pub search: Option<String>,
}

impl CadreFilter {
    fn apply(self, req: &RequestData, mut query: Select<cadre::Entity>) -> Select<cadre::Entity> {
        use cadre::Column;
        if let Some(code) = &self.board_code {
            // A board outside the viewer's scope (above it, beside it, or unknown) matches
            // nothing, exactly as if it did not exist. Inside, its subtree is the same tenant
            // condition a scope uses; `ScopedDb` still ANDs the viewer's own scope in.
            let subtree = req
                .boards
                .get(code)
                .filter(|b| {
                    req.viewer
                        .scope
                        .contains(b.province_code.as_deref(), b.district_code.as_deref())
                })
                .and_then(|b| Scope::of_board(b).ok());
            query = match subtree {
                Some(subtree) => query.filter(subtree.condition::<cadre::Entity>()),
                None => query.filter(Condition::any()),
            };
        }
        if let Some(status) = self.status {
            query = query.filter(Column::Status.eq(status));
        }
        for term in self.search.as_deref().map(search_terms).unwrap_or_default() {
            // Terms are folded to [a-z0-9], so they carry no LIKE wildcards.
            query = query.filter(
                Condition::any()
                    .add(Column::NameFolded.like(format!("{term}%")))
                    .add(Column::NameFolded.like(format!("% {term}%"))),
            );
        }
        query
    }
}

#[Object]
impl CadreQuery {
    /// A cadre by ID, or null when absent or outside the viewer's scope.
    async fn cadre(&self, ctx: &Context<'_>, id: ID) -> AppResult<Option<Cadre>> {
        let req = request(ctx)?;
        let id = parse_id("id", &id)?;
        Ok(req
            .db
            .one(cadre::Entity::find_by_id(id))
            .await?
            .map(Cadre::single))
    }

    /// The cadre directory in the viewer's scope, ordered by name.
    async fn cadres(
        &self,
        ctx: &Context<'_>,
        filter: Option<CadreFilter>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last cadre of the previous page.")] after: Option<String>,
    ) -> AppResult<Page<Cadre>> {
        use cadre::Column;
        let req = request(ctx)?;
        let args = PageArgs::parse(ctx, first, after)?;
        let mut query = filter.unwrap_or_default().apply(req, cadre::Entity::find());
        let total = if page::wants_total(ctx) {
            req.db.count(query.clone()).await?
        } else {
            0
        };
        if let Some([name, id]) = args.after_key::<2>()? {
            let id: uuid::Uuid = id.parse().map_err(|_| page::bad_cursor())?;
            query = query.filter(
                Condition::any()
                    .add(Column::NameFolded.gt(name.as_str()))
                    .add(Column::NameFolded.eq(name.as_str()).and(Column::Id.gt(id))),
            );
        }
        let rows = req
            .db
            .all(
                query
                    .order_by_asc(Column::NameFolded)
                    .order_by_asc(Column::Id)
                    .limit(args.first + 1),
            )
            .await?;
        Ok(page::connection(
            rows,
            &args,
            total,
            |c| page::encode_cursor(&[&c.name_folded, &c.id.to_string()]),
            Cadre::listed,
        ))
    }
}
