//! The app's diagnostics in a process of their own (logging is set up once per process): the log file
//! in its folder, the last warnings and errors in the report, and a panic in a background task logged,
//! reported to whoever listens, and in the report; no secret in any of it.

use std::sync::{Arc, Mutex};

use jobfetch_appkit::diagnostics::Diagnostics;
use jobfetch_engine::secret::Secret;

#[test]
fn warnings_errors_and_panics_are_logged_kept_and_reported() {
    let top = tempfile::tempdir().unwrap();
    let dir = top.path().join("logs"); // not there yet, as on the first start
    let diagnostics = Diagnostics::install(&dir, "JOBFETCH_TEST_LOG").unwrap();
    let told = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = told.clone();
    diagnostics.on_failure(move |sentence| sink.lock().unwrap().push(sentence.to_string()));

    let secret = Secret::new("hunter2-secret");
    tracing::info!("signed in");
    tracing::warn!(account = "mast:token@h", "the archive was slow: {secret:?}");
    tracing::error!("a download failed");
    let worker = std::thread::Builder::new()
        .name("background".into())
        .spawn(|| panic!("the listing went wrong"))
        .unwrap();
    assert!(worker.join().is_err());

    let told = told.lock().unwrap().clone();
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].contains("background thread: the listing went wrong"),
        "{}",
        told[0]
    );
    let recent = diagnostics.recent();
    assert_eq!(recent.len(), 3, "info is not kept: {recent:?}");
    assert!(
        recent[0].message.contains("account=\"mast:token@h\""),
        "{:?}",
        recent[0]
    );
    let facts = [("Jobfetch".to_string(), "0.1.0".to_string())];
    let report = diagnostics.report(&facts);
    for part in [
        "Jobfetch: 0.1.0",
        "System: ",
        "a download failed",
        "stopped unexpectedly",
    ] {
        assert!(report.contains(part), "{part:?} missing from {report}");
    }
    assert!(report.contains(&dir.display().to_string()));
    drop(diagnostics); // flushes the log
    let logs: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(logs.len(), 1, "{logs:?}");
    let name = logs[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("jobfetch.") && name.ends_with(".log"),
        "{name}"
    );
    let log = std::fs::read_to_string(&logs[0]).unwrap();
    assert!(
        log.contains("signed in") && log.contains("the listing went wrong"),
        "{log}"
    );
    assert!(!log.contains("hunter2") && !report.contains("hunter2"));
}
