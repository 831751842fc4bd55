//! FITS images through `fitsrs`: finding the image HDU, its key header cards, and its first plane as floats.

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};

use fitsrs::card::Value;
use fitsrs::hdu::data::bintable::data::BinaryTableData;
use fitsrs::hdu::data::bintable::tile_compressed::pixels::Pixels as TilePixels;
use fitsrs::hdu::header::{Bitpix, ValueMap};
use fitsrs::{Fits, HDU};

use super::{
    check_pixels, encode, fit_within, no_preview, resample, stretch, FitsInfo, HeaderCard,
    ImageFormat, PreviewInfo, RenderOptions, Thumbnail,
};
use crate::{Error, Result};

const BLOCK: u64 = 2880;
const CARD: usize = 80;
/// The FITS standard's ceiling for NAXIS, ZNAXIS and TFIELDS.
const MAX_INDEXED_KEYWORDS: i64 = 999;
/// Header cards shown beside the image that may come from the primary header instead.
const SCENE_KEYS: [&str; 4] = ["EXPTIME", "DATE-OBS", "TELESCOP", "INSTRUME"];

/// Whether the bytes start like a FITS file (`SIMPLE  =`).
pub fn looks_like_fits(bytes: &[u8]) -> bool {
    bytes.starts_with(b"SIMPLE  =")
}

/// Reads the headers at the start of a FITS file (e.g. its first 256 KiB, fetched with a Range
/// request) and describes the image a preview would show, without touching any pixel.
pub fn fits_header(prefix: &[u8]) -> Result<FitsInfo> {
    if !looks_like_fits(prefix) {
        return Err(no_preview(
            "the file is not FITS (it does not start with SIMPLE =).",
        ));
    }
    guarded(|| {
        let mut walk = Walk::new(prefix);
        match walk.find_image() {
            Ok(image) => Ok(image.info),
            Err(Missing::NoImage) if !walk.reached_end() => Err(walk.no_image()),
            Err(Missing::NoImage) | Err(Missing::Truncated) => Err(no_preview(format!(
                "the first {} KiB of the file end before its image header does; fetch more of the file.",
                prefix.len() / 1024
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
        let limits = stretch::limits(&plane, options.limits)
            .ok_or_else(|| no_preview("every pixel of the image is blank (NaN or BLANK)."))?;
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
        let png = encode::png(
            &grey,
            thumb_width,
            thumb_height,
            image::ExtendedColorType::L8,
        )?;
        Ok(Thumbnail {
            png,
            width: thumb_width,
            height: thumb_height,
            info: PreviewInfo {
                format: ImageFormat::Fits,
                width,
                height,
                fits: Some(image.info),
            },
        })
    })
}

/// Runs `fitsrs` on untrusted bytes, turning a panic inside it into an error.
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

fn damaged(err: fitsrs::error::Error) -> Error {
    if ends_early(&err) {
        truncated()
    } else {
        no_preview(format!("the FITS file is damaged ({err})."))
    }
}

/// Whether `fitsrs` stopped because the bytes ran out (it says so in two ways).
fn ends_early(err: &fitsrs::error::Error) -> bool {
    matches!(
        err,
        fitsrs::error::Error::Io(std::io::ErrorKind::UnexpectedEof)
            | fitsrs::error::Error::StaticError("EOF reached")
    )
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
    /// Where its data unit starts.
    data_offset: u64,
    layout: Layout,
}

/// How the pixels of the image HDU are stored.
enum Layout {
    /// Big-endian values right in the data unit, turned into physical values by BSCALE/BZERO.
    Plain { bitpix: Bitpix, scaling: Scaling },
    /// A tile-compressed image in a binary table, decoded by `fitsrs`; `hdu` is kept to read it.
    Tiled {
        hdu: Box<fitsrs::fits::HDU<fitsrs::hdu::header::extension::bintable::BinTable>>,
        tile: (usize, usize),
        scaling: Scaling,
    },
}

/// BSCALE, BZERO and the integer BLANK value of an image.
#[derive(Clone, Copy)]
struct Scaling {
    scale: f64,
    zero: f64,
    blank: Option<i64>,
}

/// The HDUs of a FITS file in order, as `fitsrs` reads them.
struct Walk<'a> {
    bytes: &'a [u8],
    fits: Fits<Cursor<&'a [u8]>>,
    /// Where the next header starts, when known.
    next_header: Option<u64>,
    index: u32,
    primary: Option<ValueMap>,
    saw_table: bool,
}

impl<'a> Walk<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Walk {
            bytes,
            fits: Fits::from_reader(Cursor::new(bytes)),
            next_header: Some(0),
            index: 0,
            primary: None,
            saw_table: false,
        }
    }

    /// Whether the HDUs walked so far reach the end of the bytes.
    fn reached_end(&self) -> bool {
        self.next_header
            .is_none_or(|next| next >= self.bytes.len() as u64)
    }

    fn no_image(&self) -> Error {
        if self.saw_table {
            no_preview("the file holds tables but no image.")
        } else {
            no_preview("the file holds no image.")
        }
    }

    /// The first HDU holding an image of at least two non-empty axes.
    fn find_image(&mut self) -> std::result::Result<ImageHdu, Missing> {
        loop {
            if let Some(start) = self.next_header {
                check_header(self.bytes, start).map_err(Missing::Bad)?;
            }
            let hdu = match self.fits.next() {
                None => return Err(Missing::NoImage),
                Some(Err(err)) if ends_early(&err) => return Err(Missing::Truncated),
                Some(Err(err)) => return Err(Missing::Bad(damaged(err))),
                Some(Ok(hdu)) => hdu,
            };
            let index = self.index;
            self.index += 1;
            self.next_header = hdu
                .get_data_unit_byte_size()
                .checked_next_multiple_of(BLOCK)
                .and_then(|size| size.checked_add(hdu.get_data_unit_byte_offset()));
            if let Some(image) = self.consider(hdu, index).map_err(Missing::Bad)? {
                return Ok(image);
            }
        }
    }

    /// The image in `hdu`, if it holds one worth showing.
    fn consider(&mut self, hdu: HDU, index: u32) -> Result<Option<ImageHdu>> {
        match hdu {
            HDU::Primary(hdu) | HDU::XImage(hdu) => {
                let header = hdu.get_header();
                if index == 0 {
                    self.primary = Some((**header).clone());
                }
                let image = header.get_xtension();
                let axes = image.get_naxis();
                if axes.len() < 2 || axes.contains(&0) {
                    return Ok(None);
                }
                let bitpix = image.get_bitpix();
                let info = self.info(header, index, bitpix, axes, None);
                Ok(Some(ImageHdu {
                    info,
                    data_offset: hdu.get_data_unit_byte_offset(),
                    layout: Layout::Plain {
                        bitpix,
                        scaling: scaling(header),
                    },
                }))
            }
            HDU::XASCIITable(_) => {
                self.saw_table = true;
                Ok(None)
            }
            HDU::XBinaryTable(hdu) => {
                let header = hdu.get_header();
                if !matches!(
                    header.get("ZIMAGE"),
                    Some(Value::Logical { value: true, .. })
                ) {
                    self.saw_table = true;
                    return Ok(None);
                }
                let compression = text(header, "ZCMPTYPE").unwrap_or_default();
                let Some(tiled) = header.get_xtension().get_z_image() else {
                    return Err(unsupported(&compression, header));
                };
                let bytes_per_rice_pixel = header
                    .iter()
                    .find(|(key, value)| key.starts_with("ZNAME") && matches!(value, Value::String { value, .. } if value.trim() == "BYTEPIX"))
                    .and_then(|(key, _)| header.get_parsed::<i64>(&key.replace("NAME", "VAL")).ok());
                if compression.starts_with("RICE") && bytes_per_rice_pixel.is_some_and(|n| n != 4) {
                    return Err(no_preview(format!(
                        "RICE_1 tile compression of {}-byte pixels is not supported.",
                        bytes_per_rice_pixel.unwrap_or_default()
                    )));
                }
                let axes: Vec<u64> = tiled.z_naxisn.iter().map(|&n| n as u64).collect();
                if axes.len() < 2 || axes.contains(&0) {
                    return Ok(None);
                }
                let tile = tile_shape(header, &axes)?;
                let info = self.info(header, index, tiled.z_bitpix, &axes, Some(compression));
                Ok(Some(ImageHdu {
                    info,
                    data_offset: hdu.get_data_unit_byte_offset(),
                    layout: Layout::Tiled {
                        tile,
                        scaling: scaling(header),
                        hdu: Box::new(hdu),
                    },
                }))
            }
        }
    }

    fn info(
        &self,
        header: &ValueMap,
        index: u32,
        bitpix: Bitpix,
        axes: &[u64],
        compression: Option<String>,
    ) -> FitsInfo {
        let structural = |key: String| match compression {
            Some(_) => format!("Z{key}"),
            None => key,
        };
        let from_either = |key: &str| {
            header
                .get(key)
                .or_else(|| self.primary.as_ref().and_then(|primary| primary.get(key)))
        };
        let mut cards = Vec::new();
        let mut push = |key: &str, value: Option<&Value>| {
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
                header.get(&structural(format!("NAXIS{axis}"))),
            );
        }
        push("BITPIX", header.get(&structural("BITPIX".into())));
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
    fn read_plane(&mut self, image: &ImageHdu) -> Result<Vec<f32>> {
        let (width, height) = (image.info.axes[0] as usize, image.info.axes[1] as usize);
        let pixels = width * height;
        match &image.layout {
            Layout::Plain { bitpix, scaling } => {
                let len = pixels * bitpix.byte_size();
                let start = usize::try_from(image.data_offset).map_err(|_| truncated())?;
                let raw = start
                    .checked_add(len)
                    .and_then(|end| self.bytes.get(start..end))
                    .ok_or_else(truncated)?;
                Ok(physical(raw, *bitpix, *scaling))
            }
            Layout::Tiled { hdu, tile, scaling } => {
                // fitsrs reserves a buffer of one tile before decoding anything.
                check_pixels(tile.0 as u64, tile.1 as u64)?;
                let mut plane = vec![f32::NAN; pixels];
                let order = TileOrder::new(width, *tile);
                let mut filled = 0;
                let mut put = |i: usize, value: f32| {
                    plane[order.position(i)] = value;
                    filled += 1;
                };
                let physical = |raw: f64| scaling_apply(*scaling, raw);
                match self.fits.get_data(&**hdu) {
                    BinaryTableData::TileCompressed(TilePixels::U8(it)) => it
                        .take(pixels)
                        .enumerate()
                        .for_each(|(i, v)| put(i, physical(f64::from(v)))),
                    BinaryTableData::TileCompressed(TilePixels::I16(it)) => it
                        .take(pixels)
                        .enumerate()
                        .for_each(|(i, v)| put(i, physical(f64::from(v)))),
                    BinaryTableData::TileCompressed(TilePixels::I32(it)) => it
                        .take(pixels)
                        .enumerate()
                        .for_each(|(i, v)| put(i, physical(f64::from(v)))),
                    BinaryTableData::TileCompressed(TilePixels::F32(it)) => {
                        it.take(pixels).enumerate().for_each(|(i, v)| put(i, v))
                    }
                    BinaryTableData::TileCompressed(TilePixels::F64(it)) => {
                        it.take(pixels).enumerate().for_each(|(i, v)| put(i, v))
                    }
                    BinaryTableData::Table(_) => {
                        return Err(no_preview("the compressed image could not be read as one."))
                    }
                }
                if filled < pixels {
                    return Err(no_preview(
                        "the compressed image is damaged or ends early (truncated?).",
                    ));
                }
                Ok(plane)
            }
        }
    }
}

/// Refuses headers whose counts would make `fitsrs` reserve memory or loop without bound
/// (ZNAXIS, TFIELDS and NAXIS over the standard's 999) before it parses them.
fn check_header(bytes: &[u8], start: u64) -> Result<()> {
    let Some(header) = usize::try_from(start)
        .ok()
        .and_then(|start| bytes.get(start..))
    else {
        return Ok(());
    };
    for card in header.chunks_exact(CARD) {
        let key = std::str::from_utf8(&card[..8]).unwrap_or("").trim_end();
        if key == "END" {
            break;
        }
        if matches!(key, "NAXIS" | "ZNAXIS" | "TFIELDS") && &card[8..10] == b"= " {
            let value = std::str::from_utf8(&card[10..30]).unwrap_or("").trim();
            if value
                .parse::<i64>()
                .is_ok_and(|n| !(0..=MAX_INDEXED_KEYWORDS).contains(&n))
            {
                return Err(no_preview(format!(
                    "the FITS file is damaged ({key} = {value} is outside 0–{MAX_INDEXED_KEYWORDS})."
                )));
            }
        }
    }
    Ok(())
}

fn unsupported(compression: &str, header: &ValueMap) -> Error {
    match header.get_parsed::<i64>("ZBITPIX") {
        Ok(64) => no_preview("tile-compressed 64-bit integer images are not supported."),
        _ if compression.is_empty() => {
            no_preview("the compressed image does not say how it is compressed (no ZCMPTYPE).")
        }
        _ => no_preview(format!("{compression} tile compression is not supported.")),
    }
}

/// ZTILE1 × ZTILE2 of a compressed image, when its tiles cover the first plane in a way we can
/// put back together: whole rows, or tiles that divide the image evenly.
fn tile_shape(header: &ValueMap, axes: &[u64]) -> Result<(usize, usize)> {
    let tile = |axis: usize| -> u64 {
        header
            .get_parsed::<u64>(&format!("ZTILE{axis}"))
            .unwrap_or(if axis == 1 { axes[0] } else { 1 })
    };
    let (tile_width, tile_height) = (tile(1), tile(2));
    let flat_beyond = (3..=axes.len()).all(|axis| tile(axis) == 1);
    if tile_width == 0
        || tile_height == 0
        || !flat_beyond
        || !axes[0].is_multiple_of(tile_width)
        || !axes[1].is_multiple_of(tile_height)
    {
        return Err(no_preview(format!(
            "compressed tiles of {tile_width} × {tile_height} pixels that do not divide the image evenly are not supported."
        )));
    }
    Ok((tile_width as usize, tile_height as usize))
}

/// Where the i-th decoded pixel of a tiled image goes: tiles come whole, in row order of tiles.
struct TileOrder {
    width: usize,
    tile: (usize, usize),
    tiles_across: usize,
}

impl TileOrder {
    fn new(width: usize, tile: (usize, usize)) -> Self {
        TileOrder {
            width,
            tile,
            tiles_across: width / tile.0,
        }
    }

    fn position(&self, i: usize) -> usize {
        let per_tile = self.tile.0 * self.tile.1;
        let (tile, within) = (i / per_tile, i % per_tile);
        let x = (tile % self.tiles_across) * self.tile.0 + within % self.tile.0;
        let y = (tile / self.tiles_across) * self.tile.1 + within / self.tile.0;
        y * self.width + x
    }
}

fn scaling(header: &ValueMap) -> Scaling {
    Scaling {
        scale: header.get_parsed::<f64>("BSCALE").unwrap_or(1.0),
        zero: header.get_parsed::<f64>("BZERO").unwrap_or(0.0),
        blank: header.get_parsed::<i64>("BLANK").ok(),
    }
}

fn scaling_apply(scaling: Scaling, raw: f64) -> f32 {
    (scaling.zero + scaling.scale * raw) as f32
}

/// Big-endian stored values to physical values; BLANK integers become NaN.
fn physical(raw: &[u8], bitpix: Bitpix, scaling: Scaling) -> Vec<f32> {
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
        Bitpix::U8 => convert(raw, |b: [u8; 1]| integer(i64::from(b[0]))),
        Bitpix::I16 => convert(raw, |b| integer(i64::from(i16::from_be_bytes(b)))),
        Bitpix::I32 => convert(raw, |b| integer(i64::from(i32::from_be_bytes(b)))),
        Bitpix::I64 => convert(raw, |b| integer(i64::from_be_bytes(b))),
        Bitpix::F32 if identity => convert(raw, f32::from_be_bytes),
        Bitpix::F32 => convert(raw, |b| {
            scaling_apply(scaling, f64::from(f32::from_be_bytes(b)))
        }),
        Bitpix::F64 => convert(raw, |b| scaling_apply(scaling, f64::from_be_bytes(b))),
    }
}

/// A string-valued card, trimmed.
fn text(header: &ValueMap, key: &str) -> Option<String> {
    match header.get(key) {
        Some(Value::String { value, .. }) => Some(value.trim().to_string()),
        _ => None,
    }
}

fn header_card(key: &str, value: &Value) -> HeaderCard {
    let (text, comment) = match value {
        Value::Integer { value, comment } => (value.to_string(), comment),
        Value::Float { value, comment } => (value.to_string(), comment),
        Value::Logical { value, comment } => {
            ((if *value { "T" } else { "F" }).to_string(), comment)
        }
        Value::String { value, comment } => (value.trim_end().to_string(), comment),
        Value::Undefined => (String::new(), &None),
        Value::Invalid(raw) => (raw.trim().to_string(), &None),
    };
    HeaderCard {
        key: key.to_string(),
        value: text,
        comment: comment
            .as_ref()
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty()),
    }
}
