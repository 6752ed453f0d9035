//! The registry of tenant tables: every table whose rows belong to a board is declared here,
//! once, with what kind of table it is. The scope filter ([`Tenant`]), the writes
//! ([`TenantRow`], [`TenantColumn`]), the transfer cascade ([`move_cadre_records`]), the
//! history loaders ([`CadreRecord`]), the audit of clinical reads and the tests (catalog,
//! row-level security, leak hunt) all read it. A table with tenant keys that is missing here
//! fails `tests/api/registry.rs`.
//!
//! Adding a tenant table: its migration (with `migrations/src/tenant.rs`), its entity, one line
//! in [`registry!`]'s list below, then its GraphQL type, query and mutation.

use chrono::Utc;
use sea_orm::{EntityName, EntityTrait};
use uuid::Uuid;

use crate::db::entities::{self, board};
use crate::error::AppResult;

use super::writer::Writer;

/// A table whose rows belong to a board and carry its tenant keys.
pub trait Tenant: EntityTrait {
    const PROVINCE: Self::Column;
    const DISTRICT: Self::Column;

    /// For a clinical record: the cadre it is about and its tenant keys, so that reading it is
    /// audited. `None` for everything else (the directory, campaigns, boards, the audit trail).
    fn clinical_read(_row: &Self::Model) -> Option<(Uuid, TenantKeys)> {
        None
    }

    /// The cadre a row is about and its tenant keys: the cadre itself for the directory, the
    /// record's cadre for a clinical record. A row returned by a `Selection` made by clinical
    /// detail is audited as a clinical read of this cadre.
    fn cadre_of_row(row: &Self::Model) -> Option<(Uuid, TenantKeys)> {
        Self::clinical_read(row)
    }

    /// Columns derived from other rows (a cadre's last exam date), which the writes of those
    /// rows keep. A whole-row `Writer::update` leaves them out: under PostgreSQL's read
    /// committed it would otherwise write back the value it read, over an exam recorded
    /// meanwhile.
    fn derived() -> Vec<Self::Column> {
        Vec::new()
    }
}

/// The tenant keys a board's rows carry: the board, its province and its district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantKeys {
    pub board: String,
    pub province: Option<String>,
    pub district: Option<String>,
}

impl TenantKeys {
    /// The keys of rows owned by `board`. The only source of tenant keys on writes: never the
    /// client.
    pub fn of_board(board: &board::Model) -> Self {
        TenantKeys {
            board: board.code.clone(),
            province: board.province_code.clone(),
            district: board.district_code.clone(),
        }
    }
}

/// A row the API writes: a tenant row with a UUID, a version and bookkeeping.
pub trait TenantRow {
    fn row_id(&self) -> Uuid;
    fn keys(&self) -> TenantKeys;
    fn set_keys(&mut self, keys: &TenantKeys);
    fn version(&self) -> i32;
    /// Bumps the version and the update time, as every write of the row does.
    fn next_version(&mut self);
    /// The cadre the row is about (the cadre itself for a cadre), for the audit trail.
    fn cadre_of(&self) -> Option<Uuid>;
}

/// A clinical record: it belongs to one cadre and moves with them on a transfer.
pub trait CadreRecord: Tenant {
    const CADRE: Self::Column;
    const BOARD: Self::Column;
    const VERSION: Self::Column;

    /// The cadre a row belongs to.
    fn cadre_id(row: &Self::Model) -> Uuid;
}

/// The bookkeeping columns every written tenant table has, for generic writes.
#[derive(Clone, Copy)]
pub enum TenantColumn {
    Id,
    Version,
    UpdatedAt,
}

/// What a tenant table is, which decides how the scope, the writes, a transfer and the audit
/// treat it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    /// The board tree itself: read through the scope, written only by the seeder.
    BoardTree,
    /// The audit trail: append-only, written when a request ends; stays where it was written.
    AuditTrail,
    /// A board's own row (an exam campaign): about no cadre.
    BoardRecord,
    /// The cadre directory. Its row moves on a transfer by the transfer's own update.
    Cadre,
    /// A row about a cadre that records where they were at the time (an enrolment in a
    /// campaign): it stays with its board on a transfer.
    CadreSnapshot,
    /// A clinical record of a cadre: reading it is audited, and it moves with the cadre.
    Clinical,
}

/// One entry of the registry, for code and tests that walk every tenant table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantTable {
    /// The table's name in the database.
    pub name: &'static str,
    pub kind: TableKind,
    /// Columns derived from other tables' rows, left out of whole-row updates.
    pub derived: Vec<String>,
}

impl TenantTable {
    /// Whether reading its rows is a clinical read (audited, refused to analysts).
    pub fn is_clinical(&self) -> bool {
        self.kind == TableKind::Clinical
    }

    /// Whether its rows name a cadre (`cadre_id`, or the cadre itself).
    pub fn hangs_off_cadre(&self) -> bool {
        matches!(
            self.kind,
            TableKind::Cadre | TableKind::CadreSnapshot | TableKind::Clinical
        )
    }

    /// Whether a transfer moves the cadre's rows of this table to the new board.
    pub fn moves_with_cadre(&self) -> bool {
        matches!(self.kind, TableKind::Cadre | TableKind::Clinical)
    }
}

/// Declares each tenant table once: `module: Kind`. Generates, by kind, the scope filter's
/// [`Tenant`], the writes' [`TenantRow`] and [`TenantColumn`], the clinical records'
/// [`CadreRecord`], the list [`tenant_tables`] and the transfer cascade
/// [`move_cadre_records`].
macro_rules! registry {
    ($($table:ident: $kind:ident),+ $(,)?) => {
        $(registry!(@$kind $table);)+

        /// Every tenant table, in the order declared.
        pub fn tenant_tables() -> Vec<TenantTable> {
            vec![$(TenantTable {
                name: entities::$table::Entity.table_name(),
                kind: TableKind::$kind,
                derived: <entities::$table::Entity as Tenant>::derived()
                    .into_iter()
                    .map(|c| sea_orm::IdenStatic::as_str(&c).to_owned())
                    .collect(),
            }),+]
        }

        /// Moves every record of `cadre` in the tables that move with a cadre (clinical
        /// records) to the tenant keys `to`, and returns the names of the tables in which
        /// anything moved. The cadre's own row is moved by the transfer's update.
        pub(crate) async fn move_cadre_records(
            writer: &Writer<'_>,
            cadre: Uuid,
            to: &TenantKeys,
        ) -> AppResult<Vec<&'static str>> {
            let mut moved = Vec::new();
            $(registry!(@move $kind $table, writer, cadre, to, moved);)+
            Ok(moved)
        }
    };

    (@BoardTree $table:ident) => { registry!(@scoped $table); };
    (@AuditTrail $table:ident) => { registry!(@scoped $table); };
    (@BoardRecord $table:ident) => {
        registry!(@scoped $table);
        registry!(@written $table, |_| None);
    };
    (@CadreSnapshot $table:ident) => {
        registry!(@scoped $table);
        registry!(@written $table, |r| Some(r.cadre_id));
    };
    (@Cadre $table:ident) => {
        impl Tenant for entities::$table::Entity {
            const PROVINCE: Self::Column = entities::$table::Column::ProvinceCode;
            const DISTRICT: Self::Column = entities::$table::Column::DistrictCode;

            fn derived() -> Vec<Self::Column> {
                vec![entities::$table::Column::LastExamOn]
            }

            fn cadre_of_row(row: &Self::Model) -> Option<(Uuid, TenantKeys)> {
                Some((row.id, row.keys()))
            }
        }
        registry!(@written $table, |r| Some(r.id));
    };
    (@Clinical $table:ident) => {
        impl Tenant for entities::$table::Entity {
            const PROVINCE: Self::Column = entities::$table::Column::ProvinceCode;
            const DISTRICT: Self::Column = entities::$table::Column::DistrictCode;

            fn clinical_read(row: &Self::Model) -> Option<(Uuid, TenantKeys)> {
                Some((row.cadre_id, row.keys()))
            }
        }

        impl CadreRecord for entities::$table::Entity {
            const CADRE: Self::Column = entities::$table::Column::CadreId;
            const BOARD: Self::Column = entities::$table::Column::BoardCode;
            const VERSION: Self::Column = entities::$table::Column::Version;

            fn cadre_id(row: &Self::Model) -> Uuid {
                row.cadre_id
            }
        }
        registry!(@written $table, |r| Some(r.cadre_id));
    };

    (@scoped $table:ident) => {
        impl Tenant for entities::$table::Entity {
            const PROVINCE: Self::Column = entities::$table::Column::ProvinceCode;
            const DISTRICT: Self::Column = entities::$table::Column::DistrictCode;
        }
    };

    (@written $table:ident, $cadre:expr) => {
        impl TenantRow for entities::$table::Model {
            fn row_id(&self) -> Uuid {
                self.id
            }
            fn keys(&self) -> TenantKeys {
                TenantKeys {
                    board: self.board_code.clone(),
                    province: self.province_code.clone(),
                    district: self.district_code.clone(),
                }
            }
            fn set_keys(&mut self, keys: &TenantKeys) {
                self.board_code = keys.board.clone();
                self.province_code = keys.province.clone();
                self.district_code = keys.district.clone();
            }
            fn version(&self) -> i32 {
                self.version
            }
            fn next_version(&mut self) {
                self.version += 1;
                self.updated_at = Utc::now();
            }
            fn cadre_of(&self) -> Option<Uuid> {
                let cadre: fn(&Self) -> Option<Uuid> = $cadre;
                cadre(self)
            }
        }

        impl From<TenantColumn> for entities::$table::Column {
            fn from(c: TenantColumn) -> Self {
                match c {
                    TenantColumn::Id => Self::Id,
                    TenantColumn::Version => Self::Version,
                    TenantColumn::UpdatedAt => Self::UpdatedAt,
                }
            }
        }
    };

    (@move Clinical $table:ident, $writer:ident, $cadre:ident, $to:ident, $moved:ident) => {
        if $writer
            .move_records::<entities::$table::Entity>($cadre, $to)
            .await?
            > 0
        {
            $moved.push(entities::$table::Entity.table_name());
        }
    };
    (@move $kind:ident $table:ident, $writer:ident, $cadre:ident, $to:ident, $moved:ident) => {};
}

registry!(
    board: BoardTree,
    audit_event: AuditTrail,
    exam_campaign: BoardRecord,
    cadre: Cadre,
    campaign_enrolment: CadreSnapshot,
    chronic_condition: Clinical,
    health_exam: Clinical,
    clinic_visit: Clinical,
    prescription: Clinical,
    referral: Clinical,
    consultation: Clinical,
    vaccination: Clinical,
);
