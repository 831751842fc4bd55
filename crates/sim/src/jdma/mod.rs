//! The fake JDMA (JASMIN's Joint-storage Data Migration App): its Django API on a port of its
//! own, with requests that move through their stages on the sim's clock and group workspaces
//! that are real folders on disk.
//!
//! **API**, under `/jdma_control/api/v1/` on [`Sim::jdma_url`](crate::Sim::jdma_url) (the
//! description's `jdma.base`, what `jdma_client`'s `settings.JDMA_API_URL` holds). No
//! authentication: the user is the `name` parameter. Query strings split on `&` only (a `;` is
//! part of the value), and a parameter counts as given whatever its value. Bodies are JSON,
//! whatever the content type.
//!
//! | request | answer |
//! |---|---|
//! | `POST user` `{"name", "email"}` | `{"name", "email"}`; 403 if the user exists, 404 without name or email |
//! | `PUT user?name=` `{"email"?, "notify"?}` | `{"name", "email", "notify"}` |
//! | `GET user?name=` | `{"name", "email", "notify"}`; 403 "User … not initialised yet." |
//! | `GET list_backends/` | `{"elastictape": "Elastic Tape", "objectstore": "Object Store"}` |
//! | `GET request?name=[&request_id=][&workspace=][&filter=user\|workspace]` | one request (with `filelist`, and `failure_reason` once failed) or `{"requests": […]}` ordered by id |
//! | `POST request` `{"name", "request_type": "PUT"\|"MIGRATE", "workspace", "filelist", "label", "storage", "credentials"}` | the body echoed (credentials blanked) with `request_id`, `request_type` (a number), `batch_id`, `stage` 0, `registered_date` |
//! | `POST request` `{"name", "request_type": "GET", "migration_id", "target_path", "filelist"?}` | the same with `target_path` and `filelist` relative to the batch's common path (or null); `stage` 100 |
//! | `POST request` `{"name", "request_type": "DELETE", "migration_id", "storage"}` | the same; `stage` 200 |
//! | `GET migration/?name=[&migration_id= \| &label=][&workspace=][&filter=]` | one batch (by label: the one with the lowest stage) or `{"migrations": […]}` |
//! | `PUT migration/?name=&migration_id=` `{"label"}` | the body echoed; 403 for someone else's batch |
//! | `GET file/?name=[&migration_id=][&workspace=][&filter=][&limit=][&digest=]` | `{"migrations": [{…, "archives": [{"archive_id", "pk", "size", "limit", "files": [{"pk ", "path", "size"}]}]}]}` |
//! | `GET archive/?…` | the same without `files` |
//!
//! As on the real server: errors are JSON, the request's data echoed plus `"error"`, with status
//! 404 (missing or unknown things, bad values) or 403 (permission, duplicates, a GET before
//! ON_STORAGE), and the message as the status line's reason. Each file's key is `"pk "` with a
//! trailing space; `digest`/`digest_format` appear whenever a `digest` parameter is present, even
//! `digest=0`; `limit` caps files per archive (`file/`) or archives per batch (`archive/`),
//! folders counting though never listed. `migration`, `file`, `archive` and `list_backends`
//! without their slash answer Django's APPEND_SLASH 301 to the slashed path (query kept); `user`
//! and `request` match as prefixes; anything else is Django's HTML 404 page, an unparsable number
//! or body its HTML 500 page, a method a view lacks 405. A PUT whose `filelist` is already in a
//! batch, or whose body has no `label` key, gets the server's own bug: 404 with `'list' object has
//! no attribute 'first'`; a GET of an Object Store batch without its credentials gets 404 `'error'`.
//!
//! **Stages.** Requests move one stage per [`JdmaConfig::stage_interval`] of the sim's clock (1.5 s
//! by default, so a demo GET completes in about ten seconds), in the documented order: PUT and
//! MIGRATE 0, 1, 3, 2, 4, 5, 6, 7, 8, 9 (PACKING before PENDING); GET 100–106; DELETE 200–204.
//! Entering PUT_BUILDING makes the batch PUTTING, walks the files on disk, copies them to the
//! sim's "tape" and records their ADLER32 digests of the real bytes (as `calculate_digest_adler32`:
//! `zlib.adler32` started from 0, not 1, then `hex()`, so unpadded `0x`); PUT_TIDY of
//! a MIGRATE removes the originals; PUT_COMPLETED makes the batch ON_STORAGE. Leaving GETTING
//! writes the batch's files (or those asked for) under the GET's target path, each through a
//! temporary name. DELETING and DELETE_COMPLETED make the batch DELETING, then DELETED. A failed
//! request is FAILED (1000) with a `failure_reason` (a failed PUT or MIGRATE fails its batch and
//! becomes FAILED_COMPLETED (1001) an interval later). `PUT /_sim/clock/advance` moves stages
//! without waiting.
//!
//! **Group workspaces** are real folders under [`JdmaConfig::workspace_root`] (a temporary
//! folder by default): `{root}/gws/nopw/j04/climate` and `…/ocean`, each member with a folder
//! `users/<name>`. PUT paths and GET target paths must lie under the root; the sim reads and
//! writes nowhere else. Members (the LDAP group `gws_<workspace>`): [`DEMO_USER`], `ahughes` and
//! [`NEW_USER`] (a JASMIN user who has not run `jdma init`) in climate; [`DEMO_USER`] and
//! `mkowalski` in ocean, which has Elastic Tape only.
//!
//! **The demo**: batches 101–110 of NetCDF (valid classic headers), HDF5 and text files
//! generated from the seed: ON_STORAGE ones (the older with SHA256 digests), one PUTTING (its
//! MIGRATE running), one ON_DISK (its PUT queued for 40 intervals; its files are on disk), one
//! FAILED (quota), one DELETED. [`DEMO_BATCH_ID`] holds the large file
//! ([`JdmaConfig::large_file_len`], streamed). Requests 301–315: GET 314 is running and writes its
//! files within seconds, GET 315 fails while you watch, GET 310 failed days ago.
//!
//! Control routes on the sim's main port: `POST /_sim/jdma/requests/{id}/fail` `{"reason": "…"}`
//! fails a running request now; `POST /_sim/jdma/corrupt` `{"path": "…"}` changes one byte of a
//! file in a workspace (a retrieved file whose digest no longer matches).

mod catalogue;
mod content;
mod db;
mod disk;
mod progress;
mod stages;
mod views;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use crate::clock::Clock;
use db::{Db, Stamp};
use disk::Disk;

pub(crate) use views::router;

/// The demo user: the description's `jdma.user`.
pub const DEMO_USER: &str = "demo";
/// The demo user's group workspace: the description's `jdma.workspace`.
pub const DEMO_WORKSPACE: &str = "climate";
/// The second group workspace (Elastic Tape only).
pub const OCEAN_WORKSPACE: &str = "ocean";
/// A member of [`DEMO_WORKSPACE`] who is not yet a JDMA user (`create_user` makes them one).
pub const NEW_USER: &str = "rpatel";
/// The demo user's ON_STORAGE batch with the large file.
pub const DEMO_BATCH_ID: u64 = 103;
/// The demo user's ON_STORAGE batch on the Object Store (its GET needs credentials).
pub const OBJECT_STORE_BATCH_ID: u64 = 104;
/// The demo user's batch that is PUTTING when the sim starts.
pub const PUTTING_BATCH_ID: u64 = 105;
/// The demo user's batch that is ON_DISK when the sim starts (its PUT queued).
pub const ON_DISK_BATCH_ID: u64 = 108;
/// The GET that is running when the sim starts.
pub const RUNNING_GET_ID: u64 = 314;
/// The GET that fails while the sim runs (after about 11 intervals).
pub const FAILING_GET_ID: u64 = 315;
/// The ON_DISK batch's label and folder.
const QUEUED_PUT_LABEL: &str = "ukesm_ssp126_amon";
/// A folder of the demo user's (in `users/demo` of [`DEMO_WORKSPACE`]) that no batch holds yet.
pub const SPARE_FOLDER: &str = "hadgem3_ssp245_6hr";

/// How the sim's JDMA behaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JdmaConfig {
    /// How long each request stage lasts on the sim's clock.
    pub stage_interval: Duration,
    /// About how many bytes the demo batch's large NetCDF file has.
    pub large_file_len: u64,
    /// Where the group workspaces are made; `None`: a temporary folder, removed with the sim.
    pub workspace_root: Option<PathBuf>,
}

impl Default for JdmaConfig {
    fn default() -> Self {
        JdmaConfig {
            stage_interval: Duration::from_millis(1500),
            large_file_len: 48 << 20,
            workspace_root: None,
        }
    }
}

/// The JDMA side of a running sim.
pub(crate) struct Jdma {
    seed: u64,
    clock: Clock,
    config: JdmaConfig,
    disk: Disk,
    /// Laid out on first use.
    db: OnceLock<Mutex<Db>>,
}

/// Why a control route could not fail a request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum FailRefused {
    NotFound,
    Ended,
}

impl Jdma {
    pub(crate) fn new(seed: u64, clock: Clock, config: JdmaConfig) -> std::io::Result<Jdma> {
        let disk = Disk::new(config.workspace_root.as_deref())?;
        Ok(Jdma {
            seed,
            clock,
            config,
            disk,
            db: OnceLock::new(),
        })
    }

    /// The folder the group workspaces are under.
    pub(crate) fn workspace_root(&self) -> &Path {
        self.disk.root()
    }

    /// A group workspace's folder.
    pub(crate) fn workspace_path(&self, name: &str) -> PathBuf {
        self.disk.workspace(name)
    }

    pub(crate) fn stage_interval(&self) -> Duration {
        self.config.stage_interval
    }

    fn now_ms(&self) -> i64 {
        i64::try_from(self.clock.elapsed().as_millis()).unwrap_or(i64::MAX)
    }

    fn interval_ms(&self) -> i64 {
        i64::try_from(self.config.stage_interval.as_millis())
            .unwrap_or(i64::MAX)
            .max(1)
    }

    /// The sim's time now, to the microsecond.
    fn now(&self) -> Stamp {
        let elapsed = self.clock.elapsed();
        Stamp {
            secs: self.clock.start() + elapsed.as_secs() as i64,
            micros: elapsed.subsec_micros(),
        }
    }

    /// The tables, laid out on first use and brought up to the clock's time.
    fn db(&self) -> MutexGuard<'_, Db> {
        let db = self.db.get_or_init(|| {
            let layout = catalogue::Layout {
                seed: self.seed,
                start: self.clock.start(),
                interval_ms: self.interval_ms(),
                large_file_len: self.config.large_file_len,
                disk: &self.disk,
            };
            let db = catalogue::build(&layout)
                .unwrap_or_else(|e| panic!("the sim's JDMA workspaces cannot be written: {e}"));
            Mutex::new(db)
        });
        let mut db = db.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        progress::advance_all(&mut db, &self.disk, self.now_ms(), self.interval_ms());
        db
    }

    /// Moves every request to where the clock says it is (blocking: it may write files). Does
    /// nothing before JDMA is first used; its requests catch up then.
    pub(crate) fn catch_up(&self) {
        if self.db.get().is_some() {
            drop(self.db());
        }
    }

    /// Fails a running request now with `reason`.
    pub(crate) fn fail_request(&self, id: u64, reason: String) -> Result<(), FailRefused> {
        let mut db = self.db();
        let request = db.requests.get(&id).ok_or(FailRefused::NotFound)?;
        if request.ended() {
            return Err(FailRefused::Ended);
        }
        progress::fail(&mut db, id, reason, self.now_ms());
        Ok(())
    }

    /// Changes one byte of a workspace file; gives its offset.
    pub(crate) fn corrupt(&self, path: &str) -> std::io::Result<u64> {
        self.disk.corrupt(path)
    }
}

/// The id a batch has on its storage: an Elastic Tape batch number, or an Object Store bucket.
fn external_id(storage: &str, workspace: &str, batch_id: u64) -> String {
    match storage {
        "objectstore" => format!("jdma-{workspace}-migration-{batch_id:08}"),
        _ => (80_000 + batch_id * 13).to_string(),
    }
}
