//! How the CLI's tests run the real `jobfetch` binary: with its own state folder, no secret from the
//! caller's environment, off the async runtime so an in-process sim keeps serving meanwhile; and job
//! folders of injected files on the simulator, to fetch and compare.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};

use jobfetch_sim::{FaultAction, FaultRule, Sim};

/// What one run of `jobfetch` did.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Fails the test, showing both outputs, unless the run exited with `code`.
    #[allow(dead_code)] // not every test file checks exit codes this way
    pub fn assert_code(&self, code: i32) {
        assert_eq!(
            self.code,
            Some(code),
            "stdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
    }
}

/// Runs `jobfetch ARGS` with its state in `state` and, of the variables that hold secrets or turn the
/// keyring off, only those in `env`.
#[allow(dead_code)] // not every test file runs it this way
pub async fn jobfetch<A: AsRef<OsStr>>(state: &Path, env: &[(&str, &str)], args: &[A]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jobfetch"));
    command
        .args(args)
        .env("JOBFETCH_STATE_DIR", state)
        .env_remove("DESACCESS_PASSWORD")
        .env_remove("MAST_API_TOKEN")
        .env_remove("UP42_PROJECT_ID")
        .env_remove("UP42_PROJECT_API_KEY")
        .env_remove("UP42_USERNAME")
        .env_remove("UP42_PASSWORD")
        .env_remove("JDMA_ACCESS_KEY")
        .env_remove("JDMA_SECRET_KEY")
        .env_remove("JOBFETCH_NO_KEYRING");
    for (key, value) in env {
        command.env(key, value);
    }
    tokio::task::spawn_blocking(move || command.output().expect("jobfetch runs").into())
        .await
        .unwrap()
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// `len` bytes that follow from `seed` (xorshift), different for every seed.
#[allow(dead_code)] // not every test file uses it
pub fn content(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A job folder on the simulator made of injected files, as nginx would list it.
#[allow(dead_code)] // not every test file uses every part
pub struct Job {
    pub name: String,
    pub url: String,
    /// The request path prefix of its files, for fault rules.
    pub prefix: String,
    pub files: Vec<(String, Vec<u8>)>,
}

#[allow(dead_code)] // not every test file uses every part
impl Job {
    pub fn new(sim: &Sim, name: &str, sizes: &[(&str, usize)]) -> Job {
        let folder = format!("demo/cutout/{name}");
        let files: Vec<(String, Vec<u8>)> = sizes
            .iter()
            .enumerate()
            .map(|(i, (file, len))| (file.to_string(), content(i as u64 + 1, *len)))
            .collect();
        let listing: Vec<serde_json::Value> = files
            .iter()
            .map(|(file, bytes)| {
                serde_json::json!({"name": file, "type": "file", "mtime": "Tue, 02 Jan 2024 03:04:05 GMT", "size": bytes.len()})
            })
            .collect();
        sim.add_raw_listing(&folder, serde_json::to_vec(&listing).unwrap());
        for (file, bytes) in &files {
            sim.add_raw_file(&format!("{folder}/{file}"), bytes.clone());
        }
        Job {
            name: name.into(),
            url: format!("{}/{folder}", sim.desaccess_files_url()),
            prefix: format!("/files-desaccess/{folder}/"),
            files,
        }
    }

    pub fn fault(&self, file_prefix: &str, action: FaultAction) -> FaultRule {
        FaultRule::new(format!("{}{file_prefix}", self.prefix), action)
    }

    pub fn bytes(&self, file: &str) -> &[u8] {
        &self.files.iter().find(|(f, _)| f == file).unwrap().1
    }

    /// Every file of the job is in `dir` exactly as served, with no `.part` left and nothing else.
    pub fn assert_all_whole(&self, dir: &Path) {
        for (file, bytes) in &self.files {
            let local = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert!(
                local == *bytes,
                "{file} differs from what the server serves"
            );
        }
        assert_eq!(parts(dir), Vec::<String>::new(), ".part files left");
    }
}

/// The `.part` files in `dir`.
#[allow(dead_code)] // not every test file uses it
pub fn parts(dir: &Path) -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".part"))
        .collect();
    found.sort();
    found
}
