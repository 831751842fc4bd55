//! What an archive holds for a user: jobs, their output trees, and what kind of file each output is.

use serde::Serialize;
use ts_rs::TS;

use crate::ids::AccountId;

/// Where a job is in its life, as the archive reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum JobStatus {
    Init,
    Started,
    Success,
    Failure,
    Unknown,
}

impl JobStatus {
    /// Maps an archive's status word; anything unrecognised is `Unknown` rather than an error.
    pub fn from_archive(word: &str) -> Self {
        match word.trim().to_ascii_lowercase().as_str() {
            "init" | "queued" | "pending" => JobStatus::Init,
            "started" | "running" => JobStatus::Started,
            "success" | "succeeded" | "complete" => JobStatus::Success,
            "failure" | "failed" | "error" => JobStatus::Failure,
            _ => JobStatus::Unknown,
        }
    }

    /// The word Jobfetch shows for the status, in the CLI and the app alike.
    pub fn label(self) -> &'static str {
        match self {
            JobStatus::Init => "queued",
            JobStatus::Started => "running",
            JobStatus::Success => "succeeded",
            JobStatus::Failure => "failed",
            JobStatus::Unknown => "unknown",
        }
    }
}

/// One job on an archive, with times as ISO 8601 UTC strings (`2020-09-22T18:27:27Z`).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Job {
    pub id: String,
    pub name: String,
    pub job_type: String,
    pub status: JobStatus,
    pub status_message: String,
    pub submitted: Option<String>,
    pub started: Option<String>,
    pub completed: Option<String>,
    pub expires: Option<String>,
    /// The account the job belongs to.
    pub account: AccountId,
    /// Where the job's outputs are on the archive, as an address to show the user.
    pub location: String,
}

/// What an output file is, decided from its name alone so it works for every layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase", tag = "kind")]
#[ts(export)]
pub enum OutputKind {
    Directory,
    /// A FITS image; `band` is the filter letter (g, r, i, z, Y) when the name gives it.
    Fits {
        band: Option<String>,
    },
    /// A colour PNG made by STIFF; `colors` is the RGB band order, e.g. `irg`.
    StiffPng {
        colors: String,
    },
    /// A colour PNG made with the Lupton et al. asinh stretch.
    LuptonPng {
        colors: String,
    },
    /// Any other PNG or JPEG image.
    Image,
    Csv,
    Log,
    /// A job summary: `summary.json` or `*_SUMMARY.json`.
    Summary,
    Json,
    Tar,
    GeoJson,
    Other,
}

/// Classifies a file by its name's suffix, case-insensitively, by rules that hold for every archive;
/// a provider refines them with its own naming (bands, colour composites).
pub fn classify(name: &str) -> OutputKind {
    let lower = name.to_ascii_lowercase();
    if [".fits", ".fits.fz", ".fits.gz", ".fit"]
        .iter()
        .any(|suffix| lower.ends_with(suffix))
    {
        return OutputKind::Fits { band: None };
    }
    if lower == "summary.json" {
        return OutputKind::Summary;
    }
    match lower.rsplit_once('.').map(|(_, ext)| ext) {
        Some("png" | "jpg" | "jpeg" | "gif" | "webp") => OutputKind::Image,
        Some("csv") => OutputKind::Csv,
        Some("log") => OutputKind::Log,
        Some("geojson") => OutputKind::GeoJson,
        Some("json") => OutputKind::Json,
        Some("tar" | "tgz") => OutputKind::Tar,
        Some("gz") if lower.ends_with(".tar.gz") => OutputKind::Tar,
        _ => OutputKind::Other,
    }
}

/// One node of a job's output tree. Folders carry totals over everything below them.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct OutputNode {
    pub name: String,
    /// Path relative to the job folder, `/`-separated; empty for the job folder itself.
    pub path: String,
    #[serde(flatten)]
    pub kind: OutputKind,
    /// Size in bytes for files; the total below it for folders.
    #[ts(type = "number | null")]
    pub size: Option<u64>,
    /// Last modification, ISO 8601 UTC, when the server says.
    pub modified: Option<String>,
    /// Number of files below a folder (1 for a file).
    pub file_count: u32,
    pub children: Vec<OutputNode>,
}

/// Converts an archive timestamp (`2020-09-22 18:27:27[.ffffff]`, UTC, no zone) to ISO 8601 with `Z`.
/// Empty or malformed strings give `None`: the archive writes `""` for times not yet reached.
pub fn archive_time_to_iso(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let (date, time) = raw.split_once([' ', 'T'])?;
    let time = time.trim_end_matches('Z');
    let (hms, fraction) = time.split_once('.').unwrap_or((time, ""));
    let shape_ok = has_shape(date, "9999-99-99")
        && has_shape(hms, "99:99:99")
        && fraction.bytes().all(|b| b.is_ascii_digit());
    shape_ok.then(|| format!("{date}T{hms}Z"))
}

/// Converts an HTTP date (`Tue, 22 Sep 2020 18:27:27 GMT`, as nginx lists it) to ISO 8601 UTC.
/// The weekday is not checked: a server that gets it wrong still has the right date.
pub fn http_time_to_iso(raw: &str) -> Option<String> {
    let (_, rest) = raw.trim().split_once(", ")?;
    let mut parts = rest.split(' ');
    let (day, month, year, hms, zone) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month)? + 1;
    let day: u8 = day.parse().ok().filter(|d| (1..=31).contains(d))?;
    let year: u16 = year.parse().ok().filter(|_| year.len() == 4)?;
    (zone == "GMT" && has_shape(hms, "99:99:99") && parts.next().is_none())
        .then(|| format!("{year:04}-{month:02}-{day:02}T{hms}Z"))
}

/// The current time as ISO 8601 UTC.
pub fn now_iso() -> String {
    iso(time::OffsetDateTime::now_utc())
}

/// Formats seconds since the Unix epoch as ISO 8601 UTC (times past the year 9999 read as the epoch).
pub fn unix_to_iso(secs: u64) -> String {
    let time = i64::try_from(secs)
        .ok()
        .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs).ok())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    iso(time)
}

fn iso(time: time::OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        time.year(),
        u8::from(time.month()),
        time.day(),
        time.hour(),
        time.minute(),
        time.second()
    )
}

/// True when `text` has the shape of `pattern`: each `9` a digit, any other character itself.
fn has_shape(text: &str, pattern: &str) -> bool {
    text.len() == pattern.len()
        && text.bytes().zip(pattern.bytes()).all(|(b, p)| {
            if p == b'9' {
                b.is_ascii_digit()
            } else {
                b == p
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_suffix_for_every_archive() {
        assert_eq!(classify("x_r.fits"), OutputKind::Fits { band: None });
        assert_eq!(classify("a.FITS.fz"), OutputKind::Fits { band: None });
        assert_eq!(classify("x_irg_stiff.png"), OutputKind::Image);
        assert_eq!(classify("BulkThumbs_20200706-152133.log"), OutputKind::Log);
        assert_eq!(classify("summary.json"), OutputKind::Summary);
        assert_eq!(classify("meta.json"), OutputKind::Json);
        assert_eq!(classify("result.tar.gz"), OutputKind::Tar);
        assert_eq!(classify("quicklook.jpg"), OutputKind::Image);
        assert_eq!(classify("footprint.geojson"), OutputKind::GeoJson);
        assert_eq!(classify("README"), OutputKind::Other);
    }

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
        assert_eq!(archive_time_to_iso(""), None);
        assert_eq!(archive_time_to_iso("yesterday at noon"), None);
    }

    #[test]
    fn http_times_become_iso() {
        assert_eq!(
            http_time_to_iso("Tue, 22 Sep 2020 18:27:27 GMT").as_deref(),
            Some("2020-09-22T18:27:27Z")
        );
        assert_eq!(
            http_time_to_iso("Wed, 22 Sep 2020 18:27:27 GMT").as_deref(),
            Some("2020-09-22T18:27:27Z")
        );
        assert_eq!(http_time_to_iso("Tue, 22 Sep 2020 18:27 GMT"), None);
        assert_eq!(http_time_to_iso("1600799247"), None);
    }

    #[test]
    fn unix_times_become_iso() {
        assert_eq!(unix_to_iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(unix_to_iso(951_782_400), "2000-02-29T00:00:00Z");
        assert!(now_iso().starts_with("20"));
    }

    #[test]
    fn status_words_map() {
        assert_eq!(JobStatus::from_archive("success"), JobStatus::Success);
        assert_eq!(JobStatus::from_archive("started"), JobStatus::Started);
        assert_eq!(JobStatus::from_archive("weird"), JobStatus::Unknown);
    }
}
