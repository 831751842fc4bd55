//! A local fake of the DESaccess (Dark Energy Survey), MAST, UP42 and JDMA archives for tests, benchmarks and the demo.
//!
//! One [`Sim`] is a real HTTP server on `127.0.0.1` that serves:
//!
//! * `/desaccess/api` — the job handler API: `POST /login`, `POST /logout`, `POST /profile`,
//!   `GET /status`, `POST /job/status`, `GET /job/list`, with DESaccess's argument rules (form,
//!   query or exact `application/json`), bearer-token checks and messages (mostly HTTP 200 with
//!   `"status":"error"`), and a fresh `new_token` in every authenticated reply.
//! * `/files-desaccess/<user>/<job_type>/<job_id>/…` — the nginx file server: `<folder>/json`
//!   gives nginx's JSON autoindex (byte-exact), `<folder>/` an HTML autoindex, and files come with
//!   `ETag`, `Last-Modified`, `Accept-Ranges`, single byte ranges, `If-Range` and `HEAD`. No auth.
//! * `/_sim` — control routes (below).
//!
//! On a second port, [`Sim::mast_url`], it serves the fake [`mast`] (STScI) at the root, as
//! astroquery's `[mast] server` expects; its JWST downloads redirect to a third port, a
//! storage host. The same fault rules apply there, matched on those ports' paths
//! (e.g. `/api/v0.1/Download/` or `/stpubdata/`).
//!
//! On four more ports it serves the fake [`up42`]: the seed API ([`Sim::up42_url`]: `/oauth/token`,
//! `/projects/{p}/jobs/…`), the current API ([`Sim::up42_api_v2_url`]: `/v2/processing/jobs`, STAC
//! results), its auth host ([`Sim::up42_auth_url`]) and the storage host its signed URLs point at
//! ([`Sim::up42_storage_url`]). That module's docs list the routes and the demo's job ids (the
//! hostile tarballs among them); the same fault rules apply there, matched on those ports' paths
//! (e.g. `/projects/`, `/v2/` or `/up42-sim-results/`).
//!
//! On one more port, [`Sim::jdma_url`], it serves the fake [`jdma`] (JASMIN's JDMA) under
//! `/jdma_control/api/v1/`, whose group workspaces are real folders on disk
//! ([`Sim::jdma_workspace_root`]): its requests move through their stages on the sim's clock, and
//! a GET writes the batch's files there. Its module docs list the routes, quirks and demo data; the
//! description's `jdma.base` is what `jdma_client`'s `settings.JDMA_API_URL` holds. The same fault
//! rules apply there (e.g. `/jdma_control/api/v1/request`).
//!
//! The [`demo`] account's jobs cover every status and both cutout layouts; their FITS and PNG
//! files are real, deterministic from [`SimConfig::seed`], and rendered on first request. Their
//! dates count back from the sim's start ([`SimConfig::demo_start`], the real time unless a test
//! fixes it), so they read as of today: the sample job finished two hours ago and expires in 14 days.
//!
//! # Jobs that end while you watch
//!
//! Three demo jobs are `started`, with no folder on the file server (its listing answers 404, as
//! nginx does for a folder not yet made), when the sim starts, and end while it runs:
//! [`demo::LIVE_CUTOUT_JOB_ID`] succeeds after 30 s and its folder appears,
//! [`demo::LIVE_FAILING_JOB_ID`] fails after 45 s with [`demo::LIVE_FAILING_MESSAGE`], and
//! [`demo::LIVE_QUERY_JOB_ID`] succeeds after 2 min. [`SimConfig::live_jobs`] sets those times (a
//! test gives `demo::Endings::all_after(Duration::from_secs(2))`), as does the binary's
//! `--live-jobs-end-after SECS`; [`Sim::end_job_in`] (or `PUT /_sim/jobs/<job_id>/end`) moves one
//! job's end while it runs.
//! The description ([`Sim::description`], the binary's first line) lists them under
//! `desaccess.live_jobs`: id, name, job type, `ends_as` (`success` or `failure`), the message,
//! `ends_after_ms` after the start and `ends_at` (ISO 8601 UTC). UP42's running jobs
//! ([`up42::LIVE_JOB_ID`], [`up42::LIVE_FAILING_JOB_ID`], [`up42::LIVE_PROCESSING_JOB_ID`]) end the
//! same way, after [`demo::Endings::up42`] and [`demo::Endings::up42_failing`], listed under
//! `up42.live_jobs`.
//!
//! # The sim's clock
//!
//! Tokens, signed URLs, running jobs and JDMA's request stages read one clock: real time since the
//! start, plus whatever [`Sim::advance_clock`] (or `PUT /_sim/clock/advance`) added, so a test sees
//! UP42's five-minute tokens expire, or a JDMA GET complete, without waiting. (DESaccess's tokens and MAST's signed URLs keep to real time.)
//! The [`bench`] account's folders for `make bench`: 2,000 and 20,000 small files and one 2 GiB
//! file, generated per request and range and never held in memory, and 500 one-arcminute cutouts
//! as FITS and PNG, rendered like the demo's. The [`latency_proxy`] (the `latency-proxy` binary)
//! puts a long network path in front of the sim for the benchmark's scale cases.
//!
//! # Fault injection
//!
//! [`Sim::faults`] takes [`FaultRule`]s matched by path prefix (and optionally method), for the
//! next N requests or forever: latency, error statuses (with `Retry-After`), connection reset,
//! truncated or stalled bodies, ignored ranges, changing validators and whole replies of a test's
//! choosing (a hostile server's); plus a global delay.
//! Faults apply to the API, file, MAST, UP42 and JDMA routes, never to `/_sim`.
//!
//! The same over HTTP, for a sim started as a binary:
//!
//! | request | body | effect |
//! |---|---|---|
//! | `POST /_sim/faults` | a [`FaultRule`] as JSON | adds the rule |
//! | `GET /_sim/faults` | — | lists the rules in force |
//! | `DELETE /_sim/faults` | — | removes all rules and the global delay |
//! | `PUT /_sim/delay` | `{"ms": 20}` | sets the global per-request delay |
//! | `GET /_sim/stats` | — | `{"bytes_sent": {"/files-desaccess/…": n}, "peak_in_flight": n}`: body bytes sent per file-server path, and the most requests answered at once |
//! | `DELETE /_sim/stats` | — | counts from zero again (the peak from the requests answered now) |
//! | `PUT /_sim/jobs/<job_id>/end` | `{"after_secs": 2}` | a running demo job (DESaccess or UP42) ends that long from now (0: at once); 404 for a job that is not one of them, 409 once it has ended |
//! | `PUT /_sim/clock/advance` | `{"secs": 301}` | the sim's clock moves forward: UP42 tokens and signed URLs expire, running jobs end, JDMA requests move on (a GET's files are written before the reply) |
//! | `POST /_sim/up42/expire-signed-urls` | — | every UP42 signed URL issued so far expires (400 `ExpiredToken`); later ones work |
//! | `POST /_sim/jdma/requests/<id>/fail` | `{"reason": "…"}` | a running JDMA request is FAILED now with that `failure_reason` (a PUT's batch too); 404 for no such request, 409 once it has ended |
//! | `POST /_sim/jdma/corrupt` | `{"path": "…"}` | one byte in the middle of a file in a JDMA group workspace has its bits flipped (size kept), so its digest no longer matches; 404 outside the workspaces |
//!
//! Rule JSON is the rule's fields plus the action's, tagged by `kind`:
//!
//! ```json
//! {"path_prefix": "/files-desaccess/demo/", "method": "GET", "times": 3, "kind": "status", "code": 503}
//! {"path_prefix": "/desaccess/api/", "kind": "status", "code": 429, "retry_after_secs": 2}
//! {"path_prefix": "/files-desaccess/", "kind": "latency", "ms": 250}
//! {"path_prefix": "/files-desaccess/", "times": 1, "kind": "reset_after", "bytes": 4096}
//! {"path_prefix": "/files-desaccess/", "kind": "truncate_after", "bytes": 4096}
//! {"path_prefix": "/files-desaccess/", "kind": "stall_after", "bytes": 4096, "secs": 30}
//! {"path_prefix": "/files-desaccess/", "kind": "ignore_range"}
//! {"path_prefix": "/files-desaccess/", "kind": "change_validator"}
//! {"path_prefix": "/files-desaccess/", "kind": "crowded", "above": 8, "code": 503}
//! {"path_prefix": "/files-desaccess/", "kind": "queueing", "above": 8, "ms_each": 20}
//! {"path_prefix": "/jdma_control/api/v1/file/", "times": 1, "kind": "reply", "code": 200, "content_type": "application/json", "body": "{\"migrations\": ["}
//! ```
//!
//! # Example
//!
//! ```no_run
//! # async fn example() -> std::io::Result<()> {
//! use jobfetch_sim::{demo, FaultAction, FaultRule, Sim, SimConfig};
//!
//! let sim = Sim::start(SimConfig::default()).await?;
//! sim.faults().add(FaultRule::new("/files-desaccess/", FaultAction::Status { code: 503, retry_after_secs: None }).times(2));
//! let listing = format!("{}/{}/cutout/{}/json", sim.desaccess_files_url(), demo::USERNAME, demo::SEED_TREE_JOB_ID);
//! # let _ = listing;
//! sim.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod api;
mod archive;
mod auth;
mod autoindex;
pub mod bench;
mod clock;
mod control;
mod cutout_job;
pub mod demo;
mod describe;
mod fault_layer;
mod faults;
mod files;
mod fits;
mod generated;
pub mod jdma;
mod jobs;
pub mod latency_proxy;
mod live;
pub mod mast;
mod nginx_error;
mod params;
mod preview;
mod query_job;
mod ranges;
mod raw;
mod replies;
mod rng;
mod scene;
mod server;
mod sky;
mod stamp;
mod state;
mod static_file;
mod stats;
mod text_log;
pub mod up42;
mod vfs;

pub use describe::{Desaccess, Description, Jdma, Mast, Up42};
pub use faults::{FaultAction, FaultRule, Faults};
pub use jdma::JdmaConfig;
pub use live::EndRefused;
pub use server::{Sim, SimConfig};
