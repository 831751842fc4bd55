//! The real folders behind JDMA: the group workspaces (where users' files are and GETs write) and the sim's "tape", both on disk.

use std::fs;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Component, Path, PathBuf};

use bytes::Bytes;
use tempfile::TempDir;

use super::content::{DigestFormat, Digester};

/// Where JASMIN mounts group workspaces, under the sim's workspace root.
const GWS_MOUNT: &str = "gws/nopw/j04";

pub(crate) struct Disk {
    /// Every group workspace lives under it (canonical, so paths compare as the kernel sees them).
    root: PathBuf,
    /// Copies of what PUT requests stored, one folder per batch.
    storage: PathBuf,
    /// Temporary folders removed when the sim goes.
    _temporary: Vec<TempDir>,
}

/// A file or folder found under a path a PUT names.
pub(crate) struct Found {
    pub(crate) path: PathBuf,
    pub(crate) is_dir: bool,
    pub(crate) size: u64,
}

impl Disk {
    /// Uses `root` for the workspaces (made if missing), or a temporary folder; the "tape" is always temporary.
    pub(crate) fn new(root: Option<&Path>) -> io::Result<Disk> {
        let mut temporary = Vec::new();
        let root = match root {
            Some(root) => {
                fs::create_dir_all(root)?;
                root.to_owned()
            }
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("jobfetch-sim-jdma-")
                    .tempdir()?;
                let path = dir.path().to_owned();
                temporary.push(dir);
                path
            }
        };
        let storage = tempfile::Builder::new()
            .prefix("jobfetch-sim-jdma-tape-")
            .tempdir()?;
        let storage_path = storage.path().canonicalize()?;
        temporary.push(storage);
        Ok(Disk {
            root: root.canonicalize()?,
            storage: storage_path,
            _temporary: temporary,
        })
    }

    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// A group workspace's folder: `{root}/gws/nopw/j04/{name}`.
    pub(crate) fn workspace(&self, name: &str) -> PathBuf {
        self.root.join(GWS_MOUNT).join(name)
    }

    /// Where a stored file of a batch is kept on the "tape".
    pub(crate) fn stored(&self, batch_id: u64, relative: &str) -> PathBuf {
        self.storage
            .join(format!("migration_{batch_id:08}"))
            .join(relative)
    }

    /// The real path behind `path` if it exists and lies under the workspace root; the sim
    /// neither reads nor writes anywhere else.
    pub(crate) fn existing(&self, path: &str) -> Option<PathBuf> {
        let path = Path::new(path);
        if !path.is_absolute() {
            return None;
        }
        let real = path.canonicalize().ok()?;
        real.starts_with(&self.root).then_some(real)
    }

    /// Where a GET with this target path writes: its parent must exist under the workspace root
    /// (and so must the target itself, if it exists).
    pub(crate) fn target(&self, path: &str) -> Option<PathBuf> {
        let path = Path::new(path);
        let name = path.file_name()?;
        let parent = self.existing(path.parent()?.to_str()?)?;
        let target = parent.join(name);
        match target.symlink_metadata() {
            Ok(_) => self.existing(target.to_str()?),
            Err(_) => Some(target),
        }
    }

    /// Whether a path not yet made would lie under the workspace root: absolute, no `..`.
    pub(crate) fn may_write(&self, path: &Path) -> bool {
        path.is_absolute()
            && path.starts_with(&self.root)
            && path
                .components()
                .all(|part| !matches!(part, Component::ParentDir))
    }

    /// `path` and, for a folder, everything under it (symbolic links left out), folders first.
    pub(crate) fn walk(&self, path: &Path) -> io::Result<Vec<Found>> {
        let meta = fs::symlink_metadata(path)?;
        let mut found = vec![Found {
            path: path.to_owned(),
            is_dir: meta.is_dir(),
            size: meta.len(),
        }];
        if meta.is_dir() {
            let mut entries: Vec<_> = fs::read_dir(path)?.collect::<io::Result<_>>()?;
            entries.sort_by_key(|entry| entry.file_name());
            for entry in entries {
                if !entry.file_type()?.is_symlink() {
                    found.extend(self.walk(&entry.path())?);
                }
            }
        }
        Ok(found)
    }

    /// Copies a user's file onto the "tape" as `to`, computing its digest from the bytes read.
    pub(crate) fn store(&self, from: &Path, to: &Path, format: DigestFormat) -> io::Result<String> {
        let mut digester = format.start();
        let mut source = fs::File::open(from)?;
        let mut buffer = vec![0; 1 << 20];
        self.write_atomically(to, |out| loop {
            let n = source.read(&mut buffer)?;
            if n == 0 {
                return Ok(());
            }
            digester.update(&buffer[..n]);
            out.write_all(&buffer[..n])?;
        })?;
        Ok(Digester::finish(digester))
    }

    /// Writes `chunks` to `path` under a temporary name, renamed once complete, so a half-written
    /// file never appears under its name.
    pub(crate) fn write_chunks(
        &self,
        path: &Path,
        chunks: impl Iterator<Item = Bytes>,
    ) -> io::Result<()> {
        self.write_atomically(path, |out| {
            chunks
                .into_iter()
                .try_for_each(|chunk| out.write_all(&chunk))
        })
    }

    /// Copies a file from the "tape" to `path`, streamed, through a temporary name.
    pub(crate) fn copy_out(&self, from: &Path, path: &Path) -> io::Result<()> {
        let mut source = fs::File::open(from)?;
        self.write_atomically(path, |out| io::copy(&mut source, out).map(drop))
    }

    fn write_atomically(
        &self,
        path: &Path,
        write: impl FnOnce(&mut io::BufWriter<fs::File>) -> io::Result<()>,
    ) -> io::Result<()> {
        let folder = path
            .parent()
            .ok_or_else(|| io::Error::other("no parent folder"))?;
        fs::create_dir_all(folder)?;
        let name = path
            .file_name()
            .ok_or_else(|| io::Error::other("no file name"))?;
        let partial = folder.join(format!(".{}.jdma-part", name.to_string_lossy()));
        let mut out = io::BufWriter::with_capacity(1 << 20, fs::File::create(&partial)?);
        let written = write(&mut out).and_then(|()| out.flush());
        drop(out);
        match written {
            Ok(()) => fs::rename(&partial, path),
            Err(error) => {
                let _ = fs::remove_file(&partial);
                Err(error)
            }
        }
    }

    /// Removes a user's file or folder (a MIGRATE's originals); one already gone is not an error.
    pub(crate) fn remove(&self, path: &Path) -> io::Result<()> {
        let removed = match fs::symlink_metadata(path) {
            Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
            Ok(_) => fs::remove_file(path),
            Err(error) => Err(error),
        };
        match removed {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
            _ => Ok(()),
        }
    }

    /// Removes a batch's copies from the "tape".
    pub(crate) fn forget(&self, batch_id: u64) -> io::Result<()> {
        self.remove(&self.storage.join(format!("migration_{batch_id:08}")))
    }

    /// Flips every bit of the byte in the middle of a workspace file, keeping its size; gives the offset.
    pub(crate) fn corrupt(&self, path: &str) -> io::Result<u64> {
        let real = self.existing(path).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("{path} is not a file under the workspace root"),
            )
        })?;
        let mut file = fs::OpenOptions::new().read(true).write(true).open(&real)?;
        let len = file.metadata()?.len();
        if len == 0 || !file.metadata()?.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{path} is not a file with bytes to change"),
            ));
        }
        let offset = len / 2;
        let mut byte = [0];
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(&mut byte)?;
        byte[0] ^= 0xff;
        file.seek(SeekFrom::Start(offset))?;
        file.write_all(&byte)?;
        Ok(offset)
    }
}
