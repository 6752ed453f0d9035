//! Cadres: create, update, change status, transfer to another board.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};

use crate::db::entities::cadre;
use crate::domain::columns;
use crate::domain::valid::{self, InsuranceNumber, NationalId, PersonName, Violations};
use crate::domain::{CadreStatus, Gender, ManagementTier};
use crate::error::AppResult;
use crate::graphql::scalars::Date;
use crate::graphql::types::{Cadre, parse_id};
use crate::records::{Edit, cadres};

use super::{Input, admin, apply, board_for, change_status, parsed, writer};

#[derive(Default)]
pub struct CadreMutation;

/// A new cadre. The board is named by code; the record's tenant keys come from that board.
#[derive(InputObject)]
pub struct CreateCadreInput {
    /// The board that will keep the record; it must be in your subtree.
    pub board_code: String,
    /// 1–100 characters, trimmed and NFC-normalised.
    pub full_name: String,
    pub gender: Gender,
    /// Between 1920-01-01 and 18 years ago.
    pub birth_date: Date,
    pub position: Option<String>,
    pub workplace: Option<String>,
    /// `SERVING` (the default) or `RETIRED`.
    pub status: Option<CadreStatus>,
    pub management_tier: ManagementTier,
    /// CCCD, 12 digits, unique.
    pub national_id: Option<String>,
    /// 10 or 15 letters and digits.
    pub insurance_number: Option<String>,
}

/// Changes to a cadre's particulars; absent fields stay as they are, `null` clears an optional
/// one. Status and board have verbs of their own.
#[derive(InputObject, Default)]
pub struct UpdateCadreInput {
    pub full_name: Option<String>,
    pub gender: Option<Gender>,
    pub birth_date: Option<Date>,
    pub position: MaybeUndefined<String>,
    pub workplace: MaybeUndefined<String>,
    pub management_tier: Option<ManagementTier>,
    pub national_id: MaybeUndefined<String>,
    pub insurance_number: MaybeUndefined<String>,
}

/// An optional text field of an update: absent keeps, `null` clears, a value is parsed.
fn edit<T>(
    v: &mut Violations,
    field: &str,
    raw: &MaybeUndefined<String>,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Option<Edit<T>> {
    match raw {
        MaybeUndefined::Undefined => Some(Edit::Keep),
        MaybeUndefined::Null => Some(Edit::Clear),
        MaybeUndefined::Value(s) => v.check(field, parse(s)).map(Edit::Set),
    }
}

impl Input for CreateCadreInput {
    type Command = cadres::NewCadre;

    fn parse(&self, v: &mut Violations) -> Option<cadres::NewCadre> {
        let name = v.check("fullName", PersonName::parse(&self.full_name));
        let birth = v.check("birthDate", valid::birth_date(self.birth_date.0));
        let position = v.optional("position", self.position.as_deref(), |s| {
            valid::text(s, columns::POSITION)
        });
        let workplace = v.optional("workplace", self.workplace.as_deref(), |s| {
            valid::text(s, columns::WORKPLACE)
        });
        let national_id = v.optional("nationalId", self.national_id.as_deref(), NationalId::parse);
        let insurance = v.optional(
            "insuranceNumber",
            self.insurance_number.as_deref(),
            InsuranceNumber::parse,
        );
        let status = self.status.unwrap_or(CadreStatus::Serving);
        if !status.may_begin() {
            v.add("status", "a new cadre is SERVING or RETIRED");
        }
        Some(cadres::NewCadre {
            full_name: name?,
            gender: self.gender,
            birth_date: birth?,
            position: position?,
            workplace: workplace?,
            status,
            management_tier: self.management_tier,
            national_id: national_id?,
            insurance_number: insurance?,
        })
    }
}

impl Input for UpdateCadreInput {
    type Command = cadres::CadreChanges;

    fn parse(&self, v: &mut Violations) -> Option<cadres::CadreChanges> {
        let name = v.optional("fullName", self.full_name.as_deref(), PersonName::parse);
        let birth = v.optional("birthDate", self.birth_date, |d| valid::birth_date(d.0));
        let position = edit(v, "position", &self.position, |s| {
            valid::text(s, columns::POSITION)
        });
        let workplace = edit(v, "workplace", &self.workplace, |s| {
            valid::text(s, columns::WORKPLACE)
        });
        let national_id = edit(v, "nationalId", &self.national_id, NationalId::parse);
        let insurance = edit(
            v,
            "insuranceNumber",
            &self.insurance_number,
            InsuranceNumber::parse,
        );
        Some(cadres::CadreChanges {
            full_name: name?,
            gender: self.gender,
            birth_date: birth?,
            position: position?,
            workplace: workplace?,
            management_tier: self.management_tier,
            national_id: national_id?,
            insurance_number: insurance?,
        })
    }
}

#[Object]
impl CadreMutation {
    /// Adds a cadre to a board in your subtree. Clinicians and admins.
    async fn create_cadre(&self, ctx: &Context<'_>, input: CreateCadreInput) -> AppResult<Cadre> {
        let (req, writer) = writer(ctx)?;
        let new = parsed(|v| input.parse(v))?;
        let board = board_for(req, "boardCode", &input.board_code)?;
        Ok(Cadre::single(cadres::create(writer, board, new).await?))
    }

    /// Changes a cadre's particulars. `version` is the one you read; if the cadre changed since,
    /// the answer is `CONFLICT` and nothing is written.
    async fn update_cadre(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        input: UpdateCadreInput,
    ) -> AppResult<Cadre> {
        let (_, writer) = writer(ctx)?;
        let update = |writer, id, changes| cadres::update(writer, id, version, changes);
        let row = apply(writer, &input, ("id", &id), update).await?;
        Ok(Cadre::single(row))
    }

    /// Moves a cadre's status forward: `SERVING → RETIRED → DECEASED` (or `SERVING → DECEASED`).
    /// Any other move is `BAD_USER_INPUT`.
    async fn change_cadre_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        status: CadreStatus,
    ) -> AppResult<Cadre> {
        let row = change_status::<cadre::Entity>(ctx, &id, version, status).await?;
        Ok(Cadre::single(row))
    }

    /// Moves a cadre and every one of their records to another board, in one transaction.
    /// Admins of a board above both ends (or central) only: both boards must be in your subtree.
    /// Past audit events stay where they were written (the trail is append-only); the move
    /// itself is recorded at both ends.
    async fn transfer_cadre(
        &self,
        ctx: &Context<'_>,
        id: ID,
        to_board_code: String,
        version: i32,
    ) -> AppResult<Cadre> {
        let (req, admin) = admin(ctx)?;
        let transfer = cadres::Transfer {
            cadre: parse_id("id", &id)?,
            version,
            to: board_for(req, "toBoardCode", &to_board_code)?,
        };
        Ok(Cadre::single(cadres::transfer(admin, transfer).await?))
    }
}
