//! The durable transfer queue: batches, items and listing problems in SQLite (WAL), written through on every change.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use serde::{de::DeserializeOwned, Serialize};

use super::model::{
    AuthPolicy, BatchId, BatchOrigin, BatchState, Digest, ItemId, ItemSpec, ItemState, Source,
};
use crate::error::{Error, ErrorCode, Result};

/// The store, as messages name it.
const QUEUE: &str = "the transfer queue";

/// The queue's schema, one step per version (see [`crate::sqlite::open`]).
///
/// Version 1 is the schema of the releases before versions, written so that their databases
/// (`user_version` 0, same tables) take it without change.
const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    archive TEXT NOT NULL,
    source TEXT NOT NULL,
    root TEXT NOT NULL,
    state TEXT NOT NULL,
    listing_complete INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    created TEXT NOT NULL,
    finished TEXT
);
CREATE INDEX IF NOT EXISTS batches_by_source ON batches(source, root);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
    dest TEXT NOT NULL,
    source TEXT NOT NULL,
    auth TEXT NOT NULL,
    size INTEGER,
    digest TEXT,
    state TEXT NOT NULL,
    validator TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    bytes_done INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    UNIQUE (batch_id, dest)
);
CREATE TABLE IF NOT EXISTS problems (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
    place TEXT NOT NULL,
    error TEXT NOT NULL
);
",
    // 2: where each batch came from, as JSON (`BatchOrigin`); NULL for batches of earlier releases.
    "ALTER TABLE batches ADD COLUMN origin TEXT;",
];

/// A batch as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchRow {
    pub id: BatchId,
    pub name: String,
    /// The provider id (`desaccess`) for batches with an origin; the archive's name as earlier
    /// releases wrote it (`DESaccess`) for the others.
    pub archive: String,
    /// Where the batch came from; `None` for batches written by releases before origins were kept.
    pub origin: Option<BatchOrigin>,
    /// What the batch was made from, e.g. a job folder URL; with `root` it identifies a repeated download.
    pub source: String,
    pub root: PathBuf,
    pub state: BatchState,
    pub listing_complete: bool,
    pub error: Option<Error>,
    pub created: String,
    pub finished: Option<String>,
}

/// An item as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemRow {
    pub id: ItemId,
    pub batch_id: BatchId,
    pub dest: String,
    pub source: Source,
    pub auth: AuthPolicy,
    pub size: Option<u64>,
    pub digest: Option<Digest>,
    pub state: ItemState,
    /// The ETag or Last-Modified that the bytes in the `.part` file belong to.
    pub validator: Option<String>,
    pub attempts: u32,
    /// Bytes fetched by the last finished transfer (0 for skipped files).
    pub bytes_done: u64,
    pub error: Option<Error>,
}

/// Something that went wrong outside any one item, e.g. a folder that could not be listed or an unsafe name.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub place: String,
    pub error: Error,
}

/// Counts over a batch's items.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub files: u32,
    /// Done or skipped.
    pub finished: u32,
    pub failed: u32,
    /// Sum of the known sizes, and of what arrived of finished files whose size was not known.
    pub bytes: u64,
    /// Sum of the sizes of finished files (what arrived, where the size was not known).
    pub bytes_finished: u64,
}

/// The SQLite-backed store. Every call is one short transaction; callers share it behind a mutex.
pub struct Store {
    db: Connection,
}

impl Store {
    /// Opens (or creates) the store at `path`, in WAL mode so a crash loses nothing that was written.
    pub fn open(path: &Path) -> Result<Store> {
        let db = crate::sqlite::open(path, QUEUE, MIGRATIONS)?;
        db.pragma_update(None, "foreign_keys", "ON")
            .map_err(|err| db_error("enable foreign keys", err))?;
        Ok(Store { db })
    }

    /// Records a new, running batch; its `archive` column holds the origin's provider id.
    pub fn create_batch(
        &self,
        name: &str,
        origin: &BatchOrigin,
        source: &str,
        root: &Path,
        created: &str,
    ) -> Result<BatchId> {
        self.db
            .execute(
                "INSERT INTO batches (name, archive, origin, source, root, state, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![name, origin.provider.as_str(), to_json(origin), source, root.to_string_lossy(), to_json(&BatchState::Running), created],
            )
            .map_err(|err| db_error("record a new batch", err))?;
        Ok(self.db.last_insert_rowid())
    }

    /// The newest batch made from `source` into `root`, if any.
    pub fn find_batch(&self, source: &str, root: &Path) -> Result<Option<BatchRow>> {
        self.db
            .query_row(
                &format!("SELECT {BATCH_COLUMNS} FROM batches WHERE source = ?1 AND root = ?2 ORDER BY id DESC LIMIT 1"),
                params![source, root.to_string_lossy()],
                batch_row,
            )
            .optional()
            .map_err(|err| db_error("look up earlier batches", err))
    }

    pub fn batch(&self, id: BatchId) -> Result<BatchRow> {
        self.db
            .query_row(
                &format!("SELECT {BATCH_COLUMNS} FROM batches WHERE id = ?1"),
                [id],
                batch_row,
            )
            .optional()
            .map_err(|err| db_error("read a batch", err))?
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::NotFound,
                    format!("There is no transfer batch {id}."),
                )
            })
    }

    /// All batches, newest first.
    pub fn batches(&self) -> Result<Vec<BatchRow>> {
        let mut query = self
            .db
            .prepare(&format!(
                "SELECT {BATCH_COLUMNS} FROM batches ORDER BY id DESC"
            ))
            .map_err(|err| db_error("list batches", err))?;
        let rows = query
            .query_map([], batch_row)
            .map_err(|err| db_error("list batches", err))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|err| db_error("list batches", err))
    }

    pub fn set_batch_state(
        &self,
        id: BatchId,
        state: BatchState,
        error: Option<&Error>,
        finished: Option<&str>,
    ) -> Result<()> {
        self.db
            .execute(
                "UPDATE batches SET state = ?2, error = ?3, finished = ?4 WHERE id = ?1",
                params![id, to_json(&state), error.map(to_json), finished],
            )
            .map_err(|err| db_error("update a batch", err))?;
        Ok(())
    }

    pub fn set_listing_complete(&self, id: BatchId, complete: bool) -> Result<()> {
        self.db
            .execute(
                "UPDATE batches SET listing_complete = ?2 WHERE id = ?1",
                params![id, complete],
            )
            .map_err(|err| db_error("update a batch", err))?;
        Ok(())
    }

    /// Adds items, ignoring any whose destination the batch already has; returns the ids of the new ones.
    pub fn add_items(&mut self, batch: BatchId, items: &[ItemSpec]) -> Result<Vec<ItemId>> {
        let tx = self
            .db
            .transaction()
            .map_err(|err| db_error("add items", err))?;
        let mut added = Vec::new();
        {
            let mut insert = tx
                .prepare(
                    "INSERT OR IGNORE INTO items (batch_id, dest, source, auth, size, digest, state)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(|err| db_error("add items", err))?;
            for item in items {
                let inserted = insert
                    .execute(params![
                        batch,
                        item.dest,
                        to_json(&item.source),
                        to_json(&item.auth),
                        item.size.map(|s| s as i64),
                        item.digest.as_ref().map(to_json),
                        to_json(&ItemState::Queued),
                    ])
                    .map_err(|err| db_error("add items", err))?;
                if inserted == 1 {
                    added.push(tx.last_insert_rowid());
                }
            }
        }
        tx.commit().map_err(|err| db_error("add items", err))?;
        Ok(added)
    }

    pub fn item(&self, id: ItemId) -> Result<ItemRow> {
        self.db
            .query_row(
                &format!("SELECT {ITEM_COLUMNS} FROM items WHERE id = ?1"),
                [id],
                item_row,
            )
            .optional()
            .map_err(|err| db_error("read an item", err))?
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::NotFound,
                    format!("There is no transfer item {id}."),
                )
            })
    }

    /// A batch's items in the order they were added.
    pub fn items(&self, batch: BatchId) -> Result<Vec<ItemRow>> {
        let mut query = self
            .db
            .prepare(&format!(
                "SELECT {ITEM_COLUMNS} FROM items WHERE batch_id = ?1 ORDER BY id"
            ))
            .map_err(|err| db_error("list items", err))?;
        let rows = query
            .query_map([batch], item_row)
            .map_err(|err| db_error("list items", err))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|err| db_error("list items", err))
    }

    /// Up to `limit` of a batch's items in any of `states`, in the order they were added.
    pub fn items_in_states(
        &self,
        batch: BatchId,
        states: &[ItemState],
        limit: usize,
    ) -> Result<Vec<ItemRow>> {
        let placeholders = vec!["?"; states.len()].join(", ");
        let mut query = self
            .db
            .prepare(&format!(
                "SELECT {ITEM_COLUMNS} FROM items WHERE batch_id = ? AND state IN ({placeholders}) ORDER BY id LIMIT ?"
            ))
            .map_err(|err| db_error("list items", err))?;
        let states: Vec<String> = states.iter().map(to_json).collect();
        let limit = limit as i64;
        let mut args: Vec<&dyn rusqlite::ToSql> = vec![&batch];
        args.extend(states.iter().map(|state| state as &dyn rusqlite::ToSql));
        args.push(&limit);
        let rows = query
            .query_map(args.as_slice(), item_row)
            .map_err(|err| db_error("list items", err))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|err| db_error("list items", err))
    }

    pub fn set_item_state(
        &self,
        id: ItemId,
        state: ItemState,
        error: Option<&Error>,
    ) -> Result<()> {
        self.db
            .execute(
                "UPDATE items SET state = ?2, error = ?3 WHERE id = ?1",
                params![id, to_json(&state), error.map(to_json)],
            )
            .map_err(|err| db_error("update an item", err))?;
        Ok(())
    }

    /// Records a finished item with the bytes its last transfer fetched.
    pub fn finish_item(
        &self,
        id: ItemId,
        state: ItemState,
        bytes_done: u64,
        error: Option<&Error>,
    ) -> Result<()> {
        self.db
            .execute(
                "UPDATE items SET state = ?2, bytes_done = ?3, error = ?4 WHERE id = ?1",
                params![id, to_json(&state), bytes_done as i64, error.map(to_json)],
            )
            .map_err(|err| db_error("update an item", err))?;
        Ok(())
    }

    pub fn set_item_validator(&self, id: ItemId, validator: Option<&str>) -> Result<()> {
        self.db
            .execute(
                "UPDATE items SET validator = ?2 WHERE id = ?1",
                params![id, validator],
            )
            .map_err(|err| db_error("update an item", err))?;
        Ok(())
    }

    /// Marks an item running and counts one more attempt at it, in one write; returns the attempts so far.
    pub fn start_attempt(&self, id: ItemId) -> Result<u32> {
        self.db
            .query_row(
                "UPDATE items SET attempts = attempts + 1, state = ?2, error = NULL WHERE id = ?1 RETURNING attempts",
                params![id, to_json(&ItemState::Running)],
                |row| row.get(0),
            )
            .map_err(|err| db_error("update an item", err))
    }

    /// Puts items in `from` states back in the queue (with a fresh count of attempts); returns their ids.
    pub fn requeue(&self, batch: BatchId, from: &[ItemState]) -> Result<Vec<ItemId>> {
        let states: Vec<String> = from.iter().map(to_json).collect();
        let placeholders = vec!["?"; states.len()].join(", ");
        let mut query = self
            .db
            .prepare(&format!(
                "UPDATE items SET state = ?, attempts = 0, error = NULL WHERE batch_id = ? AND state IN ({placeholders}) RETURNING id"
            ))
            .map_err(|err| db_error("requeue items", err))?;
        let mut args: Vec<&dyn rusqlite::ToSql> = vec![];
        let queued = to_json(&ItemState::Queued);
        args.push(&queued);
        args.push(&batch);
        for state in &states {
            args.push(state);
        }
        let mut ids: Vec<ItemId> = query
            .query_map(args.as_slice(), |row| row.get(0))
            .and_then(Iterator::collect)
            .map_err(|err| db_error("requeue items", err))?;
        ids.sort_unstable();
        Ok(ids)
    }

    pub fn totals(&self, batch: BatchId) -> Result<Totals> {
        let finished = [to_json(&ItemState::Done), to_json(&ItemState::Skipped)];
        self.db
            .query_row(
                "SELECT COUNT(*),
                        COALESCE(SUM(state IN (?2, ?3)), 0),
                        COALESCE(SUM(state = ?4), 0),
                        COALESCE(SUM(COALESCE(size, CASE WHEN state IN (?2, ?3) THEN bytes_done END)), 0),
                        COALESCE(SUM(CASE WHEN state IN (?2, ?3) THEN COALESCE(size, bytes_done) ELSE 0 END), 0)
                 FROM items WHERE batch_id = ?1",
                params![batch, finished[0], finished[1], to_json(&ItemState::Failed)],
                |row| {
                    Ok(Totals {
                        files: row.get(0)?,
                        finished: row.get(1)?,
                        failed: row.get(2)?,
                        bytes: row.get::<_, i64>(3)? as u64,
                        bytes_finished: row.get::<_, i64>(4)? as u64,
                    })
                },
            )
            .map_err(|err| db_error("count items", err))
    }

    pub fn add_problem(&self, batch: BatchId, place: &str, error: &Error) -> Result<()> {
        self.db
            .execute(
                "INSERT INTO problems (batch_id, place, error) VALUES (?1, ?2, ?3)",
                params![batch, place, to_json(error)],
            )
            .map_err(|err| db_error("record a problem", err))?;
        Ok(())
    }

    pub fn clear_problems(&self, batch: BatchId) -> Result<()> {
        self.db
            .execute("DELETE FROM problems WHERE batch_id = ?1", [batch])
            .map_err(|err| db_error("clear problems", err))?;
        Ok(())
    }

    pub fn problems(&self, batch: BatchId) -> Result<Vec<Problem>> {
        let mut query = self
            .db
            .prepare("SELECT place, error FROM problems WHERE batch_id = ?1 ORDER BY id")
            .map_err(|err| db_error("list problems", err))?;
        let rows = query
            .query_map([batch], |row| {
                Ok(Problem {
                    place: row.get(0)?,
                    error: from_json(&row.get::<_, String>(1)?)?,
                })
            })
            .map_err(|err| db_error("list problems", err))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|err| db_error("list problems", err))
    }
}

const BATCH_COLUMNS: &str =
    "id, name, archive, source, root, state, listing_complete, error, created, finished, origin";
const ITEM_COLUMNS: &str =
    "id, batch_id, dest, source, auth, size, digest, state, validator, attempts, bytes_done, error";

fn batch_row(row: &rusqlite::Row) -> rusqlite::Result<BatchRow> {
    Ok(BatchRow {
        id: row.get(0)?,
        name: row.get(1)?,
        archive: row.get(2)?,
        source: row.get(3)?,
        root: PathBuf::from(row.get::<_, String>(4)?),
        state: from_json(&row.get::<_, String>(5)?)?,
        listing_complete: row.get(6)?,
        error: row
            .get::<_, Option<String>>(7)?
            .map(|e| from_json(&e))
            .transpose()?,
        created: row.get(8)?,
        finished: row.get(9)?,
        origin: row
            .get::<_, Option<String>>(10)?
            .map(|o| from_json(&o))
            .transpose()?,
    })
}

fn item_row(row: &rusqlite::Row) -> rusqlite::Result<ItemRow> {
    Ok(ItemRow {
        id: row.get(0)?,
        batch_id: row.get(1)?,
        dest: row.get(2)?,
        source: from_json(&row.get::<_, String>(3)?)?,
        auth: from_json(&row.get::<_, String>(4)?)?,
        size: row.get::<_, Option<i64>>(5)?.map(|s| s as u64),
        digest: row
            .get::<_, Option<String>>(6)?
            .map(|d| from_json(&d))
            .transpose()?,
        state: from_json(&row.get::<_, String>(7)?)?,
        validator: row.get(8)?,
        attempts: row.get(9)?,
        bytes_done: row.get::<_, i64>(10)? as u64,
        error: row
            .get::<_, Option<String>>(11)?
            .map(|e| from_json(&e))
            .transpose()?,
    })
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("queue values serialize")
}

fn from_json<T: DeserializeOwned>(text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text).map_err(|err| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(err))
    })
}

fn db_error(action: &str, err: rusqlite::Error) -> Error {
    crate::sqlite::error(QUEUE, action, err)
}
