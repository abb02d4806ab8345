//! Math drawn by the server: the formulas a page rendered here carry as their source
//! (`code.math-pending`, see `markdown/math.rs`) are sent in one batch (`POST /api/math`),
//! and each is replaced by the MathML that comes back. The answers are kept, so a formula
//! drawn once is drawn at once when its message is rendered again. Offline, or refused, a
//! formula stays as its source until the page changes again.
// The server build renders MathML itself and never runs this.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code, unused_variables))]

#[cfg(feature = "hydrate")]
mod imp {
    use std::cell::RefCell;
    use std::collections::HashMap;

    use leptos::task::spawn_local;
    use wasm_bindgen::JsCast;
    use web_sys::Element;

    use crate::api;
    use crate::markdown::math::{source_as_code, TOO_LONG};
    use crate::wire::{FormulaDTO, MathRequest, MathResponse, MAX_MATH_FORMULAS, MAX_MATH_SOURCE_BYTES};

    /// Set on a placeholder once it has been sent, so that it is not sent again.
    const MARK: &str = "data-math";

    thread_local! {
        static ANSWERS: RefCell<HashMap<FormulaDTO, String>> = RefCell::new(HashMap::new());
    }

    pub fn typeset_within(root: &Element) {
        let Ok(found) = root.query_selector_all("code.math-pending:not([data-math])") else { return };
        // Each formula once, with every placeholder that shows it.
        let mut wanted: Vec<(FormulaDTO, Vec<Element>)> = Vec::new();
        for n in 0..found.length() {
            let Some(code) = found.item(n).and_then(|node| node.dyn_into::<Element>().ok()) else { continue };
            let formula = FormulaDTO {
                tex: code.get_attribute("data-tex").unwrap_or_default(),
                display: code.get_attribute("data-display").as_deref() == Some("true"),
            };
            if formula.tex.len() > MAX_MATH_SOURCE_BYTES {
                code.set_outer_html(&source_as_code(&formula.tex, formula.display, TOO_LONG));
                continue;
            }
            if let Some(answer) = ANSWERS.with(|answers| answers.borrow().get(&formula).cloned()) {
                code.set_outer_html(&answer);
                continue;
            }
            match wanted.iter().position(|(f, _)| *f == formula) {
                Some(at) => wanted[at].1.push(code),
                // The rest wait for the next change of the page.
                None if wanted.len() == MAX_MATH_FORMULAS => break,
                None => wanted.push((formula, vec![code])),
            }
        }
        if wanted.is_empty() {
            return;
        }
        for code in wanted.iter().flat_map(|(_, places)| places) {
            let _ = code.set_attribute(MARK, "pending");
        }
        let root = root.clone();
        spawn_local(async move {
            let request = MathRequest { formulas: wanted.iter().map(|(formula, _)| formula.clone()).collect() };
            match api::post::<_, MathResponse>("/api/math", &request).await {
                Ok(response) if response.formulas.len() == wanted.len() => {
                    for ((formula, places), html) in wanted.into_iter().zip(response.formulas) {
                        for code in places {
                            // The server's own output: MathML, or the source escaped.
                            code.set_outer_html(&html);
                        }
                        ANSWERS.with(|answers| answers.borrow_mut().insert(formula, html));
                    }
                    // The page may have drawn these formulas again while they were asked for
                    // (a reply that finished is rendered whole): those get the answers too.
                    typeset_within(&root);
                }
                // Offline or refused: these stay as their source, and are asked for again
                // at the next change of the page.
                _ => {
                    for code in wanted.iter().flat_map(|(_, places)| places) {
                        let _ = code.remove_attribute(MARK);
                    }
                }
            }
        });
    }
}

/// Draws the formulas within `root` that are still shown as their source.
pub fn typeset_within(root: &leptos::web_sys::Element) {
    #[cfg(feature = "hydrate")]
    imp::typeset_within(root);
}
