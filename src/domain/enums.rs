//! The closed lists of the domain. Each is stored as its SCREAMING_CASE name and exposed to
//! GraphQL under the same spelling.

use async_graphql::Enum;
use sea_orm::entity::prelude::StringLen;
use sea_orm::{DeriveActiveEnum, EnumIter};

/// A value of one of the closed lists, generically: its stored (and GraphQL) spelling.
pub trait Spelled: Copy {
    fn as_str(self) -> &'static str;
}

/// The closed lists, each `Name { Variant = "SPELLING", ... }` with its doc comments.
macro_rules! domain_enums {
    ($($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $value:literal),+ $(,)? })+) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum)]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
        pub enum $name {
            $($(#[$vdoc])* #[sea_orm(string_value = $value)] #[graphql(name = $value)] $variant,)+
        }

        impl $name {
            /// Every value, in the order declared (the order a breakdown lists them in).
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The stored (and GraphQL) spelling.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $value,)+ }
            }
        }

        impl Spelled for $name {
            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
        }
    )+};
}

domain_enums! {
    /// Where a board sits in the tree.
    BoardLevel { Central = "CENTRAL", Province = "PROVINCE", District = "DISTRICT" }

    Gender { Male = "MALE", Female = "FEMALE" }

    /// Serving (đương chức), retired (nguyên chức) or deceased.
    CadreStatus { Serving = "SERVING", Retired = "RETIRED", Deceased = "DECEASED" }

    /// Which party committee manages the cadre.
    ManagementTier {
        /// Bộ Chính trị, Ban Bí thư.
        Politburo = "POLITBURO",
        /// Trung ương.
        Central = "CENTRAL",
        /// Ban Thường vụ Tỉnh ủy.
        Provincial = "PROVINCIAL",
        /// Ban Thường vụ Huyện ủy.
        District = "DISTRICT",
    }

    /// Who a periodic exam campaign is for.
    Cohort { Serving = "SERVING", Retired = "RETIRED", All = "ALL" }

    ExamKind { Periodic = "PERIODIC", Routine = "ROUTINE", Specialist = "SPECIALIST" }

    /// Cadre health class (phân loại sức khỏe cán bộ), Decision 1266/QĐ-BYT of 2020.
    CadreClass {
        /// Healthy, or only common illness not affecting work.
        A = "A",
        /// Fit for work; chronic disease with little effect on it.
        B1 = "B1",
        /// Fit for work; chronic disease needing regular treatment but stable.
        B2 = "B2",
        /// Not fit for work at the time of the exam (1–3 months of treatment).
        C = "C",
        /// Not fit to continue working.
        D = "D",
    }

    /// General health class I–V of the Ministry of Health's periodic exam standard.
    GeneralClass { I = "I", Ii = "II", Iii = "III", Iv = "IV", V = "V" }

    ReferralUrgency { Routine = "ROUTINE", Urgent = "URGENT", Emergency = "EMERGENCY" }

    ReferralStatus { Requested = "REQUESTED", Accepted = "ACCEPTED", Completed = "COMPLETED", Cancelled = "CANCELLED" }
}

/// What a user may do, from their token (`role` claim, lower-case there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum)]
pub enum Role {
    /// Statistics and the cadre directory; no clinical detail.
    Analyst,
    /// Reads and writes everything in scope.
    Clinician,
    /// A clinician who also runs campaigns, transfers and the board tree.
    Admin,
}

impl Role {
    /// Every role, least privileged first.
    pub const ALL: &'static [Role] = &[Role::Analyst, Role::Clinician, Role::Admin];

    /// The spelling in a token's `role` claim.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Analyst => "analyst",
            Role::Clinician => "clinician",
            Role::Admin => "admin",
        }
    }

    pub fn parse(claim: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|r| r.as_str() == claim)
    }

    /// Whether this role may see clinical detail (diagnoses, measurements, classes, ...).
    pub fn reads_clinical(self) -> bool {
        matches!(self, Role::Clinician | Role::Admin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_listed_once_in_order_with_its_spelling() {
        let classes: Vec<_> = CadreClass::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(classes, ["A", "B1", "B2", "C", "D"]);
        let statuses: Vec<_> = CadreStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(statuses, ["SERVING", "RETIRED", "DECEASED"]);
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
        }
    }
}
