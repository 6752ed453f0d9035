//! The length of every text column, in characters, as its migration declares it. Input is
//! checked against these before anything is written, so a value the API accepts always fits
//! (PostgreSQL would refuse a longer one; SQLite would store it). `tests/api/registry.rs`
//! compares each with PostgreSQL's catalog, so a migration that changes a size fails there
//! until the constant follows.

/// `(table, column, characters)` for every checked text column, for that test.
pub const TEXT_COLUMNS: &[(&str, &str, usize)] = &[
    ("cadres", "full_name", FULL_NAME),
    ("cadres", "position", POSITION),
    ("cadres", "workplace", WORKPLACE),
    ("chronic_conditions", "note", CONDITION_NOTE),
    ("exam_campaigns", "name", CAMPAIGN_NAME),
    ("health_exams", "facility", FACILITY),
    ("health_exams", "conclusion", EXAM_CONCLUSION),
    ("health_exams", "physician", PHYSICIAN),
    ("clinic_visits", "complaint", COMPLAINT),
    ("clinic_visits", "physician", PHYSICIAN),
    ("prescriptions", "drug", DRUG),
    ("prescriptions", "dosage", DOSAGE),
    ("referrals", "destination", DESTINATION),
    ("referrals", "reason", REFERRAL_REASON),
    ("consultations", "council", COUNCIL),
    ("consultations", "participants", PARTICIPANTS),
    ("consultations", "conclusion", CONSULTATION_CONCLUSION),
    ("vaccinations", "vaccine", VACCINE),
    ("vaccinations", "lot", LOT),
    ("boards", "name", BOARD_NAME),
];

/// A board's code (`boards.code` and every tenant key column).
pub const BOARD_CODE: usize = 8;
pub const BOARD_NAME: usize = 200;
pub const FULL_NAME: usize = 100;
pub const POSITION: usize = 200;
pub const WORKPLACE: usize = 200;
pub const CONDITION_NOTE: usize = 500;
pub const CAMPAIGN_NAME: usize = 200;
pub const FACILITY: usize = 200;
pub const EXAM_CONCLUSION: usize = 2_000;
pub const PHYSICIAN: usize = 100;
pub const COMPLAINT: usize = 1_000;
pub const DRUG: usize = 200;
pub const DOSAGE: usize = 200;
pub const DESTINATION: usize = 200;
pub const REFERRAL_REASON: usize = 1_000;
pub const COUNCIL: usize = 200;
pub const PARTICIPANTS: usize = 2_000;
/// Longer than any input may be (`valid::MAX_TEXT_CHARS`), which bounds it first.
pub const CONSULTATION_CONCLUSION: usize = 4_000;
pub const VACCINE: usize = 100;
pub const LOT: usize = 50;
