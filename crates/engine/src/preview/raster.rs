//! Thumbnails of PNG and JPEG pictures: sniffed by magic bytes, size-checked before decoding, area-averaged down.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader};

use super::{
    check_pixels, encode, fit_within, no_preview, ImageFormat, PreviewInfo, Thumbnail, MAX_PIXELS,
};
use crate::Result;

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";
const JPEG_MAGIC: &[u8] = b"\xff\xd8\xff";

/// The picture formats `image` decodes for us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Raster {
    Png,
    Jpeg,
}

impl Raster {
    fn name(self) -> &'static str {
        match self {
            Raster::Png => "PNG",
            Raster::Jpeg => "JPEG",
        }
    }
}

/// PNG or JPEG, from the first bytes alone.
pub(crate) fn sniff(bytes: &[u8]) -> Option<Raster> {
    if bytes.starts_with(PNG_MAGIC) {
        Some(Raster::Png)
    } else if bytes.starts_with(JPEG_MAGIC) {
        Some(Raster::Jpeg)
    } else {
        None
    }
}

/// Decodes `bytes` (already sniffed as `format`) and shrinks them to `size` on the long side.
pub(crate) fn render(bytes: &[u8], format: Raster, size: u32) -> Result<Thumbnail> {
    let image = decode(bytes, format)?;
    let (width, height) = (image.width(), image.height());
    let (thumb_width, thumb_height) = fit_within(width, height, size);
    // 8-bit output keeps grey as grey and alpha as alpha; 16-bit PNGs are brought down to 8 bits.
    let image = match image {
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_)
        | DynamicImage::ImageLumaA8(_) => image,
        other if other.color().has_alpha() && other.color().has_color() => other.to_rgba8().into(),
        other if other.color().has_alpha() => other.to_luma_alpha8().into(),
        other if other.color().has_color() => other.to_rgb8().into(),
        other => other.to_luma8().into(),
    };
    let image = if (thumb_width, thumb_height) == (width, height) {
        image
    } else {
        // `thumbnail_exact` averages every source pixel that falls in a target pixel (a box
        // filter with fractional edges): no aliasing, and the fastest quality filter in `image`.
        image.thumbnail_exact(thumb_width, thumb_height)
    };
    encode::thumbnail(
        image.as_bytes(),
        thumb_width,
        thumb_height,
        image.color().into(),
        PreviewInfo {
            format: match format {
                Raster::Png => ImageFormat::Png,
                Raster::Jpeg => ImageFormat::Jpeg,
            },
            width,
            height,
            fits: None,
        },
    )
}

fn decode(bytes: &[u8], format: Raster) -> Result<DynamicImage> {
    let name = format.name();
    let codec = match format {
        Raster::Png => image::ImageFormat::Png,
        Raster::Jpeg => image::ImageFormat::Jpeg,
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), codec);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_PIXELS.min(u64::from(u32::MAX)) as u32);
    limits.max_image_height = limits.max_image_width;
    // Room for a 16-bit RGBA picture at the pixel limit, and the decoder's working buffers.
    limits.max_alloc = Some(MAX_PIXELS * 8 + (64 << 20));
    reader.limits(limits);
    let damaged = |err: image::ImageError| match err {
        image::ImageError::Limits(_) => {
            no_preview(format!("the {name} image is too large to decode."))
        }
        image::ImageError::IoError(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => {
            no_preview(format!("the {name} file ends early (truncated?)."))
        }
        err => no_preview(format!("the {name} file is damaged ({err}).")),
    };
    let decoder = reader.into_decoder().map_err(damaged)?;
    let (width, height) = decoder.dimensions();
    check_pixels(u64::from(width), u64::from(height))?;
    DynamicImage::from_decoder(decoder).map_err(damaged)
}
