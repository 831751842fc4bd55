//! Cutout jobs: the positions asked for and the files the cutout worker writes for them.
//!
//! Two layouts exist: BulkThumbs (before 2020-10-30) and the current per-position one.

use std::sync::Arc;

use serde::Serialize;

use crate::clock::{self, UnixTime};
use crate::jobs::{JobMeta, JobOutput};
use crate::preview::Stretch;
use crate::rng::Rng;
use crate::scene::{self, Band};
use crate::sky;
use crate::stamp::{self, Stamp};
use crate::text_log::TextLog;
use crate::vfs::{self, Content, DirBuilder, File};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// `<TILE>/<file>` next to `BTL_<ID>.csv`, `BulkThumbs_<stamp>.log` and `BulkThumbs_<stamp>_SUMMARY.json`.
    BulkThumbs,
    /// `<TILE>/<POSITION>/<file>` next to `positions_<id>.csv`, `summary.json` and `cutout_<id>.log`.
    PerPosition,
}

impl Layout {
    /// The folder a position's files go into, below the job's folder.
    fn folder(self, tile: &str, position: &str) -> String {
        match self {
            Layout::BulkThumbs => tile.to_string(),
            Layout::PerPosition => format!("{tile}/{position}"),
        }
    }
}

/// Job-wide cutout options as the summary records them.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct CutoutOptions {
    pub(crate) db: String,
    pub(crate) release: String,
    pub(crate) xsize: f64,
    pub(crate) ysize: f64,
    pub(crate) make_fits: bool,
    pub(crate) colors_fits: String,
    pub(crate) make_rgb_stiff: bool,
    pub(crate) rgb_stiff_colors: String,
    pub(crate) make_rgb_lupton: bool,
    pub(crate) rgb_lupton_colors: String,
    pub(crate) rgb_minimum: f64,
    pub(crate) rgb_stretch: f64,
    pub(crate) rgb_asinh: f64,
    pub(crate) discard_fits_files: bool,
}

impl CutoutOptions {
    /// The service defaults for a release (1 arcmin, i-band FITS only).
    pub(crate) fn defaults(release: &str) -> CutoutOptions {
        CutoutOptions {
            db: "desdr".into(),
            release: release.into(),
            xsize: 1.0,
            ysize: 1.0,
            make_fits: true,
            colors_fits: "i".into(),
            make_rgb_stiff: false,
            rgb_stiff_colors: "gri".into(),
            make_rgb_lupton: false,
            rgb_lupton_colors: "gri".into(),
            rgb_minimum: 1.0,
            rgb_stretch: 50.0,
            rgb_asinh: 10.0,
            discard_fits_files: false,
        }
    }
}

/// What is made for one position: FITS bands and colour sets per stretch.
#[derive(Clone, Debug)]
pub(crate) struct Products {
    /// Band letters, e.g. `"gri"`.
    pub(crate) fits: String,
    /// Colour triplets (red, green, blue), e.g. `["irg"]`.
    pub(crate) stiff: Vec<String>,
    pub(crate) lupton: Vec<String>,
}

impl Products {
    pub(crate) fn from_options(options: &CutoutOptions) -> Products {
        let sets = |make: bool, colors: &str| {
            if make {
                colors.split(';').map(str::to_owned).collect()
            } else {
                Vec::new()
            }
        };
        Products {
            fits: if options.make_fits {
                options.colors_fits.clone()
            } else {
                String::new()
            },
            stiff: sets(options.make_rgb_stiff, &options.rgb_stiff_colors),
            lupton: sets(options.make_rgb_lupton, &options.rgb_lupton_colors),
        }
    }
}

/// One requested position that matched a tile. Its tile and products are shared with the job's other positions
/// (a big job has thousands).
pub(crate) struct Cutout {
    pub(crate) ra: f64,
    pub(crate) dec: f64,
    pub(crate) tile: Arc<str>,
    pub(crate) products: Arc<Products>,
}

pub(crate) struct CutoutJob {
    /// Fixes every cutout's pixels (together with its position name).
    pub(crate) seed: u64,
    pub(crate) layout: Layout,
    pub(crate) options: CutoutOptions,
    pub(crate) cutouts: Vec<Cutout>,
    /// Whether the submitted CSV carried per-row product columns (otherwise just `RA,DEC`).
    pub(crate) per_row_products: bool,
    /// Submitted positions outside the survey.
    pub(crate) unmatched: Vec<(f64, f64)>,
    /// How many cutouts have been written; the worker writes its summary only once all are.
    pub(crate) done: usize,
    /// When BulkThumbs named its log and summary, if not at the job's start: the seed job keeps the
    /// documented names (`BulkThumbs_20200706-152133.log`) whenever the demo says it ran.
    pub(crate) log_stamp: Option<UnixTime>,
}

/// `summary.json` / `*_SUMMARY.json`, also reported as the job's `cutout_summary`.
#[derive(Debug, Serialize)]
pub(crate) struct Summary {
    options: CutoutOptions,
    cutouts: Vec<SummaryCutout>,
    unmatched_positions: Unmatched,
    query_time: f64,
    processing_time: f64,
    size_on_disk: String,
    number_of_files: usize,
    /// Where the files went: `<job_id>/` and the layout's folders, for [`Summary::reported_files`].
    #[serde(skip)]
    job_id: String,
    #[serde(skip)]
    layout: Layout,
}

impl Summary {
    /// The job's `cutout_files` as the worker reports them on completion: `<job_id>/<TILE>/<file>`, or
    /// `<job_id>/<TILE>/<POSITION>/<file>`, in the order written. Made from the summary on each
    /// status reply rather than kept: tens of thousands of paths for a big job.
    pub(crate) fn reported_files(&self) -> impl Iterator<Item = String> + '_ {
        self.cutouts.iter().flat_map(move |cutout| {
            let dir = self.layout.folder(&cutout.tilename, &cutout.sexagecimal);
            cutout
                .files
                .iter()
                .map(move |file| format!("{}/{dir}/{file}", self.job_id))
        })
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
struct SummaryCutout {
    ra: f64,
    dec: f64,
    xsize: f64,
    ysize: f64,
    make_fits: bool,
    colors_fits: String,
    make_rgb_stiff: bool,
    rgb_stiff_colors: String,
    make_rgb_lupton: bool,
    rgb_lupton_colors: String,
    tilename: String,
    sexagecimal: String,
    position_type: &'static str,
    files: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Unmatched {
    coord: Vec<Coordinates>,
    coadd: Vec<u64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "UPPERCASE")]
struct Coordinates {
    ra: f64,
    dec: f64,
}

/// Lays out the job folder as of the job's state.
pub(crate) fn build(meta: &JobMeta, job: &CutoutJob) -> JobOutput {
    let positions_csv = submitted_csv(job);
    let Some(start) = meta.started else {
        return JobOutput::nothing(positions_csv);
    };
    // The worker makes the job folder with its first cutout.
    if job.done == 0 && meta.completed.is_none() {
        return JobOutput::nothing(positions_csv);
    }
    let end = meta
        .completed
        .unwrap_or(start + 5 + 3 * job.done as UnixTime);
    let mut folder = DirBuilder::default();
    let mut log = TextLog::default();
    let submitted = job.cutouts.len() + job.unmatched.len();
    let release = job.options.release.to_uppercase();
    log.info(
        start,
        &format!(
            "Job {} started: {submitted} positions, release {release}",
            meta.id
        ),
    );
    if !job.unmatched.is_empty() {
        log.warning(
            start + 1,
            &format!("{} positions matched no DES tile", job.unmatched.len()),
        );
    }
    let written = write_cutouts(job, (start, end), &mut folder, &mut log);
    let number_of_files = written.files;
    if let Some(done) = meta.completed {
        if meta.status_message.is_empty() {
            log.info(done, &format!("Job complete: {number_of_files} files"));
        } else {
            log.error(done, &meta.status_message);
        }
    }
    // The worker reports files and writes its summary only after every matched position.
    let finished = job.done == job.cutouts.len() && meta.completed.is_some();
    let summary = finished.then(|| {
        Arc::new(summary(
            meta,
            job,
            written.cutouts,
            written.bytes,
            (start, end),
        ))
    });

    let text = |mtime, text: String| File::new(mtime, Content::Bytes(text.into()));
    let (log_name, summary_name) = match job.layout {
        Layout::BulkThumbs => {
            let stamp = clock::compact(job.log_stamp.unwrap_or(start));
            let csv = format!("BTL_{}.csv", meta.id.to_uppercase());
            folder.add_file(&csv, text(start, positions_csv.clone()));
            (
                format!("BulkThumbs_{stamp}.log"),
                format!("BulkThumbs_{stamp}_SUMMARY.json"),
            )
        }
        Layout::PerPosition => {
            folder.add_file(
                &format!("positions_{}.csv", meta.id),
                text(start + 1, matched_csv(job)),
            );
            (format!("cutout_{}.log", meta.id), "summary.json".to_owned())
        }
    };
    folder.add_file(&log_name, text(end, log.into_text()));
    if let Some(summary) = &summary {
        // Megabytes for a big job, which the status replies carry as data: written when read.
        folder.add_file(
            &summary_name,
            File::new(end, vfs::pretty_json(summary.clone())),
        );
    }

    JobOutput {
        folder: Some(Arc::new(folder.build())),
        summary,
        ..JobOutput::nothing(positions_csv)
    }
}

/// The image files written so far, as the job reports and summarizes them.
struct Written {
    /// How many image files.
    files: usize,
    cutouts: Vec<SummaryCutout>,
    bytes: u64,
}

/// Adds the files of the first `job.done` cutouts to `folder`, spread over `(start, end)`.
fn write_cutouts(
    job: &CutoutJob,
    (start, end): (UnixTime, UnixTime),
    folder: &mut DirBuilder,
    log: &mut TextLog,
) -> Written {
    let (width, height) = (
        stamp::pixels_for(job.options.xsize),
        stamp::pixels_for(job.options.ysize),
    );
    let mut written = Written {
        files: 0,
        cutouts: Vec::new(),
        bytes: 0,
    };
    for (k, cutout) in job.cutouts.iter().take(job.done).enumerate() {
        let name = sky::position_name(cutout.ra, cutout.dec);
        let mtime = start + (end - start) * (k as UnixTime + 1) / (job.done as UnixTime + 2);
        let stamp = Arc::new(Stamp {
            seed: Rng::derive(job.seed, &name).next_u64(),
            name: name.clone(),
            tile: cutout.tile.to_string(),
            ra: cutout.ra,
            dec: cutout.dec,
            width,
            height,
        });
        let dir = job.layout.folder(&cutout.tile, &name);
        let mut names = Vec::new();
        for (file_name, content) in product_files(&stamp, &cutout.products) {
            let file = File::new(mtime, content);
            written.bytes += file.size();
            let path = format!("{dir}/{file_name}");
            written.files += 1;
            folder.add_file(&path, file);
            names.push(file_name);
        }
        log.info(
            mtime,
            &format!("{}: {name} done ({} files)", cutout.tile, names.len()),
        );
        written
            .cutouts
            .push(summary_cutout(job, cutout, name, names));
    }
    written
}

fn summary(
    meta: &JobMeta,
    job: &CutoutJob,
    cutouts: Vec<SummaryCutout>,
    bytes: u64,
    (start, end): (UnixTime, UnixTime),
) -> Summary {
    let mut rng = Rng::derive(job.seed, &meta.id);
    let query_time = (rng.range(0.4, 4.0) * 100.0).round() / 100.0;
    let number_of_files = cutouts.iter().map(|cutout| cutout.files.len()).sum();
    Summary {
        options: job.options.clone(),
        cutouts,
        unmatched_positions: Unmatched {
            coord: job
                .unmatched
                .iter()
                .map(|&(ra, dec)| Coordinates { ra, dec })
                .collect(),
            coadd: Vec::new(),
        },
        query_time,
        processing_time: ((end - start) as f64 - query_time).max(0.1),
        size_on_disk: format!("{:.2} MB", bytes as f64 / 1_048_576.0),
        number_of_files,
        job_id: meta.id.clone(),
        layout: job.layout,
    }
}

/// The image files made for one cutout, named as the worker names them.
fn product_files(stamp: &Arc<Stamp>, products: &Products) -> Vec<(String, Content)> {
    let mut files: Vec<(String, Content)> = scene::bands(&products.fits)
        .into_iter()
        .map(|band| {
            (
                format!("{}_{}.fits", stamp.name, band.letter()),
                Content::Fits {
                    stamp: stamp.clone(),
                    band,
                },
            )
        })
        .collect();
    for (stretch, sets) in [
        (Stretch::Stiff, &products.stiff),
        (Stretch::Lupton, &products.lupton),
    ] {
        for letters in sets {
            let Ok(colors) = <[Band; 3]>::try_from(scene::bands(letters)) else {
                continue;
            };
            let name = format!("{}_{letters}_{}.png", stamp.name, stretch.suffix());
            files.push((
                name,
                Content::Png {
                    stamp: stamp.clone(),
                    colors,
                    stretch,
                },
            ));
        }
    }
    files
}

fn summary_cutout(
    job: &CutoutJob,
    cutout: &Cutout,
    name: String,
    files: Vec<String>,
) -> SummaryCutout {
    let products = &cutout.products;
    SummaryCutout {
        ra: cutout.ra,
        dec: cutout.dec,
        xsize: job.options.xsize,
        ysize: job.options.ysize,
        make_fits: !products.fits.is_empty(),
        colors_fits: products.fits.clone(),
        make_rgb_stiff: !products.stiff.is_empty(),
        rgb_stiff_colors: products.stiff.join(";"),
        make_rgb_lupton: !products.lupton.is_empty(),
        rgb_lupton_colors: products.lupton.join(";"),
        tilename: cutout.tile.to_string(),
        sexagecimal: name,
        position_type: "coord",
        files,
    }
}

/// The positions CSV as the user submitted it.
fn submitted_csv(job: &CutoutJob) -> String {
    let mut csv = String::from("RA,DEC");
    if job.per_row_products {
        csv.push_str(",MAKE_FITS,COLORS_FITS,MAKE_RGB_STIFF,RGB_STIFF_COLORS,MAKE_RGB_LUPTON,RGB_LUPTON_COLORS");
    }
    csv.push('\n');
    let defaults = Products::from_options(&job.options);
    let rows = job.cutouts.iter().map(|c| (c.ra, c.dec, &*c.products));
    for (ra, dec, products) in
        rows.chain(job.unmatched.iter().map(|&(ra, dec)| (ra, dec, &defaults)))
    {
        csv.push_str(&format!("{ra:.6},{dec:.6}"));
        if job.per_row_products {
            let (stiff, lupton) = (products.stiff.join(";"), products.lupton.join(";"));
            csv.push_str(&format!(
                ",{},{},{},{stiff},{},{lupton}",
                !products.fits.is_empty(),
                products.fits,
                !stiff.is_empty(),
                !lupton.is_empty()
            ));
        }
        csv.push('\n');
    }
    csv
}

/// The worker's table of matched positions (`positions_<id>.csv`).
fn matched_csv(job: &CutoutJob) -> String {
    let mut csv = String::from("RA,DEC,XSIZE,YSIZE,TILENAME,SEXAGECIMAL\n");
    for cutout in &job.cutouts {
        let name = sky::position_name(cutout.ra, cutout.dec);
        let (x, y) = (job.options.xsize, job.options.ysize);
        csv.push_str(&format!(
            "{:.6},{:.6},{x:.2},{y:.2},{},{name}\n",
            cutout.ra, cutout.dec, cutout.tile
        ));
    }
    csv
}
