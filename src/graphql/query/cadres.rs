use async_graphql::{Context, ID, InputObject, Object};
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select};

use crate::db::entities::cadre;
use crate::domain::{CadreStatus, search_terms};
use crate::error::AppResult;
use crate::graphql::page::{self, KeyKind, Ordering, Page, PageArgs, SortKey};
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
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the cadre the page starts after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the cadre the page ends before.")] before: Option<String>,
    ) -> AppResult<Page<Cadre>> {
        let req = request(ctx)?;
        let args = PageArgs::parse_both(ctx, first, after, last, before)?;
        let query = filter.unwrap_or_default().apply(req, cadre::Entity::find());
        page::fetch(ctx, &req.db, query, &name_order(), &args, Cadre::listed).await
    }
}

/// By folded name, then ID.
fn name_order() -> Ordering<cadre::Entity> {
    Ordering {
        keys: vec![
            SortKey {
                col: cadre::Column::NameFolded,
                kind: KeyKind::Text,
                descending: false,
            },
            SortKey {
                col: cadre::Column::Id,
                kind: KeyKind::Uuid,
                descending: false,
            },
        ],
        key_of: |c| vec![c.name_folded.clone(), c.id.to_string()],
    }
}
