//! Markdown to HTML with pulldown-cmark, made safe to put into the page: raw HTML in a
//! message is shown as text, never parsed, and links and images may only use safe schemes.
//! A message can therefore never inject script or markup.

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag};

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

/// The HTML for a message's Markdown.
pub fn to_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
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
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::to_html;

    #[test]
    fn markdown_renders() {
        let html =
            to_html("**bold** and `code`\n\n- one\n- two\n\n```rust\nfn main() {}\n```\n\n[site](https://example.com)");
        assert!(html.contains("<strong>bold</strong>"));
        assert!(html.contains("<code>code</code>"));
        assert!(html.contains("<li>one</li>"));
        assert!(html.contains("<pre><code class=\"language-rust\">"));
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
