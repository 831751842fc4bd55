//! The benchmark account, `bench`: two large job folders on the file server for `make bench`.
//!
//! * [`SMALL_JOB_ID`] — a DESaccess cutout job of [`SMALL_FILES`] files in [`SMALL_TILES`] tile
//!   folders (BulkThumbs layout: `<TILE>/<position>_<band>.fits` and `…_gri_{stiff,lupton}.png`),
//!   each between [`SMALL_MIN_BYTES`] and [`SMALL_MAX_BYTES`] long.
//! * [`BIG_JOB_ID`] — one file of exactly [`BIG_BYTES`] (2 GiB), [`BIG_FILE`].
//!
//! Both live at `/files-desaccess/bench/cutout/<job_id>/` and are served like every other file
//! (listings, `Content-Length`, `ETag`, `Last-Modified`, ranges). Their bytes are deterministic
//! pseudo-random data produced per request and range, never held in memory, so the 180 MB of
//! small files and the 2 GiB file cost the sim nothing until asked for. Sizes and names follow
//! the sim's seed. The account exists on the file server only: it cannot sign in to the API.

use std::sync::Arc;

use crate::clock::{utc, UnixTime};
use crate::rng::Rng;
use crate::sky::{self, Tile};
use crate::vfs::{Content, Dir, DirBuilder, File};

/// The benchmark account's folder on the file server.
pub const USERNAME: &str = "bench";
/// Job type (and folder) of both benchmark jobs.
pub const JOB_TYPE: &str = "cutout";

/// `bench-2000`: 2,000 cutout files in 20 tile folders.
pub const SMALL_JOB_ID: &str = "b2000c0ffee04b7da11e5f3c0de2000a";
/// Tile folders in [`SMALL_JOB_ID`].
pub const SMALL_TILES: usize = 20;
/// Files per tile folder.
pub const FILES_PER_TILE: usize = 100;
/// Files in [`SMALL_JOB_ID`].
pub const SMALL_FILES: usize = SMALL_TILES * FILES_PER_TILE;
/// Smallest file in [`SMALL_JOB_ID`] (30 KB).
pub const SMALL_MIN_BYTES: u64 = 30_000;
/// Largest file in [`SMALL_JOB_ID`] (150 KB).
pub const SMALL_MAX_BYTES: u64 = 150_000;

/// `bench-big`: one 2 GiB file.
pub const BIG_JOB_ID: &str = "b16b16b16b164c2e9a7f2d6c0de2a61b";
/// The one file of [`BIG_JOB_ID`], at its top level.
pub const BIG_FILE: &str = "DES0226-1541_r5137p01_i_coadd.fits";
/// Size of [`BIG_FILE`]: 2 GiB.
pub const BIG_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// When the benchmark jobs wrote their files.
const MTIME: UnixTime = utc(2024, 5, 6, 7, 8, 9);

/// Files per position: three FITS bands and two colour previews.
const PRODUCTS: [&str; 5] = [
    "g.fits",
    "r.fits",
    "i.fits",
    "gri_stiff.png",
    "gri_lupton.png",
];

/// `(path under the file-server root, folder)` for each benchmark job.
pub(crate) fn folders(seed: u64) -> Vec<(String, Arc<Dir>)> {
    let job = |id: &str| format!("{USERNAME}/{JOB_TYPE}/{id}");
    vec![
        (job(SMALL_JOB_ID), Arc::new(small_job(seed))),
        (job(BIG_JOB_ID), Arc::new(big_job(seed))),
    ]
}

fn generated(seed: u64, path: &str, len: u64) -> File {
    let seed = Rng::derive(seed, path).next_u64();
    File::new(MTIME, Content::Generated { seed, len })
}

fn small_job(seed: u64) -> Dir {
    let mut rng = Rng::derive(seed, SMALL_JOB_ID);
    let mut tiles: Vec<Tile> = Vec::new();
    while tiles.len() < SMALL_TILES {
        let tile = Tile::random(&mut rng);
        if tiles.iter().all(|t| t.name != tile.name) {
            tiles.push(tile);
        }
    }
    let mut folder = DirBuilder::default();
    for tile in &tiles {
        let mut names: Vec<String> = Vec::new();
        while names.len() < FILES_PER_TILE / PRODUCTS.len() {
            let (ra, dec) = tile.random_position(&mut rng);
            let name = sky::position_name(ra, dec);
            if !names.contains(&name) {
                names.push(name);
            }
        }
        for name in &names {
            for product in PRODUCTS {
                let path = format!("{}/{name}_{product}", tile.name);
                let len = SMALL_MIN_BYTES + rng.below(SMALL_MAX_BYTES - SMALL_MIN_BYTES + 1);
                folder.add_file(&path, generated(seed, &path, len));
            }
        }
    }
    folder.build()
}

fn big_job(seed: u64) -> Dir {
    let mut folder = DirBuilder::default();
    folder.add_file(BIG_FILE, generated(seed, BIG_FILE, BIG_BYTES));
    folder.build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::{Found, Node};

    fn files(dir: &Dir, prefix: &str, out: &mut Vec<(String, u64)>) {
        for (name, node) in dir.entries() {
            match node {
                Node::Dir(sub) => files(sub, &format!("{prefix}{name}/"), out),
                Node::File(file) => out.push((format!("{prefix}{name}"), file.size())),
            }
        }
    }

    #[test]
    fn the_small_job_has_2000_files_of_30_to_150_kb_in_20_tiles() {
        let dir = small_job(7);
        let tiles: Vec<&str> = dir.entries().map(|(name, _)| name).collect();
        assert_eq!(tiles.len(), SMALL_TILES);
        assert!(tiles.iter().all(|t| t.len() == 12
            && t.starts_with("DES")
            && (t.contains('-') || t.contains('+'))));
        let mut all = Vec::new();
        files(&dir, "", &mut all);
        assert_eq!(all.len(), SMALL_FILES);
        assert!(all
            .iter()
            .all(|(_, size)| (SMALL_MIN_BYTES..=SMALL_MAX_BYTES).contains(size)));
        let total: u64 = all.iter().map(|(_, size)| size).sum();
        assert!((150_000_000..210_000_000).contains(&total), "{total}");
    }

    #[test]
    fn the_big_job_is_one_file_of_2_gib_and_both_follow_the_seed() {
        let dir = big_job(7);
        let Some(Found::File(file)) = dir.lookup(&[BIG_FILE]) else {
            panic!("no big file")
        };
        assert_eq!(file.size(), BIG_BYTES);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        files(&small_job(7), "", &mut a);
        files(&small_job(7), "", &mut b);
        assert_eq!(a, b);
    }

    #[test]
    fn job_ids_are_32_lowercase_hex() {
        for id in [SMALL_JOB_ID, BIG_JOB_ID] {
            assert_eq!(id.len(), 32);
            assert!(id
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        }
    }
}
