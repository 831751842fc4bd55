//! Requests moving through their stages on the sim's clock, one stage per interval, and what
//! entering a stage does: a PUT builds its batch from the real files (digests from their bytes)
//! and stores them, a MIGRATE then removes the originals, a GET writes the batch's files under its
//! target path, a DELETE drops the stored copies; batches move ON_DISK → PUTTING → ON_STORAGE.

use std::path::Path;

use super::content::DigestFormat;
use super::db::{Db, Failure, Source};
use super::disk::Disk;
use super::stages::{
    BatchStage, RequestType, DELETE_COMPLETED, DELETING, GET_UNPACKING, PUT_BUILDING,
    PUT_COMPLETED, PUT_TIDY,
};

/// Brings every request up to `now_ms` (sim-clock milliseconds since the start).
pub(crate) fn advance_all(db: &mut Db, disk: &Disk, now_ms: i64, interval_ms: i64) {
    let ids: Vec<u64> = db.requests.keys().copied().collect();
    for id in ids {
        advance(db, disk, id, now_ms, interval_ms);
    }
}

fn advance(db: &mut Db, disk: &Disk, id: u64, now_ms: i64, interval_ms: i64) {
    loop {
        let Some(request) = db.requests.get_mut(&id) else {
            return;
        };
        if let Some(failure) = &mut request.failure {
            // The tidy daemon unlocks a failed upload's files a little later.
            if request.kind.uploads() && now_ms >= failure.at_ms + interval_ms {
                failure.completed = true;
            }
            return;
        }
        let last = request.kind.stages().len() - 1;
        let due = if now_ms < request.started_ms {
            0
        } else {
            usize::try_from((now_ms - request.started_ms) / interval_ms)
                .unwrap_or(usize::MAX)
                .min(last)
        };
        if request.reached >= due {
            return;
        }
        let next = request.reached + 1;
        let at_ms = request.started_ms + next as i64 * interval_ms;
        let stage = request.kind.stages()[next];
        let doomed = match &request.doomed {
            Some((index, reason)) if *index == next => Some(reason.clone()),
            _ => None,
        };
        let entered = match doomed {
            Some(reason) => Err(reason),
            None => enter(db, disk, id, stage),
        };
        match entered {
            Ok(()) => {
                if let Some(request) = db.requests.get_mut(&id) {
                    request.reached = next;
                }
            }
            Err(reason) => fail(db, id, reason, at_ms),
        }
    }
}

/// Marks a request FAILED with `reason`; a failed upload fails its batch too (`mark_migration_failed`).
pub(crate) fn fail(db: &mut Db, id: u64, reason: String, at_ms: i64) {
    let Some(request) = db.requests.get_mut(&id) else {
        return;
    };
    request.failure = Some(Failure {
        reason,
        at_ms,
        completed: false,
    });
    if request.kind.uploads() {
        let batch = request.batch;
        if let Some(batch) = db.batches.get_mut(&batch) {
            batch.stage = BatchStage::Failed;
        }
    }
}

/// What entering `stage` does; an error fails the request with that reason.
fn enter(db: &mut Db, disk: &Disk, id: u64, stage: u16) -> Result<(), String> {
    let request = &db.requests[&id];
    let (kind, batch_id) = (request.kind, request.batch);
    let set_batch = |db: &mut Db, stage| {
        if let Some(batch) = db.batches.get_mut(&batch_id) {
            batch.stage = stage;
        }
    };
    match stage {
        PUT_BUILDING => build(db, disk, id),
        PUT_TIDY if kind == RequestType::Migrate => {
            let originals = db.requests[&id].filelist.clone().unwrap_or_default();
            for path in originals {
                if let Some(real) = disk.existing(&path) {
                    disk.remove(&real)
                        .map_err(|e| format!("MIGRATE: could not remove {path}: {e}"))?;
                }
            }
            Ok(())
        }
        PUT_COMPLETED => {
            if let Some(batch) = db.batches.get_mut(&batch_id) {
                batch.stage = BatchStage::OnStorage;
                batch.external_id = Some(super::external_id(
                    batch.storage,
                    &batch.workspace,
                    batch_id,
                ));
            }
            Ok(())
        }
        GET_UNPACKING => retrieve(db, disk, id),
        DELETING => {
            set_batch(db, BatchStage::Deleting);
            Ok(())
        }
        DELETE_COMPLETED => {
            set_batch(db, BatchStage::Deleted);
            disk.forget(batch_id)
                .map_err(|e| format!("DELETE: could not delete batch {batch_id}: {e}"))
        }
        _ => Ok(()),
    }
}

/// `jdma_lock`: the batch goes PUTTING; every file and folder under the filelist is found on
/// disk, copied onto the "tape" with its ADLER32 digest, and grouped into archives.
fn build(db: &mut Db, disk: &Disk, id: u64) -> Result<(), String> {
    let request = &db.requests[&id];
    let batch_id = request.batch;
    let filelist = request.filelist.clone().unwrap_or_default();
    if let Some(batch) = db.batches.get_mut(&batch_id) {
        batch.stage = BatchStage::Putting;
    }
    let common = common_prefix(&filelist);
    let mut entries = Vec::new();
    for path in &filelist {
        if disk.existing(path).is_none() {
            return Err(format!("PUT_BUILDING: path {path} no longer exists"));
        }
        let found = disk
            .walk(Path::new(path))
            .map_err(|e| format!("PUT_BUILDING: could not read {path}: {e}"))?;
        for item in found {
            let full = item.path.to_string_lossy();
            let relative = full.replace(&common, "");
            let relative = relative.strip_prefix('/').unwrap_or(&relative).to_owned();
            if item.is_dir || relative.is_empty() {
                entries.push((relative, item.size, "0".to_owned(), "", Source::Dir));
                continue;
            }
            let stored = disk.stored(batch_id, &relative);
            let digest = disk
                .store(&item.path, &stored, DigestFormat::Adler32)
                .map_err(|e| format!("PUT_BUILDING: could not read {full}: {e}"))?;
            let format = DigestFormat::Adler32.name();
            entries.push((relative, item.size, digest, format, Source::Stored(stored)));
        }
    }
    let archives = db.archives(entries);
    if let Some(batch) = db.batches.get_mut(&batch_id) {
        batch.common_path = Some(common);
        batch.archives = archives;
    }
    Ok(())
}

/// GETTING done: the batch's files (those asked for) are in the target folder.
fn retrieve(db: &Db, disk: &Disk, id: u64) -> Result<(), String> {
    let request = &db.requests[&id];
    let batch = &db.batches[&request.batch];
    let failed = |e: &dyn std::fmt::Display| {
        format!(
            "Failed to download the migration: {} on external storage: {}. Exception: {e}",
            batch.id, batch.storage
        )
    };
    let target_path = request.target_path.as_deref().unwrap_or_default();
    let target = disk
        .target(target_path)
        .ok_or_else(|| failed(&format!("target path {target_path} is not writable")))?;
    std::fs::create_dir_all(&target).map_err(|e| failed(&e))?;
    let wanted = |path: &str| {
        request
            .filelist
            .as_ref()
            .is_none_or(|list| list.iter().any(|p| p == path))
    };
    for file in batch.archives.iter().flat_map(|archive| &archive.files) {
        if !wanted(&file.path) {
            continue;
        }
        let out = target.join(&file.path);
        if !disk.may_write(&out) {
            return Err(failed(&format!("{} is outside the workspaces", file.path)));
        }
        match &file.source {
            Source::Dir => std::fs::create_dir_all(&out).map_err(|e| failed(&e))?,
            Source::Generated(content) => disk
                .write_chunks(&out, content.chunks())
                .map_err(|e| failed(&e))?,
            Source::Stored(stored) => disk.copy_out(stored, &out).map_err(|e| failed(&e))?,
        }
    }
    Ok(())
}

/// Python's `os.path.commonprefix`: the longest common leading string, character by character.
pub(crate) fn common_prefix(paths: &[String]) -> String {
    let Some(first) = paths.first() else {
        return String::new();
    };
    let mut len = first.len();
    for path in &paths[1..] {
        len = first
            .char_indices()
            .zip(path.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8())
            .min(len);
    }
    first[..len].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_prefix_is_character_wise_as_in_python() {
        let paths = |list: &[&str]| list.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        assert_eq!(common_prefix(&paths(&["/a/run1", "/a/run2"])), "/a/run");
        assert_eq!(common_prefix(&paths(&["/a/dir"])), "/a/dir");
        assert_eq!(common_prefix(&paths(&["/x", "/y"])), "/");
        assert_eq!(common_prefix(&paths(&["a", "b"])), "");
    }
}
