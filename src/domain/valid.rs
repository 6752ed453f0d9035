//! Input that can only hold valid values (parse, don't validate). Every mutation turns its raw
//! GraphQL input into these types first, collecting every violation in a [`Violations`], and
//! writes nothing unless all of them parsed.
//!
//! The rules are DESIGN.md's "Bad input". Text is trimmed and NFC-normalised; "today" is the
//! date in Vietnam (UTC+7), where the boards work, so a record made early in the morning there
//! is not "in the future".

use chrono::{Datelike, NaiveDate};
use unicode_normalization::UnicodeNormalization;

use crate::error::{AppError, AppResult};

use super::calendar::earliest_recorded_date;
pub use super::calendar::today;

/// Every violation found in one input, reported together.
#[derive(Default)]
pub struct Violations(Vec<(String, String)>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    /// The parsed value, or `None` with the violation noted against `field`.
    pub fn check<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(message) => {
                self.0
                    .push((field.to_owned(), format!("{field}: {message}")));
                None
            }
        }
    }

    /// Like [`Violations::check`] for an optional input: absent stays `None` without a violation.
    pub fn optional<R, T>(
        &mut self,
        field: &str,
        raw: Option<R>,
        parse: impl FnOnce(R) -> Result<T, String>,
    ) -> Option<Option<T>> {
        match raw {
            None => Some(None),
            Some(raw) => self.check(field, parse(raw)).map(Some),
        }
    }

    /// Notes a violation that involves several inputs.
    pub fn add(&mut self, field: &str, message: &str) {
        self.0
            .push((field.to_owned(), format!("{field}: {message}")));
    }

    /// `BAD_USER_INPUT` listing every violation, or `Ok` when there were none.
    pub fn finish(self) -> AppResult<()> {
        match AppError::violations(self.0) {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
}

// Bounds on every input, whatever its field. `graphql::input_bounds` refuses a value beyond
// them before a resolver runs; each field's own, tighter rule (a name's 100 characters, an
// enum list's number of values) is checked as well.

/// The longest string any argument or input field may carry: the longest free text (an
/// exam's conclusion, a consultation's conclusion).
pub const MAX_TEXT_CHARS: usize = 2_000;
/// The longest value of any other scalar sent as a string (an ID, a date, a date-time, an
/// enum name in variables): a UUID is 36 characters, a date-time about 30.
pub const MAX_TOKEN_CHARS: usize = 64;
/// The longest list any argument or input field may carry (a visit's prescriptions); a list
/// of enum values is no longer than its enum.
pub const MAX_LIST_ITEMS: usize = 50;

/// Text is text: no control character but tab and newline. PostgreSQL refuses NUL in text,
/// SQLite would store it, and neither belongs in a name or a note.
pub fn plain_text(s: &str) -> Result<(), String> {
    match s
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n'))
    {
        Some(c) => Err(format!(
            "must not contain control characters (found U+{:04X}); only tab and newline are allowed",
            u32::from(c)
        )),
        None => Ok(()),
    }
}

/// At most `max` characters, counted without walking a string far longer than that.
pub fn at_most_chars(s: &str, max: usize) -> Result<(), String> {
    // A character is at most 4 bytes: anything longer is over without counting.
    if s.len() > max.saturating_mul(4) || s.chars().count() > max {
        Err(format!("must be at most {max} characters"))
    } else {
        Ok(())
    }
}

/// Trimmed, NFC-normalised text of 1..=`max` characters.
pub fn text(raw: &str, max: usize) -> Result<String, String> {
    let clean: String = raw.trim().nfc().collect();
    let len = clean.chars().count();
    if len == 0 {
        Err("must not be empty".into())
    } else if len > max {
        Err(format!("must be at most {max} characters"))
    } else {
        Ok(clean)
    }
}

/// A person's full name: trimmed, NFC, 1–100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        text(raw, 100).map(PersonName)
    }
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A national ID (CCCD): exactly 12 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NationalId(String);

impl NationalId {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let id = raw.trim();
        if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
            Ok(NationalId(id.to_owned()))
        } else {
            Err("must be exactly 12 digits".into())
        }
    }
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A health-insurance number: 10 or 15 letters and digits, upper-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsuranceNumber(String);

impl InsuranceNumber {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let n = raw.trim().to_ascii_uppercase();
        if (n.len() == 10 || n.len() == 15) && n.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(InsuranceNumber(n))
        } else {
            Err("must be 10 or 15 letters and digits".into())
        }
    }
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A date of birth: from 1 January of the earliest recorded year
/// ([`EARLIEST_RECORDED_YEAR`](super::calendar::EARLIEST_RECORDED_YEAR)) to 18 years before
/// today.
pub fn birth_date(date: NaiveDate) -> Result<NaiveDate, String> {
    let today = today();
    let adult = today
        .with_year(today.year() - 18)
        .or_else(|| NaiveDate::from_ymd_opt(today.year() - 18, 2, 28))
        .ok_or("no valid date 18 years ago")?;
    let earliest = earliest_recorded_date();
    if date < earliest {
        Err(format!("must be {earliest} or later"))
    } else if date > adult {
        Err(format!("must be {adult} or earlier (18 years old)"))
    } else {
        Ok(date)
    }
}

/// A date that has happened: not after today, not before the earliest recorded year
/// ([`EARLIEST_RECORDED_YEAR`](super::calendar::EARLIEST_RECORDED_YEAR)).
pub fn past_date(date: NaiveDate) -> Result<NaiveDate, String> {
    let earliest = earliest_recorded_date();
    if date > today() {
        Err("must not be in the future".into())
    } else if date < earliest {
        Err(format!("must be {earliest} or later"))
    } else {
        Ok(date)
    }
}

/// A value in `lo..=hi`; `unit` (may be empty) follows the bounds in the message.
pub fn range<T: PartialOrd + std::fmt::Display + Copy>(
    v: T,
    lo: T,
    hi: T,
    unit: &str,
) -> Result<T, String> {
    if v >= lo && v <= hi {
        Ok(v)
    } else {
        Err(format!("must be between {lo} and {hi} {unit}")
            .trim_end()
            .to_owned())
    }
}

/// Height, 100–230 cm.
pub fn height_cm(v: f64) -> Result<f64, String> {
    range(v, 100.0, 230.0, "cm")
}

/// Weight, 25–250 kg.
pub fn weight_kg(v: f64) -> Result<f64, String> {
    range(v, 25.0, 250.0, "kg")
}

/// Pulse, 30–220 beats per minute.
pub fn pulse_bpm(v: i32) -> Result<i32, String> {
    range(v, 30, 220, "bpm")
}

/// Systolic pressure, 60–280 mmHg.
pub fn systolic(v: i32) -> Result<i32, String> {
    range(v, 60, 280, "mmHg")
}

/// Diastolic pressure, 30–180 mmHg.
pub fn diastolic(v: i32) -> Result<i32, String> {
    range(v, 30, 180, "mmHg")
}

/// A laboratory value: a finite number in `lo..=hi`.
pub fn lab(v: f64, lo: f64, hi: f64, unit: &str) -> Result<f64, String> {
    if v.is_finite() {
        range(v, lo, hi, unit)
    } else {
        Err("must be a number".into())
    }
}

/// Body-mass index from height and weight, rounded to one decimal. Never sent by a client.
pub fn bmi(height_cm: f64, weight_kg: f64) -> f64 {
    let m = height_cm / 100.0;
    (weight_kg / (m * m) * 10.0).round() / 10.0
}

/// How much of an ICD-10 code `code` (trimmed, upper-case) is: `Some(true)` for a whole code
/// (`A00`–`Z99` with an optional `.x` of one or two digits), `Some(false)` for only its
/// beginning (`I`, `I2`), `None` for anything else. The one grammar of [`Icd10`] and
/// [`Icd10Prefix`].
fn icd10_shape(code: &str) -> Option<bool> {
    let (first, rest) = code.as_bytes().split_first()?;
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    let decimals_ok = match &rest[digits..] {
        [] => true,
        [b'.', decimals @ ..] => {
            digits == 2
                && (1..=2).contains(&decimals.len())
                && decimals.iter().all(u8::is_ascii_digit)
        }
        _ => false,
    };
    (first.is_ascii_uppercase() && digits <= 2 && decimals_ok).then_some(digits == 2)
}

/// An ICD-10 code, `A00`–`Z99` with an optional `.x` suffix (one or two digits), upper-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Icd10(String);

impl Icd10 {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let code = raw.trim().to_ascii_uppercase();
        if icd10_shape(&code) == Some(true) {
            Ok(Icd10(code))
        } else {
            Err(format!(
                "{:?} is not an ICD-10 code (A00 to Z99, optionally .x)",
                raw.trim()
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An ICD-10 code or its beginning, upper-cased: a letter, then up to two digits, then (after
/// two) optionally `.` and one or two digits: `I` (any circulatory disease), `I2` (I20–I29),
/// `I10`, `E11.9`. Parsed, so it carries no `LIKE` wildcard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Icd10Prefix(String);

impl Icd10Prefix {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let code = raw.trim().to_ascii_uppercase();
        if icd10_shape(&code).is_some() {
            Ok(Icd10Prefix(code))
        } else {
            Err(format!(
                "{raw:?} is not an ICD-10 code or prefix (such as I10, E11, I2)"
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The `LIKE` pattern of the codes that begin with this prefix.
    pub fn like_pattern(&self) -> String {
        format!("{}%", self.0)
    }
}

/// A list of ICD-10 codes, each checked, stored comma-separated.
pub fn icd_list(raw: &[String]) -> Result<String, String> {
    let mut codes = Vec::new();
    for code in raw {
        codes.push(Icd10::parse(code)?.into_inner());
    }
    if codes.len() > 20 {
        return Err("at most 20 codes".into());
    }
    codes.dedup();
    Ok(codes.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_nfc_and_bounded() {
        assert_eq!(
            PersonName::parse("  Nguye\u{302}\u{303}n Văn An ").map(PersonName::into_inner),
            Ok("Nguyễn Văn An".to_owned())
        );
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse(&"a".repeat(101)).is_err());
        assert!(PersonName::parse(&"ễ".repeat(100)).is_ok());
    }

    #[test]
    fn text_is_text() {
        assert!(plain_text("Nguyễn Văn An\tghi chú\ndòng hai").is_ok());
        for bad in ["Nul\u{0}Byte", "a\rb", "bell\u{7}", "del\u{7f}", "c1\u{85}"] {
            assert!(plain_text(bad).is_err(), "{bad:?}");
        }
        assert!(at_most_chars(&"ễ".repeat(10), 10).is_ok());
        assert!(at_most_chars(&"ễ".repeat(11), 10).is_err());
        assert!(at_most_chars(&"a".repeat(41), 10).is_err());
    }

    #[test]
    fn identifiers() {
        assert!(NationalId::parse("040085001234").is_ok());
        for bad in ["04008500123", "0400850012345", "04008500123a"] {
            assert!(NationalId::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            InsuranceNumber::parse("cb2400000012345").map(InsuranceNumber::into_inner),
            Ok("CB2400000012345".into())
        );
        assert!(InsuranceNumber::parse("1234567890").is_ok());
        assert!(InsuranceNumber::parse("12345678901").is_err());
    }

    #[test]
    fn icd10_codes() {
        for ok in ["A00", "z99", " i10 ", "E11.9", "I25.10"] {
            assert!(Icd10::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "I1", "I100", "10I", "I10.", "I10.123", "I10x", "Ì10"] {
            assert!(Icd10::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn icd_prefixes_are_letters_digits_and_a_dot() {
        for ok in ["I", "I1", "i10", "E11", "E11.9", " I25 ", "I25.10", "A00"] {
            assert!(Icd10Prefix::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "1", "I%", "I_0", "I100", "I.1", "II", "I1_", "I10%", "I10.", "I10.123", "Ì10",
        ] {
            assert!(Icd10Prefix::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Icd10Prefix::parse(" e11 ").map(|p| p.like_pattern()),
            Ok("E11%".to_owned())
        );
    }

    #[test]
    fn dates_and_vitals() {
        assert!(birth_date(NaiveDate::from_ymd_opt(1919, 12, 31).unwrap()).is_err());
        assert!(birth_date(NaiveDate::from_ymd_opt(1920, 1, 1).unwrap()).is_ok());
        assert!(birth_date(today()).is_err());
        assert!(past_date(today()).is_ok());
        assert!(past_date(today().succ_opt().unwrap()).is_err());
        assert!(height_cm(99.9).is_err() && height_cm(230.0).is_ok());
        assert!(weight_kg(24.0).is_err() && weight_kg(250.0).is_ok());
        assert!(pulse_bpm(29).is_err() && pulse_bpm(220).is_ok());
        assert_eq!(bmi(165.0, 60.0), 22.0);
    }
}
