//! The demo account and its jobs: fixed ids, statuses and layouts, dates counted back from the sim's
//! start, and jobs that run while it does; positions and pixels follow the seed.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::{utc, UnixTime};
use crate::cutout_job::{Cutout, CutoutJob, CutoutOptions, Layout, Products};
use crate::jobs::{Job, JobMeta, JobSpec, JobStatus};
use crate::live::RunningJob;
use crate::query_job::QueryJob;
use crate::rng::Rng;
use crate::sky::Tile;

/// Demo login name.
pub const USERNAME: &str = "demo";
/// Demo password.
pub const PASSWORD: &str = "demo-password";
/// Database to log in to (the public release database; `dessci` is accepted too).
pub const DATABASE: &str = "desdr";

/// A second account, `astrobuff`, that has no jobs.
pub const EMPTY_USERNAME: &str = "astrobuff";
/// Password of [`EMPTY_USERNAME`].
pub const EMPTY_PASSWORD: &str = "astrobuff-password";

/// Success, finished two hours before the sim started, BulkThumbs layout: the documented sample tree, 3
/// positions in 2 tiles, exactly 10 files, named as documented (`BulkThumbs_20200706-152133.log`).
pub const SEED_TREE_JOB_ID: &str = "c39008aa52f54b9e94335b566743af0c";
/// Success, BulkThumbs layout, named `sn-hosts-2020`: 12 positions in 3 tiles, g/r/i FITS and a gri STIFF PNG each.
pub const BULKTHUMBS_JOB_ID: &str = "3f6d0e9a1b2c4d5e8f7a6b5c4d3e2f10";
/// Failure, BulkThumbs layout: crashed after 2 of 6 positions (partial tile folder, no summary).
pub const BULKTHUMBS_FAILED_JOB_ID: &str = "7b2e4c6a8d0f4b1e9c3a5e7d9b1f3a52";
/// Success, per-position layout: 9 positions in 3 tiles (plus 1 unmatched), 228 px, g/r/i FITS plus gri
/// STIFF and Lupton PNGs: 45 images.
pub const CUTOUT_JOB_ID: &str = "a1d3f5b7c9e04f2a8b6c4e2d0f8a6c31";
/// Success, per-position layout, named `des-wide-520`: 520 positions in 20 tiles, 114 px, i FITS plus gri Lupton PNG.
pub const LARGE_CUTOUT_JOB_ID: &str = "e8c6a4f2d0b94e7c5a3f1d9b7e5c3a16";
/// Success, BulkThumbs layout, named `des-deep-10k`: 5,000 positions in 50 tiles, 114 px, i FITS plus gri
/// Lupton PNG: 10,000 images, for the gallery at scale.
pub const HUGE_CUTOUT_JOB_ID: &str = "9a7c5e3b1d0f4c8a6e2b4d6f8a0c2e41";
/// Started, per-position layout, named `cluster-cores`: 17 of 40 positions written, no summary yet.
pub const RUNNING_CUTOUT_JOB_ID: &str = "2c4e6a8b0d1f4e3c5a7b9d1f3e5a7c94";
/// Init: 25 positions queued, no folder yet.
pub const QUEUED_CUTOUT_JOB_ID: &str = "6e8a0c2e4f6b4d8a9c1e3f5a7b9d1e27";
/// Failure, per-position layout: no position matched a tile (positions CSV, log and summary only).
pub const FAILED_CUTOUT_JOB_ID: &str = "0f2e4d6c8b0a4e1c9d3f5b7a9c1e3d58";
/// Success, named `bright-stars`: `results.csv` (2000 rows) and `meta.json`.
pub const QUERY_JOB_ID: &str = "4b6d8f0a2c4e4a7b8d1f3a5c7e9b1d63";
/// Success, named `dr2-main-sample`: `results_000001.csv` … `results_000003.csv` (6000 rows) and `meta.json`.
pub const SPLIT_QUERY_JOB_ID: &str = "8d0f2b4d6f8a4c9e0b2d4f6a8c0e2b79";
/// Failure (`ORA-00942`), no folder.
pub const FAILED_QUERY_JOB_ID: &str = "1a3c5e7a9c1e4b2d6f8a0c2e4a6c8e85";
/// Started, no folder yet.
pub const RUNNING_QUERY_JOB_ID: &str = "5c7e9a1c3e5a4d6f8b0d2f4b6d8f0a96";

/// Started, named `transient-hosts`, no folder yet; succeeds [`Endings::cutout`] after the sim starts
/// (30 s by default), when its folder appears: 6 positions in 2 tiles, per-position layout, 114 px, i
/// FITS plus gri Lupton PNG (12 images, the positions CSV, the log and `summary.json`).
pub const LIVE_CUTOUT_JOB_ID: &str = "d4f6a8c0e2b44f1a9c7e5b3d1f0a8c27";
/// Started, query job named `wide-join`, no folder; fails [`Endings::failing`] after the sim starts (45 s
/// by default) with [`LIVE_FAILING_MESSAGE`], and never gets a folder.
pub const LIVE_FAILING_JOB_ID: &str = "f1b3d5e7a9c14e2b8d0f6a4c2e8b0d35";
/// The status message [`LIVE_FAILING_JOB_ID`] fails with.
pub const LIVE_FAILING_MESSAGE: &str =
    "ORA-01652: unable to extend temp segment by 128 in tablespace TEMP";
/// Started, query job named `faint-galaxies`, no folder yet; succeeds [`Endings::query`] after the sim
/// starts (2 min by default), when `results.csv` (1500 rows) and `meta.json` appear.
pub const LIVE_QUERY_JOB_ID: &str = "a9e7c5b3d1f04a6c8e2b0d4f6a8c1e49";

/// How many jobs the demo account has, the live ones included.
pub const JOB_COUNT: usize = 16;

/// When the demo's live jobs end, counted from the sim's start ([`SimConfig::live_jobs`](crate::SimConfig::live_jobs)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endings {
    /// When [`LIVE_CUTOUT_JOB_ID`] succeeds.
    pub cutout: Duration,
    /// When [`LIVE_FAILING_JOB_ID`] fails.
    pub failing: Duration,
    /// When [`LIVE_QUERY_JOB_ID`] succeeds.
    pub query: Duration,
    /// When UP42's running jobs succeed: [`up42::LIVE_JOB_ID`](crate::up42::LIVE_JOB_ID) and
    /// [`up42::LIVE_PROCESSING_JOB_ID`](crate::up42::LIVE_PROCESSING_JOB_ID).
    pub up42: Duration,
    /// When [`up42::LIVE_FAILING_JOB_ID`](crate::up42::LIVE_FAILING_JOB_ID) fails.
    pub up42_failing: Duration,
}

impl Default for Endings {
    /// Soon enough to watch: 30 s, 45 s and 2 min; UP42's after 30 s and 45 s.
    fn default() -> Self {
        Endings {
            cutout: Duration::from_secs(30),
            failing: Duration::from_secs(45),
            query: Duration::from_secs(120),
            up42: Duration::from_secs(30),
            up42_failing: Duration::from_secs(45),
        }
    }
}

impl Endings {
    /// Every live job ends `after` the sim starts (for tests: `Endings::all_after(Duration::from_secs(2))`).
    pub fn all_after(after: Duration) -> Endings {
        Endings {
            cutout: after,
            failing: after,
            query: after,
            up42: after,
            up42_failing: after,
        }
    }
}

/// A job that is running when the sim starts and ends while it runs, as the sim's description lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveJob {
    pub id: String,
    pub name: String,
    /// `cutout` or `query`: the job folder is `{files}/<user>/<job_type>/<id>/`.
    pub job_type: String,
    /// The `job_status` it ends with: `success` or `failure` (`started` until then).
    pub ends_as: String,
    /// The `job_status_message` it ends with; empty for a success.
    pub message: String,
    /// When it ends, in milliseconds after the sim started.
    pub ends_after_ms: u64,
    /// When it ends, ISO 8601 UTC (`2026-03-04T10:15:34Z`), as its `job_time_complete` will say.
    pub ends_at: String,
}

const MINUTE: UnixTime = 60;
const HOUR: UnixTime = 3600;
const DAY: UnixTime = 86_400;

/// When a job was submitted, started and completed.
#[derive(Clone, Copy)]
struct Times {
    submitted: UnixTime,
    started: Option<UnixTime>,
    completed: Option<UnixTime>,
}

/// Dates counted back from the sim's start, so the demo reads as of the day it runs.
#[derive(Clone, Copy)]
struct Before(UnixTime);

impl Before {
    /// Completed `ago` seconds before the start, after `queued` seconds waiting and `ran` running.
    fn ended(self, ago: UnixTime, queued: UnixTime, ran: UnixTime) -> Times {
        let completed = self.0 - ago;
        Times {
            completed: Some(completed),
            ..self.running(ago + ran, queued)
        }
    }

    /// Started `ago` seconds before the start after `queued` seconds waiting, and not done.
    fn running(self, ago: UnixTime, queued: UnixTime) -> Times {
        let started = self.0 - ago;
        Times {
            submitted: started - queued,
            started: Some(started),
            completed: None,
        }
    }

    /// Submitted `ago` seconds before the start, and not started.
    fn queued(self, ago: UnixTime) -> Times {
        Times {
            submitted: self.0 - ago,
            started: None,
            completed: None,
        }
    }
}

/// When and how a demo job ran (for a live job: how it ends).
#[derive(Clone, Copy)]
struct Run {
    id: &'static str,
    name: Option<&'static str>,
    status: JobStatus,
    message: &'static str,
    times: Times,
}

/// The demo account's jobs as of `start` (the sim's time when it started): those done or stuck, and
/// those that end while the sim runs, as `endings` says.
pub(crate) fn jobs(seed: u64, start: UnixTime, endings: &Endings) -> (Vec<Job>, Vec<RunningJob>) {
    (
        settled_jobs(seed, Before(start)),
        running_jobs(seed, Before(start), endings),
    )
}

fn settled_jobs(seed: u64, before: Before) -> Vec<Job> {
    use JobStatus::{Failure, Init, Started, Success};
    let cutout = |run: Run, job: CutoutJob| make(seed, run, JobSpec::Cutout(job));
    let query = |run: Run, job: QueryJob| make(seed, run, JobSpec::Query(job));
    vec![
        cutout(
            Run {
                id: SEED_TREE_JOB_ID,
                name: None,
                status: Success,
                message: "",
                times: before.ended(2 * HOUR, 4, 31),
            },
            seed_tree_job(seed),
        ),
        cutout(
            Run {
                id: BULKTHUMBS_JOB_ID,
                name: Some("sn-hosts-2020"),
                status: Success,
                message: "",
                times: before.ended(3 * DAY + 5 * HOUR, 4, 212),
            },
            scattered(
                seed,
                BULKTHUMBS_JOB_ID,
                Layout::BulkThumbs,
                fits_and_stiff("dr1", "gri"),
                [3, 4],
                0,
            ),
        ),
        cutout(
            Run {
                id: BULKTHUMBS_FAILED_JOB_ID,
                name: None,
                status: Failure,
                message:
                    "Cutout generation failed: tile DES0453-4457 could not be read from the archive",
                times: before.ended(5 * DAY + 2 * HOUR, 4, 37),
            },
            CutoutJob {
                done: 2,
                ..scattered(
                    seed,
                    BULKTHUMBS_FAILED_JOB_ID,
                    Layout::BulkThumbs,
                    CutoutOptions::defaults("dr1"),
                    [2, 3],
                    0,
                )
            },
        ),
        cutout(
            Run {
                id: CUTOUT_JOB_ID,
                name: None,
                status: Success,
                message: "",
                times: before.ended(DAY + 3 * HOUR, 4, 51),
            },
            scattered(
                seed,
                CUTOUT_JOB_ID,
                Layout::PerPosition,
                all_products("dr2"),
                [3, 3],
                1,
            ),
        ),
        cutout(
            Run {
                id: LARGE_CUTOUT_JOB_ID,
                name: Some("des-wide-520"),
                status: Success,
                message: "",
                times: before.ended(6 * HOUR, 6, 1361),
            },
            scattered(
                seed,
                LARGE_CUTOUT_JOB_ID,
                Layout::PerPosition,
                small_lupton("dr2"),
                [20, 26],
                0,
            ),
        ),
        cutout(
            Run {
                id: HUGE_CUTOUT_JOB_ID,
                name: Some("des-deep-10k"),
                status: Success,
                message: "",
                times: before.ended(9 * DAY + 4 * HOUR, 11, 9472),
            },
            scattered(
                seed,
                HUGE_CUTOUT_JOB_ID,
                Layout::BulkThumbs,
                small_lupton("dr2"),
                [50, 100],
                0,
            ),
        ),
        cutout(
            Run {
                id: RUNNING_CUTOUT_JOB_ID,
                name: Some("cluster-cores"),
                status: Started,
                message: "",
                times: before.running(40 * MINUTE, 4),
            },
            CutoutJob {
                done: 17,
                ..scattered(
                    seed,
                    RUNNING_CUTOUT_JOB_ID,
                    Layout::PerPosition,
                    fits_and_stiff("dr2", "irg"),
                    [4, 10],
                    0,
                )
            },
        ),
        cutout(
            Run {
                id: QUEUED_CUTOUT_JOB_ID,
                name: None,
                status: Init,
                message: "",
                times: before.queued(3 * MINUTE),
            },
            scattered(
                seed,
                QUEUED_CUTOUT_JOB_ID,
                Layout::PerPosition,
                all_products("dr2"),
                [2, 12],
                1,
            ),
        ),
        cutout(
            Run {
                id: FAILED_CUTOUT_JOB_ID,
                name: None,
                status: Failure,
                message: "None of the 6 positions could be matched to a DES tile.",
                times: before.ended(12 * DAY + 7 * HOUR, 3, 11),
            },
            outside_footprint(seed),
        ),
        // Finished longer ago than DESaccess keeps files (14 days): expired, files not yet deleted.
        query(
            Run {
                id: QUERY_JOB_ID,
                name: Some("bright-stars"),
                status: Success,
                message: "",
                times: before.ended(17 * DAY + 2 * HOUR, 3, 14),
            },
            query_job(seed, &sample_query("MAG_AUTO_G < 18"), 2000, None),
        ),
        query(
            Run {
                id: SPLIT_QUERY_JOB_ID,
                name: Some("dr2-main-sample"),
                status: Success,
                message: "",
                times: before.ended(2 * DAY + HOUR, 2, 163),
            },
            query_job(seed, &sample_query("ROWNUM <= 6000"), 6000, Some(2500)),
        ),
        query(
            Run {
                id: FAILED_QUERY_JOB_ID,
                name: None,
                status: Failure,
                message: "ORA-00942: table or view does not exist",
                times: before.ended(2 * DAY, 2, 1),
            },
            query_job(seed, "SELECT * FROM DR2_MAINN WHERE ROWNUM < 10", 0, None),
        ),
        query(
            Run {
                id: RUNNING_QUERY_JOB_ID,
                name: None,
                status: Started,
                message: "",
                times: before.running(25 * MINUTE, 3),
            },
            query_job(seed, &sample_query("MAG_AUTO_I BETWEEN 20 AND 21"), 0, None),
        ),
    ]
}

/// The jobs that end while the sim runs; each `Run` says how it ends.
fn running_jobs(seed: u64, before: Before, endings: &Endings) -> Vec<RunningJob> {
    use JobStatus::{Failure, Success};
    vec![
        live(
            seed,
            Run {
                id: LIVE_CUTOUT_JOB_ID,
                name: Some("transient-hosts"),
                status: Success,
                message: "",
                times: before.running(4 * MINUTE, 4),
            },
            endings.cutout,
            move |ended| {
                let job = scattered(
                    seed,
                    LIVE_CUTOUT_JOB_ID,
                    Layout::PerPosition,
                    small_lupton("dr2"),
                    [2, 3],
                    0,
                );
                let done = if ended { job.cutouts.len() } else { 0 };
                JobSpec::Cutout(CutoutJob { done, ..job })
            },
        ),
        live(
            seed,
            Run {
                id: LIVE_FAILING_JOB_ID,
                name: Some("wide-join"),
                status: Failure,
                message: LIVE_FAILING_MESSAGE,
                times: before.running(6 * MINUTE, 2),
            },
            endings.failing,
            move |_| {
                let join = "SELECT * FROM DR2_MAIN a JOIN Y6A2_COADD_OBJECT b ON a.RA BETWEEN b.RA - 0.001 AND b.RA + 0.001";
                JobSpec::Query(query_job(seed, join, 0, None))
            },
        ),
        live(
            seed,
            Run {
                id: LIVE_QUERY_JOB_ID,
                name: Some("faint-galaxies"),
                status: Success,
                message: "",
                times: before.running(10 * MINUTE, 3),
            },
            endings.query,
            move |_| {
                let faint =
                    sample_query("MAG_AUTO_R BETWEEN 23 AND 23.5 AND EXTENDED_CLASS_COADD = 3");
                JobSpec::Query(query_job(seed, &faint, 1500, None))
            },
        ),
    ]
}

/// A job that runs as `run`'s times say until `ends_after` the sim's start, then ends with `run`'s
/// status and message; `spec(ended)` is what it had done by then (`false`: while it runs).
fn live(
    seed: u64,
    run: Run,
    ends_after: Duration,
    spec: impl Fn(bool) -> JobSpec + Send + Sync + 'static,
) -> RunningJob {
    let running = Run {
        status: JobStatus::Started,
        message: "",
        ..run
    };
    let running = make(seed, running, spec(false));
    RunningJob::new(
        running,
        (run.status, run.message),
        ends_after,
        move |completed| {
            let times = Times {
                completed: Some(completed),
                ..run.times
            };
            make(seed, Run { times, ..run }, spec(true))
        },
    )
}

fn make(seed: u64, run: Run, spec: JobSpec) -> Job {
    let job_type = spec.job_type();
    let renewal_token = match run.times.completed {
        Some(_) => Rng::derive(seed, &format!("renewal-{}", run.id)).hex(16),
        None => String::new(),
    };
    let meta = JobMeta {
        id: run.id.into(),
        name: run.name.map_or_else(
            || format!("{job_type}-{}-{USERNAME}", run.id),
            str::to_owned,
        ),
        owner: USERNAME.into(),
        status: run.status,
        status_message: run.message.into(),
        submitted: run.times.submitted,
        started: run.times.started,
        completed: run.times.completed,
        renewal_token,
    };
    Job::new(meta, spec)
}

/// The sample job of the DESaccess docs: per-row products give exactly the ten documented files.
fn seed_tree_job(seed: u64) -> CutoutJob {
    let products = |fits: &str, stiff: bool, lupton: bool| {
        let set = |make: bool| {
            if make {
                vec!["irg".to_owned()]
            } else {
                Vec::new()
            }
        };
        Products {
            fits: fits.into(),
            stiff: set(stiff),
            lupton: set(lupton),
        }
    };
    let cutout = |ra: f64, dec: f64, tile: &str, products: Products| Cutout {
        ra,
        dec,
        tile: tile.into(),
        products: Arc::new(products),
    };
    CutoutJob {
        seed,
        layout: Layout::BulkThumbs,
        options: CutoutOptions {
            colors_fits: "r".into(),
            make_rgb_stiff: true,
            rgb_stiff_colors: "irg".into(),
            rgb_lupton_colors: "irg".into(),
            ..CutoutOptions::defaults("dr1")
        },
        cutouts: vec![
            cutout(
                36.6684,
                -15.68889,
                "DES0226-1541",
                products("r", true, false),
            ),
            cutout(
                36.6784,
                -15.65889,
                "DES0226-1541",
                products("gi", false, false),
            ),
            cutout(
                46.295669,
                -34.256,
                "DES0305-3415",
                products("r", true, true),
            ),
        ],
        per_row_products: true,
        unmatched: Vec::new(),
        done: 3,
        log_stamp: Some(utc(2020, 7, 6, 15, 21, 33)),
    }
}

/// `tiles_and_count = [tiles, positions per tile]`, plus `unmatched` positions outside the survey.
fn scattered(
    seed: u64,
    id: &str,
    layout: Layout,
    options: CutoutOptions,
    [tiles, per_tile]: [usize; 2],
    unmatched: usize,
) -> CutoutJob {
    let mut rng = Rng::derive(seed, id);
    let products = Arc::new(Products::from_options(&options));
    let mut cutouts = Vec::new();
    for _ in 0..tiles {
        let tile = Tile::random(&mut rng);
        let tile_name: Arc<str> = tile.name.as_str().into();
        for _ in 0..per_tile {
            let (ra, dec) = tile.random_position(&mut rng);
            cutouts.push(Cutout {
                ra,
                dec,
                tile: tile_name.clone(),
                products: products.clone(),
            });
        }
    }
    let unmatched = (0..unmatched)
        .map(|_| northern_position(&mut rng))
        .collect();
    CutoutJob {
        seed,
        layout,
        options,
        done: cutouts.len(),
        cutouts,
        per_row_products: false,
        unmatched,
        log_stamp: None,
    }
}

fn outside_footprint(seed: u64) -> CutoutJob {
    let mut rng = Rng::derive(seed, FAILED_CUTOUT_JOB_ID);
    CutoutJob {
        seed,
        layout: Layout::PerPosition,
        options: CutoutOptions::defaults("dr2"),
        cutouts: Vec::new(),
        per_row_products: false,
        unmatched: (0..6).map(|_| northern_position(&mut rng)).collect(),
        done: 0,
        log_stamp: None,
    }
}

/// A position far north of the DES footprint.
fn northern_position(rng: &mut Rng) -> (f64, f64) {
    let ra = (rng.range(120.0, 250.0) * 1e6).round() / 1e6;
    let dec = (rng.range(30.0, 70.0) * 1e6).round() / 1e6;
    (ra, dec)
}

fn fits_and_stiff(release: &str, stiff: &str) -> CutoutOptions {
    CutoutOptions {
        colors_fits: "gri".into(),
        make_rgb_stiff: true,
        rgb_stiff_colors: stiff.into(),
        ..CutoutOptions::defaults(release)
    }
}

fn all_products(release: &str) -> CutoutOptions {
    CutoutOptions {
        make_rgb_lupton: true,
        ..fits_and_stiff(release, "gri")
    }
}

fn small_lupton(release: &str) -> CutoutOptions {
    CutoutOptions {
        xsize: 0.5,
        ysize: 0.5,
        make_rgb_lupton: true,
        ..CutoutOptions::defaults(release)
    }
}

fn sample_query(condition: &str) -> String {
    format!(
        "SELECT COADD_OBJECT_ID, RA, DEC, MAG_AUTO_G, MAG_AUTO_R, MAG_AUTO_I, MAG_AUTO_Z, EXTENDED_CLASS_COADD \
         FROM DR2_MAIN WHERE {condition}"
    )
}

fn query_job(seed: u64, query: &str, rows: usize, rows_per_file: Option<usize>) -> QueryJob {
    QueryJob {
        seed,
        query: query.into(),
        filename: "results.csv".into(),
        rows,
        rows_per_file,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_are_32_lowercase_hex_and_unique() {
        let (settled, running) = jobs(1, utc(2026, 3, 4, 10, 0, 0), &Endings::default());
        let mut ids: Vec<&str> = settled.iter().map(|job| job.meta.id.as_str()).collect();
        ids.extend(running.iter().map(RunningJob::id));
        assert_eq!(ids.len(), JOB_COUNT);
        for id in &ids {
            assert_eq!(id.len(), 32, "{id}");
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)),
                "{id}"
            );
        }
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), JOB_COUNT);
    }
}
