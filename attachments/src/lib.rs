//! What Confab makes of an uploaded file, before anything is stored.
//!
//! The kind of a file is judged by its bytes, never by its name or the media type a client
//! claims: an image (PNG, JPEG, WebP, GIF), UTF-8 text, or a PDF. Anything else is refused.
//! Images are dimension-checked before they are decoded (no decompression bombs), decoded
//! under a memory limit, turned upright, downscaled past a configured size and re-encoded,
//! which drops every piece of metadata (EXIF location included). Text is kept as it is; a
//! PDF keeps its bytes and gives the model its extracted text. Plain CPU work, no I/O: the
//! server decides where it runs and for how long.

mod images;
mod name;
mod text;

use sha2::{Digest, Sha256};

pub use name::clean_name;
#[doc(hidden)]
pub use text::pdf_with_text;

/// What an upload turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Image,
    Text,
    Pdf,
}

/// How far an upload may go.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// An image with a longer side is downscaled to it (what a vision model gets and keeps).
    pub max_image_side: u32,
    /// Images with more pixels than this are refused before they are decoded.
    pub max_image_pixels: u64,
    /// The most memory decoding one image may take.
    pub max_decode_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_image_side: 2048, max_image_pixels: 64_000_000, max_decode_bytes: 512 * 1024 * 1024 }
    }
}

/// An upload made ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub kind: Kind,
    /// Decided by the bytes kept (an image's after re-encoding).
    pub media_type: &'static str,
    /// What is stored and served: a re-encoded image, or the file's own bytes.
    pub data: Vec<u8>,
    /// What the model reads of a text file or a PDF; `None` for an image, and for a PDF
    /// with no text layer (a scan).
    pub text: Option<String>,
    /// A fair estimate of what the file costs of a model's context.
    pub prompt_tokens: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error(
        "this kind of file cannot be attached: images (PNG, JPEG, WebP, GIF), UTF-8 text and code files, and PDFs can"
    )]
    Unsupported,
    #[error("the image is {width}x{height} pixels, more than the {max} pixels an image may have")]
    TooManyPixels { width: u32, height: u32, max: u64 },
    #[error("the image could not be read: {0}")]
    BadImage(String),
    #[error("the PDF could not be read: {0}")]
    BadPdf(String),
    #[error("the file is empty")]
    Empty,
}

/// Judges an upload by its bytes and makes it ready to store. Slow for a large image or
/// PDF: run it off the async threads, with a time limit.
pub fn prepare(bytes: Vec<u8>, limits: &Limits) -> Result<Prepared, Refused> {
    if bytes.is_empty() {
        return Err(Refused::Empty);
    }
    if let Some(format) = images::format_of(&bytes) {
        return images::prepare(&bytes, format, limits);
    }
    if text::is_pdf(&bytes) {
        return text::prepare_pdf(bytes);
    }
    match text::as_text(&bytes) {
        Some(content) => {
            let content = content.to_string();
            let prompt_tokens = text::estimate_tokens(&content);
            Ok(Prepared {
                kind: Kind::Text,
                media_type: "text/plain; charset=utf-8",
                data: bytes,
                text: Some(content),
                prompt_tokens,
            })
        }
        None => Err(Refused::Unsupported),
    }
}

/// The name a blob is stored under for its owner: the hex SHA-256 of its bytes.
pub fn content_address(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a media type (as [`Prepared::media_type`] gives it) is an image.
pub fn is_image(media_type: &str) -> bool {
    media_type.starts_with("image/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_judged_by_its_bytes() {
        let prepared = prepare(b"fn main() {}\n".to_vec(), &Limits::default()).unwrap();
        assert_eq!(prepared.kind, Kind::Text);
        assert_eq!(prepared.media_type, "text/plain; charset=utf-8");
        assert_eq!(prepared.text.as_deref(), Some("fn main() {}\n"));
    }

    #[test]
    fn binary_that_is_no_known_kind_is_refused() {
        assert_eq!(prepare(vec![0, 1, 2, 3, 0xff, 0xfe, 0], &Limits::default()), Err(Refused::Unsupported));
        assert_eq!(prepare(Vec::new(), &Limits::default()), Err(Refused::Empty));
        // A zip archive starts with printable bytes but is not text.
        assert_eq!(prepare(b"PK\x03\x04\x14\x00\x00\x00".to_vec(), &Limits::default()), Err(Refused::Unsupported));
    }

    #[test]
    fn the_same_bytes_have_the_same_address() {
        assert_eq!(content_address(b"abc"), content_address(b"abc"));
        assert_eq!(content_address(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_ne!(content_address(b"abc"), content_address(b"abd"));
    }
}
