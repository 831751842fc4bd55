//! The sim's clock, UTC calendar arithmetic, and the timestamp formats used by DESaccess, the cutout worker, nginx and MAST.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Seconds since the Unix epoch, UTC.
pub(crate) type UnixTime = i64;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A UTC wall-clock time as Unix seconds.
pub(crate) const fn utc(
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
) -> UnixTime {
    // Howard Hinnant's days_from_civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + hour * 3600 + minute * 60 + second
}

/// Broken-down UTC time.
struct Civil {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
}

fn civil(t: UnixTime) -> Civil {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        hour: secs / 3600,
        minute: secs % 3600 / 60,
        second: secs % 60,
    }
}

/// Python's `str(datetime)` for a whole-second time: `2020-09-22 18:27:27`.
pub(crate) fn sql(t: UnixTime) -> String {
    let c = civil(t);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// ISO 8601 in UTC, as programs reading the sim's description expect: `2020-09-22T18:27:27Z`.
pub(crate) fn iso(t: UnixTime) -> String {
    sql(t).replacen(' ', "T", 1) + "Z"
}

/// The BulkThumbs file-name stamp: `20200706-152133`.
pub(crate) fn compact(t: UnixTime) -> String {
    let c = civil(t);
    format!(
        "{:04}{:02}{:02}-{:02}{:02}{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// A MAST bundle name's stamp: `2020-09-22T1827`.
pub(crate) fn bundle(t: UnixTime) -> String {
    let c = civil(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}{:02}",
        c.year, c.month, c.day, c.hour, c.minute
    )
}

/// The current time.
pub(crate) fn now() -> UnixTime {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as UnixTime)
        .unwrap_or_default()
}

/// The time as one running sim sees it: real seconds passing since it started, plus whatever a test
/// advanced it by ([`Clock::advance`]), from a start time that is the real one unless a test fixed it.
///
/// Clones share the advance, so every archive of one sim reads the same time.
#[derive(Debug, Clone)]
pub(crate) struct Clock {
    /// The sim's time when it started.
    start: UnixTime,
    started: std::time::Instant,
    /// Milliseconds added by [`Clock::advance`].
    advanced_ms: Arc<AtomicU64>,
}

impl Clock {
    /// A clock that reads `start` now; `None` starts from the real time.
    pub(crate) fn starting_at(start: Option<std::time::SystemTime>) -> Clock {
        let start = start.map_or_else(now, |time| {
            time.duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |since| since.as_secs() as UnixTime)
        });
        Clock {
            start,
            started: std::time::Instant::now(),
            advanced_ms: Arc::default(),
        }
    }

    /// The sim's time when it started.
    pub(crate) fn start(&self) -> UnixTime {
        self.start
    }

    /// How long the sim has run, advances included.
    pub(crate) fn elapsed(&self) -> std::time::Duration {
        let advanced = self.advanced_ms.load(Ordering::Relaxed);
        self.started.elapsed() + std::time::Duration::from_millis(advanced)
    }

    /// The sim's time now, in whole seconds.
    pub(crate) fn now(&self) -> UnixTime {
        self.start + self.elapsed().as_secs() as UnixTime
    }

    /// Moves the sim's time forward by `by` (at millisecond precision), for everyone reading it.
    pub(crate) fn advance(&self, by: std::time::Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.advanced_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// The sim's time `after` its start, rounded up to the second.
    pub(crate) fn after_start(&self, after: std::time::Duration) -> UnixTime {
        self.start + after.as_secs_f64().ceil() as UnixTime
    }
}

/// nginx's HTML autoindex date column: `22-Sep-2020 18:27`.
pub(crate) fn autoindex(t: UnixTime) -> String {
    let c = civil(t);
    let month = MONTHS[(c.month - 1) as usize];
    format!(
        "{:02}-{}-{} {:02}:{:02}",
        c.day, month, c.year, c.hour, c.minute
    )
}

/// RFC 1123 HTTP date: `Wed, 22 Sep 2020 18:27:27 GMT`.
pub(crate) fn http(t: UnixTime) -> String {
    let secs = u64::try_from(t).unwrap_or(0);
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
}

/// Parses an HTTP date back to Unix seconds.
pub(crate) fn parse_http(text: &str) -> Option<UnixTime> {
    let time = httpdate::parse_http_date(text).ok()?;
    let secs = time.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(secs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_round_trip() {
        let t = utc(2020, 9, 22, 18, 27, 27);
        assert_eq!(t, 1_600_799_247);
        assert_eq!(sql(t), "2020-09-22 18:27:27");
        assert_eq!(iso(t), "2020-09-22T18:27:27Z");
        assert_eq!(compact(t), "20200922-182727");
        assert_eq!(autoindex(t), "22-Sep-2020 18:27");
        assert_eq!(bundle(t), "2020-09-22T1827");
        assert_eq!(http(t), "Tue, 22 Sep 2020 18:27:27 GMT");
        assert_eq!(parse_http(&http(t)), Some(t));
    }
}
