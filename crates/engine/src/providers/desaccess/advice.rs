//! What DESaccess users give where a job folder belongs, recognised: the API address, or a bare job id
//! (32 hex digits, or a UUID) — and the folder URL to give instead.

use crate::providers::nginx_listing::normalize_folder_url;

/// A job folder address on the public server, with `job` for the job id.
fn example(job: &str) -> String {
    format!("https://des.ncsa.illinois.edu/files-desaccess/<user>/cutout/{job}/")
}

/// Advice for `source` when it is recognisably DESaccess's but not a job folder.
pub fn advise(source: &str) -> Option<String> {
    let source = source.trim();
    if is_job_id(source) {
        return Some(format!(
            "A DESaccess job's files are also at its folder URL, which needs no account, e.g. {}",
            example(source)
        ));
    }
    let url = normalize_folder_url(source).ok()?;
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    segments
        .windows(2)
        .any(|pair| pair == ["desaccess", "api"])
        .then(|| {
            format!(
                "{source} is a DESaccess API address; `jobfetch get` needs a job's folder on the file \
                 server (…/files-desaccess/… beside …/desaccess/api), e.g. {}, or a job id of an account \
                 added with `jobfetch account add`.",
                example("<job_id>")
            )
        })
}

/// 32 hex digits (DESaccess) or a UUID with dashes.
fn is_job_id(text: &str) -> bool {
    let hex = |part: &str| part.chars().all(|c| c.is_ascii_hexdigit());
    let parts: Vec<&str> = text.split('-').collect();
    let lengths: Vec<usize> = parts.iter().map(|p| p.len()).collect();
    parts.iter().all(|p| hex(p)) && (lengths == [32] || lengths == [8, 4, 4, 4, 12])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_and_api_addresses_are_recognised_and_folders_pass() {
        for (source, says) in [
            (
                "c39008aa52f54b9e94335b566743af0c",
                "files-desaccess/<user>/cutout/c39008aa52f54b9e94335b566743af0c/",
            ),
            ("3F6D0E9A-1B2C-4D5E-8F7A-6B5C4D3E2F10", "folder URL"),
            ("https://h/desaccess/api", "API address"),
            ("https://h/desaccess/api/job/status", "API address"),
        ] {
            let said = advise(source).unwrap_or_default();
            assert!(said.contains(says), "{source}: {said}");
        }
        for source in [
            "c39008aa52f54b9e94335b566743af0",
            "https://des.ncsa.illinois.edu/files-desaccess/u/cutout/c39008aa52f54b9e94335b566743af0c/",
            "not a url",
        ] {
            assert_eq!(advise(source), None, "{source}");
        }
    }
}
