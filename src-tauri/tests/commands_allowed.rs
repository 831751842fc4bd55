//! The command list is written once (src/command_table.rs): the main window's capability grants exactly
//! those commands, and the UI's `Command` type (ui/src/lib/bindings/Command.ts, written here like the
//! other bindings by `make bindings`) names exactly those.

use std::collections::BTreeSet;

include!("../src/command_table.rs");

macro_rules! command_names {
    ($($module:ident :: $command:ident),* $(,)?) => {
        &[$(stringify!($command)),*]
    };
}

const COMMANDS: &[&str] = with_commands!(command_names);

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
fn the_main_window_is_granted_every_command_and_no_other() {
    let listed: BTreeSet<String> = COMMANDS.iter().map(|c| c.to_string()).collect();
    assert!(listed.len() > 10, "{listed:?}");
    assert_eq!(listed.len(), COMMANDS.len(), "a command is listed twice");
    assert_eq!(granted(), listed, "capabilities/default.json vs the table");
}

#[test]
fn export_bindings_command_names() {
    let mut text = String::from(
        "// Written from src-tauri/src/command_table.rs by `make bindings`. Do not edit.\n\n\
         /** Every command the backend answers. */\nexport type Command =\n",
    );
    for name in COMMANDS {
        text.push_str(&format!("  | \"{name}\"\n"));
    }
    text.push_str(";\n");
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ui/src/lib/bindings/Command.ts"
    );
    std::fs::write(path, text).unwrap();
}
