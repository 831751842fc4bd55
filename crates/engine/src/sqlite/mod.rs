//! Opens Jobfetch's SQLite files one way (WAL, waiting for other processes, schema brought up to
//! date) and words their errors.

mod migrate;

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use crate::error::{Error, ErrorCode, Result};

/// Opens (or creates) the database at `path`, called `place` in messages (e.g. "the transfer queue"),
/// in WAL mode so a crash loses nothing that was written, and runs the schema `steps` it has not had
/// (see [`migrate::migrate`]). A database from a newer Jobfetch, with more steps than these, is
/// refused before anything in it changes.
pub fn open(path: &Path, place: &str, steps: &[&str]) -> Result<Connection> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|err| Error::disk("create the folder", parent, err))?;
    }
    let mut db = Connection::open(path)
        .map_err(|err| error(place, &format!("open {place} at {}", path.display()), err))?;
    // Other processes (a second `jobfetch`, the app) may hold the file for a moment: wait for them.
    db.busy_timeout(Duration::from_secs(10))
        .map_err(|err| error(place, "set a busy timeout", err))?;
    migrate::check_not_newer(&db, path, place, steps.len())?;
    // Switching to WAL takes an exclusive lock that the busy timeout does not wait for; it is only
    // contended while two processes create the file at the same moment, so try again briefly.
    let mut tries = 0;
    while let Err(err) = db.pragma_update(None, "journal_mode", "WAL") {
        tries += 1;
        if tries > 100 || err.sqlite_error_code() != Some(rusqlite::ErrorCode::DatabaseBusy) {
            return Err(error(place, "switch to WAL", err));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    db.pragma_update(None, "synchronous", "NORMAL")
        .map_err(|err| error(place, "set durability", err))?;
    migrate::migrate(&mut db, path, place, steps)?;
    Ok(db)
}

/// An error from doing `action` in the database called `place`; a full disk says so.
pub fn error(place: &str, action: &str, err: rusqlite::Error) -> Error {
    if let rusqlite::Error::SqliteFailure(ref failure, _) = err {
        if failure.code == rusqlite::ErrorCode::DiskFull {
            return Error::new(
                ErrorCode::DiskFull,
                format!("The disk is full: could not {action}. Free some space, then resume."),
            );
        }
    }
    Error::new(
        ErrorCode::Disk,
        format!("Could not {action} in {place}: {err}."),
    )
}
