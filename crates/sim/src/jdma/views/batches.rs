//! `MigrationView` (batches: list, one by id or label, relabel), `MigrationFileView` and `MigrationArchiveView` (with the `"pk "` key), and `list_backends`.

use serde_json::{json, Map, Value};

use super::super::db::{Batch, Db, BACKENDS};
use super::{forbidden, list_scope, not_found, object, Call, Reply};

fn row(batch: &Batch, full: bool) -> Value {
    let mut row = object([
        ("migration_id", batch.id.into()),
        ("user", batch.user.as_str().into()),
        ("workspace", batch.workspace.as_str().into()),
        ("label", batch.label.clone()),
        ("stage", batch.stage.code().into()),
        ("storage", batch.storage.into()),
        ("registered_date", batch.registered.iso().into()),
    ]);
    if full {
        if let Some(external_id) = &batch.external_id {
            row.insert("external_id".into(), external_id.as_str().into());
        }
    }
    Value::Object(row)
}

pub(super) fn get(call: &Call, db: &mut Db) -> Reply {
    let Some(name) = call.query.get("name") else {
        return Err(not_found(Map::new(), "No name supplied."));
    };
    const DENIED: &str = "User does not have permission to view batches in the workspace";
    let workspace = call.query.get("workspace");
    let by_id = call.query.int("migration_id")?;
    let label = call.query.get("label").filter(|_| by_id.is_none());
    if by_id.is_some() || label.is_some() {
        // By label: the batch with that label (anyone's) at the lowest stage.
        let found = db
            .batches
            .values()
            .filter(|b| match by_id {
                Some(id) => i64::try_from(b.id) == Ok(id),
                None => b.label.as_str() == label,
            })
            .min_by_key(|b| b.stage.code());
        let Some(batch) = found else {
            let mut data = object([("name", name.into())]);
            if let Some(id) = by_id.filter(|id| *id != 0) {
                data.insert("migration_id".into(), id.into());
            }
            if let Some(label) = label.filter(|label| !label.is_empty()) {
                data.insert("label".into(), label.into());
            }
            if let Some(ws) = workspace.filter(|ws| !ws.is_empty()) {
                data.insert("workspace".into(), ws.into());
            }
            return Err(not_found(data, "Batch not found."));
        };
        if !db.is_member(name, &batch.workspace) {
            let data = object([
                ("workspace", batch.workspace.as_str().into()),
                ("name", name.into()),
            ]);
            return Err(forbidden(data, DENIED));
        }
        return Ok(row(batch, true));
    }
    let (workspace, owner) = list_scope(call, db, name, DENIED)?;
    let rows: Vec<Value> = scoped(db, workspace.as_deref(), owner.as_deref())
        .map(|b| row(b, false))
        .collect();
    Ok(json!({"migrations": rows}))
}

/// Batches in id order, of one workspace and one owner if given.
fn scoped<'a>(
    db: &'a Db,
    workspace: Option<&'a str>,
    owner: Option<&'a str>,
) -> impl Iterator<Item = &'a Batch> {
    db.batches
        .values()
        .filter(move |b| workspace.is_none_or(|ws| b.workspace == ws))
        .filter(move |b| owner.is_none_or(|owner| b.user == owner))
}

pub(super) fn put(call: &Call, db: &mut Db) -> Reply {
    let Some(name) = call.query.get("name") else {
        return Err(not_found(Map::new(), "No name supplied."));
    };
    if !call.query.has("migration_id") {
        return Err(not_found(Map::new(), "No batch id supplied."));
    }
    let data = call.json()?;
    if data.get("label").is_some_and(|label| label == "") {
        return Err(not_found(data, "No label supplied."));
    }
    let id = call.query.int("migration_id")?.unwrap_or_default();
    let found = u64::try_from(id)
        .ok()
        .and_then(|id| db.batches.get_mut(&id));
    let Some(batch) = found else {
        let data = object([("migration_id", id.into()), ("name", name.into())]);
        return Err(not_found(data, "Batch not found."));
    };
    if batch.user != name {
        let data = object([("migration_id", id.into()), ("name", name.into())]);
        let message = format!("User {name} cannot edit this batch as they do not own it!");
        return Err(forbidden(data, message));
    }
    if let Some(label) = data.get("label") {
        batch.label = label.clone();
    }
    Ok(Value::Object(data))
}

/// `file/` (with each archive's files) and `archive/`.
pub(super) fn files(call: &Call, db: &mut Db, with_files: bool) -> Reply {
    let Some(name) = call.query.get("name") else {
        return Err(not_found(Map::new(), "No name supplied."));
    };
    let limit = call.query.int("limit")?.unwrap_or(0);
    // Present at all, whatever its value.
    let digest = call.query.has("digest");
    let what = if with_files { "files" } else { "archives" };
    let workspace = call.query.get("workspace");
    if let Some(ws) = workspace {
        if db.workspace(ws).is_none() {
            let data = object([("name", name.into()), ("workspace", ws.into())]);
            return Err(not_found(data, "Workspace not found."));
        }
    }
    if let Some(id) = call.query.int("migration_id")? {
        let Some(batch) = u64::try_from(id).ok().and_then(|id| db.batches.get(&id)) else {
            let mut data = object([("migration_id", id.into()), ("name", name.into())]);
            if let Some(ws) = workspace {
                data.insert("workspace".into(), ws.into());
            }
            return Err(not_found(data, "Batch not found."));
        };
        if !db.is_member(name, &batch.workspace) {
            let data = object([
                ("workspace", batch.workspace.as_str().into()),
                ("name", name.into()),
            ]);
            let message = format!("User does not have permission to view {what} in the workspace");
            return Err(forbidden(data, message));
        }
        // The id and the workspace both filter: a batch of another workspace lists nothing.
        let rows: Vec<Value> = scoped(db, workspace, None)
            .filter(|b| b.id == batch.id)
            .map(|b| listing(b, with_files, digest, limit))
            .collect();
        return Ok(json!({"migrations": rows}));
    }
    let denied = if with_files {
        "User does not have permission to list files in the workspace"
    } else {
        // Sic: the archive view reuses the request view's words.
        "User does not have permission to list requests in the workspace"
    };
    let (workspace, owner) = list_scope(call, db, name, denied)?;
    let rows: Vec<Value> = scoped(db, workspace.as_deref(), owner.as_deref())
        .filter(|b| db.is_member(name, &b.workspace))
        .map(|b| listing(b, with_files, digest, limit))
        .collect();
    Ok(json!({"migrations": rows}))
}

/// One batch with its archives (at most `limit` of them for `archive/`), and their files (at
/// most `limit` per archive, folders counted but not shown) for `file/`.
fn listing(batch: &Batch, with_files: bool, digest: bool, limit: i64) -> Value {
    // `queryset[:limit]`, 0 meaning all.
    let first = |n: usize| match usize::try_from(limit) {
        Ok(0) | Err(_) => n,
        Ok(limit) => limit.min(n),
    };
    let archives = if with_files {
        &batch.archives[..]
    } else {
        &batch.archives[..first(batch.archives.len())]
    };
    let archives: Vec<Value> = archives
        .iter()
        .map(|archive| {
            let mut entry = object([
                ("archive_id", format!("archive_{:010}", archive.pk).into()),
                ("pk", archive.pk.into()),
                ("size", archive.size().into()),
                ("limit", limit.into()),
            ]);
            if digest {
                entry.insert("digest".into(), "not packed".into());
                entry.insert("digest_format".into(), "SHA256".into());
            }
            if with_files {
                let files: Vec<Value> = archive.files[..first(archive.files.len())]
                    .iter()
                    .filter(|file| file.digest != "0")
                    .map(|file| {
                        let mut entry = object([
                            ("pk ", file.pk.into()),
                            ("path", batch.full_path(&file.path).into()),
                            ("size", file.size.into()),
                        ]);
                        if digest {
                            entry.insert("digest".into(), file.digest.as_str().into());
                            entry.insert("digest_format".into(), file.digest_format.into());
                        }
                        Value::Object(entry)
                    })
                    .collect();
                entry.insert("files".into(), files.into());
            }
            Value::Object(entry)
        })
        .collect();
    json!({
        "migration_id": batch.id,
        "user": batch.user,
        "workspace": batch.workspace,
        "label": batch.label,
        "storage": batch.storage,
        "archives": archives,
    })
}

/// `list_backends`: every method, short id → display name.
pub(super) fn backends() -> Value {
    let backends: Map<String, Value> = BACKENDS
        .iter()
        .map(|(id, display, _)| ((*id).to_owned(), (*display).into()))
        .collect();
    Value::Object(backends)
}
