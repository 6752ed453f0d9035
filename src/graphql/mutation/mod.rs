//! The mutation root, merged from one object per domain: one verb per real action.
//!
//! Every mutation is a thin adapter, in this order:
//! 1. a visible role check that hands out the write capability ([`writer`], [`admin`]);
//!    analysts write nothing (`FORBIDDEN`);
//! 2. the whole input parsed into a typed command of the records layer ([`Input`],
//!    [`parsed`]), every violation reported at once (`BAD_USER_INPUT`, `extensions.field` and
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

use async_graphql::{Context, ID, MergedObject};
use uuid::Uuid;

use crate::db::entities::board;
use crate::domain::valid::Violations;
use crate::error::{AppError, AppResult};
use crate::graphql::types::parse_id;
use crate::graphql::{RequestData, request};
use crate::records::{self as domain_records, Admin, StatusTable, WithStatus, Writer};

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

/// A mutation's input, parsed whole into a typed command of the records layer.
trait Input {
    type Command;
    /// The command, or `None` once every violation of the input is noted in `v`.
    fn parse(&self, v: &mut Violations) -> Option<Self::Command>;
}

/// The command `parse` makes once the whole input is checked, or every violation at once
/// (`BAD_USER_INPUT`). A command missing although no violation was noted is a bug, never the
/// client's fault.
fn parsed<T>(parse: impl FnOnce(&mut Violations) -> Option<T>) -> AppResult<T> {
    let mut v = Violations::new();
    let command = parse(&mut v);
    v.finish()?;
    command.ok_or_else(|| AppError::Internal("validated input missing".into()))
}

/// Steps 2 and 3 for a write on one row: `input` parsed whole (its violations come first), the
/// row's ID parsed from argument `field`, then `write` with the capability, the ID and the
/// command.
async fn apply<C, I, R, F>(
    capability: C,
    input: &I,
    (field, id): (&str, &ID),
    write: impl FnOnce(C, Uuid, I::Command) -> F,
) -> AppResult<R>
where
    I: Input,
    F: Future<Output = AppResult<R>>,
{
    let command = parsed(|v| input.parse(v))?;
    let id = parse_id(field, id)?;
    write(capability, id, command).await
}

/// Moves the status of the row of `E` with `id` by the rules of its status.
async fn change_status<E: StatusTable>(
    ctx: &Context<'_>,
    id: &ID,
    version: i32,
    to: <E::Model as WithStatus>::Status,
) -> AppResult<E::Model> {
    let (_, writer) = writer(ctx)?;
    let id = parse_id("id", id)?;
    domain_records::change_status::<E>(writer, id, version, to).await
}
