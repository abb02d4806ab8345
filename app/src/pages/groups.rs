//! The sidebar's sections: pinned conversations first, then each folder, then the rest by
//! when they were last active (Today, Yesterday, Previous 7 days, Previous 30 days, then by
//! month), in the reader's own time zone.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use uuid::Uuid;

use crate::wire::{ContextSummaryDTO, FolderDTO};

#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Stable across renders: what the list is keyed by.
    pub key: String,
    pub label: String,
    /// The folder this section shows, for its menu and as a drop target.
    pub folder: Option<Uuid>,
    pub items: Vec<ContextSummaryDTO>,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Which date section a conversation last active at `at` goes in, seen at `now` in a zone
/// `offset` east of UTC.
pub fn date_label(at: DateTime<Utc>, now: DateTime<Utc>, offset: FixedOffset) -> String {
    let day = |t: DateTime<Utc>| t.with_timezone(&offset).date_naive();
    let (then, today) = (day(at), day(now));
    let days = (today - then).num_days();
    match days {
        ..=0 => "Today".into(),
        1 => "Yesterday".into(),
        2..=7 => "Previous 7 days".into(),
        8..=30 => "Previous 30 days".into(),
        _ => month_label(then, today),
    }
}

fn month_label(then: NaiveDate, today: NaiveDate) -> String {
    let month = MONTHS[then.month0() as usize];
    if then.year() == today.year() {
        month.to_string()
    } else {
        format!("{month} {}", then.year())
    }
}

/// The sections of `list` (most recently active first), with every folder shown even when
/// empty, so that it can be dropped on.
pub fn sections(
    list: &[ContextSummaryDTO],
    folders: &[FolderDTO],
    now: DateTime<Utc>,
    offset: FixedOffset,
) -> Vec<Section> {
    let known = |id: &Option<Uuid>| id.is_some_and(|id| folders.iter().any(|f| f.id == id));
    let mut out = Vec::new();
    let pinned: Vec<_> = list.iter().filter(|c| c.pinned).cloned().collect();
    if !pinned.is_empty() {
        out.push(Section { key: "pinned".into(), label: "Pinned".into(), folder: None, items: pinned });
    }
    for folder in folders {
        let items = list.iter().filter(|c| !c.pinned && c.folder_id == Some(folder.id)).cloned().collect();
        out.push(Section {
            key: format!("folder-{}", folder.id),
            label: folder.name.clone(),
            folder: Some(folder.id),
            items,
        });
    }
    for summary in list.iter().filter(|c| !c.pinned && !known(&c.folder_id)) {
        let label = date_label(summary.updated_at, now, offset);
        match out.last_mut() {
            Some(section) if section.folder.is_none() && section.key == format!("date-{label}") => {
                section.items.push(summary.clone())
            }
            _ => out.push(Section { key: format!("date-{label}"), label, folder: None, items: vec![summary.clone()] }),
        }
    }
    out
}

/// The time now, by the browser's clock (or the machine's, off the browser).
pub fn now() -> DateTime<Utc> {
    #[cfg(feature = "hydrate")]
    let millis = js_sys::Date::now() as i64;
    #[cfg(not(feature = "hydrate"))]
    let millis = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

/// How far east of UTC the browser's clock is; UTC on the server.
pub fn local_offset() -> FixedOffset {
    #[cfg(feature = "hydrate")]
    let minutes = -(js_sys::Date::new_0().get_timezone_offset() as i32);
    #[cfg(not(feature = "hydrate"))]
    let minutes = 0;
    FixedOffset::east_opt(minutes * 60).unwrap_or(FixedOffset::east_opt(0).expect("UTC"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ChatStatus;
    use chrono::TimeZone;

    fn summary(n: u128, at: DateTime<Utc>) -> ContextSummaryDTO {
        ContextSummaryDTO {
            id: Uuid::from_u128(n),
            title: format!("c{n}"),
            status: ChatStatus::Idle,
            version: 1,
            created_at: at,
            updated_at: at,
            pinned: false,
            archived: false,
            folder_id: None,
        }
    }

    fn days_ago(now: DateTime<Utc>, days: i64) -> DateTime<Utc> {
        now - chrono::Duration::days(days)
    }

    fn utc() -> FixedOffset {
        FixedOffset::east_opt(0).unwrap()
    }

    #[test]
    fn dates_fall_into_the_usual_sections() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap();
        let label = |days| date_label(days_ago(now, days), now, utc());
        assert_eq!(label(0), "Today");
        assert_eq!(label(1), "Yesterday");
        assert_eq!(label(5), "Previous 7 days");
        assert_eq!(label(20), "Previous 30 days");
        assert_eq!(label(60), "September");
        assert_eq!(label(400), "October 2025");
    }

    #[test]
    fn the_day_is_the_readers_own() {
        // 23:30 UTC on the 25th is already the 26th in Berlin, and still the 25th in New York.
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 23, 30, 0).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap();
        assert_eq!(date_label(at, now, FixedOffset::east_opt(3600).unwrap()), "Today");
        assert_eq!(date_label(at, now, FixedOffset::west_opt(5 * 3600).unwrap()), "Yesterday");
    }

    #[test]
    fn pinned_then_folders_then_dates() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap();
        let folder = FolderDTO { id: Uuid::from_u128(100), name: "Work".into(), created_at: now };
        let mut list =
            vec![summary(1, now), summary(2, now), summary(3, days_ago(now, 1)), summary(4, days_ago(now, 3))];
        list[1].pinned = true;
        list[2].folder_id = Some(folder.id);
        list[3].folder_id = Some(Uuid::from_u128(999)); // a folder that is gone
        let sections = sections(&list, &[folder], now, utc());
        let shape: Vec<(&str, Vec<u128>)> =
            sections.iter().map(|s| (s.label.as_str(), s.items.iter().map(|c| c.id.as_u128()).collect())).collect();
        assert_eq!(shape, [("Pinned", vec![2]), ("Work", vec![3]), ("Today", vec![1]), ("Previous 7 days", vec![4])]);
    }
}
