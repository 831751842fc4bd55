//! Generates the Tauri context (config, icons, capabilities) at compile time, with a permission
//! for each of Jobfetch's commands: a window may call only the commands its capability allows. The
//! main window's capability is written here from the one command list, src/command_table.rs.

include!("src/command_table.rs");

/// The commands' names, from the table.
macro_rules! command_names {
    ($($module:ident :: $command:ident),* $(,)?) => {
        &[$(stringify!($command)),*]
    };
}

const COMMANDS: &[&str] = with_commands!(command_names);

const CAPABILITY: &str = "capabilities/default.json";

/// The main window's capability: the core window APIs and each command, named one by one.
fn capability() -> String {
    let mut permissions = vec!["core:default".to_string()];
    permissions.extend(
        COMMANDS
            .iter()
            .map(|name| format!("allow-{}", name.replace('_', "-"))),
    );
    let value = serde_json::json!({
        "$schema": "../gen/schemas/desktop-schema.json",
        "identifier": "default",
        "description": "What the main window may do: the core window APIs and each of Jobfetch's commands, named one by one (no command is allowed by default). Written by build.rs from src/command_table.rs.",
        "windows": ["main"],
        "permissions": permissions,
    });
    serde_json::to_string_pretty(&value).expect("JSON serializes") + "\n"
}

fn main() {
    println!("cargo:rerun-if-changed=src/command_table.rs");
    let wanted = capability();
    if std::fs::read_to_string(CAPABILITY).ok().as_deref() != Some(wanted.as_str()) {
        std::fs::write(CAPABILITY, wanted).expect("the capability file can be written");
    }
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    if let Err(err) = tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
    {
        panic!("tauri-build failed: {err:#}");
    }
}
