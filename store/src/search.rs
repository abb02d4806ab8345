//! What full-text search answers, turning what a person typed into a safe query, and turning
//! what a store found into [`SearchHit`]s (the same for every backend).

use std::ops::Range;

use confab_core::{ContextId, MessageId};

use crate::records::parse_uuid;
use crate::StoreError;

/// One piece of a snippet; `highlight` marks the words that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnippetPart {
    pub text: String,
    pub highlight: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    pub context_id: ContextId,
    pub context_title: String,
    /// The matching message; `None` when the title matched.
    pub message_id: Option<MessageId>,
    pub snippet: Vec<SnippetPart>,
}

/// Markers a store puts around matched words (characters nobody types).
pub const HIGHLIGHT_START: char = '\u{2}';
pub const HIGHLIGHT_END: char = '\u{3}';

/// The words of a query, each matched as a word (the last one also as a prefix, for
/// search-as-you-type). Punctuation and operators are dropped, so no input is a syntax error.
pub fn query_terms(input: &str) -> Vec<String> {
    input.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).take(12).map(|w| w.to_lowercase()).collect()
}

/// An FTS5 query from the terms: every term must appear.
pub fn fts5_query(terms: &[String]) -> Option<String> {
    let (last, rest) = terms.split_last()?;
    let mut parts: Vec<String> = rest.iter().map(|t| format!("\"{t}\"")).collect();
    parts.push(format!("\"{last}\"*"));
    Some(parts.join(" "))
}

/// A PostgreSQL `tsquery` from the terms: every term must appear. Terms are letters and
/// digits only, so nothing a person types is read as an operator.
pub fn tsquery(terms: &[String]) -> Option<String> {
    let (last, rest) = terms.split_last()?;
    let mut parts: Vec<String> = rest.iter().map(|t| format!("'{t}'")).collect();
    parts.push(format!("'{last}':*"));
    Some(parts.join(" & "))
}

/// Splits a store's marked-up snippet into parts.
pub fn snippet_parts(marked: &str) -> Vec<SnippetPart> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut highlight = false;
    for c in marked.chars() {
        let switch = match c {
            HIGHLIGHT_START => Some(true),
            HIGHLIGHT_END => Some(false),
            _ => None,
        };
        match switch {
            Some(next) => {
                if !current.is_empty() {
                    parts.push(SnippetPart { text: std::mem::take(&mut current), highlight });
                }
                highlight = next;
            }
            None => current.push(c),
        }
    }
    if !current.is_empty() {
        parts.push(SnippetPart { text: current, highlight });
    }
    parts
}

/// A title that matched, as a store finds it: the context's id and title, and the title
/// marked up with [`HIGHLIGHT_START`] and [`HIGHLIGHT_END`].
pub(crate) type TitleRow = (String, String, String);

/// A message that matched: the context's id and title, the message's id, and a marked-up
/// snippet of its content.
pub(crate) type MessageRow = (String, String, String, String);

/// The hits of a search: titles first (a conversation named after the words is the likeliest
/// thing wanted), then messages, at most `limit` in all.
pub(crate) fn hits(
    titles: Vec<TitleRow>,
    messages: Vec<MessageRow>,
    limit: usize,
) -> Result<Vec<SearchHit>, StoreError> {
    let titles = titles.into_iter().map(|(id, title, snippet)| {
        Ok(SearchHit {
            context_id: parse_uuid(&id)?,
            context_title: title,
            message_id: None,
            snippet: snippet_parts(&snippet),
        })
    });
    let messages = messages.into_iter().map(|(id, title, message_id, snippet)| {
        Ok(SearchHit {
            context_id: parse_uuid(&id)?,
            context_title: title,
            message_id: Some(parse_uuid(&message_id)?),
            snippet: snippet_parts(&snippet),
        })
    });
    titles.chain(messages).take(limit).collect()
}

/// Plain substring search, for a store with no full-text index ([`crate::MemoryStore`]):
/// `text` matches when each term appears in it, in any case, inside a word or not (`is`
/// finds `this`); there is no stemming and no ranking but the number of matching words.
/// Returns that number and a snippet of about `window` words from a little before the
/// first matching word, each matching word marked up as a store marks it.
pub(crate) fn substring_match(text: &str, terms: &[String], window: usize) -> Option<(usize, String)> {
    if terms.is_empty() {
        return None;
    }
    let words = words(text);
    let lower: Vec<String> = words.iter().map(|range| text[range.clone()].to_lowercase()).collect();
    if !terms.iter().all(|term| lower.iter().any(|word| word.contains(term.as_str()))) {
        return None;
    }
    let matched: Vec<bool> = lower.iter().map(|word| terms.iter().any(|term| word.contains(term.as_str()))).collect();
    let first = matched.iter().position(|&m| m)?;
    let from = first.saturating_sub(window / 4);
    let to = (from + window).min(words.len());
    let mut snippet = String::new();
    if from > 0 {
        snippet.push('…');
    } else {
        snippet.push_str(&text[..words[0].start]);
    }
    for i in from..to {
        if i > from {
            snippet.push_str(&text[words[i - 1].end..words[i].start]);
        }
        let word = &text[words[i].clone()];
        if matched[i] {
            snippet.extend([HIGHLIGHT_START.to_string(), word.to_string(), HIGHLIGHT_END.to_string()]);
        } else {
            snippet.push_str(word);
        }
    }
    if to < words.len() {
        snippet.push('…');
    } else {
        snippet.push_str(&text[words[to - 1].end..]);
    }
    Some((matched.iter().filter(|&&m| m).count(), snippet))
}

/// Where the words of `text` are: its runs of letters and digits.
fn words(text: &str) -> Vec<Range<usize>> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(from)) => {
                words.push(from..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(from) = start {
        words.push(from..text.len());
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_words_only() {
        assert_eq!(query_terms("Hello, \"world\" OR NOT(x)*"), vec!["hello", "world", "or", "not", "x"]);
        assert_eq!(fts5_query(&query_terms("lisbon trip")).unwrap(), "\"lisbon\" \"trip\"*");
        assert_eq!(fts5_query(&[]), None);
        assert_eq!(tsquery(&query_terms("lisbon trip")).unwrap(), "'lisbon' & 'trip':*");
    }

    #[test]
    fn snippets_split_into_highlighted_parts() {
        let parts = snippet_parts("a \u{2}trip\u{3} to Lisbon");
        assert_eq!(parts.len(), 3);
        assert!(parts[1].highlight && parts[1].text == "trip");
        assert!(!parts[2].highlight);
    }

    #[test]
    fn substrings_match_in_any_case_and_are_marked() {
        let terms = query_terms("LISBON aqua");
        let (count, marked) = substring_match("We visit the aquarium in Lisbon!", &terms, 16).unwrap();
        assert_eq!(count, 2);
        assert_eq!(marked, "We visit the \u{2}aquarium\u{3} in \u{2}Lisbon\u{3}!");
        assert!(substring_match("We visit Lisbon", &terms, 16).is_none(), "every term must appear");
        assert!(substring_match("anything", &[], 16).is_none());
        let long = (0..40).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
        let (_, marked) = substring_match(&long, &query_terms("w20"), 8).unwrap();
        assert_eq!(marked, "…w18 w19 \u{2}w20\u{3} w21 w22 w23 w24 w25…");
    }
}
