//! The seed API's catalogue: projects, their jobs (every status, two that end while the sim runs)
//! and 1–4 tasks per job, each task's scenes; laid out from the seed, dates counted back from the start.

use std::time::Duration;

use serde_json::{json, Value};

use super::imagery::{Place, Product, Scene, PLACES};
use super::{
    ACCOUNT_ID, DEMO_PROJECT_ID, DRY_RUN_JOB_ID, HOSTILE_ABSOLUTE_TASK_ID, HOSTILE_BOMB_TASK_ID,
    HOSTILE_JOB_ID, HOSTILE_SYMLINK_TASK_ID, HOSTILE_TRAVERSAL_TASK_ID, LIVE_FAILING_JOB_ID,
    LIVE_JOB_ID, SUCCEEDED_JOB_ID,
};
use crate::clock::{Clock, UnixTime};
use crate::demo::Endings;
use crate::live::Ending;
use crate::rng::Rng;

/// A workflow block, as a task names it.
pub(crate) struct Block {
    pub(crate) name: &'static str,
    display_name: &'static str,
    version: &'static str,
    /// Data blocks fetch scenes and have quicklooks; processing blocks transform them.
    pub(crate) data: bool,
    product: Product,
    /// Satellite, for a data block's scene properties.
    constellation: &'static str,
    /// Ground resolution of a data block's scenes, metres.
    resolution: f64,
}

const fn data_block(
    name: &'static str,
    display_name: &'static str,
    version: &'static str,
    constellation: &'static str,
    resolution: f64,
) -> Block {
    Block {
        name,
        display_name,
        version,
        data: true,
        product: Product::Rgb,
        constellation,
        resolution,
    }
}

const fn processing_block(
    name: &'static str,
    display_name: &'static str,
    version: &'static str,
    product: Product,
) -> Block {
    Block {
        name,
        display_name,
        version,
        data: false,
        product,
        constellation: "",
        resolution: 0.0,
    }
}

const PLEIADES: Block = data_block(
    "oneatlas-pleiades-aoiclipped",
    "Pléiades Display (AOI clipped)",
    "2.3.1",
    "PHR",
    0.5,
);
const SPOT: Block = data_block(
    "oneatlas-spot-aoiclipped",
    "SPOT 6/7 Display (AOI clipped)",
    "2.2.4",
    "SPOT",
    1.5,
);
const SENTINEL2: Block = data_block(
    "sentinelhub-s2-aoiclipped",
    "Sentinel-2 L2A (BOA AOI clipped)",
    "3.1.0",
    "S2",
    10.0,
);
const PANSHARPEN: Block = processing_block(
    "pansharpen",
    "Pansharpening SPOT/Pléiades",
    "2.1.0",
    Product::Rgb,
);
const NDVI: Block = processing_block("ndvi", "NDVI", "1.4.2", Product::Ndvi);
const CONVERSION: Block = processing_block(
    "data-conversion",
    "Data Conversion (GeoTIFF)",
    "1.0.5",
    Product::Rgb,
);
const CROP: Block = processing_block("crop", "Raster Crop", "1.2.0", Product::Rgb);
const TILING: Block = processing_block("tiling", "Raster Tiling", "2.2.3", Product::Rgb);

const DATA_BLOCKS: [&Block; 3] = [&PLEIADES, &SPOT, &SENTINEL2];
const PROCESSING_BLOCKS: [&Block; 5] = [&PANSHARPEN, &NDVI, &CONVERSION, &CROP, &TILING];

/// One file of a task's results, and where it lies under the tarball's `output/`.
pub(crate) struct Output {
    pub(crate) feature_id: String,
    pub(crate) scene: Scene,
    pub(crate) product: Product,
    /// `up42.data_path`: relative to `output/`; `None` for a dry run's metadata-only feature.
    pub(crate) data_path: Option<String>,
    acquired: UnixTime,
    scene_id: String,
}

impl Output {
    /// Its feature in `data.json`.
    fn feature(&self, block: &Block) -> Value {
        let mut properties = json!({
            "acquisitionDate": crate::clock::iso(self.acquired),
            "cloudCoverage": (self.scene.cloud * 1000.0).round() / 10.0,
            "sceneId": self.scene_id,
            "blockName": block.name,
        });
        if let Some(path) = &self.data_path {
            properties["up42.data_path"] = json!(path);
        }
        if block.data {
            properties["constellation"] = json!(block.constellation);
            properties["resolution"] = json!(block.resolution);
            properties["providerName"] = json!(block.name.split('-').next());
        }
        json!({
            "type": "Feature",
            "id": self.feature_id,
            "bbox": self.scene.bbox,
            "geometry": {"type": "Polygon", "coordinates": [self.scene.ring()]},
            "properties": properties,
        })
    }

    /// Quicklook file name (data blocks only).
    pub(crate) fn quicklook_name(&self) -> String {
        format!("{}.jpg", self.feature_id)
    }
}

/// A hostile member of a result tarball (see [`super::tarball`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hostile {
    /// `output/../../escaped.txt`
    Traversal,
    /// `/tmp/jobfetch-up42-absolute.txt`
    Absolute,
    /// `output/escape` → `/tmp`, then `output/escape/jobfetch-up42-symlinked.txt`
    Symlink,
    /// `output/bomb.tif`, whose header says (and whose stream holds) [`super::tarball::BOMB_LEN`] bytes.
    Bomb,
}

/// What a task's results hold.
pub(crate) enum Results {
    Files(Vec<Output>),
    Hostile(Vec<Hostile>),
}

pub(crate) struct Task {
    pub(crate) id: String,
    pub(crate) block: &'static Block,
    pub(crate) results: Results,
}

impl Task {
    /// The task's `data.json`: a FeatureCollection.
    pub(crate) fn data_json(&self) -> Value {
        let features: Vec<Value> = match &self.results {
            Results::Files(outputs) => outputs.iter().map(|o| o.feature(self.block)).collect(),
            Results::Hostile(_) => Vec::new(),
        };
        json!({"type": "FeatureCollection", "features": features})
    }

    /// The outputs that have quicklooks.
    pub(crate) fn quicklooks(&self) -> &[Output] {
        match &self.results {
            Results::Files(outputs) if self.block.data => outputs,
            _ => &[],
        }
    }
}

/// Statuses of a job and of each of its tasks, at one time.
#[derive(Debug, Clone)]
pub(crate) struct Phase {
    pub(crate) status: &'static str,
    pub(crate) tasks: Vec<&'static str>,
}

/// How a job's status moves: not at all, or once, while the sim runs.
enum Life {
    Settled(Phase),
    Live {
        running: Phase,
        ended: Phase,
        ending: Ending,
    },
}

pub(crate) struct Job {
    pub(crate) id: String,
    pub(crate) name: String,
    mode: &'static str,
    workflow_id: String,
    workflow_name: String,
    created: UnixTime,
    /// When it started, if it has; when its settled phase (or a live job's end) finished.
    started: Option<UnixTime>,
    finished: Option<UnixTime>,
    micros: u32,
    pub(crate) credits: u64,
    life: Life,
    pub(crate) tasks: Vec<Task>,
}

/// A job as it stands at one time.
pub(crate) struct View<'a> {
    pub(crate) job: &'a Job,
    pub(crate) phase: Phase,
    pub(crate) finished: Option<UnixTime>,
    /// The sim's time it was seen at.
    now: UnixTime,
}

/// Whether a status is one a task or job has results in.
pub(crate) fn succeeded(status: &str) -> bool {
    status == "SUCCEEDED"
}

/// Whether a job in this status can still be cancelled.
pub(crate) fn cancellable(status: &str) -> bool {
    matches!(
        status,
        "NOT STARTED" | "NOT_STARTED" | "PENDING" | "RUNNING"
    )
}

impl Job {
    /// The job at the clock's time; `cancelled_at` if someone cancelled it.
    pub(crate) fn view(&self, clock: &Clock, cancelled_at: Option<UnixTime>) -> View<'_> {
        let (mut phase, mut finished) = match &self.life {
            Life::Settled(phase) => (phase.clone(), self.finished),
            Life::Live {
                running,
                ended,
                ending,
            } => {
                // A cancel is only recorded while the job runs, so it wins over the end.
                if ending.has_ended(clock) && cancelled_at.is_none() {
                    (ended.clone(), Some(clock.after_start(ending.ends_after())))
                } else {
                    (running.clone(), None)
                }
            }
        };
        if let Some(at) = cancelled_at.filter(|_| cancellable(phase.status)) {
            phase.status = "CANCELLED";
            for task in &mut phase.tasks {
                if !succeeded(task) {
                    *task = "CANCELLED";
                }
            }
            finished = Some(at);
        }
        View {
            job: self,
            phase,
            finished,
            now: clock.now(),
        }
    }

    /// A live job's end, to move it.
    pub(crate) fn ending(&self) -> Option<&Ending> {
        match &self.life {
            Life::Live { ending, .. } => Some(ending),
            Life::Settled(_) => None,
        }
    }

    /// The status a live job ends with.
    pub(crate) fn ends_as(&self) -> Option<&'static str> {
        match &self.life {
            Life::Live { ended, .. } => Some(ended.status),
            Life::Settled(_) => None,
        }
    }
}

impl View<'_> {
    /// The job record the API returns.
    pub(crate) fn json(&self, project_id: &str) -> Value {
        let job = self.job;
        let inputs: serde_json::Map<String, Value> = job
            .tasks
            .iter()
            .map(|task| (format!("{}:1", task.block.name), block_inputs(task)))
            .collect();
        let updated = self.finished.or(job.started).unwrap_or(job.created);
        let by = json!({"id": ACCOUNT_ID, "type": "USER"});
        json!({
            "id": job.id,
            "displayId": &job.id[..8],
            "name": job.name,
            "description": null,
            "projectId": project_id,
            "status": self.phase.status,
            "mode": job.mode,
            "workflowId": job.workflow_id,
            "workflowName": job.workflow_name,
            "inputs": inputs,
            "createdAt": stamp(job.created, job.micros),
            "updatedAt": stamp(updated, job.micros / 3),
            "createdBy": by,
            "updatedBy": by,
            "startedAt": job.started.map(|t| stamp(t, job.micros / 7)),
            "finishedAt": self.finished.map(|t| stamp(t, job.micros / 11)),
        })
    }

    /// The job's task records, in workflow order.
    pub(crate) fn tasks_json(&self) -> Vec<Value> {
        let job = self.job;
        let count = job.tasks.len() as i64;
        job.tasks
            .iter()
            .zip(&self.phase.tasks)
            .enumerate()
            .map(|(i, (task, status))| {
                let i = i as i64;
                // Tasks run one after another, in equal slices of the job's run.
                let slice =
                    |end: UnixTime, start: UnixTime, k: i64| start + (end - start) * k / count;
                let run_end = self.finished.unwrap_or(self.now);
                let started = job
                    .started
                    .filter(|_| {
                        *status != "NOT STARTED" && *status != "NOT_STARTED" && *status != "PENDING"
                    })
                    .map(|start| slice(run_end, start, i));
                let ended = matches!(*status, "SUCCEEDED" | "FAILED" | "ERROR" | "CANCELLED");
                let finished = job
                    .started
                    .filter(|_| started.is_some() && ended)
                    .map(|start| slice(run_end, start, i + 1));
                json!({
                    "id": task.id,
                    "name": format!("{}:1", task.block.name),
                    "status": status,
                    "startedAt": started.map(|t| stamp(t, job.micros / 13)),
                    "finishedAt": finished.map(|t| stamp(t, job.micros / 17)),
                    "block": {"name": task.block.name, "displayName": task.block.display_name},
                    "blockVersion": task.block.version,
                    "jobId": job.id,
                })
            })
            .collect()
    }

    /// The task and whether it has succeeded (so has results).
    pub(crate) fn task(&self, task_id: &str) -> Option<(&Task, &'static str)> {
        self.job
            .tasks
            .iter()
            .zip(&self.phase.tasks)
            .find(|(task, _)| task.id == task_id)
            .map(|(task, status)| (task, *status))
    }

    /// The task whose results are the job's: the last one.
    pub(crate) fn last_task(&self) -> (&Task, &'static str) {
        let last = self.job.tasks.len() - 1;
        (&self.job.tasks[last], self.phase.tasks[last])
    }

    /// A task's log as UP42 shows it: plain text.
    pub(crate) fn log(&self, task: &Task, status: &str) -> String {
        let mut lines = vec![format!(
            "{} INFO Starting block {}:{} in job {}",
            crate::clock::iso(self.job.started.unwrap_or(self.job.created)),
            task.block.name,
            task.block.version,
            self.job.id
        )];
        if let Results::Files(outputs) = &task.results {
            for output in outputs {
                lines.push(format!(
                    "INFO Processing scene {} ({} over {})",
                    output.scene_id, task.block.name, output.scene.place.name
                ));
            }
        }
        lines.push(match status {
            "SUCCEEDED" => {
                "INFO Block finished successfully, results written to /tmp/output".into()
            }
            "FAILED" | "ERROR" => format!(
                "ERROR {} exited with code 1: no scene in the AOI passed the cloud cover filter",
                task.block.name
            ),
            "RUNNING" => "INFO Still processing…".into(),
            other => format!("INFO Task is {other}"),
        });
        lines.join("\n") + "\n"
    }
}

/// ISO 8601 UTC with microseconds, as UP42 writes times: `2021-09-28T12:08:45.377339Z`.
pub(crate) fn stamp(t: UnixTime, micros: u32) -> String {
    let iso = crate::clock::iso(t);
    format!("{}.{:06}Z", &iso[..iso.len() - 1], micros % 1_000_000)
}

fn block_inputs(task: &Task) -> Value {
    let block = task.block;
    if !block.data {
        return json!({});
    }
    let bbox = match &task.results {
        Results::Files(outputs) => outputs.first().map(|o| o.scene.bbox.to_vec()),
        Results::Hostile(_) => None,
    };
    json!({"ids": null, "bbox": bbox, "time": "2023-01-01T00:00:00+00:00/2024-03-31T23:59:59+00:00",
           "limit": 2, "max_cloud_cover": 30})
}

/// A project and its jobs.
pub(crate) struct Project {
    pub(crate) id: String,
    pub(crate) name: &'static str,
    pub(crate) description: &'static str,
    pub(crate) api_key: String,
    created: UnixTime,
    pub(crate) jobs: Vec<Job>,
}

impl Project {
    pub(crate) fn json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "workspaceId": ACCOUNT_ID,
            "createdAt": stamp(self.created, 120_443),
            "updatedAt": stamp(self.created, 120_443),
            "createdBy": {"id": ACCOUNT_ID, "type": "USER"},
        })
    }
}

const HOUR: UnixTime = 3600;
const DAY: UnixTime = 86_400;

/// How one demo job is made.
struct Recipe {
    id: Option<&'static str>,
    name: String,
    mode: &'static str,
    blocks: Vec<&'static Block>,
    place: Place,
    scenes: usize,
    /// Created this long before the sim's start, and how long it ran (or has run).
    ago: UnixTime,
    ran: UnixTime,
    life: Life,
}

/// Every project of the demo account, as of `start`.
pub(crate) fn projects(seed: u64, start: UnixTime, endings: &Endings) -> Vec<Project> {
    vec![
        project(
            seed,
            DEMO_PROJECT_ID,
            "Urban change",
            "Pléiades, SPOT and Sentinel-2 over growing cities",
            start - 400 * DAY,
            demo_recipes(seed, endings),
            start,
        ),
        project(
            seed,
            "5a2e8c71-0d4f-4b39-9e16-c37a58f20d94",
            "Coastal monitoring",
            "Shorelines and ports",
            start - 250 * DAY,
            history(seed, "coastal", &[2, 4, 10], 5),
            start,
        ),
        project(
            seed,
            "e07b3d95-6c18-4f2a-8d41-9b2f6a0c1e58",
            "Smallholder agriculture",
            "Crop vigour in East Africa and the Mekong delta",
            start - 180 * DAY,
            history(seed, "agriculture", &[1, 11], 4),
            start,
        ),
    ]
}

fn project(
    seed: u64,
    id: &str,
    name: &'static str,
    description: &'static str,
    created: UnixTime,
    recipes: Vec<Recipe>,
    start: UnixTime,
) -> Project {
    let mut rng = Rng::derive(seed, &format!("up42-project-{id}"));
    let api_key = if id == DEMO_PROJECT_ID {
        super::DEMO_API_KEY.to_owned()
    } else {
        format!("up42sim-{}", rng.hex(20))
    };
    Project {
        id: id.to_owned(),
        name,
        description,
        api_key,
        created,
        jobs: recipes
            .into_iter()
            .map(|recipe| job(seed, id, recipe, start))
            .collect(),
    }
}

/// Statuses for `count` tasks: `done` succeeded, then one `current`, then `rest`.
fn tasks_then(
    count: usize,
    done: usize,
    current: &'static str,
    rest: &'static str,
) -> Vec<&'static str> {
    (0..count)
        .map(|i| match i.cmp(&done) {
            std::cmp::Ordering::Less => "SUCCEEDED",
            std::cmp::Ordering::Equal => current,
            std::cmp::Ordering::Greater => rest,
        })
        .collect()
}

fn settled(status: &'static str, count: usize) -> Life {
    let tasks = match status {
        "SUCCEEDED" => vec!["SUCCEEDED"; count],
        "FAILED" => tasks_then(count, count - 1, "FAILED", "NOT STARTED"),
        "ERROR" => tasks_then(count, 0, "ERROR", "NOT STARTED"),
        "RUNNING" => tasks_then(count, count / 2, "RUNNING", "NOT STARTED"),
        "PENDING" => tasks_then(count, 0, "PENDING", "NOT STARTED"),
        "CANCELLING" => tasks_then(count, 0, "CANCELLING", "NOT STARTED"),
        "CANCELLED" => tasks_then(count, 1.min(count - 1), "CANCELLED", "CANCELLED"),
        not_started => vec![not_started; count],
    };
    Life::Settled(Phase { status, tasks })
}

fn live(count: usize, ends_as: &'static str, after: Duration) -> Life {
    let ended = match ends_as {
        "SUCCEEDED" => vec!["SUCCEEDED"; count],
        _ => tasks_then(count, count - 1, ends_as, "NOT STARTED"),
    };
    Life::Live {
        running: Phase {
            status: "RUNNING",
            tasks: tasks_then(count, 0, "RUNNING", "NOT STARTED"),
        },
        ended: Phase {
            status: ends_as,
            tasks: ended,
        },
        ending: Ending::after(after),
    }
}

fn demo_recipes(seed: u64, endings: &Endings) -> Vec<Recipe> {
    let [berlin, nairobi, lima, rotterdam, _, jakarta, sao_paulo, hamburg, mumbai, ..] = PLACES;
    let fixed =
        |id, name: &str, blocks: Vec<&'static Block>, place, status: &'static str, ago, ran| {
            Recipe {
                id: Some(id),
                name: name.to_owned(),
                mode: "DEFAULT",
                life: settled(status, blocks.len()),
                blocks,
                place,
                scenes: 2,
                ago,
                ran,
            }
        };
    let mut recipes = vec![
        fixed(
            SUCCEEDED_JOB_ID,
            "berlin-pleiades-ndvi",
            vec![&PLEIADES, &PANSHARPEN, &NDVI],
            berlin,
            "SUCCEEDED",
            2 * HOUR,
            540,
        ),
        Recipe {
            life: live(2, "SUCCEEDED", endings.up42),
            ..fixed(
                LIVE_JOB_ID,
                "rotterdam-port-spot",
                vec![&SPOT, &CONVERSION],
                rotterdam,
                "RUNNING",
                5 * 60,
                240,
            )
        },
        Recipe {
            life: live(2, "FAILED", endings.up42_failing),
            ..fixed(
                LIVE_FAILING_JOB_ID,
                "jakarta-flood-s2",
                vec![&SENTINEL2, &NDVI],
                jakarta,
                "RUNNING",
                4 * 60,
                200,
            )
        },
        Recipe {
            mode: "DRY_RUN",
            ..fixed(
                DRY_RUN_JOB_ID,
                "nairobi-test-query",
                vec![&SPOT],
                nairobi,
                "SUCCEEDED",
                3 * HOUR,
                20,
            )
        },
        Recipe {
            life: Life::Settled(Phase {
                status: "SUCCEEDED",
                tasks: vec!["SUCCEEDED"; 4],
            }),
            ..fixed(
                HOSTILE_JOB_ID,
                "hostile-results",
                vec![&SPOT; 4],
                lima,
                "SUCCEEDED",
                6 * HOUR,
                60,
            )
        },
        fixed(
            super::RUNNING_JOB_ID,
            "sao-paulo-mosaic",
            vec![&SENTINEL2, &CROP, &PANSHARPEN, &TILING],
            sao_paulo,
            "RUNNING",
            HOUR,
            3000,
        ),
        fixed(
            super::PENDING_JOB_ID,
            "hamburg-harbour",
            vec![&PLEIADES, &PANSHARPEN],
            hamburg,
            "PENDING",
            10 * 60,
            0,
        ),
        fixed(
            super::NOT_STARTED_JOB_ID,
            "mumbai-monsoon",
            vec![&SENTINEL2, &NDVI],
            mumbai,
            "NOT STARTED",
            20 * 60,
            0,
        ),
        fixed(
            super::NOT_STARTED_UNDERSCORE_JOB_ID,
            "mumbai-monsoon-2",
            vec![&SENTINEL2],
            mumbai,
            "NOT_STARTED",
            15 * 60,
            0,
        ),
        fixed(
            super::FAILED_JOB_ID,
            "lima-coast-failed",
            vec![&SPOT, &PANSHARPEN, &CONVERSION],
            lima,
            "FAILED",
            DAY,
            310,
        ),
        fixed(
            super::ERROR_JOB_ID,
            "berlin-error",
            vec![&PLEIADES],
            berlin,
            "ERROR",
            2 * DAY,
            15,
        ),
        fixed(
            super::CANCELLING_JOB_ID,
            "nairobi-cancelling",
            vec![&SPOT, &NDVI],
            nairobi,
            "CANCELLING",
            30 * 60,
            120,
        ),
        fixed(
            super::CANCELLED_JOB_ID,
            "hamburg-cancelled",
            vec![&PLEIADES, &CROP],
            hamburg,
            "CANCELLED",
            3 * DAY,
            95,
        ),
    ];
    // The rest of the project's history, to fill more than one page.
    recipes.extend(history(seed, "demo", &[0, 3, 5, 6, 7], 11));
    recipes
}

/// `count` older jobs over the given places (indices into [`PLACES`]), mostly succeeded.
fn history(seed: u64, label: &str, places: &[usize], count: usize) -> Vec<Recipe> {
    let mut rng = Rng::derive(seed, &format!("up42-history-{label}"));
    (0..count)
        .map(|i| {
            let place = PLACES[places[i % places.len()]];
            let data = DATA_BLOCKS[rng.below(3) as usize];
            let mut blocks = vec![data];
            for _ in 0..rng.below(4) {
                blocks.push(PROCESSING_BLOCKS[rng.below(5) as usize]);
            }
            let status = match rng.below(10) {
                0 => "FAILED",
                1 => "CANCELLED",
                _ => "SUCCEEDED",
            };
            let name = format!(
                "{}-{}-{}",
                place.name.to_lowercase().replace(' ', "-"),
                data.name.split('-').nth(1).unwrap_or("scene"),
                i + 1
            );
            Recipe {
                id: None,
                name,
                mode: "DEFAULT",
                life: settled(status, blocks.len()),
                blocks,
                place,
                scenes: 1 + rng.below(2) as usize,
                ago: (5 + 9 * i as UnixTime) * DAY + rng.below(20 * 3600) as UnixTime,
                ran: 60 + rng.below(900) as UnixTime,
            }
        })
        .collect()
}

fn job(seed: u64, project_id: &str, recipe: Recipe, start: UnixTime) -> Job {
    let mut rng = Rng::derive(seed, &format!("up42-job-{project_id}-{}", recipe.name));
    let id = recipe.id.map_or_else(|| rng.uuid(), str::to_owned);
    let created = start - recipe.ago;
    let status = match &recipe.life {
        Life::Settled(phase) => phase.status,
        Life::Live { running, .. } => running.status,
    };
    let started = (!matches!(status, "NOT STARTED" | "NOT_STARTED" | "PENDING"))
        .then_some(created + 3 + rng.below(40) as UnixTime);
    let finished = match status {
        "RUNNING" | "CANCELLING" | "NOT STARTED" | "NOT_STARTED" | "PENDING" => None,
        _ => started.map(|t| t + recipe.ran),
    };
    let scenes: Vec<(Scene, UnixTime, String)> = (0..recipe.scenes)
        .map(|_| {
            let scene = Scene::near(recipe.place, &mut rng);
            let acquired = created - (2 + rng.below(60) as UnixTime) * DAY;
            let scene_id = format!(
                "DS_{}_{}",
                recipe.blocks[0].constellation,
                rng.hex(6).to_uppercase()
            );
            (scene, acquired, scene_id)
        })
        .collect();
    let hostile = recipe.id == Some(HOSTILE_JOB_ID);
    let tasks = recipe
        .blocks
        .iter()
        .enumerate()
        .map(|(i, block)| {
            let id = if hostile {
                [
                    HOSTILE_TRAVERSAL_TASK_ID,
                    HOSTILE_ABSOLUTE_TASK_ID,
                    HOSTILE_SYMLINK_TASK_ID,
                    HOSTILE_BOMB_TASK_ID,
                ][i]
                    .to_owned()
            } else {
                rng.uuid()
            };
            let results = if hostile {
                Results::Hostile(vec![
                    [
                        Hostile::Traversal,
                        Hostile::Absolute,
                        Hostile::Symlink,
                        Hostile::Bomb,
                    ][i],
                ])
            } else {
                Results::Files(
                    scenes
                        .iter()
                        .map(|(scene, acquired, scene_id)| {
                            let feature_id = rng.uuid();
                            let data_path = (recipe.mode == "DEFAULT").then(|| {
                                if block.data {
                                    format!("{feature_id}.tif")
                                } else {
                                    format!("{feature_id}/{}_{feature_id}.tif", block.name)
                                }
                            });
                            Output {
                                feature_id,
                                scene: scene.clone(),
                                product: block.product,
                                data_path,
                                acquired: *acquired,
                                scene_id: scene_id.clone(),
                            }
                        })
                        .collect(),
                )
            };
            Task { id, block, results }
        })
        .collect();
    let workflow_name = recipe
        .blocks
        .iter()
        .map(|b| b.name)
        .collect::<Vec<_>>()
        .join(" → ");
    Job {
        id,
        name: recipe.name,
        mode: recipe.mode,
        workflow_id: rng.uuid(),
        workflow_name,
        created,
        started,
        finished,
        micros: rng.below(1_000_000) as u32,
        credits: (recipe.blocks.len() as u64) * (5 + rng.below(40)),
        life: recipe.life,
        tasks,
    }
}
