//! What a launch asks the window to open: `jobfetch://job/<archive>/<job id>[?server=<host>]` links
//! and files (an archive's download scripts), given on the command line by the desktop (the entry's
//! `%u`) or a terminal, to this launch or a second one.

use std::path::Path;

use jobfetch_engine::ids::ProviderId;
use serde::Serialize;
use ts_rs::TS;
use url::Url;

/// The link scheme the desktop entry registers.
pub const SCHEME: &str = "jobfetch";

/// One thing a launch asked to open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase", tag = "kind")]
#[ts(export)]
pub enum OpenRequest {
    /// A job of an account of `archive`, on `server` when the link names one (a host, as in account ids).
    #[serde(rename_all = "camelCase")]
    Job {
        archive: ProviderId,
        job: String,
        server: Option<String>,
    },
    /// A file on this computer, for the window to ask the archives about (`open_file`).
    #[serde(rename_all = "camelCase")]
    File { path: String },
    /// Something Jobfetch cannot open, and why, for the window to say.
    #[serde(rename_all = "camelCase")]
    Unsupported { argument: String, reason: String },
}

/// The requests in a launch's arguments (without the program name), file paths taken from `cwd`, the
/// launch's working folder; options (`--demo`) are not requests.
pub fn requests(args: &[String], cwd: &Path) -> Vec<OpenRequest> {
    args.iter()
        .filter(|arg| !arg.starts_with("--"))
        .map(|arg| parse(arg, cwd))
        .collect()
}

fn parse(argument: &str, cwd: &Path) -> OpenRequest {
    let unsupported = |reason: &str| OpenRequest::Unsupported {
        argument: argument.to_string(),
        reason: reason.to_string(),
    };
    let url = match Url::parse(argument) {
        Ok(url) if url.scheme() == SCHEME => url,
        Ok(url) if url.scheme() == "file" => {
            return match url.to_file_path() {
                Ok(path) => file(&path, argument),
                Err(()) => unsupported("The address is not of a file on this computer."),
            };
        }
        // A Windows path's drive letter parses as a scheme.
        Ok(url) if url.scheme().len() > 1 => {
            return unsupported("Jobfetch opens jobfetch:// links and files, not web addresses.")
        }
        _ => return file(&cwd.join(argument), argument),
    };
    let segments: Vec<String> = url
        .path_segments()
        .into_iter()
        .flatten()
        .map(|segment| {
            percent_encoding::percent_decode_str(segment)
                .decode_utf8_lossy()
                .into_owned()
        })
        .filter(|segment| !segment.is_empty())
        .collect();
    let (Some("job"), [archive, job]) = (url.host_str(), segments.as_slice()) else {
        return unsupported("The link is not jobfetch://job/<archive>/<job id>.");
    };
    let Ok(archive) = ProviderId::new(archive) else {
        return unsupported("The link names no archive Jobfetch knows.");
    };
    let server = url
        .query_pairs()
        .find(|(key, _)| key == "server")
        .map(|(_, value)| value.into_owned())
        .filter(|server| !server.is_empty());
    OpenRequest::Job {
        archive,
        job: job.clone(),
        server,
    }
}

/// A file to open, or why not when there is none at `path`.
fn file(path: &Path, argument: &str) -> OpenRequest {
    if path.is_file() {
        return OpenRequest::File {
            path: path.display().to_string(),
        };
    }
    OpenRequest::Unsupported {
        argument: argument.to_string(),
        reason: format!("There is no file {}.", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_job_link_names_its_archive_job_and_server() {
        assert_eq!(
            requests(
                &args(&[
                    "--demo",
                    "jobfetch://job/desaccess/c39008aa52f54b9e94335b566743af0c?server=des.ncsa.illinois.edu"
                ]),
                Path::new("/")
            ),
            vec![OpenRequest::Job {
                archive: ProviderId::new("desaccess").unwrap(),
                job: "c39008aa52f54b9e94335b566743af0c".into(),
                server: Some("des.ncsa.illinois.edu".into()),
            }]
        );
        assert_eq!(
            requests(
                &args(&["jobfetch://job/mast/hst%20obs%2F1/"]),
                Path::new("/")
            ),
            vec![OpenRequest::Job {
                archive: ProviderId::new("mast").unwrap(),
                job: "hst obs/1".into(),
                server: None,
            }]
        );
    }

    #[test]
    fn anything_else_is_refused_with_a_reason() {
        for argument in [
            "/home/ana/no such plan.json",
            "no-such-script.sh",
            "file:///home/ana/no-such-script.sh",
            "https://example.org/job/1",
            "jobfetch://job/desaccess",
            "jobfetch://batch/1/2",
            "jobfetch://job/Not An Archive/1",
        ] {
            match requests(&args(&[argument]), Path::new("/")).as_slice() {
                [OpenRequest::Unsupported {
                    argument: seen,
                    reason,
                }] => {
                    assert_eq!(seen, argument);
                    assert!(!reason.is_empty());
                }
                other => panic!("{argument}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_file_is_taken_from_the_launch_s_folder_or_a_file_address() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("MAST 1.sh");
        std::fs::write(&script, "curl").unwrap();
        let want = vec![OpenRequest::File {
            path: script.display().to_string(),
        }];
        assert_eq!(requests(&args(&["MAST 1.sh"]), dir.path()), want);
        assert_eq!(
            requests(&args(&[&script.display().to_string()]), Path::new("/")),
            want
        );
        let address = Url::from_file_path(&script).unwrap().to_string();
        assert_eq!(requests(&args(&[&address]), Path::new("/")), want);
    }
}
