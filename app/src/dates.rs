//! Dates and times as the pages write them (`2026-11-27`, `2026-11-27 14:05`), in UTC.
//! Written out here rather than with chrono's `format`, whose strftime interpreter the
//! page's wasm would carry for these two shapes alone.

use chrono::{DateTime, Datelike, Timelike, Utc};

/// `2026-11-27`.
pub fn day(at: DateTime<Utc>) -> String {
    format!("{:04}-{:02}-{:02}", at.year(), at.month(), at.day())
}

/// `2026-11-27 14:05`.
pub fn minute(at: DateTime<Utc>) -> String {
    format!("{} {:02}:{:02}", day(at), at.hour(), at.minute())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_strftime_would_write_them() {
        for text in ["2026-11-27T14:05:59Z", "2001-01-09T00:00:00Z", "0999-12-31T23:59:00Z"] {
            let at: DateTime<Utc> = text.parse().unwrap();
            assert_eq!(day(at), at.format("%Y-%m-%d").to_string());
            assert_eq!(minute(at), at.format("%Y-%m-%d %H:%M").to_string());
        }
    }
}
