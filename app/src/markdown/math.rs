//! Math in messages: `$...$` and `$$...$$` (which pulldown-cmark finds), `\(...\)` and
//! `\[...\]` (turned into those first, outside code), rendered to MathML by pulldown-latex,
//! which browsers draw themselves: no JavaScript math library. The LaTeX parser lives only on
//! the server, to keep it out of the page's wasm: a page rendered there carries the MathML,
//! and one the browser renders carries each formula as its source, marked, until the server
//! has drawn it (`POST /api/math`, `chat/math.rs`). A formula that cannot be read is shown as
//! its source.

use std::borrow::Cow;

/// The HTML for one formula where it is rendered: MathML on the server, a placeholder that
/// shows its source in the browser.
pub fn formula_html(source: &str, display: bool) -> String {
    #[cfg(feature = "ssr")]
    return to_mathml(source, display);
    #[cfg(not(feature = "ssr"))]
    return pending(source, display);
}

/// The MathML for one formula, or its source as code when it cannot be read.
#[cfg(feature = "ssr")]
pub fn to_mathml(source: &str, display: bool) -> String {
    use pulldown_latex::config::DisplayMode;
    use pulldown_latex::{push_mathml, Parser, RenderConfig, Storage};

    let storage = Storage::new();
    let events: Result<Vec<_>, _> = Parser::new(source, &storage).collect();
    let mode = if display { DisplayMode::Block } else { DisplayMode::Inline };
    let rendered = events.ok().and_then(|events| {
        let mut out = String::new();
        let config = RenderConfig { display_mode: mode, ..RenderConfig::default() };
        let events = events.into_iter().map(Ok::<_, pulldown_latex::ParserError>);
        push_mathml(&mut out, events, config).ok().map(|()| out)
    });
    rendered.unwrap_or_else(|| source_as_code(source, display, UNREADABLE))
}

/// A formula not drawn yet: its source, with what the browser sends the server to draw it.
pub fn pending(source: &str, display: bool) -> String {
    let (open, close) = delimiters(display);
    format!(
        "<code class=\"math-pending\" data-tex=\"{tex}\" data-display=\"{display}\">{open}{tex}{close}</code>",
        tex = escape(source)
    )
}

/// Why a formula is shown as its source, as its tooltip says.
pub const UNREADABLE: &str = "This formula could not be read";
pub const TOO_LONG: &str = "This formula is too long to draw";

/// A formula shown as its source, with `why` as its tooltip.
pub fn source_as_code(source: &str, display: bool, why: &str) -> String {
    let (open, close) = delimiters(display);
    format!("<code class=\"math-source\" title=\"{why}\">{open}{}{close}</code>", escape(source))
}

fn delimiters(display: bool) -> (&'static str, &'static str) {
    if display {
        ("$$", "$$")
    } else {
        ("$", "$")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// `\(...\)` becomes `$...$` and `\[...\]` becomes `$$...$$`, except in code (fenced blocks
/// and backtick spans), where a backslash is what it is.
pub fn dollar_delimiters(markdown: &str) -> Cow<'_, str> {
    if !markdown.contains("\\(") && !markdown.contains("\\[") {
        return Cow::Borrowed(markdown);
    }
    let mut out = String::with_capacity(markdown.len());
    let mut fence: Option<String> = None;
    for line in markdown.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let marker: String = trimmed.chars().take_while(|c| *c == '`' || *c == '~').collect();
        match &fence {
            Some(open) => {
                if marker.len() >= open.len() && marker.starts_with(&open[..1]) {
                    fence = None;
                }
                out.push_str(line);
            }
            None if marker.len() >= 3 && line.len() - trimmed.len() <= 3 => {
                fence = Some(marker);
                out.push_str(line);
            }
            None => out.push_str(&outside_code_spans(line)),
        }
    }
    Cow::Owned(out)
}

/// One line of prose: the delimiters replaced, backtick spans left alone.
fn outside_code_spans(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while !rest.is_empty() {
        if let Some(tick) = rest.find('`') {
            out.push_str(&replace_delimiters(&rest[..tick]));
            let run = rest[tick..].chars().take_while(|c| *c == '`').count();
            let after = &rest[tick + run..];
            // The span ends at the next run of as many backticks; without one, they are text.
            match after.find(&"`".repeat(run)) {
                Some(end) => {
                    out.push_str(&rest[tick..tick + run + end + run]);
                    rest = &after[end + run..];
                }
                None => {
                    out.push_str(&rest[tick..tick + run]);
                    rest = after;
                }
            }
        } else {
            out.push_str(&replace_delimiters(rest));
            break;
        }
    }
    out
}

fn replace_delimiters(text: &str) -> String {
    text.replace("\\[", "$$").replace("\\]", "$$").replace("\\(", "$").replace("\\)", "$")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "ssr")]
    #[test]
    fn formulas_become_mathml_and_broken_ones_show_their_source() {
        let html = to_mathml(r"e^{i\pi}+1=0", false);
        assert!(html.starts_with("<math") && html.contains("<mi>π</mi>"), "{html}");
        assert!(to_mathml(r"\sum_{n=1}^\infty", true).contains("display=\"block\""));
        let broken = to_mathml(r"\frac{1}{<b>", false);
        assert!(to_mathml(r"\frac{1}", false).contains("math-source"));
        assert!(crate::markdown::to_html(r"see $\frac{1}$ here").contains("<code class=\"math-source\""));
        assert!(broken.contains("class=\"math-source\"") && broken.contains("&lt;b&gt;"), "{broken}");
        assert!(!broken.contains("<b>"));
        for hostile in [r"a<b", r"\text{<script>alert(1)</script>}", r"\href{javascript:alert(1)}{x}"] {
            let html = to_mathml(hostile, false);
            assert!(!html.contains("<script") && !html.contains("<b") && !html.contains("href="), "{html}");
        }
    }

    #[test]
    fn a_formula_the_browser_renders_waits_as_its_source_safely_quoted() {
        let html = pending(r#"a<b "x" & y"#, true);
        assert_eq!(
            html,
            "<code class=\"math-pending\" data-tex=\"a&lt;b &quot;x&quot; &amp; y\" data-display=\"true\">\
             $$a&lt;b &quot;x&quot; &amp; y$$</code>"
        );
        assert!(pending("x", false).contains("data-display=\"false\">$x$</code>"));
    }

    #[test]
    fn backslash_delimiters_become_dollars_outside_code() {
        assert_eq!(dollar_delimiters(r"so \(x^2\) and \[y\]"), r"so $x^2$ and $$y$$");
        assert_eq!(dollar_delimiters(r"code `\(x\)` stays, \(y\) not"), r"code `\(x\)` stays, $y$ not");
        let fenced = "```latex\n\\(x\\)\n```\n\\(z\\)\n";
        assert_eq!(dollar_delimiters(fenced), "```latex\n\\(x\\)\n```\n$z$\n");
        assert!(matches!(dollar_delimiters("no math"), Cow::Borrowed(_)));
    }
}
