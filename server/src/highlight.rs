//! Code highlighting, done here rather than in the browser so that the page's wasm stays
//! small: syntect with bat's syntaxes (two-face) turns a block into HTML whose spans carry
//! classes (`hl-…`), coloured by the stylesheet. A block that is too large, or that takes
//! too long, stays plain.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use app::wire::{HighlightRequest, HighlightResponse, MAX_HIGHLIGHT_BLOCKS, MAX_LANGUAGE_CHARS};
use two_face::re_exports::syntect::html::{ClassStyle, ClassedHTMLGenerator};
use two_face::re_exports::syntect::parsing::{SyntaxReference, SyntaxSet};
use two_face::re_exports::syntect::util::LinesWithEndings;

use crate::error::ApiError;

/// The largest block that is highlighted.
pub const MAX_CODE_BYTES: usize = app::wire::MAX_HIGHLIGHT_CODE_BYTES;
/// How long one block may take. A debug build runs syntect's regexes about ten times
/// slower, so there the same work gets ten times the time.
pub const TIME_BUDGET: Duration = Duration::from_millis(if cfg!(debug_assertions) { 500 } else { 50 });
/// The classes the spans carry, and the stylesheet colours.
pub const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

/// The time a grammar's first block may take on top of the budget: syntect compiles a
/// grammar's regexes as it first meets them, once per process, and that is not the block's
/// cost (in a release build, Rust's first block took over 50 ms without it).
const FIRST_USE_ALLOWANCE: Duration = Duration::from_secs(1);

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(two_face::syntax::extra_newlines);
/// The grammars that have coloured a block in this process.
static WARM: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Mutex::default);

/// The inner HTML of a `<code>` element for `code` in `language`, or `None` when it stays
/// plain (a language not known here, too large, too slow).
pub fn highlight(language: &str, code: &str) -> Option<String> {
    highlight_within(language, code, TIME_BUDGET).html
}

/// One block's outcome, and what it cost.
struct Colored {
    html: Option<String>,
    took: Duration,
    /// The block met its grammar for the first time in this process (and paid for compiling it).
    first_use: bool,
}

fn highlight_within(language: &str, code: &str, budget: Duration) -> Colored {
    let started = Instant::now();
    let syntax = if code.len() > MAX_CODE_BYTES { None } else { syntax_for(language) };
    let Some(syntax) = syntax else {
        return Colored { html: None, took: started.elapsed(), first_use: false };
    };
    let first_use = !WARM.lock().map(|warm| warm.contains(&syntax.name)).unwrap_or(true);
    let allowed = if first_use { budget + FIRST_USE_ALLOWANCE } else { budget };
    // Over its time, a block may still have paid for regexes of its grammar that no block
    // had needed before (syntect compiles each as it first needs it, so a grammar met
    // before is not wholly compiled): a second try runs on what is compiled now, and a
    // block slow in itself is slow again and stays plain.
    let html = colour(syntax, code, allowed).or_else(|| colour(syntax, code, budget));
    if html.is_some() {
        if let Ok(mut warm) = WARM.lock() {
            warm.insert(syntax.name.clone());
        }
    }
    Colored { html, took: started.elapsed(), first_use }
}

/// `code` as classed HTML, or `None` past `budget`.
fn colour(syntax: &SyntaxReference, code: &str, budget: Duration) -> Option<String> {
    let started = Instant::now();
    let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, &SYNTAXES, CLASS_STYLE);
    for (n, line) in LinesWithEndings::from(code).enumerate() {
        generator.parse_html_for_line_which_includes_newline(line).ok()?;
        if n % 8 == 7 && started.elapsed() > budget {
            return None;
        }
    }
    (started.elapsed() <= budget).then(|| generator.finalize())
}

/// Colours a batch within `total`, each block within [`TIME_BUDGET`] of what is left. A
/// grammar's first use is not charged to the batch: compiling it is once per process, and a
/// block after it would otherwise find no time left and stay plain.
fn highlight_batch<B>(
    blocks: &[B],
    total: Duration,
    mut one: impl FnMut(&B, Duration) -> Colored,
) -> Vec<Option<String>> {
    let mut spent = Duration::ZERO;
    blocks
        .iter()
        .map(|block| {
            let colored = one(block, total.saturating_sub(spent).min(TIME_BUDGET));
            if !colored.first_use {
                spent += colored.took;
            }
            colored.html
        })
        .collect()
}

/// The syntax a fence's language names: its usual names and file extensions.
fn syntax_for(language: &str) -> Option<&'static SyntaxReference> {
    let token = language.trim().to_ascii_lowercase();
    let token = match token.as_str() {
        "" | "text" | "plain" | "plaintext" | "txt" => return None,
        "c++" => "cpp",
        "c#" | "csharp" => "cs",
        "shell" | "zsh" | "console" | "shellsession" => "sh",
        "golang" => "go",
        "objective-c" | "objc" => "m",
        "kotlin" => "kt",
        "yml" => "yaml",
        "dockerfile" | "docker" => "Dockerfile",
        "vue" | "svelte" => "html",
        // The JSX grammars need Oniguruma; the plain ones read JSX well enough.
        "jsx" => "js",
        "tsx" => "ts",
        other => other,
    };
    let syntaxes: &'static SyntaxSet = &SYNTAXES;
    syntaxes.find_syntax_by_token(token)
}

/// `POST /api/highlight`: each block highlighted, or null for one that stays plain.
#[utoipa::path(post, path = "/api/highlight", tag = "contexts", request_body = HighlightRequest,
    responses((status = 200, body = HighlightResponse), crate::openapi::Errors))]
pub async fn endpoint(
    _user: crate::auth::CurrentUser,
    crate::http::extract::ApiJson(request): crate::http::extract::ApiJson<HighlightRequest>,
) -> Result<axum::Json<HighlightResponse>, ApiError> {
    if request.blocks.len() > MAX_HIGHLIGHT_BLOCKS {
        return Err(ApiError::bad_request("invalid_field", format!("blocks: at most {MAX_HIGHLIGHT_BLOCKS}")));
    }
    if let Some(n) = request.blocks.iter().position(|b| b.language.chars().count() > MAX_LANGUAGE_CHARS) {
        return Err(ApiError::bad_request(
            "invalid_field",
            format!("blocks[{n}].language: at most {MAX_LANGUAGE_CHARS} characters"),
        ));
    }
    // CPU work: off the threads that serve requests, and bounded for the whole request too,
    // so that a batch of slow blocks costs at most a few blocks' time.
    let blocks = tokio::task::spawn_blocking(move || {
        highlight_batch(&request.blocks, TIME_BUDGET * 4, |block, budget| {
            highlight_within(&block.language, &block.code, budget)
        })
    })
    .await
    .map_err(|e| ApiError::Internal(format!("highlighting failed: {e}")))?;
    Ok(axum::Json(HighlightResponse { blocks }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The colours of the `hl-` classes, as `style/main.css` holds them between its highlight
    /// markers: GitHub's theme in a light colour scheme, One Half Dark in a dark one.
    fn stylesheet() -> String {
        use two_face::re_exports::syntect::html::css_for_theme_with_class_style;
        use two_face::theme::EmbeddedThemeName;
        let themes = two_face::theme::extra();
        let css = |name| {
            let css = css_for_theme_with_class_style(themes.get(name), CLASS_STYLE).expect("embedded themes render");
            // The theme's own background and text colour are the code block's, set by the page.
            let rules = css.split_once(".hl-code {").map(|(_, rest)| rest.split_once('}').map_or(rest, |(_, r)| r));
            rules.unwrap_or(&css).trim().to_string()
        };
        let indented = |css: String| css.lines().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n");
        // Each theme only in its own scheme: a light rule with more classes would otherwise
        // win over a dark one with fewer.
        let light = indented(css(EmbeddedThemeName::InspiredGithub));
        let dark = indented(css(EmbeddedThemeName::OneHalfDark));
        format!(
            "@media not all and (prefers-color-scheme: dark) {{\n{light}\n}}\n\
             @media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"
        )
    }

    /// `style/main.css` carries [`stylesheet`] between its markers; after a theme or syntect
    /// update, `CONFAB_WRITE_HIGHLIGHT_CSS=1` writes it there again.
    #[test]
    fn the_stylesheet_carries_the_highlight_colours() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../style/main.css");
        let (start, end) = ("/* highlight: generated */\n", "/* highlight: end */\n");
        let page = std::fs::read_to_string(path).unwrap();
        let (before, rest) = page.split_once(start).expect("the start marker");
        let (current, after) = rest.split_once(end).expect("the end marker");
        let wanted = stylesheet();
        if std::env::var("CONFAB_WRITE_HIGHLIGHT_CSS").is_ok_and(|v| v == "1") {
            std::fs::write(path, format!("{before}{start}{wanted}{end}{after}")).unwrap();
        } else {
            assert!(
                current == wanted,
                "style/main.css is out of date: run this test with CONFAB_WRITE_HIGHLIGHT_CSS=1"
            );
        }
    }

    /// What people write most (after GitHub's and Stack Overflow's language rankings), each
    /// by the name a fence gives it. PowerShell is not among them: its grammar needs the
    /// Oniguruma regex engine (C), which this build leaves out for pure-Rust regexes.
    const MOST_USED: [&str; 29] = [
        "javascript",
        "python",
        "typescript",
        "java",
        "csharp",
        "cpp",
        "php",
        "bash",
        "c",
        "go",
        "rust",
        "kotlin",
        "ruby",
        "swift",
        "sql",
        "html",
        "css",
        "dart",
        "lua",
        "r",
        "scala",
        "perl",
        "haskell",
        "objective-c",
        "json",
        "yaml",
        "toml",
        "dockerfile",
        "jsx",
    ];

    #[test]
    fn the_most_used_languages_are_highlighted() {
        for language in MOST_USED {
            let html = highlight(language, "x = 1\n").unwrap_or_else(|| panic!("{language} is not highlighted"));
            assert!(html.contains("class=\"hl-"), "{language}: {html}");
        }
        for alias in ["rs", "py", "ts", "js", "jsx", "sh", "c++", "c#", "yml", "golang"] {
            assert!(highlight(alias, "x\n").is_some(), "{alias}");
        }
    }

    #[test]
    fn code_is_escaped_and_kept_exactly() {
        let code = "fn main() {\n    println!(\"<b>&</b>\");\n}\n";
        let html = highlight("rust", code).unwrap();
        assert!(html.contains("&lt;b&gt;&amp;&lt;/b&gt;") && !html.contains("<b>"), "{html}");
        assert!(html.contains("<span class=\"hl-storage hl-type hl-function hl-rust\">fn</span>"), "{html}");
    }

    #[test]
    fn unknown_languages_and_huge_blocks_stay_plain() {
        assert_eq!(highlight("no-such-language", "x\n"), None);
        assert_eq!(highlight("", "x\n"), None);
        assert_eq!(highlight("text", "x\n"), None);
        let huge = "let x = 1;\n".repeat(MAX_CODE_BYTES / 10);
        assert_eq!(highlight("rust", &huge), None);
    }

    #[test]
    fn a_block_over_its_time_stays_plain() {
        let block = "let x = 1;\n".repeat(20);
        highlight_within("rust", "fn main() {}\n", Duration::from_secs(60)).html.expect("the grammar is ready");
        assert_eq!(highlight_within("rust", &block, Duration::ZERO).html, None);
        assert!(highlight_within("rust", &block, Duration::from_secs(60)).html.is_some());
    }

    /// What a block is given when the blocks before it took `took` each (first uses or not).
    fn budgets_after(before: &[(Duration, bool)]) -> Duration {
        let mut given = Vec::new();
        let mut blocks: Vec<(Duration, bool)> = before.to_vec();
        blocks.push((Duration::ZERO, false));
        highlight_batch(&blocks, TIME_BUDGET * 4, |&(took, first_use), budget| {
            given.push(budget);
            Colored { html: None, took, first_use }
        });
        *given.last().unwrap()
    }

    #[test]
    fn a_grammars_first_use_does_not_leave_the_next_block_without_time() {
        let slow = TIME_BUDGET * 10;
        assert_eq!(budgets_after(&[(slow, true)]), TIME_BUDGET, "compiling a grammar is not the batch's cost");
        assert_eq!(budgets_after(&[(slow, false)]), Duration::ZERO, "a slow block is");
        assert_eq!(budgets_after(&[(TIME_BUDGET * 3, false)]), TIME_BUDGET, "what is left, at most one block's");
        assert_eq!(budgets_after(&[(TIME_BUDGET * 3, false), (TIME_BUDGET / 2, false)]), TIME_BUDGET / 2);
    }
}
