//! Cadres: create, update, change status, transfer to another board.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use chrono::Utc;

use crate::db::entities::{
    cadre, chronic_condition, clinic_visit, consultation, health_exam, prescription, referral,
    vaccination,
};
use crate::domain::valid::{self, InsuranceNumber, NationalId, PersonName, Violations};
use crate::domain::{CadreStatus, Gender, ManagementTier, fold_name};
use crate::error::{AppError, AppResult};
use crate::graphql::scalars::Date;
use crate::graphql::types::Cadre;
use crate::scope::{Change, Clash, TenantKeys, TenantRow};

use super::{admin, board_for, find_current, new_id, writer};

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
fn maybe<T>(
    v: &mut Violations,
    field: &str,
    raw: &MaybeUndefined<String>,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Option<MaybeUndefined<T>> {
    match raw {
        MaybeUndefined::Undefined => Some(MaybeUndefined::Undefined),
        MaybeUndefined::Null => Some(MaybeUndefined::Null),
        MaybeUndefined::Value(s) => v.check(field, parse(s)).map(MaybeUndefined::Value),
    }
}

fn apply<T>(target: &mut Option<T>, change: MaybeUndefined<T>) -> bool {
    match change {
        MaybeUndefined::Undefined => false,
        MaybeUndefined::Null => target.take().is_some(),
        MaybeUndefined::Value(value) => {
            *target = Some(value);
            true
        }
    }
}

/// Whether a status may follow another: only forward, `SERVING → RETIRED → DECEASED` (a
/// serving cadre may also die in office).
fn may_become(from: CadreStatus, to: CadreStatus) -> bool {
    use CadreStatus::*;
    matches!(
        (from, to),
        (Serving, Retired) | (Serving, Deceased) | (Retired, Deceased)
    )
}

#[Object]
impl CadreMutation {
    /// Adds a cadre to a board in your subtree. Clinicians and admins.
    async fn create_cadre(&self, ctx: &Context<'_>, input: CreateCadreInput) -> AppResult<Cadre> {
        let req = writer(ctx)?;
        let mut v = Violations::new();
        let name = v.check("fullName", PersonName::parse(&input.full_name));
        let birth = v.check("birthDate", valid::birth_date(input.birth_date.0));
        let position = v.optional("position", input.position.as_deref(), |s| {
            valid::text(s, 200)
        });
        let workplace = v.optional("workplace", input.workplace.as_deref(), |s| {
            valid::text(s, 200)
        });
        let national_id = v.optional(
            "nationalId",
            input.national_id.as_deref(),
            NationalId::parse,
        );
        let insurance = v.optional(
            "insuranceNumber",
            input.insurance_number.as_deref(),
            InsuranceNumber::parse,
        );
        let status = input.status.unwrap_or(CadreStatus::Serving);
        if status == CadreStatus::Deceased {
            v.add("status", "a new cadre is SERVING or RETIRED");
        }
        v.finish()?;
        let (
            Some(name),
            Some(birth_date),
            Some(position),
            Some(workplace),
            Some(national_id),
            Some(insurance),
        ) = (name, birth, position, workplace, national_id, insurance)
        else {
            return Err(AppError::Internal("validated input missing".into()));
        };
        let board = board_for(req, &input.board_code)?;
        let keys = TenantKeys::of_board(&board);
        let now = Utc::now();
        let full_name = name.into_inner();
        let row = cadre::Model {
            id: new_id(),
            board_code: keys.board,
            province_code: keys.province,
            district_code: keys.district,
            version: 1,
            created_at: now,
            updated_at: now,
            name_folded: fold_name(&full_name),
            full_name,
            gender: input.gender,
            birth_date,
            position,
            workplace,
            status,
            management_tier: input.management_tier,
            national_id: national_id.map(NationalId::into_inner),
            insurance_number: insurance.map(InsuranceNumber::into_inner),
            last_exam_on: None,
        };
        let mut fields = vec!["boardCode", "fullName", "gender", "birthDate", "status"];
        fields.push("managementTier");
        for (name, given) in [
            ("position", row.position.is_some()),
            ("workplace", row.workplace.is_some()),
            ("nationalId", row.national_id.is_some()),
            ("insuranceNumber", row.insurance_number.is_some()),
        ] {
            if given {
                fields.push(name);
            }
        }
        let national_id = row.national_id.clone().unwrap_or_default();
        let row = req
            .db
            .insert::<cadre::Entity>(row, "createCadre", &fields, Clash::NationalId(&national_id))
            .await?;
        Ok(Cadre::single(row))
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
        let req = writer(ctx)?;
        let mut v = Violations::new();
        let name = v.optional("fullName", input.full_name.as_deref(), PersonName::parse);
        let birth = v.optional("birthDate", input.birth_date, |d| valid::birth_date(d.0));
        let position = maybe(&mut v, "position", &input.position, |s| valid::text(s, 200));
        let workplace = maybe(&mut v, "workplace", &input.workplace, |s| {
            valid::text(s, 200)
        });
        let national_id = maybe(&mut v, "nationalId", &input.national_id, NationalId::parse);
        let insurance = maybe(
            &mut v,
            "insuranceNumber",
            &input.insurance_number,
            InsuranceNumber::parse,
        );
        v.finish()?;
        let (Some(name), Some(birth), Some(position), Some(workplace), Some(nid), Some(ins)) =
            (name, birth, position, workplace, national_id, insurance)
        else {
            return Err(AppError::Internal("validated input missing".into()));
        };
        let old = find_current::<cadre::Entity>(req, &id, version).await?;
        let mut row = old.clone();
        let mut fields = Vec::new();
        if let Some(name) = name {
            row.full_name = name.into_inner();
            row.name_folded = fold_name(&row.full_name);
        }
        if let Some(birth) = birth {
            row.birth_date = birth;
        }
        if let Some(gender) = input.gender {
            row.gender = gender;
        }
        if let Some(tier) = input.management_tier {
            row.management_tier = tier;
        }
        apply(&mut row.position, position);
        apply(&mut row.workplace, workplace);
        apply(&mut row.national_id, nid.map_value(NationalId::into_inner));
        apply(
            &mut row.insurance_number,
            ins.map_value(InsuranceNumber::into_inner),
        );
        for (field, changed) in [
            ("fullName", row.full_name != old.full_name),
            ("gender", row.gender != old.gender),
            ("birthDate", row.birth_date != old.birth_date),
            ("position", row.position != old.position),
            ("workplace", row.workplace != old.workplace),
            ("managementTier", row.management_tier != old.management_tier),
            ("nationalId", row.national_id != old.national_id),
            (
                "insuranceNumber",
                row.insurance_number != old.insurance_number,
            ),
        ] {
            if changed {
                fields.push(field);
            }
        }
        let national_id = row.national_id.clone().unwrap_or_default();
        let row = req
            .db
            .update::<cadre::Entity>(
                row,
                version,
                "updateCadre",
                &fields,
                Clash::NationalId(&national_id),
            )
            .await?;
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
        let req = writer(ctx)?;
        let mut row = find_current::<cadre::Entity>(req, &id, version).await?;
        if !may_become(row.status, status) {
            return Err(AppError::bad_input(
                "status",
                format!(
                    "status: a {} cadre cannot become {} (only SERVING → RETIRED → DECEASED)",
                    row.status.as_str(),
                    status.as_str()
                ),
            ));
        }
        row.status = status;
        let row = req
            .db
            .update::<cadre::Entity>(row, version, "changeCadreStatus", &["status"], "")
            .await?;
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
        let req = admin(ctx)?;
        let old = find_current::<cadre::Entity>(req, &id, version).await?;
        let to = board_for(req, &to_board_code)?;
        let from_keys = old.keys();
        let to_keys = TenantKeys::of_board(&to);
        if from_keys == to_keys {
            return Err(AppError::bad_input(
                "toBoardCode",
                "toBoardCode: the cadre is already kept by this board",
            ));
        }
        let mut row = old.clone();
        row.set_keys(&to_keys);
        let row = req
            .db
            .update::<cadre::Entity>(row, version, "transferCadreIn", &["boardCode"], "")
            .await?;
        let cadre_id = row.id;
        let db = &req.db;
        let mut moved = Vec::new();
        macro_rules! move_all {
            ($($table:ident),+) => {
                $(if db.move_records::<$table::Entity>(cadre_id, &to_keys).await? > 0 {
                    moved.push(stringify!($table));
                })+
            };
        }
        move_all!(
            chronic_condition,
            health_exam,
            clinic_visit,
            prescription,
            referral,
            consultation,
            vaccination
        );
        let mut fields = vec!["boardCode".to_owned()];
        fields.extend(moved.iter().map(|t| format!("{t}s")));
        db.note_change(Change {
            action: "transferCadreOut".into(),
            entity: "cadres".into(),
            entity_id: Some(cadre_id),
            cadre_id: Some(cadre_id),
            keys: from_keys,
            fields,
        });
        Ok(Cadre::single(row))
    }
}

#[cfg(test)]
mod tests {
    use super::may_become;
    use crate::domain::CadreStatus::*;

    #[test]
    fn status_only_moves_forward() {
        assert!(may_become(Serving, Retired) && may_become(Retired, Deceased));
        assert!(may_become(Serving, Deceased));
        for (from, to) in [(Retired, Serving), (Deceased, Retired), (Deceased, Serving)] {
            assert!(!may_become(from, to));
        }
        assert!(!may_become(Serving, Serving));
    }
}
