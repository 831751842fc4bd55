//! A job to test with, as an archive describes one.

use jobfetch_engine::catalog::{Job, JobStatus};
use jobfetch_engine::ids::AccountId;

/// A cutout job of `ana` on host `h`, with no times.
pub(crate) fn job(id: &str, name: &str, status: JobStatus) -> Job {
    Job {
        id: id.into(),
        name: name.into(),
        job_type: "cutout".into(),
        status,
        status_message: String::new(),
        submitted: None,
        started: None,
        completed: None,
        expires: None,
        account: AccountId::try_from("desaccess:ana@h".to_string()).unwrap(),
        location: String::new(),
    }
}
