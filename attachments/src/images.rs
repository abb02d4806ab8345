//! Images: judged by their bytes, checked for size before decoding, then decoded, turned
//! upright, downscaled and re-encoded, which leaves every piece of metadata behind.

use std::io::Cursor;

use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

use crate::{Kind, Limits, Prepared, Refused};

/// The image formats Confab takes, by their magic bytes.
pub fn format_of(bytes: &[u8]) -> Option<ImageFormat> {
    match image::guess_format(bytes).ok()? {
        format @ (ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP | ImageFormat::Gif) => Some(format),
        _ => None,
    }
}

pub fn prepare(bytes: &[u8], format: ImageFormat, limits: &Limits) -> Result<Prepared, Refused> {
    let bad = |error: image::ImageError| Refused::BadImage(error.to_string());
    let reader = || {
        let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
        let mut decode_limits = image::Limits::default();
        decode_limits.max_alloc = Some(limits.max_decode_bytes);
        reader.limits(decode_limits);
        reader
    };
    // The header alone says how large the image is: a bomb is refused before it is decoded.
    let (width, height) = reader().into_dimensions().map_err(bad)?;
    if u64::from(width) * u64::from(height) > limits.max_image_pixels {
        return Err(Refused::TooManyPixels { width, height, max: limits.max_image_pixels });
    }
    let mut decoder = reader().into_decoder().map_err(bad)?;
    let orientation = decoder.orientation().map_err(bad)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(bad)?;
    image.apply_orientation(orientation);
    if image.width().max(image.height()) > limits.max_image_side {
        image = image.resize(limits.max_image_side, limits.max_image_side, FilterType::Triangle);
    }
    // A photo stays a JPEG (a PNG of it would be several times larger); everything else,
    // an animated GIF's first frame included, becomes a PNG.
    let (media_type, data) = if format == ImageFormat::Jpeg {
        let mut out = Cursor::new(Vec::new());
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 88);
        DynamicImage::ImageRgb8(image.to_rgb8()).write_with_encoder(encoder).map_err(bad)?;
        ("image/jpeg", out.into_inner())
    } else {
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, ImageFormat::Png).map_err(bad)?;
        ("image/png", out.into_inner())
    };
    let prompt_tokens = estimate_tokens(image.width(), image.height());
    Ok(Prepared { kind: Kind::Image, media_type, data, text: None, prompt_tokens })
}

/// OpenAI's count for a detailed image: 85 tokens, and 170 for each 512-pixel tile.
fn estimate_tokens(width: u32, height: u32) -> u32 {
    85 + 170 * width.div_ceil(512) * height.div_ceil(512)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prepare as prepare_upload;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = DynamicImage::new_rgba8(width, height);
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_png_is_an_image_whatever_it_is_called() {
        let prepared = prepare_upload(png(4, 3), &Limits::default()).unwrap();
        assert_eq!((prepared.kind, prepared.media_type), (Kind::Image, "image/png"));
        assert_eq!(image::load_from_memory(&prepared.data).unwrap().width(), 4);
    }

    #[test]
    fn a_large_image_is_downscaled_to_the_configured_side() {
        let limits = Limits { max_image_side: 64, ..Limits::default() };
        let prepared = prepare_upload(png(256, 128), &limits).unwrap();
        let image = image::load_from_memory(&prepared.data).unwrap();
        assert_eq!((image.width(), image.height()), (64, 32));
    }

    #[test]
    fn an_image_with_too_many_pixels_is_refused_before_decoding() {
        let limits = Limits { max_image_pixels: 100, ..Limits::default() };
        assert_eq!(
            prepare_upload(png(20, 20), &limits),
            Err(Refused::TooManyPixels { width: 20, height: 20, max: 100 })
        );
    }

    #[test]
    fn a_truncated_image_is_refused() {
        let mut bytes = png(64, 64);
        bytes.truncate(40);
        assert!(matches!(prepare_upload(bytes, &Limits::default()), Err(Refused::BadImage(_))));
    }

    #[test]
    fn a_jpeg_loses_its_exif_data() {
        let mut out = Cursor::new(Vec::new());
        DynamicImage::new_rgb8(8, 8).write_to(&mut out, ImageFormat::Jpeg).unwrap();
        let jpeg = out.into_inner();
        // An APP1 segment with EXIF data (a GPS tag's worth of bytes), right after SOI.
        let exif_payload = b"Exif\0\0MM\0*\0\0\0\x08\0\0GPS-LOCATION-48.85N-2.35E";
        let mut with_exif = vec![0xff, 0xd8, 0xff, 0xe1];
        with_exif.extend_from_slice(&u16::try_from(exif_payload.len() + 2).unwrap().to_be_bytes());
        with_exif.extend_from_slice(exif_payload);
        with_exif.extend_from_slice(&jpeg[2..]);
        let prepared = prepare_upload(with_exif, &Limits::default()).unwrap();
        assert_eq!(prepared.media_type, "image/jpeg");
        let found = prepared.data.windows(12).any(|w| w == b"GPS-LOCATION");
        assert!(!found, "the EXIF data is gone");
        assert!(!prepared.data.windows(4).any(|w| w == b"Exif"));
    }
}
