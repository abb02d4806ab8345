//! Math drawn for the browser: the page's wasm carries no LaTeX parser, so the formulas of a
//! reply rendered there are sent here (`POST /api/math`) and come back as MathML, made by the
//! same code that renders math into the pages served from here (`app::markdown::math`).

use app::markdown::math::{source_as_code, to_mathml, TOO_LONG};
use app::wire::{FormulaDTO, MathRequest, MathResponse, MAX_MATH_FORMULAS, MAX_MATH_SOURCE_BYTES};

use crate::error::ApiError;

/// One formula's HTML: MathML, or its source for one that cannot be read or is too long.
fn draw(formula: &FormulaDTO) -> String {
    if formula.tex.len() > MAX_MATH_SOURCE_BYTES {
        return source_as_code(&formula.tex, formula.display, TOO_LONG);
    }
    to_mathml(&formula.tex, formula.display)
}

/// `POST /api/math`: each formula as MathML, or as its source when it cannot be read.
#[utoipa::path(post, path = "/api/math", tag = "contexts", request_body = MathRequest,
    responses((status = 200, body = MathResponse), crate::openapi::Errors))]
pub async fn endpoint(
    _user: crate::auth::CurrentUser,
    crate::http::extract::ApiJson(request): crate::http::extract::ApiJson<MathRequest>,
) -> Result<axum::Json<MathResponse>, ApiError> {
    if request.formulas.len() > MAX_MATH_FORMULAS {
        return Err(ApiError::bad_request("invalid_field", format!("formulas: at most {MAX_MATH_FORMULAS}")));
    }
    // CPU work, if little: off the threads that serve requests.
    let formulas = tokio::task::spawn_blocking(move || request.formulas.iter().map(draw).collect())
        .await
        .map_err(|e| ApiError::Internal(format!("drawing math failed: {e}")))?;
    Ok(axum::Json(MathResponse { formulas }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn formula(tex: &str, display: bool) -> FormulaDTO {
        FormulaDTO { tex: tex.to_string(), display }
    }

    #[test]
    fn formulas_are_drawn_as_mathml_and_the_unreadable_shown_as_source() {
        let html = draw(&formula(r"\frac{\pi^2}{6}", true));
        assert!(html.starts_with("<math") && html.contains("display=\"block\"") && html.contains("<mfrac>"), "{html}");
        let broken = draw(&formula(r"\frac{1}", false));
        assert_eq!(broken, "<code class=\"math-source\" title=\"This formula could not be read\">$\\frac{1}$</code>");
    }

    #[test]
    fn a_formula_too_long_is_not_parsed() {
        let long = "x+".repeat(MAX_MATH_SOURCE_BYTES);
        let html = draw(&formula(&long, false));
        assert!(
            html.starts_with("<code class=\"math-source\" title=\"This formula is too long to draw\">$x+x+"),
            "{html}"
        );
    }

    /// Formulas come from anyone who can sign in: the deepest nesting the size limit allows
    /// is drawn or refused, and never takes the server down.
    #[test]
    fn deeply_nested_formulas_do_not_overflow_the_stack() {
        let depth = MAX_MATH_SOURCE_BYTES / 2;
        for tex in [
            format!("{}x{}", "{".repeat(depth), "}".repeat(depth)),
            format!("{}x{}", r"\sqrt{".repeat(depth / 6), "}".repeat(depth / 6)),
            format!("{}x", "x^".repeat(depth)),
            r"\left(".repeat(depth / 6),
            format!("{}1{}", r"\frac{".repeat(depth / 7), "}{2}".repeat(depth / 7)),
        ] {
            let html = std::thread::Builder::new()
                // The stack a blocking task of tokio has.
                .stack_size(2 * 1024 * 1024)
                .spawn(move || draw(&formula(&tex, true)))
                .unwrap()
                .join()
                .expect("drawing does not panic");
            assert!(html.starts_with("<math") || html.contains("math-source"), "{}", &html[..80.min(html.len())]);
        }
    }
}
