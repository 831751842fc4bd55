//! The preview disk cache: what each file's preview turned out to be, indexed in SQLite, PNGs beside it, least recently used evicted first.
//!
//! An entry is a thumbnail, a header-only summary or the reason there is no picture: failures are
//! kept too, so reopening a job never fetches again a file that cannot be shown. Each file keeps
//! one entry per rendering variant, for its newest version; older versions are replaced.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};
use sha2::Digest as _;

use super::{PreviewInfo, Thumbnail};
use crate::error::{Error, Result};

/// The cache's size unless told otherwise: 512 MiB of thumbnails, thousands of them.
pub const DEFAULT_CAP_BYTES: u64 = 512 << 20;

/// The cache, as messages name it.
const PLACE: &str = "the preview cache";

/// The cache's schema, one step per version (see [`crate::sqlite::open`]); version 1 is the schema of
/// the releases before versions, which their caches (`user_version` 0) take without change.
const MIGRATIONS: &[&str] = &["
CREATE TABLE IF NOT EXISTS previews (
    url TEXT NOT NULL,
    variant TEXT NOT NULL,
    validator TEXT NOT NULL,
    outcome TEXT NOT NULL,
    blob TEXT,
    blob_len INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL,
    last_used INTEGER NOT NULL,
    PRIMARY KEY (url, variant)
);
CREATE INDEX IF NOT EXISTS previews_by_use ON previews(last_used);
"];

/// Which preview: the file, its version, and how it is rendered.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    pub url: String,
    /// The file's version: its ETag or Last-Modified, or the listing's date and size.
    pub validator: String,
    /// [`super::RenderOptions::cache_key`], e.g. `256-linear-zscale`.
    pub variant: String,
}

/// What a file's preview turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum CachedPreview {
    Image(Thumbnail),
    /// A file too large to fetch whole: its header says what it holds.
    HeaderOnly(PreviewInfo),
    /// There is no picture; the message says why.
    NoPreview(String),
}

/// An entry's outcome as the index stores it; an image's PNG lives in its own file.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
enum StoredOutcome {
    Image {
        width: u32,
        height: u32,
        info: PreviewInfo,
    },
    HeaderOnly {
        info: PreviewInfo,
    },
    NoPreview {
        message: String,
    },
}

/// The cache: `previews.sqlite` and the folder `previews/` of PNGs, in one directory.
pub struct ThumbnailCache {
    db: Mutex<Connection>,
    blobs: PathBuf,
    cap_bytes: u64,
}

/// An index row as read back for a lookup.
struct Row {
    validator: String,
    outcome: String,
    blob: Option<String>,
    blob_len: u64,
}

impl ThumbnailCache {
    /// Opens (or creates) the cache in `dir`, keeping it under `cap_bytes`.
    pub fn open(dir: &Path, cap_bytes: u64) -> Result<ThumbnailCache> {
        let blobs = dir.join("previews");
        std::fs::create_dir_all(&blobs)
            .map_err(|err| Error::disk("create the folder", &blobs, err))?;
        let db = crate::sqlite::open(&dir.join("previews.sqlite"), PLACE, MIGRATIONS)?;
        Ok(ThumbnailCache {
            db: Mutex::new(db),
            blobs,
            cap_bytes,
        })
    }

    /// The entry for exactly this file version and variant, marking it as just used.
    pub fn get(&self, key: &CacheKey) -> Result<Option<CachedPreview>> {
        match self.touch(&key.url, &key.variant, Some(&key.validator))? {
            Some(row) => self.load(key, row),
            None => Ok(None),
        }
    }

    /// The newest entry for `url` and `variant` whatever its version: what to show when the server
    /// cannot be asked which version is current.
    pub fn get_any_version(&self, url: &str, variant: &str) -> Result<Option<CachedPreview>> {
        let Some(row) = self.touch(url, variant, None)? else {
            return Ok(None);
        };
        let key = CacheKey {
            url: url.to_string(),
            validator: row.validator.clone(),
            variant: variant.to_string(),
        };
        self.load(&key, row)
    }

    /// Stores `preview` under `key`, replacing any other version of the same file and variant, then
    /// evicts the least recently used entries while the cache is over its cap.
    pub fn put(&self, key: &CacheKey, preview: &CachedPreview) -> Result<()> {
        let (outcome, blob) = match preview {
            CachedPreview::Image(thumbnail) => {
                let stored = StoredOutcome::Image {
                    width: thumbnail.width,
                    height: thumbnail.height,
                    info: thumbnail.info.clone(),
                };
                let name = blob_name(key);
                self.write_blob(&name, &thumbnail.png)?;
                (stored, Some((name, thumbnail.png.len() as u64)))
            }
            CachedPreview::HeaderOnly(info) => {
                (StoredOutcome::HeaderOnly { info: info.clone() }, None)
            }
            CachedPreview::NoPreview(message) => (
                StoredOutcome::NoPreview {
                    message: message.clone(),
                },
                None,
            ),
        };
        let outcome = serde_json::to_string(&outcome).expect("outcomes serialize");
        let blob_len = blob.as_ref().map_or(0, |(_, len)| *len);
        let bytes = blob_len + (key.url.len() + key.validator.len() + outcome.len()) as u64;
        let blob_name = blob.map(|(name, _)| name);
        let doomed = {
            let mut db = self.db.lock().expect("preview cache lock");
            let tx = db
                .transaction()
                .map_err(|err| db_error("start a change", err))?;
            let mut doomed: Vec<String> = tx
                .query_row(
                    "SELECT blob FROM previews WHERE url = ?1 AND variant = ?2",
                    params![key.url, key.variant],
                    |row| row.get::<_, Option<String>>(0),
                )
                .optional()
                .map_err(|err| db_error("look up a preview", err))?
                .flatten()
                .filter(|old| Some(old) != blob_name.as_ref())
                .into_iter()
                .collect();
            tx.execute(
                "INSERT OR REPLACE INTO previews (url, variant, validator, outcome, blob, blob_len, bytes, last_used)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, (SELECT COALESCE(MAX(last_used), 0) + 1 FROM previews))",
                params![key.url, key.variant, key.validator, outcome, blob_name, blob_len, bytes],
            )
            .map_err(|err| db_error("record a preview", err))?;
            doomed.extend(evict(&tx, self.cap_bytes)?);
            tx.commit()
                .map_err(|err| db_error("record a preview", err))?;
            doomed
        };
        for name in doomed {
            let _ = std::fs::remove_file(self.blobs.join(name));
        }
        Ok(())
    }

    /// The row for `url` and `variant` (of version `validator`, if given), marked as the most recently used.
    fn touch(&self, url: &str, variant: &str, validator: Option<&str>) -> Result<Option<Row>> {
        let db = self.db.lock().expect("preview cache lock");
        db.query_row(
            "UPDATE previews SET last_used = (SELECT MAX(last_used) + 1 FROM previews)
             WHERE url = ?1 AND variant = ?2 AND (?3 IS NULL OR validator = ?3)
             RETURNING validator, outcome, blob, blob_len",
            params![url, variant, validator],
            |row| {
                Ok(Row {
                    validator: row.get(0)?,
                    outcome: row.get(1)?,
                    blob: row.get(2)?,
                    blob_len: row.get(3)?,
                })
            },
        )
        .optional()
        .map_err(|err| db_error("look up a preview", err))
    }

    /// The entry a row describes, reading its PNG. A PNG file that is gone or damaged, or a row that
    /// cannot be read, makes a miss and the row is dropped.
    fn load(&self, key: &CacheKey, row: Row) -> Result<Option<CachedPreview>> {
        let outcome = serde_json::from_str::<StoredOutcome>(&row.outcome).ok();
        let png = row
            .blob
            .as_ref()
            .and_then(|name| std::fs::read(self.blobs.join(name)).ok())
            .filter(|png| png.len() as u64 == row.blob_len);
        let preview = match (outcome, png) {
            (
                Some(StoredOutcome::Image {
                    width,
                    height,
                    info,
                }),
                Some(png),
            ) => CachedPreview::Image(Thumbnail {
                png,
                width,
                height,
                info,
            }),
            (Some(StoredOutcome::HeaderOnly { info }), _) => CachedPreview::HeaderOnly(info),
            (Some(StoredOutcome::NoPreview { message }), _) => CachedPreview::NoPreview(message),
            _ => {
                self.forget(key, row.blob.as_deref())?;
                return Ok(None);
            }
        };
        Ok(Some(preview))
    }

    /// Drops the entry for `key` if it still names `blob`, and that file.
    fn forget(&self, key: &CacheKey, blob: Option<&str>) -> Result<()> {
        self.db
            .lock()
            .expect("preview cache lock")
            .execute(
                "DELETE FROM previews WHERE url = ?1 AND variant = ?2 AND validator = ?3 AND blob IS ?4",
                params![key.url, key.variant, key.validator, blob],
            )
            .map_err(|err| db_error("drop a damaged preview", err))?;
        if let Some(name) = blob {
            let _ = std::fs::remove_file(self.blobs.join(name));
        }
        Ok(())
    }

    /// Writes a PNG under a temporary name and renames it into place, so a crash never leaves half a file under `name`.
    fn write_blob(&self, name: &str, png: &[u8]) -> Result<()> {
        let path = self.blobs.join(name);
        let temp = self
            .blobs
            .join(format!("{name}.{:016x}.tmp", fastrand::u64(..)));
        std::fs::write(&temp, png).map_err(|err| Error::disk("write", &temp, err))?;
        std::fs::rename(&temp, &path).map_err(|err| {
            let _ = std::fs::remove_file(&temp);
            Error::disk("rename into place", &path, err)
        })
    }
}

/// Deletes least recently used rows while the total is over `cap_bytes`; returns their PNG files.
fn evict(tx: &rusqlite::Transaction<'_>, cap_bytes: u64) -> Result<Vec<String>> {
    let mut total: u64 = tx
        .query_row("SELECT COALESCE(SUM(bytes), 0) FROM previews", [], |row| {
            row.get(0)
        })
        .map_err(|err| db_error("measure the cache", err))?;
    let mut doomed = Vec::new();
    if total <= cap_bytes {
        return Ok(doomed);
    }
    let mut oldest = tx
        .prepare("SELECT url, variant, blob, bytes FROM previews ORDER BY last_used")
        .map_err(|err| db_error("find old previews", err))?;
    let rows = oldest
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, u64>(3)?,
            ))
        })
        .map_err(|err| db_error("find old previews", err))?;
    let mut victims = Vec::new();
    for row in rows {
        if total <= cap_bytes {
            break;
        }
        let (url, variant, blob, bytes) = row.map_err(|err| db_error("find old previews", err))?;
        total = total.saturating_sub(bytes);
        victims.push((url, variant));
        doomed.extend(blob);
    }
    drop(oldest);
    for (url, variant) in victims {
        tx.execute(
            "DELETE FROM previews WHERE url = ?1 AND variant = ?2",
            params![url, variant],
        )
        .map_err(|err| db_error("evict old previews", err))?;
    }
    Ok(doomed)
}

/// The PNG file of `key`: a hash of the key, so no URL or validator text reaches a file name.
fn blob_name(key: &CacheKey) -> String {
    let mut hasher = sha2::Sha256::new();
    for part in [&key.url, &key.validator, &key.variant] {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    format!("{:x}.png", hasher.finalize())
}

fn db_error(action: &str, err: rusqlite::Error) -> Error {
    crate::sqlite::error(PLACE, action, err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preview::ImageFormat;

    fn key(url: &str, validator: &str) -> CacheKey {
        CacheKey {
            url: url.into(),
            validator: validator.into(),
            variant: "256-linear-zscale".into(),
        }
    }

    /// An image entry whose PNG is `len` bytes of `fill`.
    fn image(fill: u8, len: usize) -> CachedPreview {
        CachedPreview::Image(Thumbnail {
            png: vec![fill; len],
            width: 16,
            height: 8,
            info: PreviewInfo {
                format: ImageFormat::Png,
                width: 160,
                height: 80,
                fits: None,
            },
        })
    }

    fn blob_files(dir: &Path) -> usize {
        std::fs::read_dir(dir.join("previews")).unwrap().count()
    }

    #[test]
    fn a_cache_from_before_versions_keeps_its_entries_and_a_newer_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let index = dir.path().join("previews.sqlite");
        let version = || -> u32 {
            Connection::open(&index)
                .unwrap()
                .query_row("PRAGMA user_version", [], |row| row.get(0))
                .unwrap()
        };
        let set_version = |v: u32| {
            Connection::open(&index)
                .unwrap()
                .pragma_update(None, "user_version", v)
                .unwrap()
        };
        let kept = CachedPreview::NoPreview("a table".into());
        ThumbnailCache::open(dir.path(), DEFAULT_CAP_BYTES)
            .unwrap()
            .put(&key("u", "v1"), &kept)
            .unwrap();
        assert_eq!(version(), 1);
        set_version(0); // as the releases before versions left it
        let cache = ThumbnailCache::open(dir.path(), DEFAULT_CAP_BYTES).unwrap();
        assert_eq!(cache.get(&key("u", "v1")).unwrap(), Some(kept));
        assert_eq!(version(), 1);
        drop(cache);

        set_version(2);
        let err = match ThumbnailCache::open(dir.path(), DEFAULT_CAP_BYTES) {
            Ok(_) => panic!("a newer cache was opened"),
            Err(err) => err,
        };
        assert!(err.message.contains("Update Jobfetch"), "{}", err.message);
        assert_eq!(version(), 2);
    }

    #[test]
    fn hits_only_the_same_version_and_variant() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ThumbnailCache::open(dir.path(), DEFAULT_CAP_BYTES).unwrap();
        assert_eq!(cache.get(&key("u", "v1")).unwrap(), None);
        cache.put(&key("u", "v1"), &image(1, 100)).unwrap();
        assert_eq!(cache.get(&key("u", "v1")).unwrap(), Some(image(1, 100)));
        assert_eq!(cache.get(&key("u", "v2")).unwrap(), None, "another version");
        let other_variant = CacheKey {
            variant: "128-asinh-zscale".into(),
            ..key("u", "v1")
        };
        assert_eq!(cache.get(&other_variant).unwrap(), None);
        assert_eq!(cache.get(&key("other", "v1")).unwrap(), None);
    }

    #[test]
    fn a_new_version_replaces_the_old_one_and_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ThumbnailCache::open(dir.path(), DEFAULT_CAP_BYTES).unwrap();
        cache.put(&key("u", "v1"), &image(1, 100)).unwrap();
        cache.put(&key("u", "v2"), &image(2, 100)).unwrap();
        assert_eq!(cache.get(&key("u", "v1")).unwrap(), None);
        assert_eq!(cache.get(&key("u", "v2")).unwrap(), Some(image(2, 100)));
        assert_eq!(
            cache.get_any_version("u", "256-linear-zscale").unwrap(),
            Some(image(2, 100))
        );
        assert_eq!(blob_files(dir.path()), 1, "the old PNG is deleted");
        let header = CachedPreview::NoPreview("No preview: not an image.".into());
        cache.put(&key("u", "v3"), &header).unwrap();
        assert_eq!(cache.get(&key("u", "v3")).unwrap(), Some(header));
        assert_eq!(blob_files(dir.path()), 0);
    }

    #[test]
    fn evicts_the_least_recently_used_first() {
        let dir = tempfile::tempdir().unwrap();
        // Room for three 1000-byte PNGs and their rows, not four.
        let cache = ThumbnailCache::open(dir.path(), 3500).unwrap();
        for name in ["a", "b", "c"] {
            cache.put(&key(name, "v"), &image(0, 1000)).unwrap();
        }
        // Using `a` makes `b` the least recently used.
        assert!(cache.get(&key("a", "v")).unwrap().is_some());
        cache.put(&key("d", "v"), &image(0, 1000)).unwrap();
        assert_eq!(cache.get(&key("b", "v")).unwrap(), None, "b was evicted");
        for name in ["a", "c", "d"] {
            assert!(cache.get(&key(name, "v")).unwrap().is_some(), "{name} kept");
        }
        assert_eq!(blob_files(dir.path()), 3);
        // Now `a` is the oldest use.
        cache.put(&key("e", "v"), &image(0, 1000)).unwrap();
        assert_eq!(cache.get(&key("a", "v")).unwrap(), None, "a was evicted");
    }

    #[test]
    fn entries_outlive_the_cache_object() {
        let dir = tempfile::tempdir().unwrap();
        let header = CachedPreview::HeaderOnly(PreviewInfo {
            format: ImageFormat::Fits,
            width: 10_000,
            height: 10_000,
            fits: None,
        });
        {
            let cache = ThumbnailCache::open(dir.path(), DEFAULT_CAP_BYTES).unwrap();
            cache.put(&key("png", "v"), &image(7, 500)).unwrap();
            cache.put(&key("fits", "v"), &header).unwrap();
        }
        let cache = ThumbnailCache::open(dir.path(), DEFAULT_CAP_BYTES).unwrap();
        assert_eq!(cache.get(&key("png", "v")).unwrap(), Some(image(7, 500)));
        assert_eq!(cache.get(&key("fits", "v")).unwrap(), Some(header));
    }

    #[test]
    fn threads_may_put_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ThumbnailCache::open(dir.path(), DEFAULT_CAP_BYTES).unwrap();
        std::thread::scope(|scope| {
            for thread in 0..8u8 {
                let cache = &cache;
                scope.spawn(move || {
                    for n in 0..20 {
                        let url = format!("{thread}/{n}");
                        cache.put(&key(&url, "v"), &image(thread, 200)).unwrap();
                        // Everyone also writes the same shared entry.
                        cache.put(&key("shared", "v"), &image(9, 300)).unwrap();
                    }
                });
            }
        });
        for thread in 0..8u8 {
            for n in 0..20 {
                let url = format!("{thread}/{n}");
                assert_eq!(
                    cache.get(&key(&url, "v")).unwrap(),
                    Some(image(thread, 200))
                );
            }
        }
        assert_eq!(cache.get(&key("shared", "v")).unwrap(), Some(image(9, 300)));
        assert_eq!(
            blob_files(dir.path()),
            8 * 20 + 1,
            "no temporary files left"
        );
    }

    #[test]
    fn a_missing_or_damaged_png_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ThumbnailCache::open(dir.path(), DEFAULT_CAP_BYTES).unwrap();
        cache.put(&key("gone", "v"), &image(1, 100)).unwrap();
        cache.put(&key("cut", "v"), &image(2, 100)).unwrap();
        std::fs::remove_file(
            dir.path()
                .join("previews")
                .join(blob_name(&key("gone", "v"))),
        )
        .unwrap();
        let cut = dir
            .path()
            .join("previews")
            .join(blob_name(&key("cut", "v")));
        std::fs::write(&cut, [2; 40]).unwrap();
        assert_eq!(cache.get(&key("gone", "v")).unwrap(), None);
        assert_eq!(cache.get(&key("cut", "v")).unwrap(), None);
        assert!(!cut.exists(), "the damaged file is deleted");
        // The rows are gone too: no version at all remains to fall back on.
        assert_eq!(
            cache.get_any_version("gone", "256-linear-zscale").unwrap(),
            None
        );
        assert_eq!(
            cache.get_any_version("cut", "256-linear-zscale").unwrap(),
            None
        );
        cache.put(&key("gone", "v"), &image(3, 100)).unwrap();
        assert_eq!(cache.get(&key("gone", "v")).unwrap(), Some(image(3, 100)));
    }
}
