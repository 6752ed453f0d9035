//! Days and years as the boards count them: the calendar day in Vietnam, and the years a date
//! or a year argument may fall in.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};

/// Vietnam's offset from UTC, in seconds: UTC+7 all year (no daylight saving). "Today", and
/// the days a filter or a statistic counts by, are days there, where the boards work.
pub const VIETNAM_UTC_OFFSET_SECS: i32 = 7 * 3600;

/// Vietnam's time zone (UTC+7).
pub fn vietnam() -> FixedOffset {
    // Checked when compiling: the offset is well inside ±24 hours.
    const VIETNAM: FixedOffset = match FixedOffset::east_opt(VIETNAM_UTC_OFFSET_SECS) {
        Some(offset) => offset,
        None => panic!("UTC+7 is a valid offset"),
    };
    VIETNAM
}

/// Today in Vietnam (UTC+7).
pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&vietnam()).date_naive()
}

/// The first instant of `day` in Vietnam, or `None` for a day at the edge of what a date-time
/// can hold.
pub fn start_of_day(day: NaiveDate) -> Option<DateTime<Utc>> {
    let midnight = day.and_hms_opt(0, 0, 0)?;
    vietnam()
        .from_local_datetime(&midnight)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// The earliest year a recorded date may fall in: a date of birth, a diagnosis, an exam.
/// The oldest cadre a board still keeps was born after it (one born in 1920 is over a hundred),
/// so an earlier date is a typo, refused when written.
pub const EARLIEST_RECORDED_YEAR: i32 = 1920;

/// 1 January of [`EARLIEST_RECORDED_YEAR`].
pub fn earliest_recorded_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(EARLIEST_RECORDED_YEAR, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// The earliest year a filter on stored dates accepts (the cadre directory's `bornFromYear`
/// and `bornToYear`). Far wider than anything stored ([`EARLIEST_RECORDED_YEAR`] on): a filter
/// reaching before any record simply matches them all, so only a year no date could be meant
/// by (a typo of several digits, an overflow) is refused.
pub const EARLIEST_FILTER_YEAR: i32 = 1800;

/// The latest year a filter on stored dates accepts; see [`EARLIEST_FILTER_YEAR`].
pub const LATEST_FILTER_YEAR: i32 = 2200;

/// The earliest year a statistic may be asked for (exam coverage, health classes of a year).
/// Before anything recorded ([`EARLIEST_RECORDED_YEAR`]), so an early year answers zeros, but
/// bounded so the date arithmetic of a year's range never leaves what a date can hold.
pub const EARLIEST_STATISTICS_YEAR: i32 = 1900;

/// The latest year a statistic may be asked for; see [`EARLIEST_STATISTICS_YEAR`].
pub const LATEST_STATISTICS_YEAR: i32 = 2200;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_begin_at_midnight_in_vietnam() {
        assert_eq!(vietnam().local_minus_utc(), 7 * 3600);
        let day = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        assert_eq!(
            start_of_day(day).map(|t| t.to_rfc3339()),
            Some("2024-12-31T17:00:00+00:00".to_owned())
        );
        assert_eq!(
            earliest_recorded_date(),
            NaiveDate::from_ymd_opt(1920, 1, 1).unwrap()
        );
    }
}
