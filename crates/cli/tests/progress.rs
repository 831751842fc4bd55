//! The progress bar on a terminal (`script` gives `jobfetch get` a pseudo-terminal): each run shows its own
//! batch, even when another run shares the download queue.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use jobfetch_sim::{Sim, SimConfig};

/// `jobfetch get URL --out OUT -j 1` on a pseudo-terminal; its terminal output comes on stdout.
fn get_on_a_terminal(state: &Path, url: &str, out: &Path) -> Child {
    let command = format!(
        "'{}' get '{url}' --out '{}' -j 1",
        env!("CARGO_BIN_EXE_jobfetch"),
        out.display()
    );
    Command::new("script")
        .args(["--quiet", "--return", "--command", &command, "/dev/null"])
        .env("JOBFETCH_STATE_DIR", state)
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("script(1) from util-linux runs")
}

/// The file totals the progress bar showed: `N` of every `done/N files` in the terminal output.
fn totals_shown(output: &str) -> Vec<u32> {
    let mut totals: Vec<u32> = output
        .match_indices(" files")
        .filter_map(|(at, _)| {
            let before = &output[..at];
            let rest = before.trim_end_matches(|c: char| c.is_ascii_digit());
            rest.ends_with('/')
                .then(|| before[rest.len()..].parse().ok())
                .flatten()
        })
        .collect();
    totals.sort();
    totals.dedup();
    totals
}

fn finish(child: Child) -> String {
    let output = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{text}");
    text
}

/// A folder of `files` small files on the simulator, listed in one go (its total never grows); its URL.
fn flat_job(sim: &Sim, name: &str, files: usize) -> String {
    let folder = format!("demo/cutout/{name}");
    let names: Vec<String> = (0..files).map(|i| format!("{i}.txt")).collect();
    let listing: Vec<serde_json::Value> = names
        .iter()
        .map(|file| serde_json::json!({"name": file, "type": "file", "mtime": "Tue, 02 Jan 2024 03:04:05 GMT", "size": 3}))
        .collect();
    sim.add_raw_listing(&folder, serde_json::to_vec(&listing).unwrap());
    for file in &names {
        sim.add_raw_file(&format!("{folder}/{file}"), "ok\n");
    }
    format!("{}/{folder}", sim.desaccess_files_url())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runs_on_one_queue_each_show_their_own_batch() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let (earlier, seven, five) = (
        flat_job(&sim, "earlier", 3),
        flat_job(&sim, "seven", 7),
        flat_job(&sim, "five", 5),
    );
    // Every request waits, so the two runs overlap.
    sim.faults().set_global_delay(Duration::from_millis(200));
    let (state, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (seven_output, five_output) = tokio::task::spawn_blocking(move || {
        let (state, out) = (state.path(), out.path());
        // An earlier batch in the queue, which neither run may show.
        finish(get_on_a_terminal(state, &earlier, out));
        let first = get_on_a_terminal(state, &seven, out);
        std::thread::sleep(Duration::from_millis(500));
        let second = get_on_a_terminal(state, &five, out);
        (finish(first), finish(second))
    })
    .await
    .unwrap();
    // Each run shows its own batch's files (and nothing, or 0, before its folder is listed): never the
    // earlier batch's 3 nor the other run's.
    for (output, files) in [(&seven_output, 7), (&five_output, 5)] {
        let totals = totals_shown(output);
        assert!(totals.contains(&files), "{output}");
        assert!(totals.iter().all(|t| [0, files].contains(t)), "{output}");
    }
}
