//! Values as the peers write them, made fit to keep: text with stray control characters,
//! and timestamps in seconds, milliseconds or text, some of them out of range.

use chrono::{DateTime, TimeZone, Utc};
use confab_core::Timestamp;

/// Imported text is history, not input: the one rule for text from elsewhere
/// ([`app::limits::replace_nul`]) applies, NUL becomes U+FFFD instead of failing the file.
pub(super) fn clean_text(text: &str) -> String {
    app::limits::replace_nul(text).into_owned()
}

/// A title on one line: line breaks and tabs become spaces, and what a name may not hold
/// (other control characters, bidirectional overrides) U+FFFD ([`app::limits::clean_name`]).
pub(super) fn clean_title(title: &str) -> String {
    let spaced: String = title.chars().map(|c| if matches!(c, '\t' | '\n' | '\r') { ' ' } else { c }).collect();
    app::limits::clean_name(spaced.trim()).into_owned()
}

/// The earliest time an imported conversation may claim: anything before is taken as a
/// broken timestamp.
fn earliest() -> Timestamp {
    Utc.with_ymd_and_hms(1990, 1, 1, 0, 0, 0).single().expect("a valid date")
}

/// Whether `at` can be a real time of a conversation imported at `now`: not before 1990,
/// and not more than a day ahead (a little clock skew is forgiven).
pub(super) fn plausible(at: Timestamp, now: Timestamp) -> bool {
    at >= earliest() && at <= now + chrono::Duration::days(1)
}

/// A Unix time as a number, in seconds (ChatGPT, Open WebUI), or in milliseconds,
/// microseconds or nanoseconds (told apart by size: 1e11 seconds is past the year 5000).
/// `None` when it is not a plausible time.
pub(super) fn from_epoch(value: f64, now: Timestamp) -> Option<Timestamp> {
    if !value.is_finite() || value <= 0.0 {
        return None;
    }
    let seconds = if value >= 1e17 {
        value / 1e9
    } else if value >= 1e14 {
        value / 1e6
    } else if value >= 1e11 {
        value / 1e3
    } else {
        value
    };
    let millis = (seconds * 1000.0).round();
    if millis > i64::MAX as f64 {
        return None;
    }
    let at = Utc.timestamp_millis_opt(millis as i64).single()?;
    plausible(at, now).then_some(at)
}

/// An RFC 3339 time (LibreChat's `createdAt`); `None` when it is not one or not plausible.
pub(super) fn from_text(value: &str, now: Timestamp) -> Option<Timestamp> {
    let at = DateTime::parse_from_rfc3339(value.trim()).ok()?.with_timezone(&Utc);
    plausible(at, now).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap()
    }

    #[test]
    fn nul_becomes_a_replacement_character_and_titles_lose_what_names_may_not_hold() {
        assert_eq!(clean_text("a\0b\u{7}c\td\ne\rf"), "a\u{FFFD}b\u{7}c\td\ne\rf", "as message bodies keep them");
        assert_eq!(clean_text("plain ünïcode ✓"), "plain ünïcode ✓");
        assert_eq!(clean_title("  two\nlines\0 "), "two lines\u{FFFD}");
        assert_eq!(clean_title("evil\u{202E}txt"), "evil\u{FFFD}txt", "no bidirectional override in a title");
    }

    #[test]
    fn epoch_numbers_in_any_unit_and_implausible_ones_refused() {
        let at = Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap();
        let seconds = at.timestamp() as f64;
        assert_eq!(from_epoch(seconds, now()), Some(at));
        assert_eq!(from_epoch(seconds + 0.25, now()).unwrap().timestamp_subsec_millis(), 250);
        assert_eq!(from_epoch(seconds * 1e3, now()), Some(at));
        assert_eq!(from_epoch(seconds * 1e6, now()), Some(at));
        assert_eq!(from_epoch(seconds * 1e9, now()), Some(at));
        for bad in [0.0, -5.0, f64::NAN, f64::INFINITY, 1e300, 100.0, 4102444800.0] {
            assert_eq!(from_epoch(bad, now()), None, "{bad}");
        }
    }

    #[test]
    fn text_times_must_be_rfc3339_and_plausible() {
        let at = Utc.with_ymd_and_hms(2024, 5, 1, 16, 35, 11).unwrap() + chrono::Duration::milliseconds(530);
        assert_eq!(from_text("2024-05-01T16:35:11.530Z", now()), Some(at));
        assert_eq!(from_text("yesterday", now()), None);
        assert_eq!(from_text("9999-01-01T00:00:00Z", now()), None);
        assert_eq!(from_text("1900-01-01T00:00:00Z", now()), None);
    }
}
