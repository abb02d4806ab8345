//! Markdown to HTML with pulldown-cmark, made safe to put into the page: raw HTML in a
//! message is shown as text, never parsed, and links and images may only use safe schemes.
//! A message can therefore never inject script or markup.

mod growing;
pub mod math;

pub use growing::Growing;

use pulldown_cmark::{html, CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};

fn safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    match lower.split_once(':') {
        // A scheme: only the harmless ones.
        Some((scheme, _)) if !scheme.contains('/') && !scheme.contains('?') && !scheme.contains('#') => {
            matches!(scheme, "http" | "https" | "mailto")
        }
        // Relative links and fragments.
        _ => true,
    }
}

/// The Markdown a message is read with: GitHub's tables, strikethrough and task lists, and
/// math.
fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS | Options::ENABLE_MATH
}

/// Colours a code block: `(language, code)` to the inside of its `<code>`, or `None` for
/// plain text. The server has one; the browser asks the server instead.
pub type Highlighter<'h> = &'h dyn Fn(&str, &str) -> Option<String>;

/// The HTML for a message's Markdown. Each fenced or indented code block comes in a frame
/// with its language and a copy button (the page copies the block's text when it is
/// clicked).
pub fn to_html(markdown: &str) -> String {
    to_html_highlighted(markdown, &|_, _| None)
}

/// [`to_html`], with code blocks coloured by `highlight` where it can.
pub fn to_html_highlighted(markdown: &str, highlight: Highlighter<'_>) -> String {
    let source = math::dollar_delimiters(markdown);
    let events = Parser::new_ext(&source, options()).map(|event| match event {
        // Raw HTML becomes text: escaped by the writer, shown as typed.
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link { link_type, dest_url, title, id }) if !safe_url(&dest_url) => {
            Event::Start(Tag::Link { link_type, dest_url: CowStr::Borrowed("#"), title, id })
        }
        Event::Start(Tag::Image { link_type, dest_url, title, id }) if !safe_url(&dest_url) => {
            Event::Start(Tag::Image { link_type, dest_url: CowStr::Borrowed(""), title, id })
        }
        other => other,
    });
    // Only now, with every HTML of the message's own turned to text, is markup added.
    let mut framed: Vec<Event> = Vec::new();
    // Inside a code block: its language and its text so far.
    let mut block: Option<(String, String)> = None;
    for event in events {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let language = match &kind {
                    CodeBlockKind::Fenced(info) => language_label(info),
                    CodeBlockKind::Indented => String::new(),
                };
                let head = format!(
                    "<div class=\"code-block\"><div class=\"code-head\"><span class=\"code-lang\">{language}</span>\
                     <button type=\"button\" class=\"copy-code small quiet\" aria-label=\"Copy code\">Copy</button></div>"
                );
                framed.extend([Event::Html(head.into()), Event::Start(Tag::CodeBlock(kind))]);
                block = Some((language, String::new()));
            }
            Event::Text(text) if block.is_some() => block.as_mut().expect("in a block").1.push_str(&text),
            Event::End(TagEnd::CodeBlock) => {
                if let Some((language, code)) = block.take() {
                    let coloured = if language.is_empty() { None } else { highlight(&language, &code) };
                    framed.push(match coloured {
                        Some(html) => Event::Html(html.into()),
                        None => Event::Text(code.into()),
                    });
                }
                framed.extend([Event::End(TagEnd::CodeBlock), Event::Html("</div>".into())]);
            }
            Event::InlineMath(formula) => framed.push(Event::InlineHtml(math::formula_html(&formula, false).into())),
            Event::DisplayMath(formula) => framed.push(Event::InlineHtml(math::formula_html(&formula, true).into())),
            other => framed.push(other),
        }
    }
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, framed.into_iter());
    out
}

/// A code block's language as its label: the first word of the fence's info string, only
/// of the characters language names use (so it needs no escaping).
fn language_label(info: &str) -> String {
    let word = info.split_whitespace().next().unwrap_or("");
    word.chars().filter(|c| c.is_ascii_alphanumeric() || "+#-_.".contains(*c)).take(24).collect()
}

/// A title as plain text: Markdown's markup taken away (`**bold**` is `bold`, a link its
/// text), on one line.
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for event in Parser::new(markdown) {
        match event {
            Event::Text(text)
            | Event::Code(text)
            | Event::Html(text)
            | Event::InlineHtml(text)
            | Event::InlineMath(text)
            | Event::DisplayMath(text) => out.push_str(&text),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::BlockQuote(_)
                | TagEnd::CodeBlock
                | TagEnd::TableCell,
            ) => out.push(' '),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::{plain_text, to_html};

    #[test]
    fn a_code_blocks_label_cannot_carry_markup() {
        let html = to_html("```rust\"><script>x</script>\nlet a = 1;\n```");
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("<span class=\"code-lang\">rustscriptxscript</span>"), "{html}");
        let html = to_html("    indented code");
        assert!(html.contains("<span class=\"code-lang\"></span>") && html.ends_with("</div>"), "{html}");
    }

    #[test]
    fn titles_lose_their_markup() {
        assert_eq!(plain_text("Hello! Here is **bold**, a list:"), "Hello! Here is bold, a list:");
        assert_eq!(plain_text("# A *heading* with `code` and [a link](https://x.y)"), "A heading with code and a link");
        assert_eq!(plain_text("<b>tags</b> stay as typed"), "<b>tags</b> stay as typed");
        assert_eq!(plain_text("two\nlines"), "two lines");
    }

    #[test]
    fn markdown_renders() {
        let html =
            to_html("**bold** and `code`\n\n- one\n- two\n\n```rust\nfn main() {}\n```\n\n[site](https://example.com)");
        assert!(html.contains("<strong>bold</strong>"));
        assert!(html.contains("<code>code</code>"));
        assert!(html.contains("<li>one</li>"));
        assert!(html.contains("<pre><code class=\"language-rust\">"));
        assert!(html.contains("<span class=\"code-lang\">rust</span>"));
        assert!(html.contains("aria-label=\"Copy code\""));
        assert!(html.contains("<a href=\"https://example.com\">site</a>"));
    }

    #[test]
    fn html_in_a_message_stays_text() {
        let html = to_html("<script>alert(1)</script>\n\nhi <img src=x onerror=alert(1)> there");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    }

    #[test]
    fn dangerous_links_are_defused() {
        for url in ["javascript:alert(1)", "JavaScript:alert(1)", " data:text/html,x", "vbscript:x"] {
            let html = to_html(&format!("[click]({url}) ![img]({url})"));
            assert!(!html.to_lowercase().contains("javascript:"), "{html}");
            assert!(!html.contains("data:text"), "{html}");
            assert!(!html.contains("vbscript"), "{html}");
        }
        assert!(to_html("[rel](/c/1) [frag](#x) [mail](mailto:a@b.c)").matches("href=\"#\"").count() == 0);
    }
}
