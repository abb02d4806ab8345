//! Text files and PDFs: what a model reads of them.

use crate::{Kind, Prepared, Refused};

/// A fair estimate of tokens in text: about four characters each, as in English prose and code.
pub fn estimate_tokens(text: &str) -> u32 {
    u32::try_from(text.chars().count() / 4 + 8).unwrap_or(u32::MAX)
}

/// The bytes as text, when they are UTF-8 (a byte-order mark allowed) without NUL bytes
/// or other control characters than whitespace.
pub fn as_text(bytes: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(bytes).ok()?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let binary = text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'));
    (!binary).then_some(text)
}

pub fn is_pdf(bytes: &[u8]) -> bool {
    // The header may follow a little junk; readers look in the first kilobyte.
    bytes.windows(5).take(1024).any(|w| w == b"%PDF-")
}

/// A PDF keeps its bytes; its text is extracted for the model. A PDF with no text layer
/// (a scan) is kept with no text, which the model is told.
pub fn prepare_pdf(bytes: Vec<u8>) -> Result<Prepared, Refused> {
    // The extractor panics on some malformed files: a panic is a refusal, not a crash.
    let extracted = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem(&bytes))
        .map_err(|_| Refused::BadPdf("its structure is broken".into()))?
        .map_err(|error| Refused::BadPdf(error.to_string()))?;
    let text = extracted.trim();
    let text = (!text.is_empty()).then(|| text.to_string());
    let prompt_tokens = text.as_deref().map_or(16, estimate_tokens);
    Ok(Prepared { kind: Kind::Pdf, media_type: "application/pdf", data: bytes, text, prompt_tokens })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_whitespace_is_text_and_control_bytes_are_not() {
        assert_eq!(as_text("héllo\tworld\r\n".as_bytes()), Some("héllo\tworld\r\n"));
        assert_eq!(as_text("\u{feff}bom".as_bytes()), Some("bom"));
        assert_eq!(as_text(b"nul\0byte"), None);
        assert_eq!(as_text(&[0xc3, 0x28]), None, "not UTF-8");
    }

    #[test]
    fn a_pdf_that_cannot_be_read_is_refused() {
        let refused = prepare_pdf(b"%PDF-1.4\nthis is not really a pdf".to_vec());
        assert!(matches!(refused, Err(Refused::BadPdf(_))), "{refused:?}");
    }
}

/// A minimal one-page PDF that shows `line` (for tests here and in the server's).
#[doc(hidden)]
pub fn pdf_with_text(line: &str) -> Vec<u8> {
    let stream = match line {
        "" => String::new(),
        line => format!("BT /F1 24 Tf 72 720 Td ({line}) Tj ET"),
    };
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    let trailer = format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1);
    out.extend_from_slice(trailer.as_bytes());
    out
}

#[cfg(test)]
mod pdf_tests {
    use super::*;

    #[test]
    fn a_pdf_gives_the_model_its_text() {
        let prepared = prepare_pdf(pdf_with_text("Quarterly figures rose")).unwrap();
        assert_eq!((prepared.kind, prepared.media_type), (Kind::Pdf, "application/pdf"));
        assert!(prepared.text.as_deref().unwrap().contains("Quarterly figures rose"), "{:?}", prepared.text);
    }

    #[test]
    fn a_pdf_without_text_is_kept_and_says_it_has_none() {
        let prepared = prepare_pdf(pdf_with_text("")).unwrap();
        assert_eq!(prepared.text, None);
    }
}
