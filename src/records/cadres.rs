//! Cadres: a new cadre, changes to their particulars, their status, a transfer.

use chrono::NaiveDate;
use uuid::Uuid;

use crate::db::entities::{board, cadre};
use crate::domain::valid::{InsuranceNumber, NationalId, PersonName};
use crate::domain::{CadreStatus, Gender, ManagementTier, fold_name};
use crate::error::{AppError, AppResult};
use crate::scope::{Change, Clash, TenantKeys, TenantRow, registry};

use super::{
    Admin, Edit, Status, WithStatus, Writer, actions, edited, find_current, named, new_row, replace,
};

impl CadreStatus {
    /// Whether a cadre may be recorded with this status: `SERVING` or `RETIRED`, never
    /// `DECEASED`.
    pub fn may_begin(self) -> bool {
        self != CadreStatus::Deceased
    }
}

impl Status for CadreStatus {
    const ROW: &'static str = "cadre";
    const MOVES: &'static str = "only SERVING → RETIRED → DECEASED";

    /// Only forward, `SERVING → RETIRED → DECEASED` (a serving cadre may also die in office).
    fn may_become(self, to: CadreStatus) -> bool {
        use CadreStatus::*;
        matches!(
            (self, to),
            (Serving, Retired) | (Serving, Deceased) | (Retired, Deceased)
        )
    }
}

impl WithStatus for cadre::Model {
    type Status = CadreStatus;
    const CHANGE_STATUS: &'static str = actions::CHANGE_CADRE_STATUS;

    fn status_mut(&mut self) -> &mut CadreStatus {
        &mut self.status
    }
}

/// A new cadre (of a board in the viewer's scope).
pub struct NewCadre {
    pub full_name: PersonName,
    pub gender: Gender,
    pub birth_date: NaiveDate,
    pub position: Option<String>,
    pub workplace: Option<String>,
    /// [`CadreStatus::may_begin`].
    pub status: CadreStatus,
    pub management_tier: ManagementTier,
    pub national_id: Option<NationalId>,
    pub insurance_number: Option<InsuranceNumber>,
}

/// Changes to a cadre's particulars; status and board have verbs of their own.
#[derive(Default)]
pub struct CadreChanges {
    pub full_name: Option<PersonName>,
    pub gender: Option<Gender>,
    pub birth_date: Option<NaiveDate>,
    pub position: Edit<String>,
    pub workplace: Edit<String>,
    pub management_tier: Option<ManagementTier>,
    pub national_id: Edit<NationalId>,
    pub insurance_number: Edit<InsuranceNumber>,
}

/// A cadre, and every one of their records, moving to another board.
pub struct Transfer<'b> {
    pub cadre: Uuid,
    /// The cadre's version the client read.
    pub version: i32,
    /// In the viewer's scope, like the cadre.
    pub to: &'b board::Model,
}

/// Adds a cadre to `board`; a national ID someone else holds is `CONFLICT`, audited for the centre.
pub async fn create(
    writer: Writer<'_>,
    board: &board::Model,
    new: NewCadre,
) -> AppResult<cadre::Model> {
    let full_name = new.full_name.into_inner();
    let row = new_row!(cadre, TenantKeys::of_board(board), {
        name_folded: fold_name(&full_name),
        full_name: full_name,
        gender: new.gender,
        birth_date: new.birth_date,
        position: new.position,
        workplace: new.workplace,
        status: new.status,
        management_tier: new.management_tier,
        national_id: new.national_id.map(NationalId::into_inner),
        insurance_number: new.insurance_number.map(InsuranceNumber::into_inner),
        last_exam_on: None,
    });
    let fields = named(&[
        ("boardCode", true),
        ("fullName", true),
        ("gender", true),
        ("birthDate", true),
        ("status", true),
        ("managementTier", true),
        ("position", row.position.is_some()),
        ("workplace", row.workplace.is_some()),
        ("nationalId", row.national_id.is_some()),
        ("insuranceNumber", row.insurance_number.is_some()),
    ]);
    let national_id = row.national_id.clone().unwrap_or_default();
    writer
        .insert::<cadre::Entity>(
            row,
            actions::CREATE_CADRE,
            &fields,
            Clash::NationalId(&national_id),
        )
        .await
}

/// Changes a cadre's particulars, if `version` is still theirs.
pub async fn update(
    writer: Writer<'_>,
    id: Uuid,
    version: i32,
    changes: CadreChanges,
) -> AppResult<cadre::Model> {
    let change = |row: &mut cadre::Model| {
        if let Some(name) = changes.full_name {
            row.full_name = name.into_inner();
            row.name_folded = fold_name(&row.full_name);
        }
        replace(&mut row.birth_date, changes.birth_date);
        replace(&mut row.gender, changes.gender);
        replace(&mut row.management_tier, changes.management_tier);
        changes.position.apply(&mut row.position);
        changes.workplace.apply(&mut row.workplace);
        changes
            .national_id
            .map(NationalId::into_inner)
            .apply(&mut row.national_id);
        changes
            .insurance_number
            .map(InsuranceNumber::into_inner)
            .apply(&mut row.insurance_number);
        Ok(())
    };
    // The folded name follows the name: not a change of its own.
    let skip = [cadre::Column::NameFolded];
    let (row, fields) = edited::<cadre::Entity>(writer.db(), id, version, &skip, change).await?;
    let national_id = row.national_id.clone().unwrap_or_default();
    writer
        .update::<cadre::Entity>(
            row,
            version,
            actions::UPDATE_CADRE,
            &fields,
            Clash::NationalId(&national_id),
        )
        .await
}

/// Moves a cadre and every record the registry says moves with them to another board, in the
/// request's transaction. Past audit events stay where they were written (the trail is
/// append-only), and so do campaign enrolments (where the cadre was managed when the
/// campaign began); the move itself is recorded at both ends.
pub async fn transfer(admin: Admin<'_>, transfer: Transfer<'_>) -> AppResult<cadre::Model> {
    let writer = admin.writer();
    let old = find_current::<cadre::Entity>(writer.db(), transfer.cadre, transfer.version).await?;
    let from_keys = old.keys();
    let to_keys = TenantKeys::of_board(transfer.to);
    if from_keys == to_keys {
        return Err(AppError::bad_input(
            "toBoardCode",
            "toBoardCode: the cadre is already kept by this board",
        ));
    }
    let mut row = old;
    row.set_keys(&to_keys);
    let row = writer
        .update::<cadre::Entity>(
            row,
            transfer.version,
            actions::TRANSFER_CADRE_IN,
            &["boardCode"],
            "",
        )
        .await?;
    let moved = registry::move_cadre_records(&writer, row.id, &to_keys).await?;
    let mut fields = vec!["boardCode".to_owned()];
    fields.extend(moved.into_iter().map(str::to_owned));
    writer.note_change(Change {
        action: actions::TRANSFER_CADRE_OUT.into(),
        entity: "cadres".into(),
        entity_id: Some(row.id),
        cadre_id: Some(row.id),
        keys: from_keys,
        fields,
    });
    Ok(row)
}

#[cfg(test)]
mod tests {
    use crate::domain::CadreStatus::*;
    use crate::records::Status;

    #[test]
    fn status_only_moves_forward() {
        assert!(Serving.may_become(Retired) && Retired.may_become(Deceased));
        assert!(Serving.may_become(Deceased));
        for (from, to) in [(Retired, Serving), (Deceased, Retired), (Deceased, Serving)] {
            assert!(!from.may_become(to));
        }
        assert!(!Serving.may_become(Serving));
    }

    #[test]
    fn nobody_is_recorded_deceased() {
        assert!(Serving.may_begin() && Retired.may_begin() && !Deceased.may_begin());
    }
}
