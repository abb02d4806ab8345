//! What a client may send, in one place for the browser, the server's checks and the wire
//! types' schema: the field limits, and the rules for the characters of text.
//!
//! Two kinds of text, two rules:
//! - Text a client sends is checked, and refused (`400 invalid_field`, naming the field) when
//!   it breaks a rule: NUL (U+0000) anywhere (PostgreSQL's `text` cannot hold it, so both
//!   backends refuse it alike); in short names (titles, usernames, branch names) also every
//!   other control character and the bidirectional formatting characters, which can make a
//!   name display as something else. Message bodies keep tabs, newlines and other control
//!   characters (pasted terminal output has them).
//! - Text that is history or comes from elsewhere (a model's reply, a tool's output, an
//!   imported file) is never refused: [`replace_nul`] (and [`clean_name`] for names) turns
//!   what cannot be kept into U+FFFD before it is saved or sent.
//!
//! Lengths are counted in characters (Unicode scalar values), as JSON Schema's `maxLength`.

use std::borrow::Cow;
use std::fmt;

/// The longest conversation title.
pub const MAX_TITLE_CHARS: usize = 200;
/// The longest branch name.
pub const MAX_BRANCH_CHARS: usize = 100;
/// The longest reason given when denying tool calls.
pub const MAX_DENY_REASON_CHARS: usize = 2_000;
/// The longest `client_action_id`.
pub const MAX_CLIENT_ACTION_ID_CHARS: usize = 128;
/// The most tool call ids one approve or deny may name.
pub const MAX_TOOL_CALL_IDS: usize = 64;
/// The longest message by default (the server's `--max-message-chars`).
pub const DEFAULT_MAX_MESSAGE_CHARS: usize = 100_000;
/// The shortest username.
pub const MIN_USERNAME_CHARS: usize = 3;
/// The longest username.
pub const MAX_USERNAME_CHARS: usize = 32;
/// The shortest password.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// The longest password.
pub const MAX_PASSWORD_CHARS: usize = 256;
/// The longest search query.
pub const MAX_SEARCH_QUERY_CHARS: usize = 200;
/// A model id, `provider/name`.
pub const MAX_MODEL_CHARS: usize = 200;
/// A system prompt.
pub const MAX_SYSTEM_PROMPT_CHARS: usize = 20_000;
/// A preset's name.
pub const MAX_PRESET_NAME_CHARS: usize = 100;

/// What stands in for a character that cannot be kept.
pub const REPLACEMENT: char = '\u{FFFD}';

/// Why one field of a request is refused: the field, and a sentence for people that names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        FieldError { field, message: message.into() }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FieldError {}

/// The bidirectional formatting characters: the embeddings and overrides (U+202A-U+202E),
/// the isolates (U+2066-U+2069) and the marks (U+200E, U+200F, U+061C).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Whether a short name may not hold `c`: a control character (Unicode Cc, NUL included) or
/// a bidirectional formatting character.
pub fn is_refused_in_names(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// Any text a client sends (a message, a password, a reason): NUL is refused.
pub fn check_text(field: &'static str, text: &str) -> Result<(), FieldError> {
    if text.contains('\0') {
        return Err(FieldError::new(field, format!("{field} must not contain NUL characters (U+0000)")));
    }
    Ok(())
}

/// A short name a client sends (a title, a username, a branch name): control characters
/// and bidirectional formatting characters are refused.
pub fn check_name(field: &'static str, name: &str) -> Result<(), FieldError> {
    if name.chars().any(char::is_control) {
        return Err(FieldError::new(field, format!("{field} must not contain control characters")));
    }
    if name.chars().any(is_bidi_control) {
        return Err(FieldError::new(
            field,
            format!("{field} must not contain bidirectional formatting characters (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F)"),
        ));
    }
    Ok(())
}

/// At most `max` characters.
pub fn check_max_chars(field: &'static str, text: &str, max: usize) -> Result<(), FieldError> {
    if text.chars().count() > max {
        return Err(FieldError::new(field, format!("{field} is longer than {max} characters")));
    }
    Ok(())
}

/// A conversation title as it is kept: trimmed, not empty, at most `max` characters, a name.
pub fn check_title(title: &str, max: usize) -> Result<String, FieldError> {
    let title = title.trim();
    if title.is_empty() {
        return Err(FieldError::new("title", "title must not be empty"));
    }
    check_name("title", title)?;
    check_max_chars("title", title, max)?;
    Ok(title.to_string())
}

/// A branch name: a name of 1 to [`MAX_BRANCH_CHARS`] characters.
pub fn check_branch(branch: &str) -> Result<(), FieldError> {
    check_name("branch", branch)?;
    check_max_chars("branch", branch, MAX_BRANCH_CHARS)
}

/// [`is_username_char`] as the JSON Schema `pattern` of the wire types.
pub const USERNAME_PATTERN: &str = "^[A-Za-z0-9_.-]+$";

/// Whether a username may hold `c`: ASCII letters and digits, `_`, `.` and `-`.
pub fn is_username_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// A username for a new account, as it is kept (trimmed).
pub fn check_username(username: &str) -> Result<String, FieldError> {
    let username = username.trim();
    check_name("username", username)?;
    let length = username.chars().count();
    if !(MIN_USERNAME_CHARS..=MAX_USERNAME_CHARS).contains(&length) || !username.chars().all(is_username_char) {
        return Err(FieldError::new(
            "username",
            format!(
                "username: {MIN_USERNAME_CHARS} to {MAX_USERNAME_CHARS} characters, letters, digits, '_', '-' or '.'"
            ),
        ));
    }
    Ok(username.to_string())
}

/// A password for a new account (or a changed one).
pub fn check_password(password: &str) -> Result<(), FieldError> {
    check_text("password", password)?;
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&password.chars().count()) {
        return Err(FieldError::new(
            "password",
            format!("password: {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    Ok(())
}

/// Text from elsewhere (a model, a tool, an imported file) as it can be kept: every NUL
/// becomes U+FFFD. Borrows when there is none, which is nearly always.
pub fn replace_nul(text: &str) -> Cow<'_, str> {
    if text.contains('\0') {
        Cow::Owned(text.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// [`replace_nul`] for an owned string, without a copy when there is no NUL.
pub fn replace_nul_owned(text: String) -> String {
    match replace_nul(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(clean) => clean,
    }
}

/// A name from elsewhere (an imported title or branch, a title a model wrote) as it can be
/// kept: every character [`check_name`] refuses becomes U+FFFD.
pub fn clean_name(name: &str) -> Cow<'_, str> {
    if name.chars().any(is_refused_in_names) {
        Cow::Owned(name.chars().map(|c| if is_refused_in_names(c) { REPLACEMENT } else { c }).collect())
    } else {
        Cow::Borrowed(name)
    }
}

/// Every string in a JSON value (object keys too) through [`replace_nul`].
pub fn replace_nul_in_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(text) => {
            if text.contains('\0') {
                *text = text.replace('\0', "\u{FFFD}");
            }
        }
        Value::Array(items) => items.iter_mut().for_each(replace_nul_in_json),
        Value::Object(map) => {
            if map.keys().any(|key| key.contains('\0')) {
                let entries = std::mem::take(map);
                for (key, mut item) in entries {
                    replace_nul_in_json(&mut item);
                    map.insert(replace_nul_owned(key), item);
                }
            } else {
                map.values_mut().for_each(replace_nul_in_json);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_refused_in_any_text_and_other_control_characters_are_kept_in_bodies() {
        assert!(check_text("content", "line one\nline two\ttabbed\r\n\u{1b}[31mred\u{7}").is_ok());
        let refused = check_text("content", "before\0after").unwrap_err();
        assert_eq!(refused.field, "content");
        assert!(refused.message.starts_with("content must not contain NUL"), "{refused}");
        assert!(check_text("password", "\0").is_err());
    }

    #[test]
    fn names_refuse_every_control_character_and_the_bidirectional_ones() {
        for bad in ["a\0b", "tab\there", "new\nline", "\u{7f}", "\u{85}next line", "\u{9f}"] {
            let refused = check_name("title", bad).unwrap_err();
            assert_eq!(refused.message, "title must not contain control characters", "{bad:?}");
        }
        for bad in ["evil\u{202E}txt.exe", "\u{202A}", "\u{2066}x\u{2069}", "\u{200E}", "\u{200F}", "\u{061C}"] {
            let refused = check_name("branch", bad).unwrap_err();
            assert!(refused.message.starts_with("branch must not contain bidirectional"), "{bad:?}");
        }
        for good in ["Plans for 2025", "Ünïcödé 日本語 😀", "zero\u{200B}width", "a-b_c.d"] {
            assert!(check_name("title", good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn a_title_is_trimmed_and_bounded() {
        assert_eq!(check_title("  Trip  ", MAX_TITLE_CHARS).unwrap(), "Trip");
        assert_eq!(check_title(" \n ", MAX_TITLE_CHARS).unwrap_err().message, "title must not be empty");
        assert!(check_title(&"x".repeat(MAX_TITLE_CHARS), MAX_TITLE_CHARS).is_ok());
        let long = check_title(&"é".repeat(MAX_TITLE_CHARS + 1), MAX_TITLE_CHARS).unwrap_err();
        assert_eq!(long.message, "title is longer than 200 characters");
        assert!(check_title("a\u{202E}b", MAX_TITLE_CHARS).is_err());
        assert!(check_title("a\0", MAX_TITLE_CHARS).is_err());
    }

    #[test]
    fn branches_are_names_of_bounded_length() {
        assert!(check_branch("main").is_ok());
        assert!(check_branch(&"b".repeat(MAX_BRANCH_CHARS)).is_ok());
        assert!(check_branch(&"b".repeat(MAX_BRANCH_CHARS + 1)).is_err());
        assert_eq!(check_branch("ma\0in").unwrap_err().field, "branch");
    }

    #[test]
    fn usernames_and_passwords() {
        assert_eq!(check_username(" alice.b-c_1 ").unwrap(), "alice.b-c_1");
        for bad in ["al", &"a".repeat(MAX_USERNAME_CHARS + 1), "with space", "émile", "semi;colon"] {
            assert_eq!(check_username(bad).unwrap_err().field, "username", "{bad:?}");
        }
        let nul = check_username("ali\0ce").unwrap_err();
        assert_eq!(nul.message, "username must not contain control characters");
        assert!(check_password("correct horse").is_ok());
        assert!(check_password("short").is_err());
        assert!(check_password(&"p".repeat(MAX_PASSWORD_CHARS + 1)).is_err());
        let nul = check_password("correct\0horse").unwrap_err();
        assert_eq!(
            (nul.field, nul.message.as_str()),
            ("password", "password must not contain NUL characters (U+0000)")
        );
    }

    #[test]
    fn nul_from_elsewhere_becomes_the_replacement_character() {
        assert!(matches!(replace_nul("nothing to do\n\t"), Cow::Borrowed(_)));
        assert_eq!(replace_nul("a\0b\0"), "a\u{FFFD}b\u{FFFD}");
        assert_eq!(replace_nul_owned("\0".to_string()), "\u{FFFD}");
        assert_eq!(clean_name("ti\ttle\u{202E}\0"), "ti\u{FFFD}tle\u{FFFD}\u{FFFD}");
        assert!(matches!(clean_name("fine title"), Cow::Borrowed(_)));
        assert!(check_name("title", &clean_name("\u{1}\u{2066}x")).is_ok());
    }

    #[test]
    fn nul_in_json_strings_and_keys_is_replaced() {
        let parse = |json: &str| serde_json::from_str::<serde_json::Value>(json).unwrap();
        let mut value =
            parse(r#"{ "path": "a\u0000b", "list": ["\u0000", 1, null], "k\u0000": { "deep": "x\u0000" } }"#);
        replace_nul_in_json(&mut value);
        let expected = r#"{ "path": "a\ufffdb", "list": ["\ufffd", 1, null], "k\ufffd": { "deep": "x\ufffd" } }"#;
        assert_eq!(value, parse(expected));
        assert!(!value.to_string().contains("\\u0000"));
    }
}
