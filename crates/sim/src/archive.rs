//! Every user's jobs, and the `/files-desaccess/<user>/<job_type>/<job_id>/` tree their outputs form.

use std::sync::OnceLock;

use crate::jobs::{self, Job};
use crate::vfs::{Dir, DirBuilder};
use crate::{bench, demo};

pub(crate) struct Archive {
    jobs: Vec<Job>,
    tree: OnceLock<Dir>,
    /// Lays out the benchmark account's folders (see [`bench`]).
    seed: u64,
}

impl Archive {
    /// The demo account's jobs; nothing is generated until first asked for.
    pub(crate) fn demo(seed: u64) -> Archive {
        Archive {
            jobs: demo::jobs(seed),
            tree: OnceLock::new(),
            seed,
        }
    }

    /// A user's jobs, newest first.
    pub(crate) fn jobs_of(&self, user: &str) -> Vec<&Job> {
        let mut jobs: Vec<&Job> = self
            .jobs
            .iter()
            .filter(|job| job.meta.owner == user)
            .collect();
        jobs::newest_first(&mut jobs);
        jobs
    }

    /// The file-server root; building it lays out every job folder (file bytes stay lazy).
    pub(crate) fn root(&self) -> &Dir {
        self.tree.get_or_init(|| {
            let mut root = DirBuilder::default();
            for job in &self.jobs {
                if let Some(folder) = &job.output().folder {
                    let meta = &job.meta;
                    root.mount(
                        &format!("{}/{}/{}", meta.owner, job.spec.job_type(), meta.id),
                        folder.clone(),
                    );
                }
            }
            for (path, folder) in bench::folders(self.seed) {
                root.mount(&path, folder);
            }
            root.build()
        })
    }
}
