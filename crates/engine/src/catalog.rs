//! What an archive holds for a user: jobs, their output trees, and what kind of file each output is.

use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};
use ts_rs::TS;

use crate::ids::AccountId;
use crate::transfer::model::Digest;

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

    /// Whether the job will change no more: succeeded, failed, or ended in a state Jobfetch does not
    /// know (DESaccess's last word for a job may be `unknown`), which no amount of waiting changes.
    pub fn has_ended(self) -> bool {
        matches!(
            self,
            JobStatus::Success | JobStatus::Failure | JobStatus::Unknown
        )
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

/// How far one stage of a job's timeline is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum StepState {
    Done,
    /// The stage the job is at now.
    Current,
    Waiting,
    /// The stage the job failed in (when the archive says which).
    Failed,
}

/// One stage of a job that moves through named stages (e.g. a tape request's PACKING, PUTTING).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct JobStep {
    /// The archive's own name for the stage, e.g. `GET_UNPACKING`.
    pub name: String,
    pub state: StepState,
}

/// A job's stages in the order they happen, for a timeline: done, current, waiting or failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct JobStages {
    /// The archive's name of the stage the job is at now (e.g. `FAILED` once failed).
    pub stage: String,
    pub steps: Vec<JobStep>,
    pub ended: bool,
    pub failed: bool,
    /// Why it failed, in the archive's words.
    pub reason: Option<String>,
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
    /// What the archive calls this entry where that is not its name on disk (a UP42 task's block, shown
    /// beside its `task_<id>` folder); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub title: Option<String>,
    /// The digest the archive published for a file (JDMA's ADLER-32 or SHA-256), to check it against.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub digest: Option<Digest>,
    pub children: Vec<OutputNode>,
}

/// ISO 8601 in UTC to the second, as Jobfetch writes every time: `2020-09-22T18:27:27Z`.
const ISO: &[FormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

/// An HTTP date as nginx writes it (IMF-fixdate, RFC 9110): `Tue, 22 Sep 2020 18:27:27 GMT`.
const HTTP_DATE: &[FormatItem<'_>] = format_description!(
    "[weekday repr:short], [day padding:none] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);

/// A time as Jobfetch writes it: ISO 8601 in UTC, to the second (`2020-09-22T18:27:27Z`).
pub fn to_iso(time: OffsetDateTime) -> String {
    time.to_offset(UtcOffset::UTC)
        .format(ISO)
        .expect("a date and time in UTC has every part ISO 8601 needs")
}

/// Converts an HTTP date (`Tue, 22 Sep 2020 18:27:27 GMT`, as nginx lists it) to ISO 8601 UTC.
/// The weekday is not checked: a server that gets it wrong still has the right date.
pub fn http_time_to_iso(raw: &str) -> Option<String> {
    PrimitiveDateTime::parse(raw.trim(), HTTP_DATE)
        .ok()
        .map(|time| to_iso(time.assume_utc()))
}

/// An RFC 3339 time (any precision, any offset, as UP42 and Django's `isoformat()` write them) as ISO
/// 8601 UTC to the second.
pub fn rfc3339_to_iso(text: &str) -> Option<String> {
    OffsetDateTime::parse(text.trim(), &Rfc3339)
        .ok()
        .map(to_iso)
}

/// The current time as ISO 8601 UTC.
pub fn now_iso() -> String {
    to_iso(OffsetDateTime::now_utc())
}

/// Where one scene of a job lies on Earth, for the map: its GeoJSON outline (a Polygon or MultiPolygon of
/// [longitude, latitude] positions in WGS84 degrees), and its quicklook in the job's output tree.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Footprint {
    pub id: String,
    /// What to call it, e.g. the scene's id or acquisition.
    pub label: String,
    /// The output path of its quicklook, when it has one.
    pub quicklook: Option<String>,
    #[ts(
        type = "{ type: \"Polygon\"; coordinates: number[][][] } | { type: \"MultiPolygon\"; coordinates: number[][][][] }"
    )]
    pub geometry: serde_json::Value,
}

impl Footprint {
    /// A footprint of a GeoJSON geometry, if it is a Polygon or MultiPolygon of finite longitude and
    /// latitude positions (anything else an archive sends is left off the map).
    pub fn of_geometry(
        id: String,
        label: String,
        quicklook: Option<String>,
        geometry: &serde_json::Value,
    ) -> Option<Footprint> {
        let depth = match geometry.get("type")?.as_str()? {
            "Polygon" => 3,
            "MultiPolygon" => 4,
            _ => return None,
        };
        is_positions(geometry.get("coordinates")?, depth).then(|| Footprint {
            id,
            label,
            quicklook,
            geometry: serde_json::json!({
                "type": geometry["type"],
                "coordinates": geometry["coordinates"],
            }),
        })
    }
}

/// Whether `value` is nested arrays `depth` deep ending in [longitude, latitude] pairs in range.
fn is_positions(value: &serde_json::Value, depth: u8) -> bool {
    let Some(items) = value.as_array() else {
        return false;
    };
    if depth == 1 {
        let lon = items.first().and_then(serde_json::Value::as_f64);
        let lat = items.get(1).and_then(serde_json::Value::as_f64);
        return matches!((lon, lat), (Some(lon), Some(lat)) if (-540.0..=540.0).contains(&lon) && (-90.0..=90.0).contains(&lat));
    }
    !items.is_empty() && items.iter().all(|item| is_positions(item, depth - 1))
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
    fn rfc3339_times_keep_their_second_in_utc() {
        assert_eq!(
            rfc3339_to_iso("2021-09-28T12:08:45.377339Z").as_deref(),
            Some("2021-09-28T12:08:45Z")
        );
        assert_eq!(
            rfc3339_to_iso("2024-03-01T10:00:00+02:00").as_deref(),
            Some("2024-03-01T08:00:00Z")
        );
        assert_eq!(
            rfc3339_to_iso("2024-08-06T15:55:39.123456+00:00").as_deref(),
            Some("2024-08-06T15:55:39Z")
        );
        assert_eq!(rfc3339_to_iso("yesterday"), None);
    }

    #[test]
    fn now_is_iso() {
        let now = now_iso();
        assert!(
            now.starts_with("20") && now.ends_with('Z') && now.len() == 20,
            "{now}"
        );
    }

    #[test]
    fn status_words_map() {
        assert_eq!(JobStatus::from_archive("success"), JobStatus::Success);
        assert_eq!(JobStatus::from_archive("started"), JobStatus::Started);
        assert_eq!(JobStatus::from_archive("weird"), JobStatus::Unknown);
        assert!(!JobStatus::Init.has_ended() && !JobStatus::Started.has_ended());
        assert!(JobStatus::Failure.has_ended() && JobStatus::Unknown.has_ended());
    }

    #[test]
    fn only_polygons_of_positions_in_range_make_footprints() {
        let square = serde_json::json!({"type": "Polygon", "coordinates": [[[13.3, 52.4], [13.5, 52.4], [13.5, 52.6], [13.3, 52.4]]]});
        let footprint = Footprint::of_geometry("a".into(), "A".into(), None, &square).unwrap();
        assert_eq!(footprint.geometry, square);
        let multi = serde_json::json!({"type": "MultiPolygon", "coordinates": [[[[179.5, 1.0], [180.5, 1.0], [180.0, 2.0], [179.5, 1.0]]]]});
        assert!(Footprint::of_geometry("b".into(), "B".into(), None, &multi).is_some());
        for bad in [
            serde_json::json!({"type": "Point", "coordinates": [13.3, 52.4]}),
            serde_json::json!({"type": "Polygon", "coordinates": [[[13.3, 95.0], [13.5, 52.4], [13.3, 52.4]]]}),
            serde_json::json!({"type": "Polygon", "coordinates": [[["13.3", 52.4]]]}),
            serde_json::json!({"type": "Polygon", "coordinates": []}),
            serde_json::json!({"type": "Polygon"}),
        ] {
            assert_eq!(
                Footprint::of_geometry("c".into(), "C".into(), None, &bad),
                None,
                "{bad}"
            );
        }
    }
}
