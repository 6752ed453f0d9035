//! The GraphQL API: schema builder, request context and the root split by domain.

pub mod loaders;
mod mutation;
pub mod page;
mod query;
pub mod scalars;
mod types;

use std::sync::Arc;

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, EmptySubscription, Guard, Schema};

use crate::auth::Viewer;
use crate::boards::BoardTree;
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::scope::ScopedDb;
use loaders::ScopedLoader;

pub use mutation::Mutation;
pub use query::Query;

pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// Builds the schema. Per-request data (viewer, scoped database, loaders) is attached by the
/// HTTP handler as [`RequestData`].
pub fn build_schema() -> AppSchema {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription).finish()
}

/// What a request carries into resolvers.
pub struct RequestData {
    pub viewer: Viewer,
    /// The request's transaction, cut to the viewer's scope.
    pub db: Arc<ScopedDb>,
    pub loader: DataLoader<ScopedLoader>,
    /// The whole board tree, for resolving codes in filters (never returned as such).
    pub boards: Arc<BoardTree>,
    pub config: Arc<Config>,
}

impl RequestData {
    pub fn new(
        viewer: Viewer,
        db: Arc<ScopedDb>,
        boards: Arc<BoardTree>,
        config: Arc<Config>,
    ) -> Self {
        let loader = DataLoader::new(ScopedLoader { db: db.clone() }, tokio::spawn);
        RequestData {
            viewer,
            db,
            loader,
            boards,
            config,
        }
    }
}

/// The request's viewer, scoped database and loaders: the first line of every resolver.
pub fn request<'a>(ctx: &Context<'a>) -> AppResult<&'a RequestData> {
    ctx.data::<Arc<RequestData>>()
        .map(Arc::as_ref)
        .map_err(|_| AppError::Internal("request data missing".into()))
}

/// Admits only roles that may read clinical detail; others get `FORBIDDEN` on the field, and
/// the rest of the response still comes back.
pub struct Clinical;

impl Guard for Clinical {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        Ok(request(ctx)?.viewer.require_clinical()?)
    }
}

/// Admits only admins (audit events, campaigns' management, the board tree).
pub struct Admin;

impl Guard for Admin {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        Ok(request(ctx)?.viewer.require_admin()?)
    }
}
