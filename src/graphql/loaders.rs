//! Per-request DataLoaders: nested fields batch their lookups into one query per kind, run in
//! the request's scoped transaction (so they see exactly what the viewer may see).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::db::entities::{board, cadre, clinic_visit, exam_campaign, health_exam, prescription};
use crate::error::AppError;
use crate::scope::ScopedDb;

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

impl Loader<CadreKey> for ScopedLoader {
    type Value = cadre::Model;
    type Error = AppError;

    async fn load(&self, keys: &[CadreKey]) -> Result<HashMap<CadreKey, cadre::Model>, AppError> {
        let ids = keys.iter().map(|k| k.0);
        let rows = self
            .db
            .all(cadre::Entity::find().filter(cadre::Column::Id.is_in(ids)))
            .await?;
        Ok(rows.into_iter().map(|c| (CadreKey(c.id), c)).collect())
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
        // An exam is the latest when no exam of the same cadre is later (date, then ID). One
        // statement for the whole batch, portable to SQLite and PostgreSQL.
        let newer = Alias::new("newer");
        let later_exam = Query::select()
            .expr(Expr::val(1))
            .from_as(Entity, newer.clone())
            .and_where(
                Expr::col((newer.clone(), Column::CadreId)).equals((Entity, Column::CadreId)),
            )
            .and_where(
                Expr::col((newer.clone(), Column::ExaminedOn))
                    .gt(Expr::col((Entity, Column::ExaminedOn)))
                    .or(Expr::col((newer.clone(), Column::ExaminedOn))
                        .eq(Expr::col((Entity, Column::ExaminedOn)))
                        .and(Expr::col((newer, Column::Id)).gt(Expr::col((Entity, Column::Id))))),
            )
            .to_owned();
        let ids = keys.iter().map(|k| k.0);
        let rows = self
            .db
            .all(
                Entity::find()
                    .filter(Column::CadreId.is_in(ids))
                    .filter(Expr::not_exists(later_exam)),
            )
            .await?;
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

impl Loader<VisitKey> for ScopedLoader {
    type Value = clinic_visit::Model;
    type Error = AppError;

    async fn load(&self, keys: &[VisitKey]) -> Result<HashMap<VisitKey, Self::Value>, AppError> {
        let ids = keys.iter().map(|k| k.0);
        let rows = self
            .db
            .all(clinic_visit::Entity::find().filter(clinic_visit::Column::Id.is_in(ids)))
            .await?;
        Ok(rows.into_iter().map(|r| (VisitKey(r.id), r)).collect())
    }
}

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

impl Loader<CampaignKey> for ScopedLoader {
    type Value = exam_campaign::Model;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[CampaignKey],
    ) -> Result<HashMap<CampaignKey, Self::Value>, AppError> {
        let ids = keys.iter().map(|k| k.0);
        let rows = self
            .db
            .all(exam_campaign::Entity::find().filter(exam_campaign::Column::Id.is_in(ids)))
            .await?;
        Ok(rows.into_iter().map(|r| (CampaignKey(r.id), r)).collect())
    }
}
