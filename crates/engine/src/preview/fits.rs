//! FITS images through `fitsio-pure`: finding the image HDU, its key header cards, and its first
//! plane as floats.
//!
//! Headers are walked one HDU at a time (so a prefix of a file is enough to describe it); plain
//! images are decoded here, plane by plane, and tile-compressed ones (RICE_1, GZIP_1, GZIP_2,
//! HCOMPRESS_1, PLIO_1) by `fitsio-pure`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use fitsio_pure::hdu::{Hdu, HduInfo};
use fitsio_pure::header::{header_byte_len, parse_header_blocks, Card};
use fitsio_pure::value::Value;

use super::{
    check_pixels, encode, fit_within, gunzip_prefix, no_preview, resample, stretch, unix_compress,
    FitsInfo, HeaderCard, ImageFormat, PreviewInfo, RenderOptions, Thumbnail, COMPRESS_MAGIC,
    GZIP_MAGIC, MAX_PIXELS,
};
use crate::{Error, Result};

const BLOCK: u64 = 2880;
const CARD: usize = 80;
/// The FITS standard's ceiling for NAXIS, ZNAXIS and TFIELDS.
const MAX_INDEXED_KEYWORDS: i64 = 999;
/// The largest RICE_1 block size accepted (CFITSIO writes 32, or 16 for 8- and 16-bit pixels).
const MAX_RICE_BLOCK: usize = 1024;
/// How far [`fits_header`] decompresses the prefix of a gzip-compressed file.
const MAX_INFLATED_PREFIX: u64 = 64 << 20;
/// Header cards shown beside the image that may come from the primary header instead.
const SCENE_KEYS: [&str; 4] = ["EXPTIME", "DATE-OBS", "TELESCOP", "INSTRUME"];

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
        let plane = walk.read_plane(&image)?;
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

/// Why the walk found no image.
enum Missing {
    /// The HDUs ended without an image.
    NoImage,
    /// A header was cut off by the end of the bytes.
    Truncated,
    Bad(Error),
}

/// The image HDU chosen for the preview.
struct ImageHdu {
    info: FitsInfo,
    hdu: Hdu,
}

/// The HDUs of a FITS file in order, one header at a time.
struct Walk<'a> {
    bytes: &'a [u8],
    /// Where the next header starts, when known.
    next_header: Option<u64>,
    index: u32,
    primary: Option<Vec<Card>>,
    saw_table: bool,
    saw_groups: bool,
    /// The length of the first 1-D image seen, a spectrum or a list of values.
    one_axis: Option<usize>,
}

impl<'a> Walk<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Walk {
            bytes,
            next_header: Some(0),
            index: 0,
            primary: None,
            saw_table: false,
            saw_groups: false,
            one_axis: None,
        }
    }

    /// Whether the HDUs walked so far reach the end of the bytes.
    fn reached_end(&self) -> bool {
        self.next_header
            .is_none_or(|next| next >= self.bytes.len() as u64)
    }

    fn no_image(&self) -> Error {
        if self.saw_groups {
            no_preview("random-groups data (interferometer visibilities) holds no image.")
        } else if let Some(length) = self.one_axis {
            no_preview(format!(
                "the file's only image is 1-D ({length} values), not a picture."
            ))
        } else if self.saw_table {
            no_preview("the file holds tables but no image.")
        } else {
            no_preview("the file holds no image.")
        }
    }

    /// The first HDU holding an image of at least two non-empty axes.
    fn find_image(&mut self) -> std::result::Result<ImageHdu, Missing> {
        loop {
            let Some(start) = self
                .next_header
                .and_then(|start| usize::try_from(start).ok())
                .filter(|&start| start < self.bytes.len())
            else {
                return Err(Missing::NoImage);
            };
            let rest = &self.bytes[start..];
            // Bytes after the last HDU that do not start another one (zero padding, junk)
            // end the file, as they do for astropy and cfitsio.
            if self.index > 0 && !rest.starts_with(b"XTENSION") {
                self.next_header = None;
                return Err(Missing::NoImage);
            }
            check_header(rest).map_err(Missing::Bad)?;
            let header_len = match header_byte_len(rest) {
                Ok(len) => len,
                Err(_) => return Err(Missing::Truncated),
            };
            let cards = parse_header_blocks(&rest[..header_len])
                .map_err(|err| Missing::Bad(damaged(err)))?;
            let index = self.index;
            let data_start = start + header_len;
            if let Some(name) = other_extension(&cards) {
                // An extension `fitsio-pure` does not know (A3DTABLE, FOREIGN, ...) is stepped over.
                let len = data_len(&cards).ok_or_else(|| {
                    Missing::Bad(no_preview(format!(
                        "the FITS file is damaged (the {name} extension has no valid size)."
                    )))
                })?;
                self.saw_table |= name.ends_with("TABLE");
                self.index += 1;
                self.next_header = len
                    .checked_next_multiple_of(BLOCK)
                    .and_then(|size| size.checked_add(data_start as u64));
                continue;
            }
            let hdu = Hdu::from_cards(cards, start, data_start)
                .map_err(|err| Missing::Bad(damaged(err)))?;
            self.index += 1;
            self.next_header = (hdu.data_len as u64)
                .checked_next_multiple_of(BLOCK)
                .and_then(|size| size.checked_add(hdu.data_start as u64));
            if let Some(image) = self.consider(hdu, index).map_err(Missing::Bad)? {
                return Ok(image);
            }
        }
    }

    /// The image in `hdu`, if it holds one worth showing.
    fn consider(&mut self, hdu: Hdu, index: u32) -> Result<Option<ImageHdu>> {
        if index == 0 {
            self.primary = Some(hdu.cards.clone());
        }
        let (bitpix, axes, compression) = match &hdu.info {
            HduInfo::Primary { bitpix, naxes } | HduInfo::Image { bitpix, naxes } => {
                (*bitpix, naxes.clone(), None)
            }
            HduInfo::RandomGroups { .. } => {
                self.saw_groups = true;
                return Ok(None);
            }
            HduInfo::AsciiTable { .. } | HduInfo::BinaryTable { .. } => {
                self.saw_table = true;
                return Ok(None);
            }
            HduInfo::CompressedImage {
                zbitpix,
                znaxes,
                zcmptype,
                ..
            } => {
                if !matches!(
                    zcmptype.as_str(),
                    "RICE_1"
                        | "RICE_ONE"
                        | "GZIP_1"
                        | "GZIP_2"
                        | "HCOMPRESS_1"
                        | "PLIO_1"
                        | "NOCOMPRESS"
                ) {
                    return Err(no_preview(format!(
                        "{zcmptype} tile compression is not supported."
                    )));
                }
                (*zbitpix, znaxes.clone(), Some(zcmptype.clone()))
            }
        };
        if let [length] = axes[..] {
            if length > 0 {
                self.one_axis.get_or_insert(length);
            }
        }
        if axes.len() < 2 || axes.contains(&0) {
            return Ok(None);
        }
        let axes: Vec<u64> = axes.iter().map(|&n| n as u64).collect();
        let info = self.info(&hdu.cards, index, bitpix, &axes, compression);
        Ok(Some(ImageHdu { info, hdu }))
    }

    fn info(
        &self,
        header: &[Card],
        index: u32,
        bitpix: i64,
        axes: &[u64],
        compression: Option<String>,
    ) -> FitsInfo {
        let structural = |key: String| match compression {
            Some(_) => format!("Z{key}"),
            None => key,
        };
        let from_either = |key: &str| {
            card(header, key).or_else(|| {
                self.primary
                    .as_deref()
                    .and_then(|primary| card(primary, key))
            })
        };
        let mut cards = Vec::new();
        let mut push = |key: &str, value: Option<&Card>| {
            if let Some(value) = value {
                cards.push(header_card(key, value));
            }
        };
        push("OBJECT", from_either("OBJECT"));
        match from_either("FILTER") {
            Some(filter) => push("FILTER", Some(filter)),
            None => push("BAND", from_either("BAND")),
        }
        for axis in 1..=axes.len() {
            push(
                &format!("NAXIS{axis}"),
                card(header, &structural(format!("NAXIS{axis}"))),
            );
        }
        push("BITPIX", card(header, &structural("BITPIX".into())));
        let (ra, dec) = (from_either("RA"), from_either("DEC"));
        if ra.is_some() || dec.is_some() {
            push("RA", ra);
            push("DEC", dec);
        } else {
            push("CRVAL1", from_either("CRVAL1"));
            push("CRVAL2", from_either("CRVAL2"));
        }
        for key in SCENE_KEYS {
            push(key, from_either(key));
        }
        FitsInfo {
            hdu: index,
            bitpix: bitpix as i32,
            axes: axes
                .iter()
                .map(|&n| u32::try_from(n).unwrap_or(u32::MAX))
                .collect(),
            compression,
            cards,
        }
    }

    /// The first plane of the image, FITS row order (bottom row first), blanks as NaN.
    fn read_plane(&self, image: &ImageHdu) -> Result<Vec<f32>> {
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
                if end.is_none_or(|end| end > self.bytes.len()) {
                    return Err(truncated());
                }
                // Every plane is decoded; `check_tiles` kept them all within MAX_PIXELS.
                let mut plane = fitsio_pure::image::read_image_physical_f32(self.bytes, hdu)
                    .map_err(|err| match err {
                        fitsio_pure::Error::UnexpectedEof => no_preview(
                            "the compressed image is damaged or ends early (truncated?).",
                        ),
                        err => no_preview(format!("the compressed image is damaged ({err}).")),
                    })?;
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
                    .and_then(|end| self.bytes.get(hdu.data_start..end))
                    .ok_or_else(truncated)?;
                Ok(physical(raw, *bitpix, scaling(&hdu.cards)))
            }
            _ => Err(no_preview("the file holds no image.")),
        }
    }
}

/// The XTENSION of an extension `fitsio-pure` does not read, if this is one.
fn other_extension(cards: &[Card]) -> Option<String> {
    match &card(cards, "XTENSION")?.value {
        Some(Value::String(name)) => {
            let name = name.trim();
            (!matches!(name, "IMAGE" | "TABLE" | "BINTABLE")).then(|| name.to_string())
        }
        _ => None,
    }
}

/// The size of a data unit by the standard's rule: |BITPIX| / 8 × GCOUNT × (PCOUNT + NAXIS1 × ...).
fn data_len(cards: &[Card]) -> Option<u64> {
    let integer = |key: &str| match card(cards, key)?.value {
        Some(Value::Integer(n)) => u64::try_from(n).ok(),
        _ => None,
    };
    let bits = match card(cards, "BITPIX")?.value {
        Some(Value::Integer(n)) => n.unsigned_abs(),
        _ => return None,
    };
    let naxis = integer("NAXIS")?;
    if naxis == 0 {
        return Some(0);
    }
    let values = (1..=naxis).try_fold(1u64, |product, axis| {
        product.checked_mul(integer(&format!("NAXIS{axis}"))?)
    })?;
    let groups = integer("GCOUNT").unwrap_or(1);
    (bits / 8)
        .checked_mul(groups)?
        .checked_mul(values.checked_add(integer("PCOUNT").unwrap_or(0))?)
}

/// Refuses headers whose counts would make the reader reserve memory or loop without bound
/// (ZNAXIS, TFIELDS and NAXIS over the standard's 999, negative sizes) before it parses them.
fn check_header(header: &[u8]) -> Result<()> {
    for card in header.chunks_exact(CARD) {
        let key = std::str::from_utf8(&card[..8]).unwrap_or("").trim_end();
        if key == "END" {
            break;
        }
        if &card[8..10] != b"= " {
            continue;
        }
        let value = std::str::from_utf8(&card[10..30]).unwrap_or("").trim();
        let Ok(number) = value.parse::<i64>() else {
            continue;
        };
        let counted = matches!(key, "NAXIS" | "ZNAXIS" | "TFIELDS");
        let sized = ["NAXIS", "ZNAXIS", "ZTILE"].iter().any(|prefix| {
            key.strip_prefix(prefix)
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        }) || matches!(key, "PCOUNT" | "GCOUNT");
        if (counted && number > MAX_INDEXED_KEYWORDS) || (sized && number < 0) {
            let range = if counted {
                format!("0–{MAX_INDEXED_KEYWORDS}")
            } else {
                "0 or more".to_string()
            };
            return Err(no_preview(format!(
                "the FITS file is damaged ({key} = {value} is outside {range})."
            )));
        }
    }
    Ok(())
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

/// The first valued card with this keyword, as `fitsio-pure` itself reads repeated keywords.
fn card<'c>(cards: &'c [Card], key: &str) -> Option<&'c Card> {
    cards
        .iter()
        .find(|card| card.value.is_some() && card.keyword_str() == key)
}

fn header_card(key: &str, card: &Card) -> HeaderCard {
    let text = match &card.value {
        Some(Value::Integer(value)) => value.to_string(),
        Some(Value::Float(value)) => value.to_string(),
        Some(Value::Logical(value)) => (if *value { "T" } else { "F" }).to_string(),
        Some(Value::String(value)) => value.trim_end().to_string(),
        Some(Value::ComplexInt(re, im)) => format!("({re}, {im})"),
        Some(Value::ComplexFloat(re, im)) => format!("({re}, {im})"),
        Some(Value::Undefined) | None => String::new(),
    };
    HeaderCard {
        key: key.to_string(),
        value: text,
        comment: card
            .comment
            .as_ref()
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty()),
    }
}
