//! Listings and files that tests inject (hostile names and all), served verbatim ahead of the demo archive.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use crate::clock::{utc, UnixTime};
use crate::vfs::{Content, File};

/// Modification time given to injected files.
const RAW_MTIME: UnixTime = utc(2024, 1, 2, 3, 4, 5);

#[derive(Default)]
pub(crate) struct RawEntries {
    listings: Mutex<HashMap<String, Bytes>>,
    files: Mutex<HashMap<String, Arc<File>>>,
}

impl RawEntries {
    /// `folder` is relative to the file-server root, e.g. `demo/cutout/<job_id>`.
    pub(crate) fn add_listing(&self, folder: &str, body: Bytes) {
        self.listings
            .lock()
            .expect("raw listings lock poisoned")
            .insert(key(folder), body);
    }

    /// `path` is relative to the file-server root, e.g. `demo/cutout/<job_id>/x.fits`.
    pub(crate) fn add_file(&self, path: &str, body: Bytes) {
        let file = Arc::new(File::new(RAW_MTIME, Content::Bytes(body)));
        self.files
            .lock()
            .expect("raw files lock poisoned")
            .insert(key(path), file);
    }

    pub(crate) fn listing(&self, folder: &str) -> Option<Bytes> {
        self.listings
            .lock()
            .expect("raw listings lock poisoned")
            .get(folder)
            .cloned()
    }

    pub(crate) fn file(&self, path: &str) -> Option<Arc<File>> {
        self.files
            .lock()
            .expect("raw files lock poisoned")
            .get(path)
            .cloned()
    }
}

fn key(path: &str) -> String {
    path.trim_matches('/').to_owned()
}
