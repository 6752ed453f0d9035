//! Domain vocabulary shared by storage and the API: enumerations with their stored spellings,
//! small types that can only hold valid values, and the calendar the boards count days in.

pub mod calendar;
pub mod columns;
mod enums;
mod name;
pub mod valid;

pub use enums::*;
pub use name::{MAX_SEARCH_CHARS, MAX_SEARCH_WORDS, fold_name, search_terms};
