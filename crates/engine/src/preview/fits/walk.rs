//! The HDUs of a FITS file in order, one header at a time, up to the first image worth showing;
//! headers whose counts would make the reader loop or reserve without bound are refused first.

use fitsio_pure::hdu::{Hdu, HduInfo};
use fitsio_pure::header::{header_byte_len, parse_header_blocks, Card};
use fitsio_pure::value::Value;

use super::cards::{card, fits_info};
use super::{damaged, no_preview};
use crate::preview::FitsInfo;
use crate::{Error, Result};

const BLOCK: u64 = 2880;
const CARD: usize = 80;
/// The FITS standard's ceiling for NAXIS, ZNAXIS and TFIELDS.
const MAX_INDEXED_KEYWORDS: i64 = 999;

/// Why the walk found no image.
pub(super) enum Missing {
    /// The HDUs ended without an image.
    NoImage,
    /// A header was cut off by the end of the bytes.
    Truncated,
    Bad(Error),
}

/// The image HDU chosen for the preview.
pub(super) struct ImageHdu {
    pub(super) info: FitsInfo,
    pub(super) hdu: Hdu,
}

/// The HDUs of a FITS file in order, one header at a time.
pub(super) struct Walk<'a> {
    bytes: &'a [u8],
    /// Where the next header starts, when known.
    next_header: Option<u64>,
    index: u32,
    primary: Option<Vec<Card>>,
    saw_table: bool,
    pub(super) saw_groups: bool,
    /// The length of the first 1-D image seen, a spectrum or a list of values.
    one_axis: Option<usize>,
}

impl<'a> Walk<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
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
    pub(super) fn reached_end(&self) -> bool {
        self.next_header
            .is_none_or(|next| next >= self.bytes.len() as u64)
    }

    pub(super) fn no_image(&self) -> Error {
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
    pub(super) fn find_image(&mut self) -> std::result::Result<ImageHdu, Missing> {
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
        let info = fits_info(
            &hdu.cards,
            self.primary.as_deref(),
            index,
            bitpix,
            &axes,
            compression,
        );
        Ok(Some(ImageHdu { info, hdu }))
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
