//! The three lists of app commands agree: the handlers registered in main.rs, the permissions
//! build.rs generates, and the ones the main window's capability grants. A command missing from
//! either of the last two is refused at run time, and one granted but not registered is a leftover.

use std::collections::BTreeSet;

/// The text between `start` and the next `end` in `source`.
fn between<'a>(source: &'a str, start: &str, end: &str) -> &'a str {
    let from = source
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not found"))
        + start.len();
    let len = source[from..]
        .find(end)
        .unwrap_or_else(|| panic!("{end:?} not found after {start:?}"));
    &source[from..from + len]
}

fn registered() -> BTreeSet<String> {
    let main = include_str!("../src/main.rs");
    between(main, "generate_handler![", "]")
        .split(',')
        .map(str::trim)
        .filter(|path| !path.is_empty())
        .map(|path| path.rsplit("::").next().unwrap().to_string())
        .collect()
}

fn with_permissions() -> BTreeSet<String> {
    let build = include_str!("../build.rs");
    between(build, "const COMMANDS: &[&str] = &[", "];")
        .split(',')
        .map(|name| name.trim().trim_matches('"'))
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect()
}

fn granted() -> BTreeSet<String> {
    let capability: serde_json::Value =
        serde_json::from_str(include_str!("../capabilities/default.json")).unwrap();
    capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|permission| permission.as_str()?.strip_prefix("allow-"))
        .map(|name| name.replace('-', "_"))
        .collect()
}

#[test]
fn every_registered_command_has_a_permission_and_the_main_window_is_granted_it() {
    let registered = registered();
    assert!(registered.len() > 10, "{registered:?}");
    assert_eq!(
        with_permissions(),
        registered,
        "build.rs COMMANDS vs main.rs"
    );
    assert_eq!(
        granted(),
        registered,
        "capabilities/default.json vs main.rs"
    );
}
