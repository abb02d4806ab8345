//! File names as people gave them, made safe to store, show and put in a header.

/// The most characters a stored name keeps.
const MAX_CHARS: usize = 200;

/// The last path segment of `raw`, without control characters, quotes or backslashes,
/// trimmed and at most [`MAX_CHARS`] long; `"file"` when nothing is left.
pub fn clean_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\u{2028}' | '\u{2029}' | '\u{feff}'))
        .take(MAX_CHARS)
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    if trimmed.is_empty() {
        "file".to_string()
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::clean_name;

    #[test]
    fn a_path_keeps_only_its_last_segment() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\Users\\me\\notes.txt"), "notes.txt");
        assert_eq!(clean_name("photo.png"), "photo.png");
    }

    #[test]
    fn control_characters_and_quotes_go() {
        assert_eq!(clean_name("a\r\nSet-Cookie: x\".txt"), "aSet-Cookie: x.txt");
        assert_eq!(clean_name("\u{0}\u{7}"), "file");
        assert_eq!(clean_name("  "), "file");
        assert_eq!(clean_name(".."), "file");
        assert_eq!(clean_name(".hidden"), "hidden");
    }

    #[test]
    fn a_long_name_is_cut() {
        assert_eq!(clean_name(&"é".repeat(500)).chars().count(), 200);
    }
}
