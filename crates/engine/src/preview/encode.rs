//! PNG encoding of finished thumbnails, tuned for speed over size.

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder};

use super::{no_preview, PreviewInfo, Thumbnail};
use crate::Result;

/// The thumbnail of 8-bit `pixels` (`color` says how many channels), encoded as PNG, with what is known
/// of the picture it shows.
pub(crate) fn thumbnail(
    pixels: &[u8],
    width: u32,
    height: u32,
    color: ExtendedColorType,
    info: PreviewInfo,
) -> Result<Thumbnail> {
    Ok(Thumbnail {
        png: png(pixels, width, height, color)?,
        width,
        height,
        info,
    })
}

/// Encodes 8-bit pixels (`color` says how many channels) as a PNG with fast compression.
fn png(pixels: &[u8], width: u32, height: u32, color: ExtendedColorType) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(pixels.len() / 2 + 1024);
    PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive)
        .write_image(pixels, width, height, color)
        .map_err(|err| no_preview(format!("the thumbnail could not be encoded: {err}.")))?;
    Ok(out)
}
