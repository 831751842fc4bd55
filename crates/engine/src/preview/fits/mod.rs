//! FITS images through `fitsio-pure`: finding the image HDU, its key header cards, and its first
//! plane as floats.
//!
//! Headers are walked one HDU at a time (so a prefix of a file is enough to describe it); plain
//! images are decoded here, plane by plane, and tile-compressed ones (RICE_1, GZIP_1, GZIP_2,
//! HCOMPRESS_1, PLIO_1) by `fitsio-pure`.

mod cards;
mod pixels;
mod walk;

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::{
    check_pixels, encode, fit_within, gunzip_prefix, no_preview, resample, stretch, unix_compress,
    FitsInfo, ImageFormat, PreviewInfo, RenderOptions, Thumbnail, COMPRESS_MAGIC, GZIP_MAGIC,
};
use crate::{Error, Result};
use walk::{Missing, Walk};

/// How far [`fits_header`] decompresses the prefix of a gzip-compressed file.
const MAX_INFLATED_PREFIX: u64 = 64 << 20;

/// Whether the bytes start like a FITS file (`SIMPLE  =`).
pub fn looks_like_fits(bytes: &[u8]) -> bool {
    bytes.starts_with(b"SIMPLE  =")
}

/// Reads the headers at the start of a FITS file (e.g. its first 256 KiB, fetched with a Range
/// request) and describes the image a preview would show, without touching any pixel.
pub fn fits_header(prefix: &[u8]) -> Result<FitsInfo> {
    if prefix.starts_with(&GZIP_MAGIC) {
        // A `.fits.gz`: its headers are what the prefix decompresses to.
        let inflated = gunzip_prefix(prefix, MAX_INFLATED_PREFIX)?;
        return header_info(&inflated, prefix.len());
    }
    if prefix.starts_with(&COMPRESS_MAGIC) {
        return Err(unix_compress());
    }
    header_info(prefix, prefix.len())
}

/// [`fits_header`] of uncompressed bytes, the start of a file of which `fetched` bytes were read.
fn header_info(prefix: &[u8], fetched: usize) -> Result<FitsInfo> {
    if !looks_like_fits(prefix) {
        return Err(no_preview(
            "the file is not FITS (it does not start with SIMPLE =).",
        ));
    }
    guarded(|| {
        let mut walk = Walk::new(prefix);
        match walk.find_image() {
            Err(Missing::NoImage) if walk.saw_groups => Err(walk.no_image()),
            Ok(image) => Ok(image.info),
            Err(Missing::NoImage) if !walk.reached_end() => Err(walk.no_image()),
            Err(Missing::NoImage) | Err(Missing::Truncated) => Err(no_preview(format!(
                "the first {} KiB of the file end before its image header does; fetch more of the file.",
                fetched / 1024
            ))),
            Err(Missing::Bad(err)) => Err(err),
        }
    })
}

/// A thumbnail of the first image in a FITS file, its first plane for cubes.
pub(crate) fn render(bytes: &[u8], options: &RenderOptions) -> Result<Thumbnail> {
    guarded(|| {
        let mut walk = Walk::new(bytes);
        let image = match walk.find_image() {
            Ok(image) => image,
            Err(Missing::NoImage) => return Err(walk.no_image()),
            Err(Missing::Truncated) => return Err(truncated()),
            Err(Missing::Bad(err)) => return Err(err),
        };
        let (width, height) = (image.info.axes[0], image.info.axes[1]);
        check_pixels(u64::from(width), u64::from(height))?;
        let plane = pixels::read_plane(bytes, &image)?;
        // An image whose every pixel is blank is still an image: all background.
        let limits = stretch::limits(&plane, options.limits).unwrap_or((0.0, 1.0));
        let (thumb_width, thumb_height) = fit_within(width, height, options.size);
        let shown = if (thumb_width, thumb_height) == (width, height) {
            plane
        } else {
            // Averaged before the stretch, with the limits taken from the full-size data: for a
            // linear stretch this is what astropy-then-Pillow's area-averaging thumbnail shows.
            resample::shrink(
                &plane,
                width as usize,
                height as usize,
                thumb_width as usize,
                thumb_height as usize,
            )
        };
        let grey = stretch::grey(&shown, thumb_width as usize, limits, options.stretch);
        encode::thumbnail(
            &grey,
            thumb_width,
            thumb_height,
            image::ExtendedColorType::L8,
            PreviewInfo {
                format: ImageFormat::Fits,
                width,
                height,
                fits: Some(image.info),
            },
        )
    })
}

/// Runs `fitsio-pure` on untrusted bytes, turning a panic inside it into an error.
fn guarded<T>(work: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|_| {
        Err(no_preview(
            "the FITS file is damaged (its reader gave up on it).",
        ))
    })
}

fn truncated() -> Error {
    no_preview("the FITS file ends early (truncated?).")
}

fn damaged(err: fitsio_pure::Error) -> Error {
    match err {
        fitsio_pure::Error::UnexpectedEof => truncated(),
        err => no_preview(format!("the FITS file is damaged ({err}).")),
    }
}
