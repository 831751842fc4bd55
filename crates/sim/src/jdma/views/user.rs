//! `UserView`: a user's details (GET), `jdma init` (POST) and email / notification settings (PUT).

use serde_json::{json, Map, Value};

use super::super::db::{Db, User};
use super::{forbidden, not_found, object, Call, Reply};

fn not_initialised(data: Map<String, Value>, name: &str) -> Reply {
    Err(forbidden(
        data,
        format!("User {name} not initialised yet.  Run jdma.py init first."),
    ))
}

pub(super) fn get(call: &Call, db: &mut Db) -> Reply {
    if call.query.is_empty() {
        return Err(not_found(Map::new(), "No name supplied"));
    }
    let name = call.query.get("name").unwrap_or_default();
    if name.is_empty() {
        return Err(not_found(
            object([("name", "".into())]),
            "Error with name parameter.",
        ));
    }
    let Some(user) = db.users.get(name) else {
        return not_initialised(object([("name", name.into())]), name);
    };
    Ok(json!({"name": name, "email": user.email, "notify": user.notify}))
}

pub(super) fn post(call: &Call, db: &mut Db) -> Reply {
    let data = call.json()?;
    let Some(name) = data.get("name").cloned() else {
        return Err(not_found(Map::new(), "No name supplied"));
    };
    let Some(email) = data.get("email").cloned() else {
        return Err(not_found(data, "No email supplied"));
    };
    let key = name
        .as_str()
        .map_or_else(|| name.to_string(), str::to_owned);
    if db.users.contains_key(&key) {
        return Err(forbidden(data, "JDMA already initialized for this user."));
    }
    let user = User {
        email: email.clone(),
        notify: true.into(),
    };
    db.users.insert(key, user);
    Ok(json!({"name": name, "email": email}))
}

pub(super) fn put(call: &Call, db: &mut Db) -> Reply {
    if call.query.is_empty() {
        return Err(not_found(Map::new(), "No name supplied."));
    }
    let data = call.json()?;
    let name = call.query.get("name").unwrap_or_default();
    if name.is_empty() {
        return Err(not_found(data, "Error with name parameter."));
    }
    let Some(user) = db.users.get_mut(name) else {
        return not_initialised(data, name);
    };
    if let Some(email) = data.get("email") {
        if email == "" {
            return Err(not_found(data, "No email supplied."));
        }
        user.email = email.clone();
    }
    if let Some(notify) = data.get("notify") {
        user.notify = notify.clone();
    }
    Ok(json!({"name": name, "email": user.email, "notify": user.notify}))
}
