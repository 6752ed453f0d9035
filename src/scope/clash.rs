//! Uniqueness clashes on writes, and the one registry-wide look-up the API makes.
//!
//! Most unique keys lie inside the writer's scope (a board's campaign round, a cadre's vaccine
//! dose): the clashing row is one the writer can read, so `CONFLICT` reveals nothing. The
//! national ID register spans every board, so a clash there may be with a cadre the writer
//! may not see. Its answer is the same whether the holder is in scope or not (see
//! [`national_id_taken`]), and every such attempt is audited for the central board, in a
//! transaction of its own written after the request ends, so neither a rollback of the request
//! nor a deliberately failing second mutation can hide it.

use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, SqlErr};
use uuid::Uuid;

use crate::db::entities::{board, cadre};
use crate::domain::BoardLevel;
use crate::error::{AppError, AppResult};

use super::{Actor, Change, Scope, TenantKeys, write_events};

/// The action of the audit event a national ID clash leaves.
pub const NATIONAL_ID_CLASH: &str = "nationalIdClash";

/// What a uniqueness clash on a write means, and what the client is told.
#[derive(Debug, Clone, Copy)]
pub enum Clash<'a> {
    /// A clash with a row in the writer's own scope: `CONFLICT` with this message (a generic
    /// one when empty: the write was not expected to clash).
    Conflict(&'a str),
    /// The national ID register, across every board: the national ID being written.
    NationalId(&'a str),
}

impl<'a> From<&'a str> for Clash<'a> {
    fn from(message: &'a str) -> Self {
        Clash::Conflict(message)
    }
}

/// The answer to a national ID that is already registered, wherever the holder is kept.
///
/// A registry does not tell a clerk who else holds an identity number, or where: it says the
/// number is taken and sends them to the office that keeps the whole register. So the answer
/// names the input field (`BAD_USER_INPUT`, like any other input a form must change, not
/// `CONFLICT`, which tells a client to read again and retry) and is identical whether the holder
/// is in the writer's scope or not: the answer is no oracle for another province's rows.
pub fn national_id_taken() -> AppError {
    AppError::bad_input(
        "nationalId",
        "nationalId: this national ID is already registered; contact the central board",
    )
}

/// An attempt to register a national ID that someone else holds, to be audited.
#[derive(Debug, Clone)]
pub(super) struct NationalIdClash {
    /// The national ID tried: kept in memory only, to find the holder; never written.
    national_id: String,
    /// The row the writer was writing (a new cadre's ID, or the one updated).
    written: Uuid,
}

impl Clash<'_> {
    /// The error a failed write answers, and the clash to audit when it is one that must be.
    pub(super) fn answer(self, err: DbErr, written: Uuid) -> (AppError, Option<NationalIdClash>) {
        let unique = matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)));
        match (self, unique) {
            (Clash::NationalId(national_id), true) => (
                national_id_taken(),
                Some(NationalIdClash {
                    national_id: national_id.to_owned(),
                    written,
                }),
            ),
            (Clash::Conflict(message), true) if !message.is_empty() => {
                (AppError::from_write(err, message), None)
            }
            _ => (
                AppError::from_write(err, "a record with these values already exists"),
                None,
            ),
        }
    }
}

/// Writes the `nationalIdClash` events of a request in a transaction of their own with the
/// central scope, after the request's transaction has ended (on SQLite a second writer could
/// not start while it was open). Only a mutation clashes, and a mutation still holds its
/// `db::WriteGate` turn here, so on SQLite this `BEGIN IMMEDIATE` finds the lock free.
///
/// Each event carries the central board's tenant keys, so only central admins read it: it names
/// the cadre who holds the number (`cadreId`), which a provincial or district admin of the
/// writer's board may not know exists. It holds no national ID (`changedFields` is
/// `nationalId`, the field, never its value). This is the only registry-wide read the API
/// makes, and it is not reachable from a resolver: it runs after the request, and answers
/// nothing to the client.
pub(super) async fn audit_national_id_clashes(
    pool: &DatabaseConnection,
    actor: &Actor,
    clashes: &[NationalIdClash],
) -> AppResult<()> {
    let tx = crate::db::begin_scoped_as(pool, &Scope::All, crate::db::Access::Write, None).await?;
    let central = board::Entity::find()
        .filter(board::Column::Level.eq(BoardLevel::Central))
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::Internal("no central board".into()))?;
    let keys = TenantKeys::of_board(&central);
    let mut events = Vec::with_capacity(clashes.len());
    for clash in clashes {
        let holder = cadre::Entity::find()
            .filter(cadre::Column::NationalId.eq(clash.national_id.as_str()))
            .filter(cadre::Column::Id.ne(clash.written))
            .one(&tx)
            .await?
            .map(|c| c.id);
        events.push(Change {
            action: NATIONAL_ID_CLASH.to_owned(),
            entity: "cadres".to_owned(),
            entity_id: Some(clash.written),
            cadre_id: holder,
            keys: keys.clone(),
            fields: vec!["nationalId".to_owned()],
        });
    }
    write_events(&tx, actor, events.iter()).await?;
    tx.commit().await?;
    Ok(())
}
