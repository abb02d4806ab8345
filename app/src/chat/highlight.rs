//! Highlighted code: once a reply is finished, the code blocks in it are sent to the
//! server in one batch (`POST /api/highlight`), which answers with class-coloured HTML; the
//! browser keeps the answers, so a block redrawn later is coloured at once. A block the
//! server leaves plain, or one too large to send, stays as it is.
// The server build renders the list but never runs the browser side.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code, unused_variables))]

#[cfg(feature = "hydrate")]
mod imp {
    use std::cell::RefCell;
    use std::collections::HashMap;

    use leptos::task::spawn_local;
    use wasm_bindgen::JsCast;
    use web_sys::Element;

    use crate::api;
    use crate::wire::{
        CodeBlockDTO, HighlightRequest, HighlightResponse, MAX_HIGHLIGHT_BLOCKS, MAX_HIGHLIGHT_CODE_BYTES,
    };

    /// What one batch may carry in all, well under the server's body limit.
    const BATCH_BYTES: usize = 512 * 1024;
    /// The attribute that marks a block as done with (`done`, `plain`) or on its way.
    const MARK: &str = "data-highlight";

    thread_local! {
        static ANSWERS: RefCell<HashMap<(String, String), Option<String>>> = RefCell::new(HashMap::new());
    }

    pub fn highlight_finished_blocks(list: &Element) {
        let Ok(found) =
            list.query_selector_all(".message.assistant:not(.streaming) .code-block pre > code:not([data-highlight])")
        else {
            return;
        };
        let mut batch: Vec<(Element, CodeBlockDTO)> = Vec::new();
        let mut bytes = 0;
        for n in 0..found.length() {
            let Some(code) = found.item(n).and_then(|node| node.dyn_into::<Element>().ok()) else { continue };
            let language = code
                .get_attribute("class")
                .and_then(|class| {
                    class.split_whitespace().find_map(|c| c.strip_prefix("language-").map(str::to_string))
                })
                .unwrap_or_default();
            let text = code.text_content().unwrap_or_default();
            if language.is_empty() || text.len() > MAX_HIGHLIGHT_CODE_BYTES {
                let _ = code.set_attribute(MARK, "plain");
                continue;
            }
            let key = (language.clone(), text.clone());
            if let Some(answer) = ANSWERS.with(|answers| answers.borrow().get(&key).cloned()) {
                apply(&code, answer.as_deref());
                continue;
            }
            if batch.len() == MAX_HIGHLIGHT_BLOCKS || bytes + text.len() > BATCH_BYTES {
                // The rest waits for the next change of the list, or the next batch.
                break;
            }
            bytes += text.len();
            let _ = code.set_attribute(MARK, "pending");
            batch.push((code, CodeBlockDTO { language, code: text }));
        }
        if batch.is_empty() {
            return;
        }
        spawn_local(async move {
            let request = HighlightRequest { blocks: batch.iter().map(|(_, block)| block.clone()).collect() };
            let answer = api::post::<_, HighlightResponse>("/api/highlight", &request).await;
            let answers = match answer {
                Ok(response) if response.blocks.len() == batch.len() => response.blocks,
                // Offline or refused: these stay plain, and are not asked for again now.
                _ => vec![None; batch.len()],
            };
            for ((code, block), html) in batch.into_iter().zip(answers) {
                ANSWERS.with(|cache| cache.borrow_mut().insert((block.language, block.code), html.clone()));
                apply(&code, html.as_deref());
            }
        });
    }

    fn apply(code: &Element, html: Option<&str>) {
        match html {
            Some(html) => {
                // The server's own output: the code's text escaped, inside spans with classes.
                code.set_inner_html(html);
                let _ = code.set_attribute(MARK, "done");
            }
            None => {
                let _ = code.set_attribute(MARK, "plain");
            }
        }
    }
}

/// Colours the code of the finished replies in `list` that are not coloured yet.
pub fn highlight_finished_blocks(list: &leptos::web_sys::HtmlDivElement) {
    #[cfg(feature = "hydrate")]
    imp::highlight_finished_blocks(list);
}
