//! The fake UP42 in both flavours: the seed API (projects, jobs, tasks) and the current one
//! (account sign-in, processing jobs, STAC results), each on its own port, with a storage host for
//! the signed URLs and an auth host for the current flavour's sign-in.
//!
//! **Seed API**, at the root of [`Sim::up42_url`](crate::Sim::up42_url) (the description's `up42.base`).
//! Replies are `{"data": …, "error": null}`, errors `{"data": null, "error": {"code", "message"}}`
//! with an HTTP error status; every route but the token needs `Authorization: Bearer <token>`.
//! Routes ending in `/` answer without it too.
//!
//! | request | answer |
//! |---|---|
//! | `POST /oauth/token` (`grant_type=client_credentials`, HTTP Basic project id + API key; or `grant_type=password`, `username`, `password`) | a 5-minute token at `access_token` and `data.accessToken`; a project token sees its project, an account token all of them |
//! | `GET /users/me` | `data.id`: the account id |
//! | `GET /projects/{p}` | the project |
//! | `GET /projects/{p}/jobs?page=N&sort=<field>,<asc\|desc>[&size=20]` | a page of jobs (0-based, 20 a page); an empty page ends the list |
//! | `GET /projects/{p}/jobs/{j}` | the job |
//! | `GET /projects/{p}/jobs/{j}/tasks/` | its tasks in workflow order |
//! | `GET /projects/{p}/jobs/{j}/credits` | `data.creditsUsed` |
//! | `POST /projects/{p}/jobs/{j}/cancel` | 204, and the job is `CANCELLED`; 409 once it has ended |
//! | `GET /projects/{p}/jobs/{j}/downloads/results/` | `data.url`: a signed URL of the last task's results (the job's own, for the hostile job) |
//! | `GET /projects/{p}/jobs/{j}/outputs/data-json/` | the last task's `data.json`, raw GeoJSON |
//! | `GET /projects/{p}/jobs/{j}/tasks/{t}/downloads/results/` | `data.url`: a signed URL of the task's `.tar.gz` (`output/data.json` and the files at each feature's `up42.data_path`) |
//! | `GET /projects/{p}/jobs/{j}/tasks/{t}/outputs/data-json/` | the task's `data.json` |
//! | `GET /projects/{p}/jobs/{j}/tasks/{t}/outputs/quicklooks/` | `data`: quicklook names, `<featureId>.jpg` (data blocks only) |
//! | `GET /projects/{p}/jobs/{j}/tasks/{t}/outputs/quicklooks/{name}` | the JPEG |
//! | `GET /projects/{p}/jobs/{j}/tasks/{t}/logs` | the task's log, plain text |
//!
//! **Current API**, at the root of [`Sim::up42_api_v2_url`](crate::Sim::up42_api_v2_url)
//! (`up42.api_v2`), signed in on the auth host [`Sim::up42_auth_url`](crate::Sim::up42_auth_url)
//! (`up42.auth`). Errors are RFC 7807 problem JSON (`application/problem+json`).
//!
//! | request | answer |
//! |---|---|
//! | auth host: `POST /realms/public/protocol/openid-connect/token` (`grant_type=password`, `username`, `password`, `client_id`; or `grant_type=refresh_token`) | Keycloak's reply: `access_token`, `expires_in` 300, `refresh_token`, `refresh_expires_in` 1800 |
//! | auth host: `GET /realms/public/protocol/openid-connect/userinfo` | `sub`: the workspace id |
//! | `GET /v2/processing/jobs?workspaceId=&processId=a,b&status=s,t&limit=10&sort=created,desc` | `{"jobs": […], "links": [{"rel": "next", "href": "/v2/processing/jobs?…&cursor=…"}]}`; no `next` on the last page |
//! | `GET /v2/processing/jobs/{id}` | the job; `results.collection` is its STAC collection once it has results |
//! | `GET /v2/assets/stac/collections/{c}` | the STAC collection |
//! | `GET /v2/assets/stac/collections/{c}/items` (and `/items/{i}`) | its items; each asset's `href` is `{api_v2}/v2/assets/{asset}` |
//! | `POST /v2/assets/{asset}/download-url` | `{"url": <signed URL>}` |
//!
//! **Storage host** (`up42.storage`): signed URLs, valid 5 minutes by the sim's clock. A request
//! with an `Authorization` header is refused with 400 and GCS's XML error, as object stores do; an
//! expired one with 400 `ExpiredToken`; a forged one with 403. Results are served with `ETag` and
//! byte ranges.
//!
//! Control routes on the sim's main port: `PUT /_sim/clock/advance` moves the clock every token,
//! signed URL and running job reads; `POST /_sim/up42/expire-signed-urls` expires every signed URL
//! issued so far (the next ones work), for an expiry in the middle of a batch; `PUT
//! /_sim/jobs/{id}/end` moves the end of [`LIVE_JOB_ID`], [`LIVE_FAILING_JOB_ID`] and
//! [`LIVE_PROCESSING_JOB_ID`] as it does the DESaccess ones.
//!
//! The demo: three projects ([`DEMO_PROJECT_ID`] with [`DEMO_API_KEY`] and 24 jobs, two more seen
//! with the account, [`USERNAME`] / [`PASSWORD`]); jobs in every status, 1–4 tasks each, scenes over
//! real cities as GeoTIFF with JPEG quicklooks; 23 processing jobs. [`HOSTILE_JOB_ID`]'s results are
//! hostile tarballs for tests: one hostile member kind per task (see its task ids), all four in the
//! job's own results.

mod imagery;
mod keycloak;
mod processing;
mod projects;
mod seed_api;
mod storage;
mod tarball;
mod tokens;
mod v2_api;

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde::{Deserialize, Serialize};

use crate::clock::{Clock, UnixTime};
use crate::demo::Endings;
use crate::live::EndRefused;
use crate::state::SimState;
use crate::static_file::{self, ValidatorShift};
use crate::vfs::{Content, File};
use projects::{Project, Results};
use tarball::Tarball;

/// The demo project: the description's `up42.project_id`.
pub const DEMO_PROJECT_ID: &str = "bdd640fb-0667-4ad1-9c80-317fa3b1799d";
/// The demo project's API key: the description's `up42.api_key`.
pub const DEMO_API_KEY: &str = "up42sim-demo-project-api-key-5c0f2b9e";
/// The demo account (all three projects, and the current API).
pub const USERNAME: &str = "up42-demo@example.org";
/// Password of [`USERNAME`].
pub const PASSWORD: &str = "up42-demo-password";
/// The account's id, also its workspace id.
pub const ACCOUNT_ID: &str = "23b8c1e9-3924-46de-beb1-3b9046685257";

/// `SUCCEEDED`, three tasks (Pléiades over Berlin → pansharpen → NDVI), two scenes with quicklooks.
pub const SUCCEEDED_JOB_ID: &str = "bd9c66b3-ad3c-4d6d-9a3d-1fa7bc8960a9";
/// `RUNNING` when the sim starts; `SUCCEEDED` [`Endings::up42`] later (30 s by default).
pub const LIVE_JOB_ID: &str = "972a8469-1641-4f82-8b9d-2434e465e150";
/// `RUNNING` when the sim starts; `FAILED` [`Endings::up42_failing`] later (45 s by default).
pub const LIVE_FAILING_JOB_ID: &str = "17fc695a-07a0-4a6e-8822-e8f36c031199";
/// `SUCCEEDED` test query (mode `DRY_RUN`): `data.json` without data files.
pub const DRY_RUN_JOB_ID: &str = "9a1de644-815e-46d1-bb8f-aa1837f8a88b";
/// `SUCCEEDED`, four tasks whose results are hostile tarballs (the four task ids below); the job's
/// own results hold all four kinds, the bomb last.
pub const HOSTILE_JOB_ID: &str = "b74d0fb1-32e7-4629-8fad-c1a606cb0fb3";
/// Results with `output/../../escaped.txt`.
pub const HOSTILE_TRAVERSAL_TASK_ID: &str = "759cde66-bacf-43d0-8b1f-9163ce9ff57f";
/// Results with `/tmp/jobfetch-up42-absolute.txt`.
pub const HOSTILE_ABSOLUTE_TASK_ID: &str = "ec1b8ca1-f91e-4d4c-9ff4-9b7889463e85";
/// Results with a symlink `output/escape` → `/tmp`, then `output/escape/jobfetch-up42-symlinked.txt`.
pub const HOSTILE_SYMLINK_TASK_ID: &str = "4b0dbb41-8d52-48f1-942c-3fe860e7a113";
/// Results with `output/bomb.tif`, 64 GiB of zeros (about 64 MB gzipped), compressed as it is sent.
pub const HOSTILE_BOMB_TASK_ID: &str = "e2acf72f-9e57-4f7a-a0ee-89aed453dd32";
/// `RUNNING`, and stays so.
pub const RUNNING_JOB_ID: &str = "6b65a6a4-8b81-48f6-b38a-088ca65ed389";
/// `PENDING`.
pub const PENDING_JOB_ID: &str = "47378190-96da-4dac-b2ff-5d2a386ecbe0";
/// `NOT STARTED`, spelled with a space as the SDK documents it.
pub const NOT_STARTED_JOB_ID: &str = "c241330b-01a9-471f-9e8a-774bcf36d58b";
/// `NOT_STARTED`, the other spelling seen in the wild.
pub const NOT_STARTED_UNDERSCORE_JOB_ID: &str = "6c307511-b2b9-437a-a8df-6ec4ce4a2bbd";
/// `FAILED` in its last task; the earlier tasks have results.
pub const FAILED_JOB_ID: &str = "371ecd7b-27cd-4130-8722-9389571aa876";
/// `ERROR`.
pub const ERROR_JOB_ID: &str = "1a2a73ed-562b-4f79-8374-59eef50bea63";
/// `CANCELLING`.
pub const CANCELLING_JOB_ID: &str = "5be6128e-18c2-4797-a142-ea7d17be3111";
/// `CANCELLED` after its first task.
pub const CANCELLED_JOB_ID: &str = "43b7a3a6-9a8d-4a03-980d-7b71d8f56413";
/// A `captured` processing job with a results collection.
pub const PROCESSING_JOB_ID: &str = "3139d32c-93cd-49bf-9c94-1cf0dc98d2c1";
/// A processing job `running` when the sim starts, `captured` (with results) [`Endings::up42`] later.
pub const LIVE_PROCESSING_JOB_ID: &str = "a9488d99-0bbb-4599-91ce-5dd2b45ed1f0";

/// A UP42 job that is running when the sim starts and ends while it runs, as the description lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveJob {
    pub id: String,
    pub name: String,
    /// `seed` (`/projects/{project_id}/jobs/{id}`) or `processing` (`/v2/processing/jobs/{id}`).
    pub api: String,
    /// The project of a seed job; empty for a processing job.
    pub project_id: String,
    /// The status it ends with (`SUCCEEDED`, `FAILED`, or `captured`).
    pub ends_as: String,
    /// When it ends, in milliseconds after the sim started.
    pub ends_after_ms: u64,
    /// When it ends, ISO 8601 UTC.
    pub ends_at: String,
}

/// A project of the demo account, as the description lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectCredentials {
    pub id: String,
    pub name: String,
    pub api_key: String,
}

/// The UP42 side of a running sim.
pub(crate) struct Up42 {
    seed: u64,
    clock: Clock,
    endings: Endings,
    /// Where the current API listens, for the links and hrefs it writes.
    api_v2: String,
    signer: storage::Signer,
    tokens: tokens::Tokens,
    projects: OnceLock<Vec<Project>>,
    processing: OnceLock<processing::Catalogue>,
    /// Jobs cancelled through the API, and when.
    cancelled: Mutex<HashMap<String, UnixTime>>,
}

/// An object on the storage host.
pub(crate) enum Stored {
    /// Served like a static file: length, validators, ranges.
    File {
        name: String,
        bytes: Vec<u8>,
        mtime: UnixTime,
    },
    /// Made as it is sent (the bomb): no length, no ranges.
    Stream(Body),
}

impl Stored {
    fn serve(self, method: &Method, headers: &HeaderMap, shift: ValidatorShift) -> Response {
        match self {
            Stored::File { name, bytes, mtime } => {
                let file = File::new(mtime, Content::Bytes(bytes.into()));
                static_file::serve(&file, &name, method, headers, shift)
            }
            Stored::Stream(body) => body.into_response(),
        }
    }
}

impl Up42 {
    pub(crate) fn new(
        seed: u64,
        clock: Clock,
        endings: Endings,
        api_v2: String,
        storage: String,
    ) -> Up42 {
        Up42 {
            seed,
            clock,
            endings,
            api_v2,
            signer: storage::Signer::new(storage, seed),
            tokens: tokens::Tokens::new(seed),
            projects: OnceLock::new(),
            processing: OnceLock::new(),
            cancelled: Mutex::default(),
        }
    }

    /// The account's projects, laid out on first use (metadata only; files render per request).
    fn projects(&self) -> &[Project] {
        self.projects
            .get_or_init(|| projects::projects(self.seed, self.clock.start(), &self.endings))
    }

    fn processing(&self) -> &processing::Catalogue {
        self.processing.get_or_init(|| {
            processing::Catalogue::build(self.seed, self.clock.start(), self.endings.up42)
        })
    }

    fn project(&self, id: &str) -> Option<&Project> {
        self.projects().iter().find(|project| project.id == id)
    }

    fn cancelled_at(&self, job_id: &str) -> Option<UnixTime> {
        self.cancelled
            .lock()
            .expect("cancellations poisoned")
            .get(job_id)
            .copied()
    }

    /// Every signed URL issued so far expires.
    pub(crate) fn expire_signed_urls(&self) {
        self.signer.expire_all();
    }

    /// The projects and their API keys, for the description.
    pub(crate) fn credentials(&self) -> Vec<ProjectCredentials> {
        self.projects()
            .iter()
            .map(|project| ProjectCredentials {
                id: project.id.clone(),
                name: project.name.into(),
                api_key: project.api_key.clone(),
            })
            .collect()
    }

    /// The jobs that end while the sim runs, and when.
    pub(crate) fn live_jobs(&self) -> Vec<LiveJob> {
        let describe =
            |id: &str, name: &str, api: &str, project_id: &str, ends_as: &str, after: Duration| {
                LiveJob {
                    id: id.into(),
                    name: name.into(),
                    api: api.into(),
                    project_id: project_id.into(),
                    ends_as: ends_as.into(),
                    ends_after_ms: u64::try_from(after.as_millis()).unwrap_or(u64::MAX),
                    ends_at: crate::clock::iso(self.clock.after_start(after)),
                }
            };
        let mut live = Vec::new();
        for project in self.projects() {
            for job in &project.jobs {
                if let (Some(ending), Some(ends_as)) = (job.ending(), job.ends_as()) {
                    live.push(describe(
                        &job.id,
                        &job.name,
                        "seed",
                        &project.id,
                        ends_as,
                        ending.ends_after(),
                    ));
                }
            }
        }
        for job in &self.processing().jobs {
            if let Some(ending) = job.ending() {
                live.push(describe(
                    &job.id,
                    job.process_id,
                    "processing",
                    "",
                    "captured",
                    ending.ends_after(),
                ));
            }
        }
        live
    }

    /// Makes one of the running jobs end `after` from now.
    pub(crate) fn end_job_in(&self, id: &str, after: Duration) -> Result<(), EndRefused> {
        let seed = self
            .projects()
            .iter()
            .flat_map(|project| &project.jobs)
            .find(|job| job.id == id)
            .and_then(|job| job.ending());
        let processing = self.processing().job(id).and_then(|job| job.ending());
        seed.or(processing)
            .ok_or(EndRefused::NotLive)?
            .move_to(&self.clock, self.clock.elapsed() + after)
    }

    /// The object at a storage path: `/up42-sim-results/{p}/{j}[/{t}]/output.tgz` or
    /// `/up42-sim-assets/{asset}/{file}`.
    fn stored(&self, path: &str) -> Option<Stored> {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match segments[..] {
            ["up42-sim-results", project, job, "output.tgz"] => self.results(project, job, None),
            ["up42-sim-results", project, job, task, "output.tgz"] => {
                self.results(project, job, Some(task))
            }
            ["up42-sim-assets", asset_id, file] => {
                let (item, asset) = self.processing().asset(asset_id, &self.clock)?;
                (asset.file_name == file).then(|| Stored::File {
                    name: asset.file_name.clone(),
                    bytes: asset.render(&item.scene),
                    mtime: self.clock.start(),
                })
            }
            _ => None,
        }
    }

    /// A job's or task's results tarball.
    fn results(&self, project_id: &str, job_id: &str, task_id: Option<&str>) -> Option<Stored> {
        let job = self
            .project(project_id)?
            .jobs
            .iter()
            .find(|job| job.id == job_id)?;
        let view = job.view(&self.clock, self.cancelled_at(job_id));
        let mtime = view.finished.unwrap_or(self.clock.start());
        let task = match task_id {
            Some(id) => view.task(id)?.0,
            None => view.last_task().0,
        };
        let data_json = task.data_json().to_string();
        let tarball = match &task.results {
            Results::Files(outputs) => {
                Tarball::results(data_json.as_bytes(), outputs, mtime, |output| {
                    output.scene.geotiff(output.product)
                })
            }
            Results::Hostile(kinds) if task_id.is_some() => {
                Tarball::hostile(data_json.as_bytes(), kinds, mtime)
            }
            // The hostile job's own results: every task's hostile members.
            Results::Hostile(_) => {
                let kinds: Vec<_> = job
                    .tasks
                    .iter()
                    .flat_map(|task| match &task.results {
                        Results::Hostile(kinds) => kinds.clone(),
                        Results::Files(_) => Vec::new(),
                    })
                    .collect();
                Tarball::hostile(data_json.as_bytes(), &kinds, mtime)
            }
        };
        Some(if tarball.is_small() {
            Stored::File {
                name: "output.tgz".into(),
                bytes: tarball.gzip(),
                mtime,
            }
        } else {
            Stored::Stream(tarball.gzip_stream())
        })
    }
}

/// The four UP42 ports' routers, in the order [`crate::server`] binds them.
pub(crate) fn routers() -> [Router<std::sync::Arc<SimState>>; 4] {
    [
        seed_api::router(),
        v2_api::router(),
        keycloak::router(),
        storage::router(),
    ]
}
