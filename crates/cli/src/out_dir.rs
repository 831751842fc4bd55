//! The folder `jobfetch get` writes into, tried before anything is fetched, so that a read-only or
//! forbidden place is refused at once with what to do instead.

use std::io::ErrorKind;
use std::path::Path;

/// Creates `out` if needed and makes (and removes) a folder in it, as the download will. Only a read-only
/// file system or a refused permission is reported here; anything else is left to the download to tell.
pub fn check(out: &Path) -> Result<(), String> {
    let probe = out.join(format!(".jobfetch-probe-{}", std::process::id()));
    let tried = std::fs::create_dir_all(out)
        .and_then(|()| std::fs::create_dir(&probe))
        .and_then(|()| std::fs::remove_dir(&probe));
    match tried {
        Err(err)
            if matches!(
                err.kind(),
                ErrorKind::ReadOnlyFilesystem | ErrorKind::PermissionDenied
            ) =>
        {
            let said = jobfetch_engine::Error::disk("write in", out, err).message;
            Err(format!("{said} Choose another folder with --out."))
        }
        _ => Ok(()),
    }
}
