//! The first plane of a FITS image as physical values: plain or tile-compressed data, BSCALE/BZERO
//! applied and BLANK values as NaN.

use fitsio_pure::hdu::HduInfo;
use fitsio_pure::header::Card;

use super::walk::ImageHdu;
use super::{no_preview, truncated};
use crate::preview::{check_pixels, MAX_PIXELS};
use crate::Result;

/// The largest RICE_1 block size accepted (CFITSIO writes 32, or 16 for 8- and 16-bit pixels).
const MAX_RICE_BLOCK: usize = 1024;

/// The first plane of the image, FITS row order (bottom row first), blanks as NaN.
pub(super) fn read_plane(bytes: &[u8], image: &ImageHdu) -> Result<Vec<f32>> {
    let (width, height) = (image.info.axes[0] as usize, image.info.axes[1] as usize);
    let pixels = width * height;
    let hdu = &image.hdu;
    match &hdu.info {
        HduInfo::CompressedImage {
            znaxes,
            ztile,
            naxis2,
            zcmptype,
            blocksize,
            rice_bytepix,
            ..
        } => {
            check_tiles(znaxes, ztile, *naxis2)?;
            // The Rice decoder takes BLOCKSIZE and BYTEPIX as given: a negative or huge
            // block size makes it run without end.
            if zcmptype.starts_with("RICE")
                && (!(1..=MAX_RICE_BLOCK).contains(blocksize)
                    || !matches!(rice_bytepix, 1 | 2 | 4 | 8))
            {
                return Err(no_preview(format!(
                    "the compressed image is damaged (RICE_1 BLOCKSIZE = {blocksize}, BYTEPIX = {rice_bytepix})."
                )));
            }
            let end = hdu.data_start.checked_add(hdu.data_len);
            if end.is_none_or(|end| end > bytes.len()) {
                return Err(truncated());
            }
            // Every plane is decoded; `check_tiles` kept them all within MAX_PIXELS.
            let mut plane = fitsio_pure::image::read_image_physical_f32(bytes, hdu).map_err(
                |err| match err {
                    fitsio_pure::Error::UnexpectedEof => {
                        no_preview("the compressed image is damaged or ends early (truncated?).")
                    }
                    err => no_preview(format!("the compressed image is damaged ({err}).")),
                },
            )?;
            if plane.len() < pixels {
                return Err(no_preview(
                    "the compressed image is damaged or ends early (truncated?).",
                ));
            }
            plane.truncate(pixels);
            Ok(plane)
        }
        HduInfo::Primary { bitpix, .. } | HduInfo::Image { bitpix, .. } => {
            let size = byte_size(*bitpix)?;
            let raw = hdu
                .data_start
                .checked_add(pixels * size)
                .and_then(|end| bytes.get(hdu.data_start..end))
                .ok_or_else(truncated)?;
            Ok(physical(raw, *bitpix, scaling(&hdu.cards)))
        }
        _ => Err(no_preview("the file holds no image.")),
    }
}

/// Refuses a compressed image the reader would decode into more than [`MAX_PIXELS`] (it
/// decodes every plane), or whose table has fewer rows than it has tiles. The reader clips each
/// tile to the image, so ZTILEn cannot make it reserve more than that.
fn check_tiles(axes: &[usize], tile: &[usize], rows: usize) -> Result<()> {
    let (width, height) = (axes[0] as u64, axes[1] as u64);
    check_pixels(width, height)?;
    let total = axes
        .iter()
        .try_fold(1u64, |total, &n| total.checked_mul(n as u64));
    if total.is_none_or(|total| total > MAX_PIXELS) {
        let shape: Vec<String> = axes.iter().map(usize::to_string).collect();
        return Err(no_preview(format!(
            "the compressed image is {} pixels, more than the {}-megapixel limit.",
            shape.join(" × "),
            MAX_PIXELS >> 20
        )));
    }
    // ZTILEn of 0 or missing is a whole axis for the reader, as for cfitsio.
    let tiles: u64 = axes
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let t = tile.get(i).copied().filter(|&t| t > 0).unwrap_or(n).min(n);
            (n as u64).div_ceil(t as u64)
        })
        .product();
    if (rows as u64) < tiles {
        return Err(no_preview(format!(
            "the compressed image is damaged ({rows} tiles where {tiles} are needed)."
        )));
    }
    Ok(())
}

/// BSCALE, BZERO and the integer BLANK value of an image.
#[derive(Clone, Copy)]
struct Scaling {
    scale: f64,
    zero: f64,
    blank: Option<i64>,
}

fn scaling(cards: &[Card]) -> Scaling {
    let (scale, zero) = fitsio_pure::image::extract_bscale_bzero(cards);
    Scaling {
        scale,
        zero,
        blank: fitsio_pure::image::extract_blank(cards),
    }
}

fn scaling_apply(scaling: Scaling, raw: f64) -> f32 {
    (scaling.zero + scaling.scale * raw) as f32
}

fn byte_size(bitpix: i64) -> Result<usize> {
    match bitpix {
        8 => Ok(1),
        16 => Ok(2),
        32 | -32 => Ok(4),
        64 | -64 => Ok(8),
        other => Err(no_preview(format!(
            "the FITS file is damaged (BITPIX = {other})."
        ))),
    }
}

/// Big-endian stored values to physical values; BLANK integers become NaN.
fn physical(raw: &[u8], bitpix: i64, scaling: Scaling) -> Vec<f32> {
    fn convert<const N: usize>(raw: &[u8], value: impl Fn([u8; N]) -> f32) -> Vec<f32> {
        raw.chunks_exact(N)
            .map(|chunk| value(chunk.try_into().expect("chunks_exact gives N bytes")))
            .collect()
    }
    let integer = |stored: i64| {
        if scaling.blank == Some(stored) {
            f32::NAN
        } else {
            scaling_apply(scaling, stored as f64)
        }
    };
    let identity = scaling.scale == 1.0 && scaling.zero == 0.0;
    match bitpix {
        8 => convert(raw, |b: [u8; 1]| integer(i64::from(b[0]))),
        16 => convert(raw, |b| integer(i64::from(i16::from_be_bytes(b)))),
        32 => convert(raw, |b| integer(i64::from(i32::from_be_bytes(b)))),
        64 => convert(raw, |b| integer(i64::from_be_bytes(b))),
        -32 if identity => convert(raw, f32::from_be_bytes),
        -32 => convert(raw, |b| {
            scaling_apply(scaling, f64::from(f32::from_be_bytes(b)))
        }),
        _ => convert(raw, |b| scaling_apply(scaling, f64::from_be_bytes(b))),
    }
}
