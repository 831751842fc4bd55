//! The benchmark account, `bench`: four job folders on the file server for `make bench`.
//!
//! * [`SMALL_JOB_ID`] — a DESaccess cutout job of [`SMALL_FILES`] files in [`SMALL_TILES`] tile
//!   folders (BulkThumbs layout: `<TILE>/<position>_<band>.fits` and `…_gri_{stiff,lupton}.png`),
//!   each between [`SMALL_MIN_BYTES`] and [`SMALL_MAX_BYTES`] long.
//! * [`LARGE_JOB_ID`] — the same layout ten times over: [`LARGE_FILES`] files in [`LARGE_TILES`]
//!   tile folders, each between [`LARGE_MIN_BYTES`] and [`LARGE_MAX_BYTES`] long, so that a run
//!   writes about 250 MB rather than 1.8 GB: it measures how time grows with the number of files.
//! * [`BIG_JOB_ID`] — one file of exactly [`BIG_BYTES`] (2 GiB), [`BIG_FILE`].
//! * [`THUMBS_JOB_ID`] — real sky images for the thumbnail benchmark: [`THUMBS_POSITIONS`]
//!   one-arcminute cutouts ([`THUMBS_PIXELS`] px square at 0.263″/px) in [`THUMBS_TILES`] tile
//!   folders, each as an i-band FITS file (`<TILE>/<position>_i.fits`, float32) and a gri colour
//!   PNG (`<TILE>/<position>_gri_stiff.png` or `…_gri_lupton.png`, alternately).
//!
//! All three live at `/files-desaccess/bench/cutout/<job_id>/` and are served like every other
//! file (listings, `Content-Length`, `ETag`, `Last-Modified`, ranges). The bytes of the first two
//! are deterministic pseudo-random data produced per request and range, never held in memory, so
//! the 180 MB of small files, the 250 MB of smaller ones and the 2 GiB file cost the sim nothing
//! until asked for (the 20,000 files' names and sizes are held, about 2 MB). The
//! thumbnail job's images are rendered like the demo's cutouts, on first request, and then kept
//! (about 185 MB once all are fetched). Sizes, names and pixels follow the sim's seed. The account
//! exists on the file server only: it cannot sign in to the API.

use std::ops::RangeInclusive;
use std::sync::Arc;

use crate::clock::{utc, UnixTime};
use crate::preview::Stretch;
use crate::rng::Rng;
use crate::scene::Band;
use crate::sky::{self, Tile};
use crate::stamp::{self, Stamp};
use crate::vfs::{Content, Dir, DirBuilder, File};

/// The benchmark account's folder on the file server.
pub const USERNAME: &str = "bench";
/// Job type (and folder) of every benchmark job.
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

/// `bench-20000`: 20,000 small files in 200 tile folders.
pub const LARGE_JOB_ID: &str = "b20000c0ffee04b7da11e5f3c0de2000";
/// Tile folders in [`LARGE_JOB_ID`].
pub const LARGE_TILES: usize = 200;
/// Files in [`LARGE_JOB_ID`].
pub const LARGE_FILES: usize = LARGE_TILES * FILES_PER_TILE;
/// Smallest file in [`LARGE_JOB_ID`] (5 KB).
pub const LARGE_MIN_BYTES: u64 = 5_000;
/// Largest file in [`LARGE_JOB_ID`] (20 KB).
pub const LARGE_MAX_BYTES: u64 = 20_000;

/// `bench-big`: one 2 GiB file.
pub const BIG_JOB_ID: &str = "b16b16b16b164c2e9a7f2d6c0de2a61b";
/// The one file of [`BIG_JOB_ID`], at its top level.
pub const BIG_FILE: &str = "DES0226-1541_r5137p01_i_coadd.fits";
/// Size of [`BIG_FILE`]: 2 GiB.
pub const BIG_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// `bench-thumbs`: 500 one-arcminute cutouts, each an i-band FITS file and a gri colour PNG.
pub const THUMBS_JOB_ID: &str = "7d1b5c0ffee04e3a9b2c6d8e0f1a2b3c";
/// Tile folders in [`THUMBS_JOB_ID`].
pub const THUMBS_TILES: usize = 10;
/// Cutout positions in [`THUMBS_JOB_ID`] (one FITS file and one PNG each).
pub const THUMBS_POSITIONS: usize = 500;
/// Width and height of every image in [`THUMBS_JOB_ID`]: one arcminute at 0.263″/px.
pub const THUMBS_PIXELS: u32 = 228;

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
        (job(LARGE_JOB_ID), Arc::new(large_job(seed))),
        (job(BIG_JOB_ID), Arc::new(big_job(seed))),
        (job(THUMBS_JOB_ID), Arc::new(thumbs_job(seed))),
    ]
}

fn generated(seed: u64, path: &str, len: u64) -> File {
    let seed = Rng::derive(seed, path).next_u64();
    File::new(MTIME, Content::Generated { seed, len })
}

fn small_job(seed: u64) -> Dir {
    tiled_job(
        seed,
        SMALL_JOB_ID,
        SMALL_TILES,
        SMALL_MIN_BYTES..=SMALL_MAX_BYTES,
    )
}

fn large_job(seed: u64) -> Dir {
    tiled_job(
        seed,
        LARGE_JOB_ID,
        LARGE_TILES,
        LARGE_MIN_BYTES..=LARGE_MAX_BYTES,
    )
}

/// A cutout job of `tiles` tile folders of [`FILES_PER_TILE`] generated files, sized within `sizes`.
fn tiled_job(seed: u64, job_id: &str, tiles_wanted: usize, sizes: RangeInclusive<u64>) -> Dir {
    let mut rng = Rng::derive(seed, job_id);
    let mut tiles: Vec<Tile> = Vec::new();
    while tiles.len() < tiles_wanted {
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
                let len = sizes.start() + rng.below(sizes.end() - sizes.start() + 1);
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

fn thumbs_job(seed: u64) -> Dir {
    let mut rng = Rng::derive(seed, THUMBS_JOB_ID);
    let side = stamp::pixels_for(1.0);
    let mut tiles: Vec<Tile> = Vec::new();
    while tiles.len() < THUMBS_TILES {
        let tile = Tile::random(&mut rng);
        if tiles.iter().all(|t| t.name != tile.name) {
            tiles.push(tile);
        }
    }
    // Names are unique across the job, not just per tile: thumbnails of the whole job may share a folder.
    let mut names: Vec<String> = Vec::new();
    let mut folder = DirBuilder::default();
    for (k, tile) in tiles.iter().enumerate() {
        let per_tile = THUMBS_POSITIONS / THUMBS_TILES;
        while names.len() < (k + 1) * per_tile {
            let (ra, dec) = tile.random_position(&mut rng);
            let name = sky::position_name(ra, dec);
            if names.contains(&name) {
                continue;
            }
            let stamp = Arc::new(Stamp {
                seed: Rng::derive(seed, &name).next_u64(),
                name: name.clone(),
                tile: tile.name.clone(),
                ra,
                dec,
                width: side,
                height: side,
            });
            let fits = Content::Fits {
                stamp: stamp.clone(),
                band: Band::I,
            };
            folder.add_file(
                &format!("{}/{name}_i.fits", tile.name),
                File::new(MTIME, fits),
            );
            let stretch = if names.len().is_multiple_of(2) {
                Stretch::Stiff
            } else {
                Stretch::Lupton
            };
            let png = Content::Png {
                stamp,
                colors: [Band::G, Band::R, Band::I],
                stretch,
            };
            let png_name = format!("{}/{name}_gri_{}.png", tile.name, stretch.suffix());
            folder.add_file(&png_name, File::new(MTIME, png));
            names.push(name);
        }
    }
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
    fn the_large_job_has_20000_files_of_5_to_20_kb_in_200_tiles() {
        let dir = large_job(7);
        assert_eq!(dir.entries().count(), LARGE_TILES);
        let mut all = Vec::new();
        files(&dir, "", &mut all);
        assert_eq!(all.len(), LARGE_FILES);
        assert!(all
            .iter()
            .all(|(_, size)| (LARGE_MIN_BYTES..=LARGE_MAX_BYTES).contains(size)));
        let total: u64 = all.iter().map(|(_, size)| size).sum();
        assert!((230_000_000..270_000_000).contains(&total), "{total}");
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
    fn the_thumbs_job_has_500_fits_and_500_png_cutouts_of_228_px_with_unique_names() {
        assert_eq!(stamp::pixels_for(1.0), THUMBS_PIXELS);
        let dir = thumbs_job(7);
        assert_eq!(dir.entries().count(), THUMBS_TILES);
        let mut all = Vec::new();
        files(&dir, "", &mut all);
        assert_eq!(all.len(), 2 * THUMBS_POSITIONS);
        let fits: Vec<_> = all.iter().filter(|(p, _)| p.ends_with("_i.fits")).collect();
        let stiff = all
            .iter()
            .filter(|(p, _)| p.ends_with("_gri_stiff.png"))
            .count();
        let lupton = all
            .iter()
            .filter(|(p, _)| p.ends_with("_gri_lupton.png"))
            .count();
        assert_eq!((fits.len(), stiff, lupton), (500, 250, 250));
        // 2880-byte header block plus 228 × 228 float32 pixels, padded to whole blocks.
        let data = (THUMBS_PIXELS * THUMBS_PIXELS * 4) as u64;
        assert!(fits
            .iter()
            .all(|(_, size)| *size == 2880 + data.next_multiple_of(2880)));
        let mut names: Vec<&str> = all
            .iter()
            .map(|(p, _)| p.rsplit('/').next().unwrap())
            .collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len());
        let mut again = Vec::new();
        files(&thumbs_job(7), "", &mut again);
        assert_eq!(all, again);
    }

    #[test]
    fn the_thumbs_job_serves_real_fits_and_png_images() {
        let dir = thumbs_job(7);
        let mut all = Vec::new();
        files(&dir, "", &mut all);
        for suffix in ["_i.fits", ".png"] {
            let (path, size) = all.iter().find(|(p, _)| p.ends_with(suffix)).unwrap();
            let segments: Vec<&str> = path.split('/').collect();
            let Some(Found::File(file)) = dir.lookup(&segments) else {
                panic!("{path} not found")
            };
            let bytes = file.bytes();
            assert_eq!(bytes.len() as u64, *size);
            if suffix == ".png" {
                assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
                assert_eq!(&bytes[16..24], &[0, 0, 0, 228, 0, 0, 0, 228]);
            } else {
                assert!(bytes.starts_with(b"SIMPLE  ="));
                let header = String::from_utf8_lossy(&bytes[..2880]);
                assert!(header.contains("BITPIX  =                  -32"));
                assert!(header.contains("NAXIS1  =                  228"));
            }
        }
    }

    #[test]
    fn job_ids_are_32_lowercase_hex() {
        for id in [SMALL_JOB_ID, LARGE_JOB_ID, BIG_JOB_ID, THUMBS_JOB_ID] {
            assert_eq!(id.len(), 32);
            assert!(id
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        }
    }
}
