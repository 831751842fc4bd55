//! The header cards shown beside a FITS image: object, band, size, position and the scene, from the
//! image's header or else the primary one.

use fitsio_pure::header::Card;
use fitsio_pure::value::Value;

use crate::preview::{FitsInfo, HeaderCard};

/// Header cards shown beside the image that may come from the primary header instead.
const SCENE_KEYS: [&str; 4] = ["EXPTIME", "DATE-OBS", "TELESCOP", "INSTRUME"];

/// What a preview shows of the image HDU number `index` with this `header`; `primary` is the primary
/// header, where the scene cards may be instead.
pub(super) fn fits_info(
    header: &[Card],
    primary: Option<&[Card]>,
    index: u32,
    bitpix: i64,
    axes: &[u64],
    compression: Option<String>,
) -> FitsInfo {
    let structural = |key: String| match compression {
        Some(_) => format!("Z{key}"),
        None => key,
    };
    let from_either =
        |key: &str| card(header, key).or_else(|| primary.and_then(|primary| card(primary, key)));
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

/// The first valued card with this keyword, as `fitsio-pure` itself reads repeated keywords.
pub(super) fn card<'c>(cards: &'c [Card], key: &str) -> Option<&'c Card> {
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
