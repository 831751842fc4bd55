//! The built-in demo archive: the simulator started in-process on 127.0.0.1, and the display check before any window.

use jobfetch_engine::ids::ProviderId;
use jobfetch_engine::providers::{desaccess, jdma, mast, up42};
use jobfetch_sim::{Sim, SimConfig};

use crate::state::SignInForm;

/// True when the app should open on the demo archive (`--demo` or `JOBFETCH_DEMO=1`).
pub fn requested() -> bool {
    std::env::args().any(|arg| arg == "--demo")
        || std::env::var("JOBFETCH_DEMO").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Bandwidth in slow demo mode, so a download of the smallest demo job lasts long enough to watch.
pub const SLOW_BYTES_PER_SECOND: u64 = 100 * 1024;

/// The running demo archive and the accounts that sign in to it, one per archive it serves (the app
/// opens on the first). The simulator stops when this is dropped.
pub struct DemoArchive {
    pub forms: Vec<SignInForm>,
    /// A fresh folder for this run's transfer queue and downloads, removed when the app exits.
    pub scratch: std::path::PathBuf,
    _scratch: tempfile::TempDir,
    _sim: Sim,
}

impl DemoArchive {
    /// Removes the scratch folder now: the app exits without dropping its state, so the folder's
    /// guard (which removes it when setup fails) never runs. Downloads still writing may put a file
    /// back while it goes, hence a few tries.
    pub fn remove_scratch(&self) {
        let mut result = Ok(());
        for _ in 0..3 {
            result = std::fs::remove_dir_all(&self.scratch);
            if result.is_ok() || !self.scratch.exists() {
                return;
            }
        }
        if let Err(err) = result {
            tracing::warn!(
                "could not remove the demo's scratch folder {}: {err}",
                self.scratch.display()
            );
        }
    }
}

/// Starts the simulator on a free loopback port.
pub async fn start() -> std::io::Result<DemoArchive> {
    let sim = Sim::start(SimConfig::default()).await?;
    let form = |provider: &str, values: Vec<(&str, String)>| SignInForm {
        provider: ProviderId::new(provider).expect("a valid id"),
        values: values
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect(),
    };
    let forms = vec![
        form(
            "desaccess",
            vec![
                (desaccess::API_BASE, sim.desaccess_api_url()),
                (
                    desaccess::USERNAME,
                    jobfetch_sim::demo::USERNAME.to_string(),
                ),
                (
                    desaccess::PASSWORD,
                    jobfetch_sim::demo::PASSWORD.to_string(),
                ),
                (
                    desaccess::DATABASE,
                    jobfetch_sim::demo::DATABASE.to_string(),
                ),
            ],
        ),
        form(
            "mast",
            vec![
                (mast::BASE, sim.mast_url()),
                (mast::TOKEN, jobfetch_sim::mast::DEMO_TOKEN.to_string()),
            ],
        ),
        form(
            "up42",
            vec![
                (up42::API, sim.up42_url()),
                (
                    up42::PROJECT_ID,
                    jobfetch_sim::up42::DEMO_PROJECT_ID.to_string(),
                ),
                (up42::API_KEY, jobfetch_sim::up42::DEMO_API_KEY.to_string()),
            ],
        ),
        form(
            "jdma",
            vec![
                (jdma::API, sim.jdma_api_url()),
                (jdma::USER, jobfetch_sim::jdma::DEMO_USER.to_string()),
            ],
        ),
    ];
    tracing::info!("demo archive running at {}", sim.base_url());
    let scratch = tempfile::Builder::new()
        .prefix("jobfetch-demo-")
        .tempdir()?;
    Ok(DemoArchive {
        forms,
        scratch: scratch.path().to_path_buf(),
        _scratch: scratch,
        _sim: sim,
    })
}

/// Opens the demo archive in a window of its own, a separate Jobfetch whose accounts and downloads
/// vanish when it closes: nothing done there touches this one's.
#[tauri::command]
pub fn open_demo() -> jobfetch_engine::Result<()> {
    let program = std::env::current_exe().map_err(|err| {
        jobfetch_engine::Error::new(
            jobfetch_engine::ErrorCode::Internal,
            format!("Could not find the Jobfetch program to start the demo ({err}); run `jobfetch-app --demo` instead."),
        )
    })?;
    let mut demo = std::process::Command::new(&program)
        .arg("--demo")
        .env_remove("JOBFETCH_DEMO")
        .stdin(std::process::Stdio::null())
        .spawn()
        .map_err(|err| {
            jobfetch_engine::Error::new(
                jobfetch_engine::ErrorCode::Internal,
                format!(
                    "Could not start the demo ({err}); run `{} --demo` instead.",
                    program.display()
                ),
            )
        })?;
    // Reaped when it ends, so a closed demo leaves no zombie behind.
    std::thread::spawn(move || demo.wait());
    Ok(())
}

/// True when the demo should download slowly (`JOBFETCH_DEMO_SLOW=1`), e.g. for end-to-end tests of pausing.
pub fn slow_requested() -> bool {
    std::env::var("JOBFETCH_DEMO_SLOW").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// On Linux a window needs an X11 or Wayland display; say how to get one instead of crashing in GTK.
pub fn check_display() -> Result<(), String> {
    if cfg!(target_os = "linux")
        && std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none()
    {
        return Err(
            "Jobfetch needs a display, and none is set (no DISPLAY or WAYLAND_DISPLAY).\n\
             Run it from a desktop session, or on a headless machine under a virtual display:\n  \
             xvfb-run make run"
                .to_string(),
        );
    }
    Ok(())
}
