//! `jobfetch get --wait`: a job that is still running is waited for, a line on stderr per change, before it downloads.

use std::process::ExitCode;
use std::time::Duration;

use jobfetch_appkit::follow::{FollowEvent, Pacing};
use jobfetch_appkit::Desk;
use jobfetch_engine::catalog::{Job, JobStatus};
use jobfetch_engine::ids::JobRef;
use tokio_util::sync::CancellationToken;

use crate::fail;

/// How `get` waits for a job that has not finished.
#[derive(clap::Args, Debug, Clone)]
pub struct WaitOptions {
    /// If the job is still queued or running, wait until it ends, then download it (a job id of an
    /// account only). A job that fails stops the command with the archive's message (exit status 2).
    #[arg(long)]
    pub wait: bool,
    /// Give up waiting after this long: 90s, 30m, 2h or 1h30m (default: as long as the job runs).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, requires = "wait")]
    pub wait_timeout: Option<Duration>,
}

/// Waits until `job` has ended, printing each change; `Ok` once it succeeded, else the exit code to
/// end with: 2 when it failed or the wait stopped, 130 when interrupted.
pub async fn until_succeeded(
    desk: &Desk,
    job: &JobRef,
    options: &WaitOptions,
) -> Result<(), ExitCode> {
    let (pacing, never) = (Pacing::default(), CancellationToken::new());
    // Ctrl-C and the timeout end the follow by dropping it, so its token is never cancelled.
    let follow = desk.follow_job(job, &pacing, &never, print);
    let deadline = async {
        match options.wait_timeout {
            Some(limit) => tokio::time::sleep(limit).await,
            None => std::future::pending().await,
        }
    };
    let ended = tokio::select! {
        ended = follow => ended,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("\njobfetch: interrupted while waiting for job {}; run the same command again to keep waiting.", job.job);
            return Err(ExitCode::from(130));
        }
        () = deadline => {
            let limit = options.wait_timeout.map(readable).unwrap_or_default();
            return Err(fail(&format!(
                "job {} has not finished after {limit}; run the same command again to keep waiting.",
                job.job
            )));
        }
    };
    let ended = ended.map_err(|err| fail(&err.message))?;
    match ended.status {
        JobStatus::Success => Ok(()),
        _ => Err(fail(&not_downloadable(&ended))),
    }
}

/// Why an ended job that did not succeed has nothing to download.
fn not_downloadable(job: &Job) -> String {
    let said = if job.status_message.is_empty() {
        String::from("the archive gives no reason")
    } else {
        format!(
            "the archive says: {}",
            job.status_message.trim_end_matches('.')
        )
    };
    match job.status {
        JobStatus::Failure => format!("job {} ({}) failed, so it has nothing to download; {said}.", job.name, job.id),
        _ => format!(
            "job {} ({}) ended with status {}, so Jobfetch cannot tell whether it has files; {said}. \
             Look at the job on the archive's site, or run `jobfetch get` without --wait to try anyway.",
            job.name,
            job.id,
            job.status.label()
        ),
    }
}

/// One line on stderr per change: `[00:00:31] transient-hosts: succeeded`.
fn print(event: FollowEvent<'_>) {
    match event {
        FollowEvent::Changed { job, after } => {
            let message = if job.status_message.is_empty() {
                String::new()
            } else {
                format!(": {}", job.status_message)
            };
            eprintln!(
                "[{}] {}: {}{message}",
                clock(after),
                job.name,
                job.status.label()
            );
        }
        FollowEvent::Trouble { error, retry_in } => {
            eprintln!(
                "jobfetch: {} (asking again in {})",
                error.message,
                readable(retry_in)
            );
        }
    }
}

/// Elapsed time as the progress bar shows it: `00:01:05`.
fn clock(elapsed: Duration) -> String {
    let secs = elapsed.as_secs();
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// A duration as `--wait-timeout` takes it: `2h`, `1h30m`, `45s`.
fn readable(duration: Duration) -> String {
    let secs = duration.as_secs();
    let parts = [(secs / 3600, "h"), (secs / 60 % 60, "m"), (secs % 60, "s")];
    let text: String = parts
        .iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, unit)| format!("{count}{unit}"))
        .collect();
    if text.is_empty() {
        "0s".into()
    } else {
        text
    }
}

/// Reads `90s`, `30m`, `2h`, `1h30m` or a bare number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let wrong = || format!("{text:?} is not a duration: give one such as 90s, 30m, 2h or 1h30m.");
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut secs = 0u64;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c.to_ascii_lowercase() {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return Err(wrong()),
        };
        let count: u64 = number.parse().map_err(|_| wrong())?;
        secs = count
            .checked_mul(unit)
            .and_then(|part| secs.checked_add(part))
            .ok_or_else(wrong)?;
        number.clear();
    }
    if !number.is_empty() || text.is_empty() {
        return Err(wrong());
    }
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_and_write_alike() {
        for (text, secs) in [
            ("90s", 90),
            ("30m", 1800),
            ("2h", 7200),
            ("1h30m", 5400),
            ("45", 45),
        ] {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_secs(secs)),
                "{text}"
            );
        }
        assert_eq!(readable(Duration::from_secs(5400)), "1h30m");
        assert_eq!(readable(Duration::from_secs(90)), "1m30s");
        for wrong in ["", "soon", "5 minutes", "1h30", "m"] {
            assert!(parse_duration(wrong).is_err(), "{wrong}");
        }
        assert_eq!(clock(Duration::from_secs(3725)), "01:02:05");
    }
}
