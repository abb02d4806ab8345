//! A reply being written, drawn a block at a time. Once a top-level block (a paragraph, a
//! list, a code block) has another after it, Markdown can no longer change it, so its HTML
//! is made once and kept; each new token re-renders only the last, still-growing block. A
//! 20,000-token reply then costs each token what its last paragraph costs, not what the
//! whole reply does. The finished reply is rendered whole, once (references to link
//! definitions further down resolve only then).

use pulldown_cmark::{Event, Parser};

use super::{options, to_html};

/// A settled block: where it starts in the text, and its HTML.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub start: usize,
    pub html: String,
}

/// The text of a growing reply so far, its settled blocks rendered.
#[derive(Debug, Default)]
pub struct Growing {
    /// The text the settled blocks were made from: every update must start with it.
    settled_text: String,
    settled: Vec<Block>,
    /// Bumped when the text did not grow from what was seen (it was replaced): the blocks
    /// made so far no longer hold.
    generation: u64,
}

impl Growing {
    /// Takes the text as it is now: settles the blocks that now have another after them,
    /// and returns the HTML of the rest.
    pub fn update(&mut self, text: &str) -> String {
        if !text.starts_with(self.settled_text.as_str()) {
            self.settled_text.clear();
            self.settled.clear();
            self.generation += 1;
        }
        let done = self.settled_text.len();
        let rest = &text[done..];
        // Only a blank line ends a block for certain (a table takes any line that looks like
        // a row, a paragraph any line that does not start a block), and only once the line
        // after it is whole is it known what that starts ("2" may become "2. " of the same
        // list): blocks settle there.
        let mut from = 0;
        let settles = |&at: &usize| at > 0 && after_blank_line(rest, at) && rest[at..].contains('\n');
        for start in top_level_starts(rest).into_iter().filter(settles) {
            self.settled.push(Block { start: done + from, html: to_html(&rest[from..start]) });
            from = start;
        }
        self.settled_text.push_str(&rest[..from]);
        to_html(&text[self.settled_text.len()..])
    }

    pub fn settled(&self) -> &[Block] {
        &self.settled
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }
}

/// Whether the line before byte `at` (a line's start) is blank.
fn after_blank_line(text: &str, at: usize) -> bool {
    let before = text[..at].strip_suffix('\n').map(|b| b.strip_suffix('\r').unwrap_or(b));
    before.is_some_and(|before| before.rsplit('\n').next().is_some_and(|line| line.trim().is_empty()))
}

/// Where each top-level block of `markdown` starts, in bytes.
fn top_level_starts(markdown: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut depth = 0usize;
    for (event, range) in Parser::new_ext(markdown, options()).into_offset_iter() {
        match event {
            Event::Start(_) => {
                if depth == 0 {
                    starts.push(range.start);
                }
                depth += 1;
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            _ if depth == 0 => starts.push(range.start),
            _ => {}
        }
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `text` to a [`Growing`] `step` bytes at a time (on character boundaries), as
    /// a stream would, and returns what the page would show at the end.
    fn stream(text: &str, step: usize) -> (Growing, String) {
        let mut growing = Growing::default();
        let mut tail = String::new();
        let mut end = 0;
        while end < text.len() {
            end = (end + step).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            tail = growing.update(&text[..end]);
        }
        let shown = growing.settled().iter().map(|b| b.html.as_str()).chain([tail.as_str()]).collect();
        (growing, shown)
    }

    const REPLY: &str = "Here is how.\n\n1. First\n2. Second\n\n```rust\nfn main() {\n\n    println!(\"hi\");\n}\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n> quoted\nlazily\n\nTitle\n---\n\n- one\n\n- two\n\nLast *words*, `code` and $x^2$.";

    #[test]
    fn a_reply_streamed_in_pieces_shows_what_it_shows_when_rendered_whole() {
        for step in [1, 2, 3, 7, 50, REPLY.len()] {
            let (_, shown) = stream(REPLY, step);
            assert_eq!(shown, to_html(REPLY), "streamed {step} bytes at a time");
        }
        let list = "1. **One**\n\n2. **Two**\n\n10. Ten\n\n- a\n\n- b\n\nEnd";
        assert_eq!(stream(list, 1).1, to_html(list), "a loose list streamed stays one list");
        let (_, shown) = stream("Grüße 🎉\n\nnoch *mehr* Text", 1);
        assert_eq!(shown, to_html("Grüße 🎉\n\nnoch *mehr* Text"));
    }

    #[test]
    fn only_the_last_block_is_rendered_again() {
        let (growing, _) = stream(REPLY, 5);
        let starts: Vec<usize> = growing.settled().iter().map(|b| b.start).collect();
        assert_eq!(starts.len(), 6, "{starts:?}");
        assert_eq!(starts[0], 0);
        assert!(starts.windows(2).all(|w| w[0] < w[1]));
        // A long reply's last paragraph is all that is rendered per token.
        let long = "A paragraph of a long reply.\n\n".repeat(2_000);
        let mut growing = Growing::default();
        growing.update(&long);
        let tail = growing.update(&format!("{long}And the last one"));
        // The line in progress may still start anything, so the paragraph before it waits.
        assert_eq!(tail, "<p>A paragraph of a long reply.</p>\n<p>And the last one</p>\n");
    }

    #[test]
    fn a_block_still_open_is_not_settled() {
        let mut growing = Growing::default();
        growing.update("Intro\n\n```\ncode\n\nmore code");
        assert_eq!(growing.settled().len(), 1, "the unclosed fence goes on");
        let tail = growing.update("Intro\n\n| a |\n|---|\n|");
        assert!(tail.contains("<table>"), "a table may still take rows: {tail}");
        assert_eq!(growing.settled().len(), 1);
        growing.update("Other\n\n| a |\n");
        assert_eq!(growing.generation(), 1, "a text that did not grow starts again");
        assert_eq!(growing.settled().len(), 1);
        assert_eq!(growing.settled()[0].html, "<p>Other</p>\n");
    }
}
