//! How WebKitGTK draws the window: with its GPU compositor where there is a GPU, in plain software where there is none.

use std::path::Path;

/// WebKitGTK's switch for its accelerated compositing mode.
const DISABLE_COMPOSITING: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// What keeps OpenGL out of the app's own process once the page is drawn in software: GTK otherwise
/// loads the GL driver (Mesa, and with it LLVM) at start to pick GL-capable visuals, and WebKit opens
/// an EGL display to offer the web process GPU buffers and to find its render node (a path that names
/// no DRM device, /dev/null, means none). Neither is used without compositing; together they cost the
/// app process about 20 MB and half a second before the first page is drawn. The web process still
/// opens EGL itself (WebKitGTK aborts without it).
const SOFTWARE_ONLY: [(&str, &str); 3] = [
    ("GDK_GL", "disable"),
    ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
    ("WEBKIT_WEB_RENDER_DEVICE_FILE", "/dev/null"),
];

/// Where Linux lists the GPUs' render nodes (`renderD128`, …).
const DRI_DIR: &str = "/dev/dri";

/// Turns WebKitGTK's compositing off when this machine has no GPU render node this user may open (a
/// virtual machine, a remote or virtual X display): the compositor would then run on Mesa's software
/// rasteriser, which costs about 100 MB in the web process and most of a second before the first page
/// is drawn, for no gain over drawing the page in software directly; then also keeps GL out of the
/// app's process ([`SOFTWARE_ONLY`]). Each value the user set is kept, and a user who set
/// WEBKIT_DISABLE_COMPOSITING_MODE (either way) gets no change at all. Call it first thing in `main`,
/// before any thread starts: the web process inherits the environment.
pub fn choose_compositing() {
    if !cfg!(target_os = "linux") {
        return;
    }
    let settings = software_settings(
        || has_gpu_render_node(Path::new(DRI_DIR)),
        |name| std::env::var_os(name).is_some(),
    );
    for (name, value) in settings {
        std::env::set_var(name, value);
    }
}

/// The variables [`choose_compositing`] sets: none when the user chose compositing either way or
/// there is a GPU (asked only then), else compositing off and [`SOFTWARE_ONLY`], skipping any the
/// user set.
fn software_settings(
    has_gpu: impl FnOnce() -> bool,
    user_set: impl Fn(&str) -> bool,
) -> Vec<(&'static str, &'static str)> {
    if user_set(DISABLE_COMPOSITING) || has_gpu() {
        return Vec::new();
    }
    std::iter::once((DISABLE_COMPOSITING, "1"))
        .chain(
            SOFTWARE_ONLY
                .into_iter()
                .filter(|(name, _)| !user_set(name)),
        )
        .collect()
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

    #[test]
    fn without_a_gpu_the_page_is_drawn_in_software_and_gl_kept_out_of_the_app() {
        let nothing_set = |_: &str| false;
        let all: Vec<&str> = software_settings(|| false, nothing_set)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(
            all,
            [
                DISABLE_COMPOSITING,
                "GDK_GL",
                "WEBKIT_DISABLE_DMABUF_RENDERER",
                "WEBKIT_WEB_RENDER_DEVICE_FILE"
            ]
        );
        assert!(software_settings(|| true, nothing_set).is_empty());
    }

    #[test]
    fn what_the_user_set_stays() {
        let chose_compositing = |name: &str| name == DISABLE_COMPOSITING;
        let gpu_asked = std::cell::Cell::new(false);
        let has_gpu = || {
            gpu_asked.set(true);
            false
        };
        assert!(software_settings(has_gpu, chose_compositing).is_empty());
        assert!(
            !gpu_asked.get(),
            "the user's choice needs no look at the GPU"
        );

        let own_gdk_gl = |name: &str| name == "GDK_GL";
        assert!(!software_settings(|| false, own_gdk_gl)
            .iter()
            .any(|(name, _)| *name == "GDK_GL"));
    }
}
