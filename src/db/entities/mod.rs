//! Table rows as sea-orm entities. GraphQL types live in `graphql::types` and convert from these.

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
pub mod vaccination;
