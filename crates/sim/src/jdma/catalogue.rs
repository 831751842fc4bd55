//! The demo's JDMA: two group workspaces, four JASMIN users, batches in every stage with NetCDF,
//! HDF5 and text files generated from the seed, and requests done, running, queued and failed.

use std::io;
use std::sync::Arc;

use serde_json::Value;

use super::content::{Content, DigestFormat};
use super::db::{Batch, Db, Failure, Request, Source, Stamp, User, Workspace};
use super::disk::Disk;
use super::stages::{BatchStage, RequestType};
use super::{
    DEMO_BATCH_ID, DEMO_USER, DEMO_WORKSPACE, NEW_USER, OCEAN_WORKSPACE, QUEUED_PUT_LABEL,
    SPARE_FOLDER,
};
use crate::clock::UnixTime;
use crate::rng::Rng;

/// What the demo is laid out from.
pub(crate) struct Layout<'a> {
    pub(crate) seed: u64,
    pub(crate) start: UnixTime,
    pub(crate) interval_ms: i64,
    pub(crate) large_file_len: u64,
    pub(crate) disk: &'a Disk,
}

/// Another JDMA user in the climate workspace.
const AHUGHES: &str = "ahughes";
/// A JDMA user in the ocean workspace only.
const MKOWALSKI: &str = "mkowalski";

/// How a demo request stands when the sim starts.
enum Standing {
    Completed,
    /// At this stage index, half way through it.
    At(usize),
    /// At its first stage, leaving it after this many intervals.
    Queued(i64),
    /// Failed earlier (and tidied, for an upload).
    Failed(&'static str),
    /// Queued like [`Standing::Queued`], then fails on reaching this stage index.
    Doomed(i64, usize, String),
}

impl Layout<'_> {
    /// A time `days` before the start, with microseconds from the seed.
    fn ago(&self, days: f64, what: &str) -> Stamp {
        Stamp {
            secs: self.start - (days * 86_400.0) as UnixTime,
            micros: Rng::derive(self.seed, what).below(1_000_000) as u32,
        }
    }

    /// `{root}/gws/nopw/j04/{workspace}/users/{user}/{name}`
    fn user_path(&self, workspace: &str, user: &str, name: &str) -> String {
        let folder = self.disk.workspace(workspace).join("users").join(user);
        folder.join(name).to_string_lossy().into_owned()
    }

    fn netcdf(&self, what: &str, len: u64, variable: &str, title: &str) -> Content {
        let len = self.vary(what, len);
        let attributes = [
            ("title", title),
            (
                "institution",
                "Met Office Hadley Centre, Fitzroy Road, Exeter, Devon, EX1 3PB, UK",
            ),
            ("Conventions", "CF-1.7 CMIP-6.2"),
        ];
        Content::netcdf(self.seed_of(what), len, variable, &attributes)
    }

    fn hdf5(&self, what: &str, len: u64) -> Content {
        Content::hdf5(self.seed_of(what), self.vary(what, len))
    }

    fn seed_of(&self, what: &str) -> u64 {
        Rng::derive(self.seed, what).next_u64()
    }

    /// `len` give or take 30 %, from the seed.
    fn vary(&self, what: &str, len: u64) -> u64 {
        (len as f64 * Rng::derive(self.seed, what).range(0.7, 1.3)) as u64
    }
}

/// Lays out the demo, writing to disk the folders it needs (every member's folder in each
/// workspace, the queued PUT's files, and a spare folder for the demo user to PUT).
pub(crate) fn build(layout: &Layout) -> io::Result<Db> {
    let mut db = Db {
        workspaces: Vec::new(),
        ..Db::default()
    };
    db.workspaces.extend([
        Workspace {
            name: DEMO_WORKSPACE,
            members: vec![DEMO_USER, AHUGHES, NEW_USER],
            storages: vec!["elastictape", "objectstore"],
        },
        Workspace {
            name: OCEAN_WORKSPACE,
            members: vec![DEMO_USER, MKOWALSKI],
            storages: vec!["elastictape"],
        },
    ]);
    for workspace in &db.workspaces {
        for member in &workspace.members {
            let folder = layout
                .disk
                .workspace(workspace.name)
                .join("users")
                .join(member);
            std::fs::create_dir_all(folder)?;
        }
    }
    for (name, email) in [
        (DEMO_USER, "demo.user@example.ac.uk"),
        (AHUGHES, "a.hughes@example.ac.uk"),
        (MKOWALSKI, "m.kowalski@example.ac.uk"),
    ] {
        let user = User {
            email: email.into(),
            notify: true.into(),
        };
        db.users.insert(name.to_owned(), user);
    }
    batches(layout, &mut db)?;
    Ok(db)
}

/// One demo batch: who, where, what, and its PUT (or MIGRATE) request.
struct Seeded {
    id: u64,
    user: &'static str,
    workspace: &'static str,
    label: &'static str,
    storage: &'static str,
    days_ago: f64,
    stage: BatchStage,
    files: Vec<(String, Content)>,
}

fn batches(layout: &Layout, db: &mut Db) -> io::Result<()> {
    let l = layout;
    let hadgem = "HadGEM3-GC31-LL_ssp585_r1i1p1f3_gn";
    let ukesm = "UKESM1-0-LL_piControl_r1i1p1f2_gn";
    let text =
        |what: &str, title: &str, lines: usize| Content::text(text_file(l, what, title, lines));
    let seeded = [
        Seeded {
            id: 101,
            user: DEMO_USER,
            workspace: DEMO_WORKSPACE,
            label: "ukesm_piControl_2018",
            storage: "elastictape",
            days_ago: 1900.0,
            stage: BatchStage::OnStorage,
            files: vec![
                (
                    "README.txt".into(),
                    text("101 readme", "UKESM1 piControl, monthly means", 12),
                ),
                (
                    format!("Amon/tas_Amon_{ukesm}_196001-204912.nc"),
                    l.netcdf("101 tas", 300_000, "tas", "UKESM1-0-LL piControl"),
                ),
                (
                    format!("Amon/pr_Amon_{ukesm}_196001-204912.nc"),
                    l.netcdf("101 pr", 250_000, "pr", "UKESM1-0-LL piControl"),
                ),
                (
                    format!("Omon/tos_Omon_{ukesm}_196001-204912.nc"),
                    l.netcdf("101 tos", 400_000, "tos", "UKESM1-0-LL piControl"),
                ),
            ],
        },
        Seeded {
            id: 102,
            user: AHUGHES,
            workspace: DEMO_WORKSPACE,
            label: "nemo_orca025_spinup",
            storage: "elastictape",
            days_ago: 1800.0,
            stage: BatchStage::OnStorage,
            files: vec![
                ("namelist_cfg".into(), Content::text(namelist(l))),
                (
                    "ORCA025_1y_grid_T.nc".into(),
                    l.netcdf("102 T", 500_000, "thetao", "NEMO ORCA025 spin-up"),
                ),
                (
                    "ORCA025_1y_grid_U.nc".into(),
                    l.netcdf("102 U", 400_000, "uo", "NEMO ORCA025 spin-up"),
                ),
                (
                    "restart/ORCA025_00043800_restart.h5".into(),
                    l.hdf5("102 restart", 350_000),
                ),
            ],
        },
        Seeded {
            id: DEMO_BATCH_ID,
            user: DEMO_USER,
            workspace: DEMO_WORKSPACE,
            label: "hadgem3_ssp585_daily",
            storage: "elastictape",
            days_ago: 120.0,
            stage: BatchStage::OnStorage,
            files: vec![
                (
                    "README.txt".into(),
                    text("103 readme", "HadGEM3-GC31-LL ssp585, daily fields", 20),
                ),
                (format!("day/tas/tas_day_{hadgem}_20150101-20491230.nc"), {
                    let attributes = [(
                        "title",
                        "HadGEM3-GC31-LL ssp585 daily near-surface air temperature",
                    )];
                    Content::netcdf(l.seed_of("103 tas"), l.large_file_len, "tas", &attributes)
                }),
                (
                    format!("day/pr/pr_day_{hadgem}_20150101-20491230.nc"),
                    l.netcdf("103 pr", 700_000, "pr", "HadGEM3-GC31-LL ssp585"),
                ),
                (
                    format!("day/psl/psl_day_{hadgem}_20150101-20491230.nc"),
                    l.netcdf("103 psl", 500_000, "psl", "HadGEM3-GC31-LL ssp585"),
                ),
                (
                    format!("fx/orog_fx_{hadgem}.nc"),
                    l.netcdf("103 orog", 60_000, "orog", "HadGEM3-GC31-LL ssp585"),
                ),
                (
                    format!("fx/sftlf_fx_{hadgem}.nc"),
                    l.netcdf("103 sftlf", 60_000, "sftlf", "HadGEM3-GC31-LL ssp585"),
                ),
                (
                    "logs/postproc.log".into(),
                    text("103 log", "post-processing log", 40),
                ),
            ],
        },
        Seeded {
            id: 104,
            user: DEMO_USER,
            workspace: DEMO_WORKSPACE,
            label: "era5_regrid_test",
            storage: "objectstore",
            days_ago: 40.0,
            stage: BatchStage::OnStorage,
            files: vec![
                ("era5_t2m_2020_1deg.h5".into(), l.hdf5("104 t2m", 600_000)),
                ("era5_tp_2020_1deg.h5".into(), l.hdf5("104 tp", 450_000)),
                ("regrid_weights.h5".into(), l.hdf5("104 weights", 200_000)),
                ("regrid.log".into(), text("104 log", "ERA5 regridding", 25)),
            ],
        },
        Seeded {
            id: 105,
            user: DEMO_USER,
            workspace: DEMO_WORKSPACE,
            label: "ukesm_ssp245_amon",
            storage: "elastictape",
            days_ago: 0.001,
            stage: BatchStage::Putting,
            files: vec![
                (
                    "Amon/tas_Amon_UKESM1-0-LL_ssp245_r1i1p1f2_gn_201501-210012.nc".into(),
                    l.netcdf("105 tas", 300_000, "tas", "UKESM1-0-LL ssp245"),
                ),
                (
                    "Amon/ts_Amon_UKESM1-0-LL_ssp245_r1i1p1f2_gn_201501-210012.nc".into(),
                    l.netcdf("105 ts", 280_000, "ts", "UKESM1-0-LL ssp245"),
                ),
            ],
        },
        Seeded {
            id: 106,
            user: DEMO_USER,
            workspace: DEMO_WORKSPACE,
            label: "scratch_tests",
            storage: "elastictape",
            days_ago: 10.0,
            stage: BatchStage::Failed,
            files: Vec::new(),
        },
        Seeded {
            id: 107,
            user: DEMO_USER,
            workspace: DEMO_WORKSPACE,
            label: "cmip5_legacy",
            storage: "elastictape",
            days_ago: 2100.0,
            stage: BatchStage::Deleted,
            files: vec![(
                "tas_Amon_HadGEM2-ES_rcp85_r1i1p1_200512-210011.nc".into(),
                l.netcdf("107 tas", 200_000, "tas", "HadGEM2-ES rcp85"),
            )],
        },
        Seeded {
            id: 108,
            user: DEMO_USER,
            workspace: DEMO_WORKSPACE,
            label: QUEUED_PUT_LABEL,
            storage: "elastictape",
            days_ago: 0.0005,
            stage: BatchStage::OnDisk,
            files: Vec::new(),
        },
        Seeded {
            id: 109,
            user: MKOWALSKI,
            workspace: OCEAN_WORKSPACE,
            label: "argo_floats_2023",
            storage: "elastictape",
            days_ago: 300.0,
            stage: BatchStage::OnStorage,
            files: vec![
                (
                    "argo_profiles_2023.csv".into(),
                    Content::text(argo_csv(l, 900)),
                ),
                (
                    "argo_2023_gridded.nc".into(),
                    l.netcdf("109 grid", 400_000, "thetao", "Argo 2023 gridded"),
                ),
            ],
        },
        Seeded {
            id: 110,
            user: DEMO_USER,
            workspace: OCEAN_WORKSPACE,
            label: "glider_sections_2022",
            storage: "elastictape",
            days_ago: 200.0,
            stage: BatchStage::OnStorage,
            files: vec![
                (
                    "README.txt".into(),
                    text("110 readme", "Seaglider SG620 sections", 8),
                ),
                (
                    "glider_sg620_section01.nc".into(),
                    l.netcdf("110 s1", 300_000, "temperature", "SG620 section 1"),
                ),
                (
                    "glider_sg620_section02.nc".into(),
                    l.netcdf("110 s2", 280_000, "temperature", "SG620 section 2"),
                ),
            ],
        },
    ];
    for batch in seeded {
        add_batch(l, db, batch);
    }

    // Files on disk: the queued PUT's and a spare folder the demo user may PUT.
    for (folder, tag) in [(QUEUED_PUT_LABEL, "108"), (SPARE_FOLDER, "spare")] {
        let root = l.user_path(DEMO_WORKSPACE, DEMO_USER, folder);
        let files = [
            (
                format!("{root}/README.txt"),
                text(&format!("{tag} readme"), folder, 6),
            ),
            (
                format!("{root}/Amon/tas_Amon_{folder}.nc"),
                l.netcdf(&format!("{tag} tas"), 120_000, "tas", folder),
            ),
            (
                format!("{root}/Amon/pr_Amon_{folder}.nc"),
                l.netcdf(&format!("{tag} pr"), 110_000, "pr", folder),
            ),
        ];
        for (path, content) in files {
            l.disk
                .write_chunks(std::path::Path::new(&path), content.chunks())?;
        }
    }

    let climate = |name: &str| l.user_path(DEMO_WORKSPACE, DEMO_USER, name);
    let put = |db: &mut Db, id, kind, batch: u64, standing| {
        let (user, date, folder) = {
            let b = &db.batches[&batch];
            let folder = l.user_path(&b.workspace, &b.user, b.label.as_str().unwrap_or_default());
            (b.user.clone(), b.registered, folder)
        };
        add_request(
            l,
            db,
            id,
            &user,
            kind,
            batch,
            date,
            Some(vec![folder]),
            None,
            standing,
        );
    };
    use RequestType::{Delete, Get, Migrate, Put};
    put(db, 301, Migrate, 101, Standing::Completed);
    put(db, 302, Put, 102, Standing::Completed);
    put(db, 303, Migrate, DEMO_BATCH_ID, Standing::Completed);
    put(db, 304, Migrate, 104, Standing::Completed);
    let ago = |days, what| l.ago(days, what);
    add_request(
        l,
        db,
        305,
        DEMO_USER,
        Get,
        101,
        ago(300.0, "305"),
        None,
        Some(climate("restore_ukesm_piControl")),
        Standing::Completed,
    );
    put(db, 306, Migrate, 105, Standing::At(4));
    put(db, 307, Put, 106, Standing::Failed(
        "Moving files to external storage: elastictape would cause the quota for the workspace: climate to be exceeded.\n \
         Current used quota: 99.2 TB \n Quota size: 100.0 TB \n Size of files in request: 1.7 TB \n",
    ));
    put(db, 308, Migrate, 107, Standing::Completed);
    add_request(
        l,
        db,
        309,
        DEMO_USER,
        Delete,
        107,
        ago(30.0, "309"),
        None,
        None,
        Standing::Completed,
    );
    add_request(l, db, 310, DEMO_USER, Get, DEMO_BATCH_ID, ago(5.0, "310"), None, Some(climate("restore_hadgem3_attempt1")), Standing::Failed(
        "Failed to download the migration: 103 on external storage: elastictape. Exception: ET_GET: \
         tape volume CV4417 could not be mounted (drive error)",
    ));
    put(db, 311, Put, 108, Standing::Queued(40));
    put(db, 312, Put, 109, Standing::Completed);
    put(db, 313, Migrate, 110, Standing::Completed);
    add_request(
        l,
        db,
        314,
        DEMO_USER,
        Get,
        104,
        ago(0.001, "314"),
        None,
        Some(climate("era5_regrid_test")),
        Standing::At(2),
    );
    let doomed = Standing::Doomed(
        8,
        3,
        "Failed to download the migration: 110 on external storage: elastictape. Exception: ET_GET: \
         volume CV5120 is offline for tape library maintenance"
            .into(),
    );
    let target = l.user_path(OCEAN_WORKSPACE, DEMO_USER, "glider_restore");
    add_request(
        l,
        db,
        315,
        DEMO_USER,
        Get,
        110,
        ago(0.002, "315"),
        None,
        Some(target),
        doomed,
    );
    Ok(())
}

fn add_batch(l: &Layout, db: &mut Db, seeded: Seeded) {
    let registered = l.ago(seeded.days_ago, &format!("batch {}", seeded.id));
    // Files put before December 2019 have SHA256 digests, later ones ADLER32.
    let format = if seeded.days_ago > 1000.0 {
        DigestFormat::Sha256
    } else {
        DigestFormat::Adler32
    };
    let mut entries = Vec::new();
    let mut folders = std::collections::BTreeSet::new();
    for (path, content) in seeded.files {
        let mut parent = path.as_str();
        while let Some((folder, _)) = parent.rsplit_once('/') {
            folders.insert(folder.to_owned());
            parent = folder;
        }
        let digest = format.of(content.chunks());
        let size = content.len();
        entries.push((
            path,
            size,
            digest,
            format.name(),
            Source::Generated(Arc::new(content)),
        ));
    }
    for folder in folders {
        entries.push((folder, 4096, "0".into(), "", Source::Dir));
    }
    let built = !entries.is_empty();
    let archives = db.archives(entries);
    let common_path = l.user_path(seeded.workspace, seeded.user, seeded.label);
    let external_id = matches!(seeded.stage, BatchStage::OnStorage | BatchStage::Deleted)
        .then(|| super::external_id(seeded.storage, seeded.workspace, seeded.id));
    db.batches.insert(
        seeded.id,
        Batch {
            id: seeded.id,
            user: seeded.user.into(),
            workspace: seeded.workspace.into(),
            label: Value::from(seeded.label),
            stage: seeded.stage,
            storage: seeded.storage,
            external_id,
            registered,
            common_path: built.then_some(common_path),
            archives,
        },
    );
}

#[allow(clippy::too_many_arguments)]
fn add_request(
    l: &Layout,
    db: &mut Db,
    id: u64,
    user: &str,
    kind: RequestType,
    batch: u64,
    date: Stamp,
    filelist: Option<Vec<String>>,
    target_path: Option<String>,
    standing: Standing,
) {
    let last = kind.stages().len() - 1;
    let half = l.interval_ms / 2;
    let at = |index: usize| -(index as i64 * l.interval_ms) - half;
    let (started_ms, reached, failure, doomed) = match standing {
        Standing::Completed => (at(last), last, None, None),
        Standing::At(index) => (at(index), index, None, None),
        Standing::Queued(after) => (after * l.interval_ms, 0, None, None),
        Standing::Failed(reason) => {
            let failure = Failure {
                reason: reason.into(),
                at_ms: at(0),
                completed: kind.uploads(),
            };
            (at(last), 1, Some(failure), None)
        }
        Standing::Doomed(after, fails_at, reason) => {
            (after * l.interval_ms, 0, None, Some((fails_at, reason)))
        }
    };
    db.requests.insert(
        id,
        Request {
            id,
            user: user.into(),
            kind,
            batch,
            date,
            filelist,
            target_path,
            started_ms,
            reached,
            failure,
            doomed,
        },
    );
}

/// A few lines of plain text about a batch.
fn text_file(l: &Layout, what: &str, title: &str, lines: usize) -> String {
    let mut rng = Rng::derive(l.seed, what);
    let mut text = format!("{title}\n{}\n", "=".repeat(title.len()));
    for line in 0..lines {
        let step = rng.below(10_000);
        let value = rng.range(200.0, 320.0);
        text.push_str(&format!(
            "step {line:03}: processed chunk {step:05}, mean {value:.3} K, ok\n"
        ));
    }
    text
}

/// A NEMO namelist.
fn namelist(l: &Layout) -> String {
    let mut rng = Rng::derive(l.seed, "namelist");
    format!(
        "&namrun\n   cn_exp = \"ORCA025\"\n   nn_it000 = 1\n   nn_itend = {}\n   nn_date0 = 19580101\n/\n\
         &namdom\n   rn_rdt = {}.\n/\n",
        43_800 + rng.below(100),
        1200 + 60 * rng.below(5)
    )
}

/// Argo float profiles as CSV.
fn argo_csv(l: &Layout, rows: usize) -> String {
    let mut rng = Rng::derive(l.seed, "argo");
    let mut csv = String::from(
        "platform,cycle,date,latitude,longitude,pressure_dbar,temperature_c,salinity_psu\n",
    );
    for row in 0..rows {
        let platform = 6_900_000 + rng.below(5000);
        csv.push_str(&format!(
            "{platform},{},2023-{:02}-{:02},{:.3},{:.3},{:.1},{:.3},{:.3}\n",
            row % 150,
            1 + rng.below(12),
            1 + rng.below(28),
            rng.range(-60.0, 60.0),
            rng.range(-180.0, 180.0),
            rng.range(5.0, 2000.0),
            rng.range(2.0, 28.0),
            rng.range(33.5, 37.0)
        ));
    }
    csv
}
