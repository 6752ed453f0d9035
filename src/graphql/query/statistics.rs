use async_graphql::{Context, Object};

use crate::error::AppResult;
use crate::graphql::request;
use crate::graphql::types::{Statistics, StatisticsTree};
use crate::stats::Subject;

#[derive(Default)]
pub struct StatisticsQuery;

#[Object]
impl StatisticsQuery {
    /// Dashboard statistics for a board (the viewer's own by default), cut to the viewer's
    /// scope. Every role may read them. A board above the viewer's (their province, or `TW`)
    /// answers with the viewer's own board, the only part of it they may see; a board outside
    /// the scope answers `NOT_FOUND`, exactly like a code that does not exist.
    ///
    /// After a reorganisation of the tree, `tree` says whose boards `byBoard` lists: today's
    /// (the default) or those in force in the period each figure is asked for.
    async fn statistics(
        &self,
        ctx: &Context<'_>,
        board_code: Option<String>,
        #[graphql(default)] tree: StatisticsTree,
    ) -> AppResult<Statistics> {
        let req = request(ctx)?;
        let code = board_code.as_deref();
        let subject = Subject::resolve(&req.viewer, &req.boards, code, req.viewer.today)?;
        Ok(Statistics {
            subject,
            code: board_code,
            tree,
        })
    }
}
