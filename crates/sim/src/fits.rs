//! Standard FITS encoding: a cutout as one primary HDU of big-endian float32 pixels with a TAN WCS, and
//! tables (jitter, light curves, trailers) as an empty primary HDU and one binary-table extension.

use crate::scene::Band;
use crate::stamp::{Stamp, PIXEL_SCALE_ARCSEC};

const BLOCK: usize = 2880;
const CARD: usize = 80;

/// The exact size of the file `encode` produces, without rendering any pixels.
pub(crate) fn file_len(stamp: &Stamp, band: Band) -> u64 {
    (header(stamp, band).len() + padded(data_len(stamp))) as u64
}

/// The complete FITS file for one band of a cutout.
pub(crate) fn encode(stamp: &Stamp, band: Band) -> Vec<u8> {
    let pixels = stamp.scene().render(band);
    let mut out = header(stamp, band);
    out.reserve(padded(data_len(stamp)));
    // FITS rows run bottom to top; the scene is stored top row first.
    for row in pixels.chunks(stamp.width as usize).rev() {
        for value in row {
            out.extend_from_slice(&value.to_be_bytes());
        }
    }
    out.resize(out.len().next_multiple_of(BLOCK), 0);
    out
}

fn data_len(stamp: &Stamp) -> usize {
    stamp.width as usize * stamp.height as usize * 4
}

fn padded(len: usize) -> usize {
    len.next_multiple_of(BLOCK)
}

/// The primary header, padded with spaces to whole 2880-byte blocks.
fn header(stamp: &Stamp, band: Band) -> Vec<u8> {
    let scale = PIXEL_SCALE_ARCSEC / 3600.0;
    let cards = [
        fixed("SIMPLE", "T", "conforms to FITS standard"),
        fixed("BITPIX", "-32", "array data type"),
        fixed("NAXIS", "2", "number of array dimensions"),
        fixed("NAXIS1", &stamp.width.to_string(), ""),
        fixed("NAXIS2", &stamp.height.to_string(), ""),
        fixed("EXTEND", "T", ""),
        string("OBJECT", &stamp.name, "DES position name"),
        string("TILENAME", &stamp.tile, "DES coadd tile"),
        string("BAND", &band.letter().to_string(), "filter band"),
        string("CTYPE1", "RA---TAN", "WCS projection"),
        string("CTYPE2", "DEC--TAN", "WCS projection"),
        fixed("CRVAL1", &real(stamp.ra), "[deg] RA of reference pixel"),
        fixed("CRVAL2", &real(stamp.dec), "[deg] Dec of reference pixel"),
        fixed(
            "CRPIX1",
            &real((f64::from(stamp.width) + 1.0) / 2.0),
            "reference pixel",
        ),
        fixed(
            "CRPIX2",
            &real((f64::from(stamp.height) + 1.0) / 2.0),
            "reference pixel",
        ),
        fixed("CD1_1", &real(-scale), "[deg/pixel] 0.263 arcsec/pixel"),
        fixed("CD1_2", &real(0.0), ""),
        fixed("CD2_1", &real(0.0), ""),
        fixed("CD2_2", &real(scale), "[deg/pixel] 0.263 arcsec/pixel"),
        string("CUNIT1", "deg", ""),
        string("CUNIT2", "deg", ""),
        string("RADESYS", "ICRS", ""),
        fixed("EQUINOX", &real(2000.0), ""),
        fixed("EXPTIME", &real(900.0), "[s] coadd exposure time"),
        fixed("MAGZERO", &real(30.0), "[mag] zero point"),
        string("ORIGIN", "jobfetch-sim", "simulated DESaccess cutout"),
    ];
    hdu_header(&cards)
}

/// One binary-table column: its name and its FITS type (`E` float32, `D` float64, `J` int32, `<n>A` text).
pub(crate) struct Column {
    pub(crate) name: &'static str,
    pub(crate) form: &'static str,
}

/// A FITS file holding one binary table named `extname`, with `cards` (already formatted header cards
/// of the primary HDU, e.g. from [`keyword`]) saying what it is. Each row is the big-endian bytes of
/// its cells, as wide as the columns' types say.
pub(crate) fn table(
    extname: &str,
    cards: &[String],
    columns: &[Column],
    rows: &[Vec<u8>],
) -> Vec<u8> {
    let width: usize = columns.iter().map(|c| form_width(c.form)).sum();
    let mut primary = vec![
        fixed("SIMPLE", "T", "conforms to FITS standard"),
        fixed("BITPIX", "8", ""),
        fixed("NAXIS", "0", "no image in the primary HDU"),
        fixed("EXTEND", "T", ""),
    ];
    primary.extend(cards.iter().cloned());
    let mut extension = vec![
        string("XTENSION", "BINTABLE", "binary table extension"),
        fixed("BITPIX", "8", ""),
        fixed("NAXIS", "2", ""),
        fixed("NAXIS1", &width.to_string(), "bytes per row"),
        fixed("NAXIS2", &rows.len().to_string(), "rows"),
        fixed("PCOUNT", "0", ""),
        fixed("GCOUNT", "1", ""),
        fixed("TFIELDS", &columns.len().to_string(), ""),
    ];
    for (n, column) in columns.iter().enumerate() {
        extension.push(string(&format!("TTYPE{}", n + 1), column.name, ""));
        extension.push(string(&format!("TFORM{}", n + 1), column.form, ""));
    }
    extension.push(string("EXTNAME", extname, ""));
    let mut out = hdu_header(&primary);
    out.extend(hdu_header(&extension));
    for row in rows {
        assert_eq!(row.len(), width, "a table row is as wide as its columns");
        out.extend_from_slice(row);
    }
    out.resize(out.len().next_multiple_of(BLOCK), 0);
    out
}

/// A header card of a string value, for [`table`]'s primary HDU.
pub(crate) fn keyword(keyword: &str, value: &str, comment: &str) -> String {
    string(keyword, value, comment)
}

/// The bytes a `TFORM` takes per row.
fn form_width(form: &str) -> usize {
    let (count, kind) = form.split_at(form.len() - 1);
    let count: usize = count.parse().unwrap_or(1);
    count
        * match kind {
            "D" | "K" => 8,
            "E" | "J" => 4,
            "I" => 2,
            _ => 1,
        }
}

/// Cards, then `END`, padded with spaces to whole blocks.
fn hdu_header(cards: &[String]) -> Vec<u8> {
    let mut out: Vec<u8> = cards.concat().into_bytes();
    out.extend_from_slice(format!("{:<CARD$}", "END").as_bytes());
    out.resize(out.len().next_multiple_of(BLOCK), b' ');
    out
}

/// A card whose value is right-justified in columns 11–30 (logical, integer or real).
fn fixed(keyword: &str, value: &str, comment: &str) -> String {
    card(keyword, &format!("{value:>20}"), comment)
}

/// A card with a quoted string value (at least 8 characters between the quotes).
fn string(keyword: &str, value: &str, comment: &str) -> String {
    card(
        keyword,
        &format!("'{:<8}'", value.replace('\'', "''")),
        comment,
    )
}

fn card(keyword: &str, value: &str, comment: &str) -> String {
    let text = if comment.is_empty() {
        format!("{keyword:<8}= {value}")
    } else {
        format!("{keyword:<8}= {value} / {comment}")
    };
    let mut text: String = text.chars().take(CARD).collect();
    text.push_str(&" ".repeat(CARD - text.len()));
    text
}

/// A real in Fortran-style exponential notation: `-7.305555555556E-05`.
fn real(x: f64) -> String {
    let text = format!("{x:.12E}");
    let (mantissa, exponent) = text.split_once('E').expect("exponential format has an E");
    let exponent: i32 = exponent.parse().expect("exponent is an integer");
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{mantissa}E{sign}{:02}", exponent.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reals_are_fortran_style() {
        assert_eq!(real(2000.0), "2.000000000000E+03");
        assert_eq!(real(-0.263 / 3600.0), "-7.305555555556E-05");
        assert_eq!(real(0.0), "0.000000000000E+00");
    }
}
