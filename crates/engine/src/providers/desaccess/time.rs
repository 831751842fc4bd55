//! DESaccess's own way of writing times (`2020-09-22 18:27:27.123456`, UTC without a zone), read into ISO 8601.

use ::time::format_description::FormatItem;
use ::time::macros::format_description;
use ::time::PrimitiveDateTime;

use crate::catalog::to_iso;

/// A job time as the DESaccess API sends it: date, a space (or `T`), time, an optional fraction of a
/// second and an optional `Z`.
const ARCHIVE_TIME: &[FormatItem<'_>] = format_description!(
    "[year]-[month]-[day][first [ ][T]][hour]:[minute]:[second][optional [.[subsecond]]][optional [Z]]"
);

/// Converts an archive timestamp (`2020-09-22 18:27:27[.ffffff]`, UTC, no zone) to ISO 8601 with `Z`.
/// Empty or malformed strings give `None`: the archive writes `""` for times not yet reached.
pub fn archive_time_to_iso(raw: &str) -> Option<String> {
    PrimitiveDateTime::parse(raw.trim(), ARCHIVE_TIME)
        .ok()
        .map(|time| to_iso(time.assume_utc()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_times_become_iso() {
        assert_eq!(
            archive_time_to_iso("2020-09-22 18:27:27").as_deref(),
            Some("2020-09-22T18:27:27Z")
        );
        assert_eq!(
            archive_time_to_iso("2020-09-22 18:27:27.123456").as_deref(),
            Some("2020-09-22T18:27:27Z")
        );
        assert_eq!(
            archive_time_to_iso("2020-09-22T18:27:27Z").as_deref(),
            Some("2020-09-22T18:27:27Z")
        );
        assert_eq!(archive_time_to_iso(""), None);
        assert_eq!(archive_time_to_iso("yesterday at noon"), None);
        assert_eq!(archive_time_to_iso("2020-02-30 00:00:00"), None);
    }
}
