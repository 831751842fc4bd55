//! How WebKitGTK draws the window: with its GPU compositor where there is a GPU, in plain software where there is none.

use std::path::Path;

/// WebKitGTK's switch for its accelerated compositing mode.
const DISABLE_COMPOSITING: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// Where Linux lists the GPUs' render nodes (`renderD128`, …).
const DRI_DIR: &str = "/dev/dri";

/// Turns WebKitGTK's compositing off when this machine has no GPU render node this user may open (a
/// virtual machine, a remote or virtual X display): the compositor would then run on Mesa's software
/// rasteriser, which costs about 100 MB in the web process and most of a second before the first page
/// is drawn, for no gain over drawing the page in software directly. A value the user set is kept either way. Call it
/// first thing in `main`, before any thread starts: the web process inherits the environment.
pub fn choose_compositing() {
    if cfg!(target_os = "linux")
        && std::env::var_os(DISABLE_COMPOSITING).is_none()
        && !has_gpu_render_node(Path::new(DRI_DIR))
    {
        std::env::set_var(DISABLE_COMPOSITING, "1");
    }
}

/// How the window is drawn, for diagnostics.
pub fn description() -> &'static str {
    match std::env::var_os(DISABLE_COMPOSITING).is_some_and(|value| value != "0") {
        true => {
            "software, no compositing (no GPU render node it may open, or WEBKIT_DISABLE_COMPOSITING_MODE set)"
        }
        false => "WebKitGTK's GPU compositing",
    }
}

/// True when `dri` holds a render node, the device a GPU driver renders through, that this user may
/// open: one the user may not (not in the `render` group) leaves Mesa on its software renderer too.
fn has_gpu_render_node(dri: &Path) -> bool {
    std::fs::read_dir(dri).is_ok_and(|mut entries| {
        entries.any(|entry| {
            entry.is_ok_and(|entry| {
                entry.file_name().to_string_lossy().starts_with("renderD")
                    && std::fs::OpenOptions::new()
                        .read(true)
                        .write(true)
                        .open(entry.path())
                        .is_ok()
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_render_node_is_a_gpu_and_a_card_or_nothing_is_not() {
        let dri = tempfile::tempdir().unwrap();
        assert!(!has_gpu_render_node(&dri.path().join("missing")));
        assert!(!has_gpu_render_node(dri.path()));
        std::fs::write(dri.path().join("card0"), b"").unwrap();
        assert!(!has_gpu_render_node(dri.path()));
        std::fs::write(dri.path().join("renderD128"), b"").unwrap();
        assert!(has_gpu_render_node(dri.path()));
    }
}
