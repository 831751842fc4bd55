//! Query jobs: the SQL asked for and the CSV files plus `meta.json` that the query worker writes.

use std::sync::Arc;

use serde::Serialize;

use crate::jobs::{JobMeta, JobOutput, JobStatus};
use crate::rng::Rng;
use crate::sky::Tile;
use crate::vfs::{Content, DirBuilder, File};

const HEADER: &str =
    "COADD_OBJECT_ID,RA,DEC,MAG_AUTO_G,MAG_AUTO_R,MAG_AUTO_I,MAG_AUTO_Z,EXTENDED_CLASS_COADD\n";

pub(crate) struct QueryJob {
    /// Fixes the result rows.
    pub(crate) seed: u64,
    pub(crate) query: String,
    /// The requested output name, e.g. `results.csv`.
    pub(crate) filename: String,
    pub(crate) rows: usize,
    /// Large results are split into `<stem>_000001.<ext>`, … of this many rows each.
    pub(crate) rows_per_file: Option<usize>,
}

#[derive(Serialize)]
struct QueryMeta<'a> {
    status: &'a str,
    msg: &'a str,
    files: &'a [String],
    sizes: Vec<u64>,
    elapsed: f64,
}

/// A successful query's folder: the CSV files and `meta.json`; other states have no folder.
pub(crate) fn build(meta: &JobMeta, job: &QueryJob) -> JobOutput {
    let mut output = JobOutput::nothing(String::new());
    let (Some(start), Some(done), JobStatus::Success) = (meta.started, meta.completed, meta.status)
    else {
        return output;
    };
    let mut rng = Rng::derive(job.seed, &meta.id);
    let rows: Vec<String> = (0..job.rows).map(|_| result_row(&mut rng)).collect();
    let (stem, extension) = job
        .filename
        .rsplit_once('.')
        .unwrap_or((&job.filename, "csv"));
    let mut folder = DirBuilder::default();
    let mut sizes = Vec::new();
    for (index, chunk) in rows
        .chunks(job.rows_per_file.unwrap_or(job.rows).max(1))
        .enumerate()
    {
        let name = match job.rows_per_file {
            Some(_) => format!("{stem}_{:06}.{extension}", index + 1),
            None => job.filename.clone(),
        };
        let file = File::new(
            done,
            Content::Bytes((HEADER.to_owned() + &chunk.concat()).into()),
        );
        sizes.push(file.size());
        folder.add_file(&name, file);
        output.query_files.push(name);
    }
    let query_meta = QueryMeta {
        status: "ok",
        msg: "",
        files: &output.query_files,
        sizes,
        elapsed: (done - start) as f64,
    };
    let meta_json = serde_json::to_string(&query_meta).expect("query meta always serializes");
    folder.add_file(
        "meta.json",
        File::new(done, Content::Bytes(meta_json.into())),
    );
    output.folder = Some(Arc::new(folder.build()));
    output
}

fn result_row(rng: &mut Rng) -> String {
    let (ra, dec) = Tile::random(rng).random_position(rng);
    let id = 1_000_000_000 + rng.below(700_000_000);
    let g = rng.range(17.0, 25.0);
    let colour = rng.range(0.1, 1.2);
    let mags = [g, g - colour, g - 1.4 * colour, g - 1.6 * colour];
    let class = rng.below(4);
    format!(
        "{id},{ra:.6},{dec:.6},{:.4},{:.4},{:.4},{:.4},{class}\n",
        mags[0], mags[1], mags[2], mags[3]
    )
}
