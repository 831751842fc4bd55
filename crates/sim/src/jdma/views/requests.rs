//! `MigrationRequestView`: listing requests (GET) and making PUT, MIGRATE, GET and DELETE requests (POST), with the server's checks in its order.

use serde_json::{json, Map, Value};

use super::super::db::{backend, Batch, Db, Request};
use super::super::stages::{BatchStage, RequestType, FAILED, FAILED_COMPLETED};
use super::super::Jdma;
use super::{forbidden, list_scope, not_found, object, Call, Refusal, Reply};

/// A request as the list (`full`: false) or a single lookup shows it.
fn row(db: &Db, request: &Request, full: bool) -> Value {
    let batch = &db.batches[&request.batch];
    let mut row = object([
        ("request_id", request.id.into()),
        ("user", request.user.as_str().into()),
        ("request_type", request.kind.code().into()),
        ("migration_id", batch.id.into()),
        ("label", batch.label.clone()),
        ("workspace", batch.workspace.as_str().into()),
        ("storage", batch.storage.into()),
        ("stage", request.stage().into()),
        ("date", request.date.iso().into()),
    ]);
    if full {
        if let Some(list) = request.filelist.as_ref().filter(|list| !list.is_empty()) {
            row.insert("filelist".into(), json!(list));
        }
        if let Some(failure) = &request.failure {
            if [FAILED, FAILED_COMPLETED].contains(&request.stage()) && !failure.reason.is_empty() {
                row.insert("failure_reason".into(), failure.reason.as_str().into());
            }
        }
    }
    Value::Object(row)
}

pub(super) fn get(call: &Call, db: &mut Db) -> Reply {
    let Some(name) = call.query.get("name") else {
        return Err(not_found(Map::new(), "No name supplied."));
    };
    const DENIED: &str = "User does not have permission to list requests in the workspace";
    if let Some(id) = call.query.int("request_id")? {
        let found = u64::try_from(id).ok().and_then(|id| db.requests.get(&id));
        let Some(request) = found else {
            let data = object([("request_id", id.into()), ("name", name.into())]);
            return Err(not_found(data, "Request not found."));
        };
        let workspace = &db.batches[&request.batch].workspace;
        if !db.is_member(name, workspace) {
            let data = object([
                ("workspace", workspace.as_str().into()),
                ("name", name.into()),
            ]);
            return Err(forbidden(data, DENIED));
        }
        return Ok(row(db, request, true));
    }
    let (workspace, owner) = list_scope(call, db, name, DENIED)?;
    let rows: Vec<Value> = db
        .requests
        .values()
        .filter(|r| owner.as_ref().is_none_or(|owner| &r.user == owner))
        .filter(|r| {
            workspace
                .as_ref()
                .is_none_or(|ws| &db.batches[&r.batch].workspace == ws)
        })
        .map(|r| row(db, r, false))
        .collect();
    Ok(json!({"requests": rows}))
}

/// `str()` of a JSON value as Python would print it in a message.
fn py_str(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => py_repr(other),
    }
}

/// `repr()` of a JSON value as Python would print the decoded object.
fn py_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'")),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(py_repr).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => {
            let pairs: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("'{k}': {}", py_repr(v)))
                .collect();
            format!("{{{}}}", pairs.join(", "))
        }
    }
}

/// `_check_backend`: the backend exists and the credentials it needs were given. Its errors
/// carry only `"error"`.
fn check_backend(storage: &str, shown_as: &str, credentials: &Value) -> Result<(), Refusal> {
    let Some((_, _, required)) = backend(storage) else {
        return Err(not_found(
            Map::new(),
            format!("External storage: {shown_as} does not exist"),
        ));
    };
    let given = |key: &&str| {
        credentials
            .as_object()
            .is_some_and(|c| c.contains_key(*key))
    };
    if !required.iter().all(given) {
        let message = format!(
            "Required credentials for: {shown_as} not supplied  Required credentials for: {shown_as} are: {}.  \
             Supplied credentials: {}.",
            required.join(", "),
            py_repr(credentials)
        );
        return Err(not_found(Map::new(), message));
    }
    Ok(())
}

/// `Migration.objects.get(pk=data["migration_id"])`.
fn batch_of<'a>(db: &'a Db, data: &Map<String, Value>) -> Option<&'a Batch> {
    let id = match &data["migration_id"] {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }?;
    db.batches.get(&id)
}

pub(super) fn post(call: &Call, jdma: &Jdma, db: &mut Db) -> Reply {
    let mut data = call.json()?;
    let credentials = match data.get_mut("credentials") {
        Some(given) => std::mem::replace(given, json!({})),
        None => json!({}),
    };
    let Some(name) = data.get("name").map(py_str) else {
        return Err(not_found(data, "No name supplied"));
    };
    if !db.users.contains_key(&name) {
        let message = format!("User {name} not initialised yet.  Run jdma.py init first");
        return Err(forbidden(data, message));
    }
    let Some(kind) = data.get("request_type") else {
        return Err(not_found(data, "No request type supplied"));
    };
    let Some(kind) = kind.as_str().and_then(RequestType::parse) else {
        return Err(not_found(data, "Invalid request method"));
    };
    let (mut data, request) = match kind {
        RequestType::Get => get_request(jdma, db, data, &credentials, &name)?,
        RequestType::Put | RequestType::Migrate => {
            put_request(jdma, db, data, &credentials, &name, kind)?
        }
        RequestType::Delete => delete_request(jdma, db, data, &credentials, &name)?,
    };
    let batch = &db.batches[&request.batch];
    let common = [
        ("request_id", request.id.into()),
        ("request_type", kind.code().into()),
        ("batch_id", batch.id.into()),
        ("workspace", batch.workspace.as_str().into()),
        ("storage", batch.storage.into()),
        ("stage", request.stage().into()),
        ("registered_date", batch.registered.iso().into()),
        ("label", batch.label.clone()),
    ];
    data.extend(common.into_iter().map(|(k, v)| (k.to_owned(), v)));
    db.requests.insert(request.id, request);
    Ok(Value::Object(data))
}

/// A new request of `name`'s on `batch`, at its first stage now.
fn new_request(jdma: &Jdma, db: &Db, name: &str, kind: RequestType, batch: u64) -> Request {
    Request {
        id: db.next_request_id(),
        user: name.to_owned(),
        kind,
        batch,
        date: jdma.now(),
        filelist: None,
        target_path: None,
        started_ms: jdma.now_ms(),
        reached: 0,
        failure: None,
        doomed: None,
    }
}

type Made = (Map<String, Value>, Request);

fn get_request(
    jdma: &Jdma,
    db: &Db,
    mut data: Map<String, Value>,
    credentials: &Value,
    name: &str,
) -> Result<Made, Refusal> {
    if !data.contains_key("migration_id") {
        return Err(not_found(data, "No batch id supplied"));
    }
    let Some(batch) = batch_of(db, &data) else {
        return Err(not_found(data, "Batch not found"));
    };
    // The server passes its error data without an "error" key on here, and reports the KeyError.
    if check_backend(batch.storage, batch.storage, credentials).is_err() {
        return Err(not_found(data, "'error'"));
    }
    let batch_id = py_str(&data["migration_id"]);
    if !db.is_member(name, &batch.workspace) {
        let message = format!("User {name} does not have permission to request batch {batch_id}");
        return Err(forbidden(data, message));
    }
    if batch.stage != BatchStage::OnStorage {
        let message = format!(
            "Batch stage is: {}.  Cannot retrieve (GET) until stage is ON_STORAGE",
            batch.stage.name()
        );
        return Err(forbidden(data, message));
    }
    let Some(target) = data.get("target_path").filter(|t| !t.is_null()).map(py_str) else {
        return Err(not_found(data, "Target path not supplied"));
    };
    let asked: Option<Vec<String>> = data
        .get("filelist")
        .and_then(|list| serde_json::from_value(list.clone()).ok());
    let duplicate = db.requests.values().any(|r| {
        r.batch == batch.id
            && r.target_path.as_deref() == Some(target.as_str())
            && r.filelist == asked
            && r.stage() != RequestType::Get.stages()[RequestType::Get.stages().len() - 1]
    });
    if duplicate {
        let message =
            format!("Duplicate GET request made: batch: {batch_id}, Target path: {target}");
        return Err(forbidden(data, message));
    }
    let parent = std::path::Path::new(&target)
        .parent()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !std::path::Path::new(&parent).exists() {
        let message = format!("Parent of target path {target} does not exist: {parent}");
        return Err(not_found(data, message));
    }
    if jdma.disk.target(&target).is_none() {
        let message =
            format!("User {name} does not have write permission to the directory: {target}");
        return Err(forbidden(data, message));
    }
    let mut request = new_request(jdma, db, name, RequestType::Get, batch.id);
    if let Some(asked) = asked.filter(|list| !list.is_empty()) {
        // The server strips the common path, then one more character (the slash).
        let common = batch.common_path.clone().unwrap_or_default();
        let relative: Vec<String> = asked
            .iter()
            .map(|f| f.replace(&common, "").chars().skip(1).collect())
            .collect();
        let held = batch
            .archives
            .iter()
            .any(|archive| archive.files.iter().any(|f| relative.contains(&f.path)));
        if !held {
            let message = format!(
                "Requested file list contains zero files that belong to batch {}",
                batch.id
            );
            return Err(not_found(data, message));
        }
        request.filelist = Some(relative);
    }
    request.target_path = Some(target.clone());
    data.insert("filelist".into(), json!(request.filelist));
    data.insert("target_path".into(), target.into());
    Ok((data, request))
}

fn put_request(
    jdma: &Jdma,
    db: &mut Db,
    mut data: Map<String, Value>,
    credentials: &Value,
    name: &str,
    kind: RequestType,
) -> Result<Made, Refusal> {
    let Some(workspace) = data.get("workspace").map(py_str) else {
        return Err(not_found(data, "No workspace supplied"));
    };
    let Some(ws) = db.workspace(&workspace) else {
        let message = format!("Workspace {workspace} has no associated groupworkspace quota set");
        return Err(not_found(data, message));
    };
    let Some(filelist) = data.get("filelist") else {
        return Err(not_found(data, "No directory path or filelist supplied"));
    };
    let Ok(filelist) = serde_json::from_value::<Vec<String>>(filelist.clone()) else {
        return Err(Refusal::Crash);
    };
    if filelist.is_empty() {
        return Err(not_found(data, "Filelist is empty"));
    }
    // The server's own bug: both of these call `.first()` on a list.
    let in_a_batch = db.requests.values().any(|r| {
        r.filelist.as_ref() == Some(&filelist) && db.batches[&r.batch].stage != BatchStage::Deleted
    });
    if in_a_batch || !data.contains_key("label") {
        return Err(not_found(data, "'list' object has no attribute 'first'"));
    }
    let label = data["label"].clone();
    let Some(storage) = data.get("storage").map(py_str) else {
        return Err(not_found(
            data,
            "External storage not specified in PUT / MIGRATE request",
        ));
    };
    // From here the server's error data (the request's own dict) holds an "error", even on success.
    data.insert("error".into(), "".into());
    let missing: String = filelist
        .iter()
        .filter(|path| jdma.disk.existing(path).is_none())
        .map(|path| format!("Path {path} does not exist"))
        .collect();
    if !missing.is_empty() {
        return Err(not_found(data, missing));
    }
    check_backend(&storage, &storage, credentials)?;
    let Some(storage) = ws.storages.iter().copied().find(|s| *s == storage) else {
        let message = format!(
            "External storage: {storage} has not been attached to the groupworkspace: {workspace}"
        );
        return Err(not_found(data, message));
    };
    if !ws.members.contains(&name) {
        let display = backend(storage).map_or("", |(_, display, _)| display);
        let message = format!(
            "User: {name} does not have write permissions or the workspace: {workspace} does not exist for external storage: {display}"
        );
        return Err(forbidden(data, message));
    }
    let batch = Batch {
        id: db.next_batch_id(),
        user: name.to_owned(),
        workspace: ws.name.to_owned(),
        label,
        stage: BatchStage::OnDisk,
        storage,
        external_id: None,
        registered: jdma.now(),
        common_path: None,
        archives: Vec::new(),
    };
    let mut request = new_request(jdma, db, name, kind, batch.id);
    request.filelist = Some(filelist);
    db.batches.insert(batch.id, batch);
    Ok((data, request))
}

fn delete_request(
    jdma: &Jdma,
    db: &Db,
    data: Map<String, Value>,
    credentials: &Value,
    name: &str,
) -> Result<Made, Refusal> {
    if !data.contains_key("migration_id") {
        return Err(not_found(data, "No batch id supplied"));
    }
    let Some(batch) = batch_of(db, &data) else {
        return Err(not_found(data, "Batch not found"));
    };
    let Some(shown_as) = data.get("storage").map(py_str) else {
        return Err(not_found(data, "'storage'"));
    };
    check_backend(batch.storage, &shown_as, credentials)?;
    let batch_id = py_str(&data["migration_id"]);
    if batch.user != name || !db.is_member(name, &batch.workspace) {
        let message = format!("User {name} does not have permission to delete batch: {batch_id}");
        return Err(forbidden(data, message));
    }
    if db
        .requests
        .values()
        .any(|r| r.batch == batch.id && r.kind == RequestType::Delete)
    {
        let message = format!("Duplicate DELETE request made: batch: {batch_id}");
        return Err(forbidden(data, message));
    }
    let request = new_request(jdma, db, name, RequestType::Delete, batch.id);
    Ok((data, request))
}
