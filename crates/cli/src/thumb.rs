//! `jobfetch thumb`: PNG thumbnails of image files, rendered in parallel on every core.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

use jobfetch_engine::preview::{render_file, RenderOptions};

/// Writes `OUT/<file name>.png` for each file; one line on stderr per file without a preview.
/// Exit 0 when every file got its thumbnail, 1 otherwise.
pub fn run(files: &[PathBuf], out: &Path, options: &RenderOptions) -> ExitCode {
    if let Err(err) = std::fs::create_dir_all(out) {
        eprintln!("jobfetch: could not create {}: {err}", out.display());
        return ExitCode::from(2);
    }
    let mut failed = 0;
    let mut names = HashSet::new();
    let mut jobs: Vec<(&Path, PathBuf)> = Vec::with_capacity(files.len());
    for file in files {
        let Some(name) = file.file_name() else {
            report(file, "no preview: this is not a file name");
            failed += 1;
            continue;
        };
        if !names.insert(name) {
            report(
                file,
                "no preview: an earlier input has the same file name, and its thumbnail would be overwritten; thumbnail the two separately",
            );
            failed += 1;
            continue;
        }
        let mut thumb_name = OsString::from(name);
        thumb_name.push(".png");
        jobs.push((file, out.join(thumb_name)));
    }

    let next = AtomicUsize::new(0);
    let failures = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                // Each worker holds one decoded picture at a time.
                while let Some((file, thumb)) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let written = render_file(file, options).and_then(|thumbnail| {
                        std::fs::write(thumb, &thumbnail.png)
                            .map_err(|err| jobfetch_engine::Error::disk("write", thumb, err))
                    });
                    if let Err(err) = written {
                        report(file, &err.message);
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    failed += failures.into_inner();
    eprintln!(
        "{} thumbnail(s) written to {}, {failed} file(s) without one",
        files.len() - failed,
        out.display()
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `<path>: <message>`, the message starting in lower case after the colon.
fn report(file: &Path, message: &str) {
    let mut chars = message.chars();
    let message: String = chars
        .next()
        .map(|first| first.to_lowercase().chain(chars).collect())
        .unwrap_or_default();
    eprintln!("{}: {message}", file.display());
}
