//! Per-request DataLoaders: nested fields batch their lookups into one query per kind, run in
//! the request's scoped transaction (so they see exactly what the viewer may see).

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query};
use sea_orm::{
    ColumnTrait, Condition, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder, QueryTrait,
};
use uuid::Uuid;

use crate::db::entities::{board, cadre, clinic_visit, exam_campaign, health_exam, prescription};
use crate::error::AppError;
use crate::graphql::orders::Listed;
use crate::graphql::page::{self, PageArgs};
use crate::scope::{CadreRecord, ScopedDb};

/// Loads rows by key through the request's [`ScopedDb`].
pub struct ScopedLoader {
    pub db: Arc<ScopedDb>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BoardKey(pub String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CadreKey(pub Uuid);

/// The latest exam (by date, then ID) of a cadre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LatestExamKey(pub Uuid);

impl Loader<BoardKey> for ScopedLoader {
    type Value = board::Model;
    type Error = AppError;

    async fn load(&self, keys: &[BoardKey]) -> Result<HashMap<BoardKey, board::Model>, AppError> {
        let codes = keys.iter().map(|k| k.0.clone());
        let rows = self
            .db
            .all(board::Entity::find().filter(board::Column::Code.is_in(codes)))
            .await?;
        Ok(rows
            .into_iter()
            .map(|b| (BoardKey(b.code.clone()), b))
            .collect())
    }
}

impl Loader<LatestExamKey> for ScopedLoader {
    type Value = health_exam::Model;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[LatestExamKey],
    ) -> Result<HashMap<LatestExamKey, health_exam::Model>, AppError> {
        use health_exam::{Column, Entity};
        // "Each cadre's newest exam (date, then ID)" in the shape each planner serves well,
        // measured on the demo data for 50 cadres of one province (README, "Performance"):
        // - PostgreSQL: the exams of these cadres with no newer one, an anti-join on
        //   `health_exams_cadre_date` (2 ms). Joined on a per-cadre scalar subquery instead, it
        //   hash-joins a scan of the province's exams (24 ms).
        // - SQLite: driven by the cadres, one probe of `health_exams_cadre_date` each for the
        //   newest ID, then the primary key (1 ms, with or without planner statistics). Given
        //   the anti-join, it scans the province's exams through a tenant index (7-8 ms).
        let cadres = keys.iter().map(|k| k.0);
        let query = if self.db.backend().await? == DatabaseBackend::Postgres {
            Entity::find()
                .filter(Column::CadreId.is_in(cadres))
                .filter(Expr::not_exists(health_exam::later_exam_than(Entity)))
        } else {
            let e = Alias::new("e");
            let newest = Query::select()
                .column((e.clone(), Column::Id))
                .from_as(Entity, e.clone())
                .and_where(
                    Expr::col((e.clone(), Column::CadreId))
                        .equals((cadre::Entity, cadre::Column::Id)),
                )
                .order_by((e.clone(), Column::ExaminedOn), Order::Desc)
                .order_by((e, Column::Id), Order::Desc)
                .limit(1)
                .to_owned();
            let mut query = Entity::find().filter(cadre::Column::Id.is_in(cadres));
            QueryTrait::query(&mut query).join(
                JoinType::InnerJoin,
                cadre::Entity,
                Expr::col((Entity, Column::Id)).eq(Expr::from(newest)),
            );
            query
        };
        let rows = self.db.all(query).await?;
        Ok(rows
            .into_iter()
            .map(|e| (LatestExamKey(e.cadre_id), e))
            .collect())
    }
}

/// A clinic visit by ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VisitKey(pub Uuid);

/// The prescriptions of a clinic visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VisitPrescriptionsKey(pub Uuid);

/// An exam campaign by ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CampaignKey(pub Uuid);

impl Loader<VisitPrescriptionsKey> for ScopedLoader {
    type Value = Vec<prescription::Model>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[VisitPrescriptionsKey],
    ) -> Result<HashMap<VisitPrescriptionsKey, Self::Value>, AppError> {
        use prescription::Column;
        let ids = keys.iter().map(|k| k.0);
        let rows = self
            .db
            .all(
                prescription::Entity::find()
                    .filter(Column::VisitId.is_in(ids))
                    .order_by_asc(Column::VisitId)
                    .order_by_asc(Column::Id),
            )
            .await?;
        let mut out: HashMap<VisitPrescriptionsKey, Self::Value> = HashMap::new();
        for row in rows {
            out.entry(VisitPrescriptionsKey(row.visit_id))
                .or_default()
                .push(row);
        }
        Ok(out)
    }
}

/// The loaders of rows by ID (`Key(pub Uuid) => table`), in the viewer's scope.
macro_rules! by_id_loaders {
    ($($key:ident => $table:ident;)+) => {$(
        impl Loader<$key> for ScopedLoader {
            type Value = $table::Model;
            type Error = AppError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, AppError> {
                let ids = keys.iter().map(|k| k.0);
                let query = $table::Entity::find().filter($table::Column::Id.is_in(ids));
                let rows = self.db.all(query).await?;
                Ok(rows.into_iter().map(|r| ($key(r.id), r)).collect())
            }
        }
    )+};
}

by_id_loaders!(
    CadreKey => cadre;
    VisitKey => clinic_visit;
    CampaignKey => exam_campaign;
);

/// A kind of record kept on a cadre, listed newest first under `cadre { ... }`: every clinical
/// table of the registry (`scope::registry`), in its list order.
pub trait History: CadreRecord + Listed {}

impl<E: CadreRecord + Listed> History for E {}

/// One page (by `args`) of a cadre's records of kind `E`.
pub struct HistoryKey<E> {
    pub cadre: Uuid,
    pub args: PageArgs,
    kind: PhantomData<fn() -> E>,
}

impl<E> HistoryKey<E> {
    pub fn new(cadre: Uuid, args: PageArgs) -> Self {
        HistoryKey {
            cadre,
            args,
            kind: PhantomData,
        }
    }
}

impl<E> Clone for HistoryKey<E> {
    fn clone(&self) -> Self {
        HistoryKey::new(self.cadre, self.args.clone())
    }
}

impl<E> PartialEq for HistoryKey<E> {
    fn eq(&self, other: &Self) -> bool {
        self.cadre == other.cadre && self.args == other.args
    }
}

impl<E> Eq for HistoryKey<E> {}

impl<E> std::hash::Hash for HistoryKey<E> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.cadre.hash(state);
        self.args.hash(state);
    }
}

/// How many records of kind `E` a cadre has (a nested connection's `totalCount`).
pub struct HistoryCountKey<E> {
    pub cadre: Uuid,
    kind: PhantomData<fn() -> E>,
}

impl<E> HistoryCountKey<E> {
    pub fn new(cadre: Uuid) -> Self {
        HistoryCountKey {
            cadre,
            kind: PhantomData,
        }
    }
}

impl<E> Clone for HistoryCountKey<E> {
    fn clone(&self) -> Self {
        HistoryCountKey::new(self.cadre)
    }
}

impl<E> PartialEq for HistoryCountKey<E> {
    fn eq(&self, other: &Self) -> bool {
        self.cadre == other.cadre
    }
}

impl<E> Eq for HistoryCountKey<E> {}

impl<E> std::hash::Hash for HistoryCountKey<E> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.cadre.hash(state);
    }
}

/// The alias of the rows a ranking subquery counts.
const PRIOR: &str = "prior";

impl<E> Loader<HistoryKey<E>> for ScopedLoader
where
    E: History,
    E::Model: Clone + Send + Sync,
{
    type Value = Vec<E::Model>;
    type Error = AppError;

    /// Keys asking for the same page shape (the usual case: every cadre of a list asks for its
    /// first page) are answered by ONE statement: the rows of all those cadres that have fewer
    /// than `size + 1` rows of the same cadre before them in the order. The rank is a
    /// correlated count on the `(cadre_id, date, id)` index, portable to SQLite and
    /// PostgreSQL; a cadre has tens of records, not thousands.
    async fn load(
        &self,
        keys: &[HistoryKey<E>],
    ) -> Result<HashMap<HistoryKey<E>, Self::Value>, AppError> {
        let order = E::order();
        let table = E::default().table_name().to_owned();
        let mut groups: HashMap<&PageArgs, Vec<Uuid>> = HashMap::new();
        for key in keys {
            groups.entry(&key.args).or_default().push(key.cadre);
        }
        let mut out = HashMap::new();
        for (args, cadres) in groups {
            let mut query = E::find().filter(E::CADRE.is_in(cadres.iter().copied()));
            // With a cursor, only rows beyond it make the page, and only they compete for it.
            let mut competing = Condition::all();
            if let Some(parts) = &args.cursor {
                let bad = || page::bad_cursor_in(args.cursor_field());
                query = query.filter(order.beyond(parts, args.backward).ok_or_else(bad)?);
                competing = order
                    .beyond_in(Some(PRIOR), parts, args.backward)
                    .ok_or_else(bad)?;
            }
            // How many rows of the same cadre come before this one.
            let rank = Query::select()
                .expr(Expr::cust("COUNT(*)"))
                .from_as(E::default(), Alias::new(PRIOR))
                .and_where(
                    Expr::col((Alias::new(PRIOR), E::CADRE))
                        .equals((Alias::new(table.as_str()), E::CADRE)),
                )
                .cond_where(order.precedes(PRIOR, &table, args.backward))
                .cond_where(competing)
                .to_owned();
            query = query.filter(Expr::from(rank).lt(Expr::val(args.size as i64 + 1)));
            let rows = self.db.all(order.sorted(query, args.backward)).await?;
            let mut by_cadre: HashMap<Uuid, Vec<E::Model>> = HashMap::new();
            for row in rows {
                by_cadre.entry(E::cadre_id(&row)).or_default().push(row);
            }
            for cadre in cadres {
                let rows = by_cadre.remove(&cadre).unwrap_or_default();
                out.insert(HistoryKey::new(cadre, args.clone()), rows);
            }
        }
        Ok(out)
    }
}

impl<E> Loader<HistoryCountKey<E>> for ScopedLoader
where
    E: History,
    E::Model: Sync,
{
    type Value = u64;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[HistoryCountKey<E>],
    ) -> Result<HashMap<HistoryCountKey<E>, u64>, AppError> {
        let cadres = keys.iter().map(|k| k.cadre);
        let counts = self
            .db
            .count_by(E::find().filter(E::CADRE.is_in(cadres)), E::CADRE)
            .await?;
        let mut out: HashMap<_, _> = keys.iter().map(|k| (k.clone(), 0)).collect();
        for (cadre, n) in counts {
            out.insert(HistoryCountKey::new(cadre), u64::try_from(n).unwrap_or(0));
        }
        Ok(out)
    }
}
