//! Recognises what people give `jobfetch get` instead of a job folder URL, and says what to give instead.

use jobfetch_engine::providers::desaccess::listing::{child_url, normalize_folder_url};

/// A job folder address as `jobfetch get` wants it, with `job` for the job id.
fn example(job: &str) -> String {
    format!("https://des.ncsa.illinois.edu/files-desaccess/<user>/cutout/{job}/")
}

/// Endings of single files in archive job outputs: images, tables, logs, archives.
const FILE_EXTENSIONS: [&str; 22] = [
    "fits", "fit", "fz", "gz", "bz2", "xz", "zip", "tar", "tgz", "png", "jpg", "jpeg", "tif",
    "tiff", "csv", "ecsv", "json", "xml", "vot", "log", "txt", "html",
];

/// Why `source` is not a job folder and what to give instead, when it is recognisably something else.
/// Anything unrecognised passes, to be checked (and perhaps refused) by the download itself.
pub fn check(source: &str) -> Result<(), String> {
    let source = source.trim();
    if is_job_id(source) {
        return Err(format!(
            "{source:?} looks like a job id. Fetching a job by its id needs an account for its archive \
             (add one with `jobfetch account add desaccess`); or give the job's folder URL, e.g. {}",
            example(source)
        ));
    }
    // Without a query, a fragment or a trailing `/` or `/json`; what is no URL at all is refused later.
    let Ok(url) = normalize_folder_url(source) else {
        return Ok(());
    };
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    if segments.windows(2).any(|pair| pair == ["desaccess", "api"]) {
        return Err(format!(
            "{source} is a DESaccess API address; `jobfetch get` needs a job's folder on the file \
             server (…/files-desaccess/… beside …/desaccess/api), e.g. {}",
            example("<job_id>")
        ));
    }
    if segments.last().is_some_and(|name| is_file_name(name)) {
        let mut folder = url.clone();
        folder
            .path_segments_mut()
            .expect("http URLs have paths")
            .pop();
        return Err(format!(
            "{source} is a single file, not a folder; `jobfetch get` downloads folders. Give the \
             folder it is in, {}, or the whole job's folder, e.g. {}",
            child_url(&folder, ""),
            example("<job_id>")
        ));
    }
    Ok(())
}

/// 32 hex digits (DESaccess) or a UUID with dashes.
fn is_job_id(text: &str) -> bool {
    let hex = |part: &str| part.chars().all(|c| c.is_ascii_hexdigit());
    let parts: Vec<&str> = text.split('-').collect();
    let lengths: Vec<usize> = parts.iter().map(|p| p.len()).collect();
    parts.iter().all(|p| hex(p)) && (lengths == [32] || lengths == [8, 4, 4, 4, 12])
}

/// A name that ends in a known file extension, such as `x_r.fits` or `meta.json` (not the `json` of a listing URL).
fn is_file_name(name: &str) -> bool {
    name.rsplit_once('.').is_some_and(|(stem, extension)| {
        !stem.is_empty() && FILE_EXTENSIONS.contains(&extension.to_ascii_lowercase().as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_folders_and_their_listings_pass() {
        for source in [
            "https://des.ncsa.illinois.edu/files-desaccess/u/cutout/c39008aa52f54b9e94335b566743af0c/",
            "https://des.ncsa.illinois.edu/files-desaccess/u/cutout/c39008aa52f54b9e94335b566743af0c/json",
            "http://127.0.0.1:8080/files-desaccess/u/query/j/DES0226-1541",
            "not a url",
        ] {
            assert_eq!(check(source), Ok(()), "{source}");
        }
    }

    #[test]
    fn job_ids_files_and_api_addresses_are_recognised() {
        for (source, says) in [
            ("c39008aa52f54b9e94335b566743af0c", "looks like a job id"),
            (
                "3F6D0E9A-1B2C-4D5E-8F7A-6B5C4D3E2F10",
                "looks like a job id",
            ),
            ("https://h/desaccess/api", "API address"),
            (
                "https://h/files-desaccess/u/cutout/j/t/x_r.FITS",
                "single file",
            ),
            (
                "https://h/files-desaccess/u/cutout/j/x.fits.fz?x=1",
                "folder it is in, https://h/files-desaccess/u/cutout/j/,",
            ),
        ] {
            let said = check(source).unwrap_err();
            assert!(said.contains(says), "{source}: {said}");
        }
        assert_eq!(
            check("c39008aa52f54b9e94335b566743af0"),
            Ok(()),
            "31 digits"
        );
    }
}
