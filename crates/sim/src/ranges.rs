//! `Range` and `If-Range` evaluation with the rules of nginx's range filter (one range per request).

use axum::http::header::{IF_RANGE, RANGE};
use axum::http::HeaderMap;

use crate::clock::{self, UnixTime};

/// What part of a file to send.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RangeDecision {
    /// 200 with the whole file.
    Full,
    /// 206 with bytes `start..=end`.
    Partial { start: u64, end: u64 },
    /// 416.
    Unsatisfiable,
}

/// Decides from the request headers and the file's size and validators.
///
/// No `Range`, a unit other than `bytes`, several ranges, or an `If-Range` that matches neither the
/// ETag (strongly) nor the exact `Last-Modified` time all give the whole file.
pub(crate) fn decide(headers: &HeaderMap, size: u64, etag: &str, mtime: UnixTime) -> RangeDecision {
    let Some(range) = headers.get(RANGE).and_then(|value| value.to_str().ok()) else {
        return RangeDecision::Full;
    };
    if let Some(if_range) = headers.get(IF_RANGE) {
        let if_range = if_range.to_str().unwrap_or_default();
        let matches = if if_range.ends_with('"') {
            if_range == etag
        } else {
            clock::parse_http(if_range) == Some(mtime)
        };
        if !matches {
            return RangeDecision::Full;
        }
    }
    parse(range, size)
}

fn parse(range: &str, size: u64) -> RangeDecision {
    let Some(spec) = range.strip_prefix("bytes=") else {
        return RangeDecision::Full;
    };
    if spec.contains(',') {
        return RangeDecision::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeDecision::Unsatisfiable;
    };
    let number = |text: &str| text.trim().parse::<u64>().ok();
    let bounds = match (first.trim().is_empty(), last.trim().is_empty()) {
        // bytes=-N: the last N bytes.
        (true, false) => number(last)
            .filter(|&n| n > 0)
            .map(|n| (size.saturating_sub(n), u64::MAX)),
        // bytes=N-: from N to the end.
        (false, true) => number(first).map(|start| (start, u64::MAX)),
        (false, false) => number(first)
            .zip(number(last))
            .filter(|(start, end)| start <= end),
        (true, true) => None,
    };
    match bounds {
        Some((start, end)) if start < size => RangeDecision::Partial {
            start,
            end: end.min(size - 1),
        },
        _ => RangeDecision::Unsatisfiable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RangeDecision::{Full, Partial, Unsatisfiable};

    #[test]
    fn single_ranges() {
        assert_eq!(parse("bytes=0-9", 100), Partial { start: 0, end: 9 });
        assert_eq!(parse("bytes=90-", 100), Partial { start: 90, end: 99 });
        assert_eq!(parse("bytes=-10", 100), Partial { start: 90, end: 99 });
        assert_eq!(parse("bytes=-500", 100), Partial { start: 0, end: 99 });
        assert_eq!(parse("bytes=50-500", 100), Partial { start: 50, end: 99 });
        assert_eq!(parse("bytes=100-", 100), Unsatisfiable);
        assert_eq!(parse("bytes=-0", 100), Unsatisfiable);
        assert_eq!(parse("bytes=9-3", 100), Unsatisfiable);
        assert_eq!(parse("bytes=x-", 100), Unsatisfiable);
        assert_eq!(parse("items=0-9", 100), Full);
        assert_eq!(parse("bytes=0-1,5-6", 100), Full);
    }
}
