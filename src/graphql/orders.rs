//! The order of every list: the root lists and a cadre's histories alike, newest first for
//! clinical records. Each is a stable total order (it ends with the ID), which keyset paging
//! needs. Kept here, off the GraphQL types, so the loaders and the lists read the same one.

use crate::db::entities::{
    audit_event, chronic_condition, clinic_visit, consultation, exam_campaign, health_exam,
    prescription, referral, vaccination,
};
use crate::graphql::page::{KeyKind, KeyText, Ordering, SortKey};

/// A table whose rows are listed, in this order unless the list takes an order argument.
pub trait Listed: sea_orm::EntityTrait {
    fn order() -> Ordering<Self>;
}

/// The [`KeyKind`] of the column `field` reads.
fn kind_of<M, K: KeyText>(_field: fn(&M) -> &K) -> KeyKind {
    K::KIND
}

/// Newest first by a date or time column (`Column(field)`), then by ID: the order of every
/// clinical history, of the campaigns and of the audit trail.
macro_rules! newest_first {
    ($($(#[doc = $doc:literal])* $module:ident: $col:ident($field:ident);)+) => {$(
        $(#[doc = $doc])*
        impl Listed for $module::Entity {
            fn order() -> Ordering<Self> {
                Ordering::<Self>::then_id(
                    $module::Column::$col,
                    kind_of(|r: &$module::Model| &r.$field),
                    $module::Column::Id,
                    true,
                    |r| vec![r.$field.key_text(), r.id.to_string()],
                )
            }
        }
    )+};
}

newest_first! {
    /// Most recent first: by exam date, then ID.
    health_exam: ExaminedOn(examined_on);
    /// Latest first: by start date, then ID.
    exam_campaign: StartsOn(starts_on);
    /// Most recent first.
    audit_event: OccurredAt(occurred_at);
    /// Most recently diagnosed first.
    chronic_condition: DiagnosedOn(diagnosed_on);
    /// Most recent first.
    clinic_visit: VisitedAt(visited_at);
    /// Most recent first.
    referral: ReferredOn(referred_on);
    /// Most recent first.
    consultation: HeldOn(held_on);
    /// Most recent first.
    vaccination: GivenOn(given_on);
}

/// Newest first (IDs are UUID v7, so they grow with time).
impl Listed for prescription::Entity {
    fn order() -> Ordering<Self> {
        Ordering {
            keys: vec![SortKey {
                col: prescription::Column::Id,
                kind: KeyKind::Uuid,
                descending: true,
            }],
            key_of: |r| vec![r.id.to_string()],
        }
    }
}
