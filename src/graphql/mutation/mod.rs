//! The mutation root, merged from one object per domain: one verb per real action.
//!
//! Every mutation follows the same steps, in this order:
//! 1. a visible role check (analysts write nothing: `FORBIDDEN`);
//! 2. the whole input parsed into valid values, every violation reported at once
//!    (`BAD_USER_INPUT`, `extensions.field` and `extensions.violations`);
//! 3. the rows it touches loaded through the scoped database: absent or outside the scope is
//!    `NOT_FOUND`; a stale `version` is `CONFLICT`;
//! 4. the write, through `ScopedDb::insert`/`update`, which take the tenant keys from the board
//!    or the cadre (never from the client), check them against the scope, and note the change in
//!    the audit trail.
//!
//! The request's transaction commits only if every operation succeeded, so a rejected mutation
//! writes nothing: no row, no child row, no audit event.

mod cadres;
mod exams;
mod records;

use async_graphql::{Context, ID, MergedObject};
use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use crate::db::entities::{board, cadre};
use crate::error::{AppError, AppResult};
use crate::graphql::types::parse_id;
use crate::graphql::{RequestData, request};
use crate::scope::{Tenant, TenantColumn, stale};

#[derive(MergedObject, Default)]
pub struct Mutation(
    cadres::CadreMutation,
    exams::ExamMutation,
    records::RecordMutation,
);

/// The request, once its viewer is known to write (clinicians and admins).
fn writer<'a>(ctx: &Context<'a>) -> AppResult<&'a RequestData> {
    let req = request(ctx)?;
    req.viewer.require_writer()?;
    Ok(req)
}

/// The request, once its viewer is known to be an admin.
fn admin<'a>(ctx: &Context<'a>) -> AppResult<&'a RequestData> {
    let req = request(ctx)?;
    req.viewer.require_admin()?;
    Ok(req)
}

/// The row of `E` with `id` in the viewer's scope, or `NOT_FOUND`.
async fn find<E>(req: &RequestData, field: &str, id: &ID) -> AppResult<E::Model>
where
    E: Tenant,
    E::Column: From<TenantColumn>,
{
    let id = parse_id(field, id)?;
    req.db
        .one(E::find().filter(E::Column::from(TenantColumn::Id).eq(id)))
        .await?
        .ok_or(AppError::NotFound)
}

/// [`find`], and the version the client read must still be the row's.
async fn find_current<E>(req: &RequestData, id: &ID, version: i32) -> AppResult<E::Model>
where
    E: Tenant,
    E::Column: From<TenantColumn>,
    E::Model: crate::scope::TenantRow,
{
    let row = find::<E>(req, "id", id).await?;
    if crate::scope::TenantRow::version(&row) != version {
        return Err(stale());
    }
    Ok(row)
}

/// The cadre a new record is for: in scope, or `NOT_FOUND`.
async fn cadre_for(req: &RequestData, id: &ID) -> AppResult<cadre::Model> {
    find::<cadre::Entity>(req, "cadreId", id).await
}

/// A board the viewer may write on, by code; unknown or outside the scope is `NOT_FOUND`.
fn board_for(req: &RequestData, code: &str) -> AppResult<board::Model> {
    let board = req.boards.get(code.trim()).ok_or(AppError::NotFound)?;
    req.db.keys_for(board)?;
    Ok(board.clone())
}

/// A fresh row ID (UUID v7).
fn new_id() -> Uuid {
    Uuid::now_v7()
}
