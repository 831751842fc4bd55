//! How the CLI's tests run the real `jobfetch` binary: with its own state folder, no secret from the
//! caller's environment, off the async runtime so an in-process sim keeps serving meanwhile.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};

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
