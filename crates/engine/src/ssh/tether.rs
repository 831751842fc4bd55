//! Children that end with this process even when it is killed outright (SIGKILL, a crash), so no
//! `ssh` master outlives the Jobfetch that started it.
//!
//! Linux sends a child its "parent died" signal when the *thread* that forked it ends, not the
//! process; a tokio worker or blocking thread may end while its child should live on. So every
//! tethered child is forked by one thread that lasts as long as the process.

use std::io;
use std::sync::mpsc;
use std::sync::OnceLock;

use tokio::process::{Child, Command};
use tokio::sync::oneshot;

/// A command to spawn, with the runtime its child is watched by and where to send the result.
struct SpawnRequest {
    command: Command,
    runtime: tokio::runtime::Handle,
    reply: oneshot::Sender<io::Result<Child>>,
}

/// Spawns `command` so that its process gets SIGTERM when this process ends, however it ends.
/// Elsewhere than Linux it is spawned plainly.
pub(crate) async fn spawn(mut command: Command) -> io::Result<Child> {
    if !cfg!(target_os = "linux") {
        return command.spawn();
    }
    end_with_parent(&mut command);
    let (reply, answer) = oneshot::channel();
    let request = SpawnRequest {
        command,
        runtime: tokio::runtime::Handle::current(),
        reply,
    };
    spawner().send(request).map_err(|_| spawner_gone())?;
    answer.await.map_err(|_| spawner_gone())?
}

/// The error when the spawning thread is no longer there to answer (it panicked).
fn spawner_gone() -> io::Error {
    io::Error::other("the thread that starts child processes has ended")
}

/// The lasting thread's inbox; the thread starts with the first request.
fn spawner() -> &'static mpsc::Sender<SpawnRequest> {
    static SPAWNER: OnceLock<mpsc::Sender<SpawnRequest>> = OnceLock::new();
    SPAWNER.get_or_init(|| {
        let (requests, inbox) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("jobfetch-spawner".into())
            .spawn(move || {
                for request in inbox {
                    let _runtime = request.runtime.enter();
                    let mut command = request.command;
                    let _ = request.reply.send(command.spawn());
                }
            })
            .expect("a thread can be started");
        requests
    })
}

#[cfg(target_os = "linux")]
fn end_with_parent(command: &mut Command) {
    let parent = std::process::id();
    // SAFETY: between fork and exec this makes two system calls (prctl, getppid), which are
    // async-signal-safe, and allocates nothing.
    unsafe {
        command.pre_exec(move || {
            use rustix::process::{getppid, set_parent_process_death_signal, Pid, Signal};
            set_parent_process_death_signal(Some(Signal::TERM))?;
            // Had the parent died before the line above, no signal would ever come: give up (the
            // error ends the child before exec).
            if getppid()
                .map(Pid::as_raw_nonzero)
                .map(|pid| pid.get() as u32)
                != Some(parent)
            {
                return Err(io::Error::other("the parent process has ended"));
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn end_with_parent(_command: &mut Command) {}
