//! The current API's catalogue: processing jobs of the demo workspace (every status, one that ends
//! while the sim runs) and the STAC collections their results are, with assets to download.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{json, Value};

use super::imagery::{Product, Scene, PLACES};
use super::projects::stamp;
use super::{ACCOUNT_ID, LIVE_PROCESSING_JOB_ID, PROCESSING_JOB_ID};
use crate::clock::{Clock, UnixTime};
use crate::live::Ending;
use crate::rng::Rng;

/// Statuses of the processing API, in the order a job may pass through them.
const STATUSES: [&str; 12] = [
    "created",
    "licensed",
    "unlicensed",
    "valid",
    "invalid",
    "accepted",
    "rejected",
    "running",
    "successful",
    "failed",
    "captured",
    "released",
];

const PROCESSES: [&str; 6] = [
    "pansharpening",
    "upsampling",
    "detection-trees-spacept",
    "detection-ships-airbus",
    "detection-change-pleiades-hyperverge",
    "detection-storage-tanks-airbus",
];

/// One file of a STAC item.
pub(crate) struct Asset {
    pub(crate) id: String,
    /// `data` (GeoTIFF) or `thumbnail` (PNG).
    pub(crate) role: &'static str,
    pub(crate) file_name: String,
}

pub(crate) struct Item {
    pub(crate) id: String,
    pub(crate) scene: Scene,
    datetime: UnixTime,
    pub(crate) assets: [Asset; 2],
}

pub(crate) struct Collection {
    pub(crate) id: String,
    title: String,
    pub(crate) items: Vec<Item>,
}

pub(crate) struct Job {
    pub(crate) id: String,
    pub(crate) process_id: &'static str,
    title: String,
    created: UnixTime,
    started: Option<UnixTime>,
    finished: Option<UnixTime>,
    status: &'static str,
    /// A job running when the sim starts: `running` until its end, then `captured`.
    ending: Option<Ending>,
    credits: u64,
    pub(crate) collection: Option<Collection>,
}

/// Statuses that have a results collection.
fn has_results(status: &str) -> bool {
    matches!(status, "successful" | "captured" | "released")
}

impl Job {
    /// Status and finish time at the clock's time.
    pub(crate) fn now(&self, clock: &Clock) -> (&'static str, Option<UnixTime>) {
        match &self.ending {
            Some(ending) if ending.has_ended(clock) => {
                ("captured", Some(clock.after_start(ending.ends_after())))
            }
            Some(_) => ("running", None),
            None => (self.status, self.finished),
        }
    }

    /// The collection, once the job has results.
    pub(crate) fn results(&self, clock: &Clock) -> Option<&Collection> {
        self.collection
            .as_ref()
            .filter(|_| has_results(self.now(clock).0))
    }

    pub(crate) fn ending(&self) -> Option<&Ending> {
        self.ending.as_ref()
    }

    pub(crate) fn json(&self, clock: &Clock, api: &str) -> Value {
        let (status, finished) = self.now(clock);
        let micros = (self.credits * 7919 % 1_000) as u32 * 1000;
        let results = match (self.results(clock), status) {
            (Some(collection), _) => json!({
                "collection": format!("{api}/v2/assets/stac/collections/{}", collection.id),
                "errors": [],
            }),
            (None, "failed") => json!({
                "errors": [{"name": "PROCESSING_FAILED",
                            "message": "The input item has no band the process needs (near infrared)."}],
            }),
            (None, _) => json!({"errors": []}),
        };
        json!({
            "processID": self.process_id,
            "jobID": self.id,
            "accountID": ACCOUNT_ID,
            "workspaceID": ACCOUNT_ID,
            "definition": {"inputs": {"title": self.title,
                                      "item": format!("{api}/v2/assets/stac/collections/input/items/{}", self.id)}},
            "status": status,
            "created": stamp(self.created, micros),
            "started": self.started.map(|t| stamp(t, micros)),
            "finished": finished.map(|t| stamp(t, micros)),
            "updated": stamp(finished.or(self.started).unwrap_or(self.created), micros),
            "results": results,
            "creditConsumption": has_results(status).then(|| json!({"credits": self.credits})),
        })
    }
}

impl Collection {
    pub(crate) fn json(&self, api: &str) -> Value {
        let base = format!("{api}/v2/assets/stac/collections/{}", self.id);
        let (mut west, mut south, mut east, mut north) = (180.0f64, 90.0f64, -180.0f64, -90.0f64);
        for item in &self.items {
            let [w, s, e, n] = item.scene.bbox;
            (west, south, east, north) = (west.min(w), south.min(s), east.max(e), north.max(n));
        }
        let times: Vec<UnixTime> = self.items.iter().map(|item| item.datetime).collect();
        let interval = [
            times.iter().min().map(|&t| crate::clock::iso(t)),
            times.iter().max().map(|&t| crate::clock::iso(t)),
        ];
        json!({
            "type": "Collection",
            "stac_version": "1.0.0",
            "id": self.id,
            "title": self.title,
            "description": format!("Results of processing job {}", self.title),
            "license": "proprietary",
            "extent": {"spatial": {"bbox": [[west, south, east, north]]},
                       "temporal": {"interval": [interval]}},
            "links": [
                {"rel": "self", "href": base, "type": "application/json"},
                {"rel": "items", "href": format!("{base}/items"), "type": "application/geo+json"},
                {"rel": "root", "href": format!("{api}/v2/assets/stac"), "type": "application/json"},
            ],
        })
    }

    pub(crate) fn items_json(&self, api: &str) -> Value {
        json!({
            "type": "FeatureCollection",
            "features": self.items.iter().map(|item| item.json(&self.id, api)).collect::<Vec<_>>(),
            "links": [{"rel": "self", "href": format!("{api}/v2/assets/stac/collections/{}/items", self.id)}],
        })
    }
}

impl Item {
    pub(crate) fn json(&self, collection: &str, api: &str) -> Value {
        let assets: serde_json::Map<String, Value> = self
            .assets
            .iter()
            .map(|asset| {
                let kind = match asset.role {
                    "data" => "image/tiff; application=geotiff",
                    _ => "image/png",
                };
                let value = json!({"href": format!("{api}/v2/assets/{}", asset.id), "type": kind,
                                   "roles": [asset.role], "title": asset.file_name});
                (asset.role.to_owned(), value)
            })
            .collect();
        json!({
            "type": "Feature",
            "stac_version": "1.0.0",
            "id": self.id,
            "collection": collection,
            "bbox": self.scene.bbox,
            "geometry": {"type": "Polygon", "coordinates": [self.scene.ring()]},
            "properties": {"datetime": crate::clock::iso(self.datetime),
                           "eo:cloud_cover": (self.scene.cloud * 1000.0).round() / 10.0,
                           "up42-system:asset_id": self.assets[0].id},
            "assets": assets,
            "links": [{"rel": "collection", "href": format!("{api}/v2/assets/stac/collections/{collection}")}],
        })
    }
}

/// The workspace's processing jobs, newest first, and where each asset is.
pub(crate) struct Catalogue {
    pub(crate) jobs: Vec<Job>,
    /// Asset id → (job, item, asset) indices.
    assets: HashMap<String, (usize, usize, usize)>,
}

impl Catalogue {
    pub(crate) fn build(seed: u64, start: UnixTime, live_after: Duration) -> Catalogue {
        let mut rng = Rng::derive(seed, "up42-processing");
        let mut jobs: Vec<Job> = (0..23usize)
            .map(|i| {
                let id = match i {
                    0 => LIVE_PROCESSING_JOB_ID.to_owned(),
                    1 => PROCESSING_JOB_ID.to_owned(),
                    _ => rng.uuid(),
                };
                // The first two are the live and the documented job; then every status in turn.
                let status = match i {
                    0 => "running",
                    1 => "captured",
                    _ => STATUSES[(i - 2) % STATUSES.len()],
                };
                let place = PLACES[i % PLACES.len()];
                let process_id = PROCESSES[i % PROCESSES.len()];
                let created =
                    start - (i as UnixTime) * 16 * 3600 - 600 - rng.below(3000) as UnixTime;
                let started = matches!(
                    status,
                    "running" | "successful" | "failed" | "captured" | "released"
                )
                .then(|| created + 30 + rng.below(300) as UnixTime);
                let finished = started
                    .filter(|_| status != "running")
                    .map(|t| t + 120 + rng.below(1800) as UnixTime);
                let collection = (i == 0 || has_results(status)).then(|| Collection {
                    id: rng.uuid(),
                    title: format!("{process_id} over {}", place.name),
                    items: (0..1 + rng.below(3))
                        .map(|_| {
                            let id = rng.uuid();
                            let scene = Scene::near(place, &mut rng);
                            let assets =
                                [("data", "tif"), ("thumbnail", "png")].map(|(role, ext)| Asset {
                                    id: rng.uuid(),
                                    role,
                                    file_name: format!("{id}_{role}.{ext}"),
                                });
                            Item {
                                id,
                                scene,
                                datetime: created - (3 + rng.below(90) as UnixTime) * 86_400,
                                assets,
                            }
                        })
                        .collect(),
                });
                Job {
                    id,
                    process_id,
                    title: format!("{} {}", place.name, process_id.replace('-', " ")),
                    created,
                    started,
                    finished,
                    status,
                    ending: (i == 0).then(|| Ending::after(live_after)),
                    credits: 10 + rng.below(400),
                    collection,
                }
            })
            .collect();
        jobs.sort_by_key(|job| std::cmp::Reverse(job.created));
        let mut assets = HashMap::new();
        for (j, job) in jobs.iter().enumerate() {
            for (i, item) in job.collection.iter().flat_map(|c| &c.items).enumerate() {
                for (a, asset) in item.assets.iter().enumerate() {
                    assets.insert(asset.id.clone(), (j, i, a));
                }
            }
        }
        Catalogue { jobs, assets }
    }

    pub(crate) fn job(&self, id: &str) -> Option<&Job> {
        self.jobs.iter().find(|job| job.id == id)
    }

    pub(crate) fn collection(&self, id: &str, clock: &Clock) -> Option<&Collection> {
        self.jobs
            .iter()
            .filter_map(|job| job.results(clock))
            .find(|collection| collection.id == id)
    }

    /// An asset whose job has results now, with its item.
    pub(crate) fn asset(&self, id: &str, clock: &Clock) -> Option<(&Item, &Asset)> {
        let &(j, i, a) = self.assets.get(id)?;
        let item = &self.jobs[j].results(clock)?.items[i];
        Some((item, &item.assets[a]))
    }
}

impl Asset {
    /// The file's bytes: the scene as GeoTIFF, or its PNG thumbnail.
    pub(crate) fn render(&self, scene: &Scene) -> Vec<u8> {
        match self.role {
            "data" => scene.geotiff(Product::Rgb),
            _ => scene.thumbnail_png(),
        }
    }
}
