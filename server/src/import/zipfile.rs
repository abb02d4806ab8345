//! ChatGPT's export as it is delivered: a `.zip` holding `conversations.json` (beside
//! `chat.html`, the images and more), read within the import limit however large the entry
//! claims to be.

use std::io::{Cursor, Read};

/// Whether `bytes` start like a zip archive.
pub(super) fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// Why a zip cannot be read.
#[derive(Debug)]
pub(crate) enum ZipError {
    /// Not a zip, or no `conversations.json` in it.
    Invalid(String),
    /// `conversations.json` holds more than `limit` bytes.
    TooLarge { limit: usize },
}

/// The bytes of `conversations.json` (at the top, or in one folder) in the zip `bytes`.
pub(crate) fn conversations_json(bytes: &[u8], limit: usize) -> Result<Vec<u8>, ZipError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ZipError::Invalid(format!("the zip file cannot be read: {e}")))?;
    let name = archive
        .file_names()
        .filter(|name| *name == "conversations.json" || name.ends_with("/conversations.json"))
        .min_by_key(|name| name.len())
        .map(str::to_string)
        .ok_or_else(|| ZipError::Invalid("the zip file holds no conversations.json".into()))?;
    let entry =
        archive.by_name(&name).map_err(|e| ZipError::Invalid(format!("{name} in the zip file cannot be read: {e}")))?;
    if entry.size() > limit as u64 {
        return Err(ZipError::TooLarge { limit });
    }
    let mut out = Vec::with_capacity(entry.size() as usize);
    // The size an entry claims is not trusted: at most one byte past the limit is read.
    entry
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| ZipError::Invalid(format!("{name} in the zip file cannot be read: {e}")))?;
    if out.len() > limit {
        return Err(ZipError::TooLarge { limit });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            writer.start_file(*name, options).unwrap();
            writer.write_all(data).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn finds_conversations_json_at_the_top_or_in_a_folder() {
        let file = zip(&[("chat.html", b"<html>"), ("conversations.json", b"[]")]);
        assert!(is_zip(&file));
        assert_eq!(conversations_json(&file, 100).unwrap(), b"[]");
        let nested = zip(&[("export/conversations.json", b"[1]")]);
        assert_eq!(conversations_json(&nested, 100).unwrap(), b"[1]");
    }

    #[test]
    fn refuses_a_zip_without_it_a_broken_one_and_one_past_the_limit() {
        let without = zip(&[("user.json", b"{}")]);
        assert!(
            matches!(conversations_json(&without, 100), Err(ZipError::Invalid(m)) if m.contains("no conversations.json"))
        );
        assert!(matches!(conversations_json(b"PK\x03\x04broken", 100), Err(ZipError::Invalid(_))));
        // Compresses to far less than the limit, and unpacks to far more.
        let bomb = zip(&[("conversations.json", &vec![b' '; 1 << 20])]);
        assert!(bomb.len() < 10_000);
        assert!(matches!(conversations_json(&bomb, 10_000), Err(ZipError::TooLarge { limit: 10_000 })));
    }
}
