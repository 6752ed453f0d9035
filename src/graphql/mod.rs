//! The GraphQL API: schema builder, request context and the root split by domain.

pub mod input_bounds;
pub mod limits;
pub mod loaders;
mod mutation;
pub mod orders;
pub mod page;
mod query;
pub mod scalars;
mod subscription;
mod types;

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use async_graphql::{Context, Guard, Schema};

use crate::auth::Viewer;
use crate::boards::BoardTree;
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::scope::ScopedDb;
use loaders::ScopedLoader;

pub use mutation::Mutation;
pub use query::Query;
pub use subscription::{CoverageChange, Live, Subscription};

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// The schema as exported (`cadre-health schema`): every type, no limits. Serving uses
/// [`serving_schema`].
pub fn build_schema() -> AppSchema {
    Schema::build(Query::default(), Mutation::default(), Subscription).finish()
}

/// The schema the server runs, with the configured limits and introspection setting.
/// Per-request data (viewer, scoped database, loaders) is attached by the HTTP handler as
/// [`RequestData`].
pub fn serving_schema(config: &Config) -> AppSchema {
    let mut builder = Schema::build(Query::default(), Mutation::default(), Subscription)
        .limit_complexity(config.max_complexity)
        .extension(input_bounds::InputBounds)
        .extension(limits::Limits::of(config));
    if !config.introspection {
        builder = builder.disable_introspection();
    }
    builder.finish()
}

/// What a request carries into resolvers.
pub struct RequestData {
    pub viewer: Viewer,
    /// The request's transaction, cut to the viewer's scope.
    pub db: Arc<ScopedDb>,
    /// Batches nested lookups, and remembers what this request has loaded, so a list's
    /// resolver can prefetch what its rows' fields will ask for (see `Cadre::prefetch`).
    pub loader: DataLoader<ScopedLoader, HashMapCache>,
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
        let loader = DataLoader::with_cache(
            ScopedLoader { db: db.clone() },
            tokio::spawn,
            HashMapCache::default(),
        );
        RequestData {
            viewer,
            db,
            loader,
            boards,
            config,
        }
    }

    /// Loads `keys` now, in one statement, and puts what was found into the request's loader
    /// cache for the fields that will ask for it. `loader.load_many` would first wait out the
    /// loader's batching delay (a timer tick, per call); a prefetch already holds every key
    /// that delay would have gathered.
    pub async fn preload<K>(
        &self,
        keys: impl IntoIterator<Item = K>,
    ) -> AppResult<HashMap<K, <ScopedLoader as Loader<K>>::Value>>
    where
        K: Send + Sync + Hash + Eq + Clone + 'static,
        ScopedLoader: Loader<K, Error = AppError>,
    {
        let keys: Vec<K> = keys
            .into_iter()
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let found = self.loader.loader().load(&keys).await?;
        self.loader.feed_many(found.clone()).await;
        Ok(found)
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

/// Admits every role: records that are not clinical detail (exam campaigns), which analysts
/// read too.
pub struct AnyRole;

impl Guard for AnyRole {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        request(ctx)?;
        Ok(())
    }
}

/// Admits only admins (audit events, campaigns' management, the board tree).
pub struct Admin;

impl Guard for Admin {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        Ok(request(ctx)?.viewer.require_admin()?)
    }
}
