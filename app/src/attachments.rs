//! Files sent with a message, as a message shows them: images as thumbnails that open the
//! file, other files as chips with their name and size that download it. The chat and a
//! share's page draw them alike; each says where a file's bytes are.

use leptos::prelude::*;

use crate::wire::AttachmentDTO;

/// The list of a message's files; nothing when it has none.
pub fn sent_files(files: Vec<AttachmentDTO>, url_of: impl Fn(&AttachmentDTO) -> String) -> AnyView {
    if files.is_empty() {
        return ().into_any();
    }
    let items: Vec<AnyView> = files.into_iter().map(|file| sent_file(&file, url_of(&file))).collect();
    view! { <ul class="attachments" aria-label="Attached files">{items}</ul> }.into_any()
}

fn sent_file(file: &AttachmentDTO, url: String) -> AnyView {
    let label = format!("{} ({})", file.name, human_size(file.size));
    if file.is_image() {
        let link = url.clone();
        view! {
            <li class="attachment image">
                <a href=link target="_blank" rel="noopener" title=label>
                    <img src=url alt=file.name.clone() loading="lazy"/>
                </a>
            </li>
        }
        .into_any()
    } else {
        view! {
            <li class="attachment file">
                <a href=url download=file.name.clone() title=label>
                    <span class="file-icon" aria-hidden="true">{file_icon(&file.media_type)}</span>
                    <span class="file-name">{file.name.clone()}</span>
                    <span class="file-size">{human_size(file.size)}</span>
                </a>
            </li>
        }
        .into_any()
    }
}

pub fn file_icon(media_type: &str) -> &'static str {
    match media_type {
        "application/pdf" => "PDF",
        t if t.starts_with("image/") => "IMG",
        _ => "TXT",
    }
}

/// `512 bytes`, `12.3 KB`, `4.5 MB`: what people read on a file. In whole numbers: the
/// browser's wasm then carries no float formatting.
pub fn human_size(bytes: u64) -> String {
    let tenths = |unit: u64| {
        let tenths = bytes.saturating_add(unit / 20) / (unit / 10);
        format!("{}.{}", tenths / 10, tenths % 10)
    };
    match bytes {
        0..1000 => format!("{bytes} bytes"),
        1000..1_000_000 => format!("{} KB", tenths(1000)),
        _ => format!("{} MB", tenths(1_000_000)),
    }
}

#[cfg(test)]
mod tests {
    use super::human_size;

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(human_size(17), "17 bytes");
        assert_eq!(human_size(12_345), "12.3 KB");
        assert_eq!(human_size(4_500_000), "4.5 MB");
        assert_eq!(human_size(1000), "1.0 KB");
        assert_eq!(human_size(1049), "1.0 KB");
        assert_eq!(human_size(1050), "1.1 KB");
        assert_eq!(human_size(999_949), "999.9 KB");
        assert_eq!(human_size(999_999), "1000.0 KB");
        assert_eq!(human_size(52_428_800), "52.4 MB");
    }
}
