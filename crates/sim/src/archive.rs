//! Every user's jobs as they stand at the sim's time, and the `/files-desaccess/<user>/<job_type>/<job_id>/`
//! tree their outputs form.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use crate::bench;
use crate::clock::Clock;
use crate::demo::{self, Endings, LiveJob};
use crate::jobs::{self, Job};
use crate::live::{EndRefused, RunningJob};
use crate::vfs::{Dir, DirBuilder};

pub(crate) struct Archive {
    /// Jobs that are done, or stay as they are while the sim runs.
    settled: Vec<Job>,
    /// Jobs that end while the sim runs.
    running: Vec<RunningJob>,
    clock: Clock,
    /// The file-server root as laid out for each set of ended running jobs (bit `i`: `running[i]`), so
    /// a job's folder appears when it ends and every tree is built once.
    roots: Mutex<HashMap<u64, Arc<Dir>>>,
    /// The benchmark account's folders, built once.
    bench: OnceLock<Vec<(String, Arc<Dir>)>>,
    /// Lays out the benchmark account's folders (see [`bench`]).
    seed: u64,
}

impl Archive {
    /// The demo account's jobs as of the clock's start; nothing is generated until first asked for.
    pub(crate) fn demo(seed: u64, clock: Clock, endings: &Endings) -> Archive {
        let (settled, running) = demo::jobs(seed, clock.start(), endings);
        Archive {
            settled,
            running,
            clock,
            roots: Mutex::default(),
            bench: OnceLock::new(),
            seed,
        }
    }

    /// Every job as it stands now, and which running jobs have ended (bit `i`: `running[i]`).
    fn jobs_now(&self) -> (Vec<&Job>, u64) {
        let mut jobs: Vec<&Job> = self.settled.iter().collect();
        let mut ended = 0;
        for (bit, running) in self.running.iter().enumerate() {
            let (job, has_ended) = running.now(&self.clock);
            jobs.push(job);
            ended |= u64::from(has_ended) << bit;
        }
        (jobs, ended)
    }

    /// A user's jobs, newest first.
    pub(crate) fn jobs_of(&self, user: &str) -> Vec<&Job> {
        let (mut jobs, _) = self.jobs_now();
        jobs.retain(|job| job.meta.owner == user);
        jobs::newest_first(&mut jobs);
        jobs
    }

    /// The file-server root as of now; laying it out lays out every job folder (file bytes stay lazy).
    pub(crate) fn root(&self) -> Arc<Dir> {
        let (jobs, ended) = self.jobs_now();
        let mut roots = self.roots.lock().expect("roots lock poisoned");
        roots
            .entry(ended)
            .or_insert_with(|| Arc::new(self.lay_out(&jobs)))
            .clone()
    }

    fn lay_out(&self, jobs: &[&Job]) -> Dir {
        let mut root = DirBuilder::default();
        for job in jobs {
            if let Some(folder) = &job.output().folder {
                let meta = &job.meta;
                root.mount(
                    &format!("{}/{}/{}", meta.owner, job.spec.job_type(), meta.id),
                    folder.clone(),
                );
            }
        }
        let bench = self.bench.get_or_init(|| bench::folders(self.seed));
        for (path, folder) in bench {
            root.mount(path, folder.clone());
        }
        root.build()
    }

    /// The jobs that end while the sim runs, and when.
    pub(crate) fn live_jobs(&self) -> Vec<LiveJob> {
        self.running
            .iter()
            .map(|job| job.describe(&self.clock))
            .collect()
    }

    /// Makes the running job `id` end `after` from now.
    pub(crate) fn end_job_in(&self, id: &str, after: Duration) -> Result<(), EndRefused> {
        let job = self
            .running
            .iter()
            .find(|job| job.id() == id)
            .ok_or(EndRefused::NotLive)?;
        job.end_after(&self.clock, self.clock.elapsed() + after)
    }
}
