//! Sizes for people, in one system everywhere (manifests, CLI, UI): binary units, 1 KiB = 1024 bytes.
//!
//! Binary because that is how the tools next to Jobfetch count (curl's and wget's `--limit-rate`,
//! aria2, rclone, astropy's `human_file_size`, `du -h`), and IEC symbols (`KiB`, `MiB`) because they
//! cannot be misread as powers of 1000. The UI's `formatBytes` (ui/src/lib/format.ts) follows the
//! same rules; both are tested against `vectors/sizes.json`.

use crate::error::{Error, Result};

/// The units above bytes, each 1024 times the one before.
const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

/// A byte count for people: `1023 B`, `1.5 KiB`, `99.9 KiB`, `100 KiB`, `1.0 MiB`.
///
/// One decimal below 100 and none from there, rounded half up; a value that would round to 1024
/// is written in the next unit instead (`1.0 MiB`, never `1024 KiB`).
pub fn human_size(bytes: u64) -> String {
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    // The same floating-point steps as formatBytes in the UI, so both round alike.
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    loop {
        let tenths = (value * 10.0 + 0.5).floor();
        if tenths < 1000.0 {
            let tenths = tenths as u64;
            return format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit]);
        }
        let whole = (value + 0.5).floor();
        if whole < 1024.0 || unit + 1 == UNITS.len() {
            return format!("{} {}", whole as u64, UNITS[unit]);
        }
        value /= 1024.0;
        unit += 1;
    }
}

/// Reads a size the way [`human_size`] writes it, or the short way curl and wget take:
/// `1536`, `512 B`, `500K`, `500 KiB`, `1.5M`, `20MiB`, `1g`. Letters are read in any case;
/// every unit is binary. `MB`-style units are refused, as they could mean powers of 1000.
pub fn parse_size(text: &str) -> Result<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = (&text[..split], text[split..].trim());
    let unit_lower = unit.to_ascii_lowercase();
    let scale = match unit_lower.as_str() {
        "" | "b" => Some(1u64),
        _ => UNITS.iter().enumerate().find_map(|(power, name)| {
            let name = name.to_ascii_lowercase();
            (unit_lower == name || unit_lower == name[..1]).then(|| 1u64 << (10 * (power + 1)))
        }),
    };
    let Some(scale) = scale else {
        let advice = match unit_lower.strip_suffix('b') {
            Some(prefix) if UNITS.iter().any(|name| name[..1].eq_ignore_ascii_case(prefix)) => {
                let prefix = prefix.to_ascii_uppercase();
                format!(
                    " {unit} could mean powers of 1000 or of 1024: write {number}{prefix} or {number}{prefix}iB (binary)."
                )
            }
            _ => " Write a number of bytes, or one with K, M, G or T (KiB, MiB, ...), e.g. 500K or 20MiB."
                .to_string(),
        };
        return Err(Error::invalid_input(format!(
            "{text:?} is not a size.{advice}"
        )));
    };
    let value: f64 = number.parse().map_err(|_| {
        Error::invalid_input(format!(
            "{text:?} is not a size: it needs a number, e.g. 500K or 20MiB."
        ))
    })?;
    let bytes = (value * scale as f64).round();
    if bytes >= u64::MAX as f64 {
        return Err(Error::invalid_input(format!(
            "{text:?} is more than Jobfetch can count."
        )));
    }
    Ok(bytes as u64)
}

/// Reads a transfer rate, a size per second: `500K`, `20MiB/s`, `1.4 MiB/s`; zero is refused.
pub fn parse_rate(text: &str) -> Result<u64> {
    let trimmed = text.trim();
    let size = trimmed
        .strip_suffix("/s")
        .or_else(|| trimmed.strip_suffix("/S"))
        .unwrap_or(trimmed);
    match parse_size(size)? {
        0 => Err(Error::invalid_input(
            "The rate must be more than zero; leave the limit out for no limit.",
        )),
        bytes => Ok(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Vectors {
        sizes: Vec<Vector>,
    }

    #[derive(serde::Deserialize)]
    struct Vector {
        bytes: u64,
        text: String,
    }

    fn vectors() -> Vec<Vector> {
        let json = include_str!("../vectors/sizes.json");
        serde_json::from_str::<Vectors>(json)
            .expect("vectors/sizes.json reads")
            .sizes
    }

    #[test]
    fn sizes_read_as_the_shared_vectors_say() {
        for vector in vectors() {
            assert_eq!(human_size(vector.bytes), vector.text, "{}", vector.bytes);
        }
        assert_eq!(human_size(u64::MAX), "16.0 EiB");
    }

    #[test]
    fn what_is_printed_reads_back_within_its_rounding() {
        for vector in vectors() {
            let back = parse_size(&vector.text).unwrap();
            let error = (back as f64 - vector.bytes as f64).abs() / (vector.bytes.max(1) as f64);
            assert!(error < 0.05, "{} read back as {back}", vector.text);
            assert_eq!(human_size(back), vector.text, "{back}");
        }
    }

    #[test]
    fn sizes_are_read_in_the_short_and_the_long_forms() {
        for (text, bytes) in [
            ("1536", 1536),
            ("512 B", 512),
            ("500K", 500 << 10),
            ("500k", 500 << 10),
            ("500 KiB", 500 << 10),
            ("20M", 20 << 20),
            ("20mib", 20 << 20),
            ("1.5M", 3 << 19),
            ("1g", 1 << 30),
            ("2 TiB", 2 << 40),
            (" 7 ", 7),
        ] {
            assert_eq!(parse_size(text).unwrap(), bytes, "{text}");
        }
    }

    #[test]
    fn ambiguous_or_wrong_sizes_say_what_to_write() {
        let mb = parse_size("20MB").unwrap_err();
        assert!(mb.message.contains("20M or 20MiB"), "{}", mb.message);
        for text in ["", "fast", "20X", "M", "1.2.3K", "-5K"] {
            let err = parse_size(text).unwrap_err();
            assert!(err.message.contains("e.g."), "{text}: {}", err.message);
        }
        assert!(parse_size("99999999E").is_err());
    }

    #[test]
    fn rates_take_a_per_second_suffix_and_refuse_zero() {
        assert_eq!(parse_rate("20M").unwrap(), 20 << 20);
        assert_eq!(parse_rate("1.5 MiB/s").unwrap(), 3 << 19);
        assert_eq!(parse_rate("500K/s").unwrap(), 500 << 10);
        assert!(parse_rate("0")
            .unwrap_err()
            .message
            .contains("more than zero"));
    }
}
