//! The mutation root, merged from one object per domain: one verb per real action.
//!
//! Every mutation is a thin adapter, in this order:
//! 1. a visible role check that hands out the write capability ([`writer`], [`admin`]);
//!    analysts write nothing (`FORBIDDEN`);
//! 2. the whole input parsed into a typed command of the records layer ([`parsed`]), every
//!    violation reported at once (`BAD_USER_INPUT`, `extensions.field` and
//!    `extensions.violations`);
//! 3. one call into `crate::records`, which loads the rows it touches through the scoped
//!    database (absent or outside the scope is `NOT_FOUND`; a stale `version` is `CONFLICT`),
//!    applies the rules and writes through the capability, which takes the tenant keys from the
//!    board or the cadre (never from the client), checks them against the scope, and notes the
//!    change in the audit trail;
//! 4. the row it returns, mapped to its GraphQL type.
//!
//! The request's transaction commits only if every operation succeeded, so a rejected mutation
//! writes nothing: no row, no child row, no audit event.

mod cadres;
mod exams;
mod records;

use async_graphql::{Context, MergedObject};

use crate::db::entities::board;
use crate::domain::valid::Violations;
use crate::error::{AppError, AppResult};
use crate::graphql::{RequestData, request};
use crate::records::{self as domain_records, Admin, Writer};

#[derive(MergedObject, Default)]
pub struct Mutation(
    cadres::CadreMutation,
    exams::ExamMutation,
    records::RecordMutation,
);

/// The request and its write capability: the visible role check at the top of every mutation
/// (analysts write nothing: `FORBIDDEN`). Without the capability there is no way to write.
fn writer<'a>(ctx: &Context<'a>) -> AppResult<(&'a RequestData, Writer<'a>)> {
    let req = request(ctx)?;
    Ok((req, req.db.writer(req.viewer.role)?))
}

/// The request and its admin capability (`FORBIDDEN` for everyone else).
fn admin<'a>(ctx: &Context<'a>) -> AppResult<(&'a RequestData, Admin<'a>)> {
    let req = request(ctx)?;
    Ok((req, req.db.admin(req.viewer.role)?))
}

/// A board the viewer may write on, by code (the argument `field`); unknown or outside the
/// scope is `NOT_FOUND`, a closed board `BAD_USER_INPUT` naming the board that holds its
/// records now.
fn board_for<'a>(req: &'a RequestData, field: &str, code: &str) -> AppResult<&'a board::Model> {
    let board = domain_records::board_in_scope(&req.boards, &req.viewer.scope, code.trim())?;
    req.boards.writable(field, board, req.viewer.today)
}

/// The command `build` makes of the parsed values, once the whole input is checked: every
/// violation at once (`BAD_USER_INPUT`), or the command. A value missing although no violation
/// was noted is a bug, never the client's fault.
fn parsed<T>(v: Violations, build: impl FnOnce() -> Option<T>) -> AppResult<T> {
    v.finish()?;
    build().ok_or_else(|| AppError::Internal("validated input missing".into()))
}
