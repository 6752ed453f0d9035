//! The order of every list: the root lists and a cadre's histories alike, newest first for
//! clinical records. Each is a stable total order (it ends with the ID), which keyset paging
//! needs. Kept here, off the GraphQL types, so the loaders and the lists read the same one.

use crate::db::entities::{
    audit_event, chronic_condition, clinic_visit, consultation, exam_campaign, health_exam,
    prescription, referral, vaccination,
};
use crate::graphql::page::{KeyKind, Ordering, SortKey, datetime_key};

/// A table whose rows are listed, in this order unless the list takes an order argument.
pub trait Listed: sea_orm::EntityTrait {
    fn order() -> Ordering<Self>;
}

/// Newest first by a date column, then by ID: the order of every clinical history, of the
/// campaigns and of the audit trail.
macro_rules! newest_first {
    ($module:ident, $col:ident, $kind:expr, $key:expr) => {
        Ordering {
            keys: vec![
                SortKey {
                    col: $module::Column::$col,
                    kind: $kind,
                    descending: true,
                },
                SortKey {
                    col: $module::Column::Id,
                    kind: KeyKind::Uuid,
                    descending: true,
                },
            ],
            key_of: $key,
        }
    };
}

/// Most recent first: by exam date, then ID.
impl Listed for health_exam::Entity {
    fn order() -> Ordering<Self> {
        newest_first!(health_exam, ExaminedOn, KeyKind::Date, |r| vec![
            r.examined_on.to_string(),
            r.id.to_string()
        ])
    }
}

/// Latest first: by start date, then ID.
impl Listed for exam_campaign::Entity {
    fn order() -> Ordering<Self> {
        newest_first!(exam_campaign, StartsOn, KeyKind::Date, |r| vec![
            r.starts_on.to_string(),
            r.id.to_string()
        ])
    }
}

/// Most recent first.
impl Listed for audit_event::Entity {
    fn order() -> Ordering<Self> {
        newest_first!(audit_event, OccurredAt, KeyKind::DateTime, |r| vec![
            datetime_key(&r.occurred_at),
            r.id.to_string()
        ])
    }
}

/// Most recently diagnosed first.
impl Listed for chronic_condition::Entity {
    fn order() -> Ordering<Self> {
        newest_first!(chronic_condition, DiagnosedOn, KeyKind::Date, |r| vec![
            r.diagnosed_on.to_string(),
            r.id.to_string()
        ])
    }
}

/// Most recent first.
impl Listed for clinic_visit::Entity {
    fn order() -> Ordering<Self> {
        newest_first!(clinic_visit, VisitedAt, KeyKind::DateTime, |r| vec![
            datetime_key(&r.visited_at),
            r.id.to_string()
        ])
    }
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

/// Most recent first.
impl Listed for referral::Entity {
    fn order() -> Ordering<Self> {
        newest_first!(referral, ReferredOn, KeyKind::Date, |r| vec![
            r.referred_on.to_string(),
            r.id.to_string()
        ])
    }
}

/// Most recent first.
impl Listed for consultation::Entity {
    fn order() -> Ordering<Self> {
        newest_first!(consultation, HeldOn, KeyKind::Date, |r| vec![
            r.held_on.to_string(),
            r.id.to_string()
        ])
    }
}

/// Most recent first.
impl Listed for vaccination::Entity {
    fn order() -> Ordering<Self> {
        newest_first!(vaccination, GivenOn, KeyKind::Date, |r| vec![
            r.given_on.to_string(),
            r.id.to_string()
        ])
    }
}
