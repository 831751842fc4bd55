//! Thumbnails and header summaries of the images an archive job produces: PNG, JPEG and FITS.
//!
//! Every input is hostile until proven otherwise: the format is sniffed from the bytes, sizes
//! from headers are checked against [`MAX_PIXELS`] before any pixel is decoded, and every
//! failure is an [`ErrorCode::NoPreview`] error that says why.

pub mod cache;
mod encode;
mod fits;
mod raster;
pub mod remote;
mod resample;
pub mod service;
mod stretch;

use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{Error, ErrorCode, Result};

pub use fits::{fits_header, looks_like_fits};
pub use service::{PreviewOutcome, PreviewSource, Previews};

/// The long side of a thumbnail unless asked otherwise, in pixels.
pub const DEFAULT_SIZE: u32 = 256;
/// The largest picture decoded for a preview (64 megapixels): larger ones are refused from
/// their header alone, before anything is decoded.
pub const MAX_PIXELS: u64 = 64 * 1024 * 1024;
/// The largest file `render_file` reads into memory (1 GiB).
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// How data values between the limits map to grey levels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum Stretch {
    Linear,
    /// astropy's `AsinhStretch(a=0.1)`: faint structure brightened, bright cores kept.
    Asinh,
}

/// Which data values become black and white.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", tag = "kind", content = "percent")]
#[ts(export)]
pub enum Limits {
    /// IRAF/DS9/astropy zscale: the sky and faint sources, ignoring outliers.
    Zscale,
    /// The smallest and largest finite values.
    MinMax,
    /// The central `percent` of the finite values, as astropy's `PercentileInterval`.
    Percentile(f32),
}

/// What a thumbnail should look like.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RenderOptions {
    /// The long side in pixels; smaller pictures are never enlarged.
    pub size: u32,
    /// Used for FITS data only; PNG and JPEG keep their own grey levels and colours.
    pub stretch: Stretch,
    /// Used for FITS data only.
    pub limits: Limits,
}

/// A rendered thumbnail: PNG bytes and what the source was.
#[derive(Debug, Clone, PartialEq)]
pub struct Thumbnail {
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub info: PreviewInfo,
}

/// What a previewed file holds: its format and full-size dimensions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PreviewInfo {
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
    pub fits: Option<FitsInfo>,
}

/// The image formats that have previews, told apart by their bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum ImageFormat {
    Png,
    Jpeg,
    Fits,
}

/// The image a FITS preview shows and the header cards worth a glance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FitsInfo {
    /// 0-based index of the HDU shown.
    pub hdu: u32,
    /// BITPIX of the (uncompressed) image.
    pub bitpix: i32,
    /// NAXIS1, NAXIS2, ... of the (uncompressed) image.
    pub axes: Vec<u32>,
    /// ZCMPTYPE when the image is tile-compressed, e.g. `RICE_1`.
    pub compression: Option<String>,
    /// OBJECT, FILTER/BAND, NAXISn, BITPIX, RA/DEC or CRVAL1/2, EXPTIME, DATE-OBS, TELESCOP,
    /// INSTRUME, in that order, those present.
    pub cards: Vec<HeaderCard>,
}

/// One header card as text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct HeaderCard {
    pub key: String,
    pub value: String,
    pub comment: Option<String>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            size: DEFAULT_SIZE,
            stretch: Stretch::Linear,
            limits: Limits::Zscale,
        }
    }
}

impl RenderOptions {
    /// A short name for these options, for thumbnail cache file names: `256-linear-zscale`.
    pub fn cache_key(&self) -> String {
        let stretch = match self.stretch {
            Stretch::Linear => "linear",
            Stretch::Asinh => "asinh",
        };
        let limits = match self.limits {
            Limits::Zscale => "zscale".to_string(),
            Limits::MinMax => "minmax".to_string(),
            Limits::Percentile(percent) => format!("p{percent}"),
        };
        format!("{}-{stretch}-{limits}", self.size)
    }
}

impl FromStr for Stretch {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "linear" => Ok(Stretch::Linear),
            "asinh" => Ok(Stretch::Asinh),
            _ => Err(Error::invalid_input(format!(
                "{text:?} is not a stretch; use linear or asinh."
            ))),
        }
    }
}

impl FromStr for Limits {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "zscale" => Ok(Limits::Zscale),
            "minmax" => Ok(Limits::MinMax),
            number => match number.parse::<f32>() {
                Ok(percent) if percent > 0.0 && percent <= 100.0 => Ok(Limits::Percentile(percent)),
                _ => Err(Error::invalid_input(format!(
                    "{text:?} is not a limit; use zscale, minmax or a percentage such as 99.5."
                ))),
            },
        }
    }
}

/// Renders a thumbnail of an image held in memory, whatever its file name claims.
pub fn render(bytes: &[u8], options: &RenderOptions) -> Result<Thumbnail> {
    if options.size == 0 {
        return Err(Error::invalid_input(
            "A thumbnail needs a size of at least 1 pixel.",
        ));
    }
    if bytes.starts_with(&GZIP_MAGIC) {
        let inflated = gunzip(bytes)?;
        return render_plain(&inflated, options);
    }
    render_plain(bytes, options)
}

/// [`render`] of bytes that are not (or no longer) gzip-compressed.
fn render_plain(bytes: &[u8], options: &RenderOptions) -> Result<Thumbnail> {
    if looks_like_fits(bytes) {
        return fits::render(bytes, options);
    }
    if bytes.starts_with(&COMPRESS_MAGIC) {
        return Err(unix_compress());
    }
    match raster::sniff(bytes) {
        Some(format) => raster::render(bytes, format, options.size),
        None => Err(not_an_image(bytes)),
    }
}

/// The first bytes of a gzip stream (`.fits.gz`).
pub(crate) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// The first bytes of a Unix `compress` (LZW) stream (`.fits.Z`).
pub(crate) const COMPRESS_MAGIC: [u8; 2] = [0x1f, 0x9d];

pub(crate) fn unix_compress() -> Error {
    no_preview("the file is compressed with Unix compress (.Z); uncompress it first.")
}

fn gzip_damaged(err: std::io::Error) -> Error {
    no_preview(format!("the gzip-compressed file is damaged ({err})."))
}

/// The start of a gzip stream cut off anywhere (a prefix fetched with a Range request),
/// decompressed as far as it goes, up to `limit` bytes.
pub(crate) fn gunzip_prefix(bytes: &[u8], limit: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    match flate2::read::MultiGzDecoder::new(bytes)
        .take(limit)
        .read_to_end(&mut out)
    {
        Ok(_) => Ok(out),
        // What came before the cut is in `out`.
        Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => Ok(out),
        Err(err) => Err(gzip_damaged(err)),
    }
}

/// A whole gzip-compressed file, decompressed, refused past [`MAX_FILE_BYTES`].
fn gunzip(bytes: &[u8]) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|err| match err.kind() {
            std::io::ErrorKind::UnexpectedEof => {
                no_preview("the gzip-compressed file ends early (truncated?).")
            }
            _ => gzip_damaged(err),
        })?;
    if out.len() as u64 > MAX_FILE_BYTES {
        return Err(no_preview(format!(
            "the gzip-compressed file holds more than the {} MiB previews read.",
            MAX_FILE_BYTES >> 20
        )));
    }
    Ok(out)
}

/// Reads a file (up to [`MAX_FILE_BYTES`]) and renders its thumbnail.
pub fn render_file(path: &Path, options: &RenderOptions) -> Result<Thumbnail> {
    let len = std::fs::metadata(path)
        .map_err(|err| Error::disk("read", path, err))?
        .len();
    if len > MAX_FILE_BYTES {
        return Err(no_preview(format!(
            "the file is {} MiB, more than the {} MiB previews read.",
            len >> 20,
            MAX_FILE_BYTES >> 20
        )));
    }
    let bytes = std::fs::read(path).map_err(|err| Error::disk("read", path, err))?;
    render(&bytes, options)
}

/// An error for a file without a picture to show; `reason` completes "No preview: ...".
pub(crate) fn no_preview(reason: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::NoPreview, format!("No preview: {reason}"))
}

/// The limit message shared by every format.
pub(crate) fn too_many_pixels(width: u64, height: u64) -> Error {
    no_preview(format!(
        "the image is {width} × {height} pixels, more than the {}-megapixel limit.",
        MAX_PIXELS >> 20
    ))
}

fn not_an_image(bytes: &[u8]) -> Error {
    if bytes.is_empty() {
        no_preview("the file is empty.")
    } else {
        no_preview("the file is not an image (not PNG, JPEG or FITS).")
    }
}

/// Checks a picture's size from its header before anything is decoded.
pub(crate) fn check_pixels(width: u64, height: u64) -> Result<()> {
    match width.checked_mul(height) {
        Some(pixels) if pixels <= MAX_PIXELS => Ok(()),
        _ => Err(too_many_pixels(width, height)),
    }
}

/// The thumbnail size of a `width` × `height` picture: `size` on the long side, never enlarged,
/// at least one pixel on the short side.
pub(crate) fn fit_within(width: u32, height: u32, size: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= size {
        return (width, height);
    }
    let scale = |side: u32| {
        ((u64::from(side) * u64::from(size) + u64::from(long) / 2) / u64::from(long)).max(1) as u32
    };
    (scale(width), scale(height))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_and_name_themselves() {
        assert_eq!("asinh".parse::<Stretch>().unwrap(), Stretch::Asinh);
        assert_eq!("Linear".parse::<Stretch>().unwrap(), Stretch::Linear);
        assert!("log".parse::<Stretch>().is_err());
        assert_eq!("zscale".parse::<Limits>().unwrap(), Limits::Zscale);
        assert_eq!("minmax".parse::<Limits>().unwrap(), Limits::MinMax);
        assert_eq!("99.5".parse::<Limits>().unwrap(), Limits::Percentile(99.5));
        assert_eq!("100".parse::<Limits>().unwrap(), Limits::Percentile(100.0));
        for bad in ["0", "-3", "100.1", "NaN", "max"] {
            assert!(bad.parse::<Limits>().is_err(), "{bad}");
        }
        assert_eq!(RenderOptions::default().cache_key(), "256-linear-zscale");
        let options = RenderOptions {
            size: 128,
            stretch: Stretch::Asinh,
            limits: Limits::Percentile(99.5),
        };
        assert_eq!(options.cache_key(), "128-asinh-p99.5");
    }

    #[test]
    fn limits_serialize_as_tagged_objects() {
        assert_eq!(
            serde_json::to_string(&Limits::Percentile(99.5)).unwrap(),
            r#"{"kind":"percentile","percent":99.5}"#
        );
        assert_eq!(
            serde_json::to_string(&Limits::Zscale).unwrap(),
            r#"{"kind":"zscale"}"#
        );
    }

    #[test]
    fn fit_within_keeps_the_aspect_and_never_enlarges() {
        assert_eq!(fit_within(512, 256, 256), (256, 128));
        assert_eq!(fit_within(200, 200, 256), (200, 200));
        assert_eq!(fit_within(10000, 3, 256), (256, 1));
        assert_eq!(fit_within(300, 1000, 100), (30, 100));
    }
}
