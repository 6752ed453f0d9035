use async_graphql::{Context, ID, Object};
use sea_orm::EntityTrait;

use crate::db::entities::health_exam;
use crate::error::AppResult;
use crate::graphql::types::{HealthExam, parse_id};
use crate::graphql::{Clinical, request};

#[derive(Default)]
pub struct ExamQuery;

#[Object]
impl ExamQuery {
    /// A health exam by ID, or null when absent or outside the viewer's scope.
    #[graphql(guard = "Clinical")]
    async fn health_exam(&self, ctx: &Context<'_>, id: ID) -> AppResult<Option<HealthExam>> {
        let req = request(ctx)?;
        let id = parse_id("id", &id)?;
        Ok(req
            .db
            .one(health_exam::Entity::find_by_id(id))
            .await?
            .map(HealthExam))
    }
}
