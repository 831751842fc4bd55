//! Recognises what people give `jobfetch get` instead of a job folder URL or a job id, and says what to
//! give instead: a single file's URL here, and whatever an archive recognises as its own (its API
//! address, say) through the providers' advice.

use jobfetch_engine::providers::nginx_listing::{child_url, normalize_folder_url};
use jobfetch_engine::providers::Registry;

/// Endings of single files in archive job outputs: images, tables, logs, archives.
const FILE_EXTENSIONS: [&str; 22] = [
    "fits", "fit", "fz", "gz", "bz2", "xz", "zip", "tar", "tgz", "png", "jpg", "jpeg", "tif",
    "tiff", "csv", "ecsv", "json", "xml", "vot", "log", "txt", "html",
];

/// Why the address `source` is not a job folder and what to give instead, when it is recognisably
/// something else. Anything unrecognised passes, to be checked (and perhaps refused) by the download.
pub fn check(source: &str, registry: &Registry) -> Result<(), String> {
    let source = source.trim();
    if let Some(advice) = advice(source, registry) {
        return Err(advice);
    }
    // Without a query, a fragment or a trailing `/` or `/json`; what is no URL at all is refused later.
    let Ok(url) = normalize_folder_url(source) else {
        return Ok(());
    };
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    if segments.last().is_some_and(|name| is_file_name(name)) {
        let mut folder = url.clone();
        folder
            .path_segments_mut()
            .expect("http URLs have paths")
            .pop();
        return Err(format!(
            "{source} is a single file, not a folder; `jobfetch get` downloads folders. Give the \
             folder it is in, {}, or the whole job's folder.",
            child_url(&folder, "")
        ));
    }
    Ok(())
}

/// What the archives say about `source`, if any recognises it.
pub fn advice(source: &str, registry: &Registry) -> Option<String> {
    registry
        .all()
        .iter()
        .find_map(|provider| provider.advise(source))
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
        let registry = Registry::builtin();
        for source in [
            "https://des.ncsa.illinois.edu/files-desaccess/u/cutout/c39008aa52f54b9e94335b566743af0c/",
            "https://des.ncsa.illinois.edu/files-desaccess/u/cutout/c39008aa52f54b9e94335b566743af0c/json",
            "http://127.0.0.1:8080/files-desaccess/u/query/j/DES0226-1541",
            "not a url",
        ] {
            assert_eq!(check(source, &registry), Ok(()), "{source}");
        }
    }

    #[test]
    fn files_and_what_an_archive_recognises_are_refused() {
        let registry = Registry::builtin();
        for (source, says) in [
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
            let said = check(source, &registry).unwrap_err();
            assert!(said.contains(says), "{source}: {said}");
        }
    }
}
