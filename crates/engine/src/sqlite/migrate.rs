//! Versioned schemas: `PRAGMA user_version` counts the numbered steps a database has had, the missing
//! ones run in order, each in one transaction, and a database from a newer Jobfetch is left untouched.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::error;
use crate::error::{Error, ErrorCode, Result};

/// The schema version the database says it has: 0 for a new file, or one written before versions.
pub fn version(db: &Connection) -> rusqlite::Result<usize> {
    db.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// An error unless this build knows the database's schema, i.e. it has at most `known` steps.
pub fn check_not_newer(db: &Connection, path: &Path, place: &str, known: usize) -> Result<()> {
    let found = version(db).map_err(|err| error(place, "read the schema version", err))?;
    if found <= known {
        return Ok(());
    }
    let mut place = place.to_string();
    if let Some(first) = place.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    Err(Error::new(
        ErrorCode::Disk,
        format!(
            "{place} at {} was written by a newer version of Jobfetch (schema version {found}; this \
             version knows up to {known}). Update Jobfetch to use it; it was left as it was.",
            path.display()
        ),
    ))
}

/// Runs the steps the database has not had: step `n` (counting from 1) runs, and `user_version`
/// becomes `n`, in one transaction, so a crash leaves the database at one version or the next.
///
/// Each step is taken under a write lock and the version read again inside it, so two processes
/// opening the same file at once run every step once.
pub fn migrate(db: &mut Connection, path: &Path, place: &str, steps: &[&str]) -> Result<()> {
    // Up to date, the usual case: no write lock needed, so opening never waits for another writer.
    if version(db).map_err(|err| error(place, "read the schema version", err))? == steps.len() {
        return Ok(());
    }
    loop {
        let tx = db
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|err| error(place, "start updating the schema", err))?;
        check_not_newer(&tx, path, place, steps.len())?;
        let at = version(&tx).map_err(|err| error(place, "read the schema version", err))?;
        let Some(step) = steps.get(at) else {
            return Ok(());
        };
        tx.execute_batch(step)
            .and_then(|()| tx.pragma_update(None, "user_version", at + 1))
            .and_then(|()| tx.commit())
            .map_err(|err| {
                error(
                    place,
                    &format!("update the schema to version {}", at + 1),
                    err,
                )
            })?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEPS: &[&str] = &[
        "CREATE TABLE IF NOT EXISTS things (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
        "ALTER TABLE things ADD COLUMN colour TEXT;",
    ];

    /// The schema as SQLite keeps it, and the version: what a migration may change.
    fn shape(db: &Connection) -> (Vec<String>, usize) {
        let mut query = db
            .prepare("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
            .unwrap();
        let sql = query
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        (sql, version(db).unwrap())
    }

    fn open(path: &Path) -> Connection {
        Connection::open(path).unwrap()
    }

    #[test]
    fn an_empty_database_gets_every_step_and_a_second_run_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let mut db = open(&path);
        migrate(&mut db, &path, "the test store", STEPS).unwrap();
        db.execute("INSERT INTO things (name, colour) VALUES ('a', 'red')", [])
            .unwrap();
        let once = shape(&db);
        assert_eq!(once.1, 2);
        migrate(&mut db, &path, "the test store", STEPS).unwrap();
        let mut again = open(&path);
        migrate(&mut again, &path, "the test store", STEPS).unwrap();
        assert_eq!(shape(&again), once);
        let colour: String = again
            .query_row("SELECT colour FROM things", [], |row| row.get(0))
            .unwrap();
        assert_eq!(colour, "red");
    }

    #[test]
    fn an_unversioned_database_with_the_first_schema_is_version_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let mut db = open(&path);
        db.execute_batch(STEPS[0]).unwrap();
        db.execute("INSERT INTO things (name) VALUES ('kept')", [])
            .unwrap();
        let before = shape(&db);
        migrate(&mut db, &path, "the test store", &STEPS[..1]).unwrap();
        assert_eq!(shape(&db), (before.0, 1), "only the version changed");
        migrate(&mut db, &path, "the test store", STEPS).unwrap();
        assert_eq!(version(&db).unwrap(), 2);
        let name: String = db
            .query_row("SELECT name FROM things WHERE colour IS NULL", [], |row| {
                row.get(0)
            })
            .unwrap();
        assert_eq!(name, "kept");
    }

    #[test]
    fn a_database_from_a_newer_jobfetch_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let mut db = open(&path);
        migrate(&mut db, &path, "the test store", STEPS).unwrap();
        db.pragma_update(None, "user_version", 3).unwrap();
        let before = shape(&db);
        let bytes = std::fs::read(&path).unwrap();
        let err = migrate(&mut db, &path, "the test store", STEPS).unwrap_err();
        assert_eq!(err.code, ErrorCode::Disk);
        assert!(
            err.message.starts_with("The test store at ")
                && err.message.contains("newer version of Jobfetch")
                && err.message.contains("Update Jobfetch"),
            "{}",
            err.message
        );
        assert_eq!(shape(&db), before);
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
    }

    #[test]
    fn a_failing_step_leaves_the_previous_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let mut db = open(&path);
        let broken = [
            STEPS[0],
            "ALTER TABLE things ADD COLUMN size INTEGER; NOT SQL;",
        ];
        let err = migrate(&mut db, &path, "the test store", &broken).unwrap_err();
        assert!(err.message.contains("version 2"), "{}", err.message);
        assert_eq!(version(&db).unwrap(), 1);
        let columns: usize = db
            .query_row(
                "SELECT COUNT(*) FROM pragma_table_info('things')",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(columns, 2, "the half-done step was rolled back");
    }
}
