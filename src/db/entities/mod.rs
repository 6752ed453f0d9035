//! Table rows as sea-orm entities. GraphQL types live in `graphql::types` and convert from these.

/// The entity of a tenant table (all but the board tree): the tenant keys and bookkeeping each
/// table carries (see `migrations/src/tenant.rs`), then its own columns. `Eq` is derived when
/// asked for (not for tables with floating-point columns).
macro_rules! tenant_entity {
    ($table:tt $(, $derive:ident)* { $($columns:tt)* }) => {
        #[derive(Clone, Debug, PartialEq, $($derive,)* DeriveEntityModel)]
        #[sea_orm(table_name = $table)]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub board_code: String,
            pub province_code: Option<String>,
            pub district_code: Option<String>,
            pub version: i32,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
            $($columns)*
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    };
}

use tenant_entity;

pub mod audit_event;
pub mod board;
pub mod cadre;
pub mod campaign_enrolment;
pub mod chronic_condition;
pub mod clinic_visit;
pub mod consultation;
pub mod exam_campaign;
pub mod health_exam;
pub mod prescription;
pub mod referral;
pub mod reorganisation;
pub mod vaccination;
