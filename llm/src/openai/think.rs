//! Splits a `<think>...</think>` block off the start of a reply's text.
//!
//! Some models (Qwen, DeepSeek-R1 served by Ollama and others) write their reasoning into the
//! answer itself, wrapped in `<think>` tags. Only a block that opens the reply (after any
//! whitespace) is reasoning: a `<think>` later on is part of the answer, say in a code
//! sample. The tags may be split across chunks at any byte, so text that could still become a
//! tag is held back until the next chunk decides; a partial tag is never shown as answer text.

use crate::StreamEvent;

const OPEN: &str = "<think>";
const CLOSE: &str = "</think>";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Nothing but whitespace yet: the reply may still open with `<think>`.
    Start,
    /// Inside the block: text is reasoning until `</think>`.
    Thinking,
    /// Just after `</think>`: the whitespace that separates it from the answer is dropped.
    AfterThinking,
    /// The answer: everything is text.
    Answer,
}

#[derive(Debug)]
pub(crate) struct ThinkSplitter {
    phase: Phase,
    /// Text held back until it is known what it is (at most a tag's length, plus leading
    /// whitespace at the start).
    held: String,
}

impl Default for ThinkSplitter {
    fn default() -> Self {
        ThinkSplitter { phase: Phase::Start, held: String::new() }
    }
}

impl ThinkSplitter {
    /// Takes the next piece of content and returns the events it completes.
    pub(crate) fn push(&mut self, piece: &str) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        if self.phase == Phase::Answer {
            emit_text(&mut out, piece.to_string());
            return out;
        }
        self.held.push_str(piece);
        loop {
            match self.phase {
                Phase::Start => {
                    let body = self.held.trim_start();
                    if let Some(rest) = body.strip_prefix(OPEN) {
                        self.held = rest.to_string();
                        self.phase = Phase::Thinking;
                    } else if OPEN.starts_with(body) {
                        return out; // whitespace, or the start of the tag: wait for more
                    } else {
                        self.phase = Phase::Answer;
                        emit_text(&mut out, std::mem::take(&mut self.held));
                        return out;
                    }
                }
                Phase::Thinking => match self.held.find(CLOSE) {
                    Some(at) => {
                        let rest = self.held.split_off(at);
                        emit_reasoning(&mut out, std::mem::take(&mut self.held));
                        self.held = rest[CLOSE.len()..].to_string();
                        self.phase = Phase::AfterThinking;
                    }
                    None => {
                        let keep = partial_tag_len(&self.held, CLOSE);
                        let rest = self.held.split_off(self.held.len() - keep);
                        emit_reasoning(&mut out, std::mem::replace(&mut self.held, rest));
                        return out;
                    }
                },
                Phase::AfterThinking => {
                    let answer = self.held.trim_start();
                    if !answer.is_empty() {
                        self.phase = Phase::Answer;
                        emit_text(&mut out, answer.to_string());
                    }
                    self.held.clear();
                    return out;
                }
                Phase::Answer => {
                    emit_text(&mut out, std::mem::take(&mut self.held));
                    return out;
                }
            }
        }
    }

    /// The content ended: whatever was held back is what it looked like (a reply that is only
    /// `<thi` is text; an unclosed block is reasoning).
    pub(crate) fn finish(&mut self) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        let held = std::mem::take(&mut self.held);
        match self.phase {
            Phase::Start | Phase::Answer => emit_text(&mut out, held),
            Phase::Thinking => emit_reasoning(&mut out, held),
            Phase::AfterThinking => {}
        }
        out
    }
}

/// The answer part of a whole reply, without a leading `<think>` block (a title written by a
/// reasoning model, say).
pub(crate) fn answer_only(reply: &str) -> String {
    let mut splitter = ThinkSplitter::default();
    let mut events = splitter.push(reply);
    events.extend(splitter.finish());
    events.into_iter().filter_map(|e| if let StreamEvent::Text(t) = e { Some(t) } else { None }).collect()
}

/// The length of the longest end of `text` that is the start of `tag` (but not all of it).
/// Tags are ASCII, so such an end always starts on a character boundary.
fn partial_tag_len(text: &str, tag: &str) -> usize {
    (1..tag.len()).rev().find(|&n| text.ends_with(&tag[..n])).unwrap_or(0)
}

fn emit_text(out: &mut Vec<StreamEvent>, text: String) {
    if !text.is_empty() {
        out.push(StreamEvent::Text(text));
    }
}

fn emit_reasoning(out: &mut Vec<StreamEvent>, text: String) {
    if !text.is_empty() {
        out.push(StreamEvent::Reasoning(text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `pieces` and returns (reasoning, text), each concatenated, checking on the way
    /// that no text event ever carries a partial tag at its end.
    fn run(pieces: &[&str]) -> (String, String) {
        let mut splitter = ThinkSplitter::default();
        let mut events = Vec::new();
        for piece in pieces {
            events.extend(splitter.push(piece));
        }
        events.extend(splitter.finish());
        let (mut reasoning, mut text) = (String::new(), String::new());
        for event in events {
            match event {
                StreamEvent::Reasoning(r) => reasoning.push_str(&r),
                StreamEvent::Text(t) => text.push_str(&t),
                other => panic!("unexpected {other:?}"),
            }
        }
        (reasoning, text)
    }

    /// Every way to cut `sample` in two, and in three, at character boundaries.
    fn splits(sample: &str) -> Vec<Vec<&str>> {
        let cuts: Vec<usize> = (0..=sample.len()).filter(|&i| sample.is_char_boundary(i)).collect();
        let mut out = Vec::new();
        for &a in &cuts {
            out.push(vec![&sample[..a], &sample[a..]]);
            for &b in cuts.iter().filter(|&&b| b >= a) {
                out.push(vec![&sample[..a], &sample[a..b], &sample[b..]]);
            }
        }
        out
    }

    #[test]
    fn a_leading_block_is_reasoning_wherever_the_chunks_split() {
        let sample = "  <think>Let me weigh “this”.\nOK.</think>\n\nThe answer: <think> stays text.";
        for pieces in splits(sample) {
            assert_eq!(
                run(&pieces),
                ("Let me weigh “this”.\nOK.".to_string(), "The answer: <think> stays text.".to_string()),
                "{pieces:?}"
            );
        }
        let one_char_each: Vec<String> = sample.chars().map(String::from).collect();
        let one_char_each: Vec<&str> = one_char_each.iter().map(String::as_str).collect();
        assert_eq!(run(&one_char_each).0, "Let me weigh “this”.\nOK.");
    }

    #[test]
    fn a_tag_later_in_the_answer_is_text_wherever_the_chunks_split() {
        let sample = "Use <think>x</think> in the prompt.";
        for pieces in splits(sample) {
            assert_eq!(run(&pieces), (String::new(), sample.to_string()), "{pieces:?}");
        }
    }

    #[test]
    fn a_partial_tag_is_never_shown_until_it_is_known() {
        let mut splitter = ThinkSplitter::default();
        assert!(splitter.push(" <thi").is_empty());
        assert_eq!(splitter.push("nk>why</th"), vec![StreamEvent::Reasoning("why".into())]);
        assert_eq!(splitter.push("ink>"), vec![]);
        assert_eq!(splitter.push(" Yes"), vec![StreamEvent::Text("Yes".into())]);
        assert_eq!(splitter.finish(), vec![]);
    }

    #[test]
    fn answer_only_drops_the_leading_block() {
        assert_eq!(answer_only("<think>\nA title, then.\n</think>\n\nTrip to Lisbon"), "Trip to Lisbon");
        assert_eq!(answer_only("Plain <think>"), "Plain <think>");
    }

    #[test]
    fn what_was_held_back_comes_out_at_the_end() {
        assert_eq!(run(&["<thin"]), (String::new(), "<thin".to_string()));
        assert_eq!(run(&["  "]), (String::new(), "  ".to_string()));
        assert_eq!(run(&["<think>unfinished</thi"]), ("unfinished</thi".to_string(), String::new()));
        assert_eq!(run(&["<think>", "</think>"]), (String::new(), String::new()));
        assert_eq!(run(&["<b>bold</b>"]), (String::new(), "<b>bold</b>".to_string()));
    }
}
