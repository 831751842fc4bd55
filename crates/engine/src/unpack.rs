//! Unpacks a downloaded `.tar.gz` or `.tar` result (UP42's `output/…` tarballs) into a folder, refusing
//! by name any member that is absolute, climbs out with `..`, is a link or a device, or would write more
//! than the size limit (a decompression bomb), and checking each written file against its member's size.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Component, Path, PathBuf};

use tar::EntryType;

use crate::error::{Error, ErrorCode, Result};
use crate::paths::SafeRelPath;

/// The most an archive may unpack to by default: 16 GiB, beyond UP42's results (a few GB) but far
/// below what a bomb claims.
pub const DEFAULT_MAX_BYTES: u64 = 16 << 30;

/// How to unpack.
#[derive(Debug, Clone)]
pub struct UnpackOptions {
    /// A leading folder every member is expected below and that is left out (UP42's `output/`);
    /// members outside it keep their path.
    pub strip_prefix: Option<String>,
    /// The most the members may unpack to together.
    pub max_bytes: u64,
}

impl Default for UnpackOptions {
    fn default() -> Self {
        UnpackOptions {
            strip_prefix: None,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// One file written from an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unpacked {
    /// Below the destination folder.
    pub path: SafeRelPath,
    pub size: u64,
}

/// Unpacks `archive` (gzip-compressed or not) into `dest`, creating it. Every member is checked before
/// anything of it is written; a refused member stops the unpacking with an error that names it, and
/// nothing is ever written outside `dest`. Files already there are replaced.
pub fn unpack(archive: &Path, dest: &Path, options: &UnpackOptions) -> Result<Vec<Unpacked>> {
    let file = File::open(archive).map_err(|err| Error::disk("open", archive, err))?;
    let mut reader = BufReader::new(file);
    let gzipped = {
        let mut magic = [0u8; 2];
        let n = reader
            .get_mut()
            .read(&mut magic)
            .map_err(|err| Error::disk("read", archive, err))?;
        n == 2 && magic == [0x1f, 0x8b]
    };
    let file = File::open(archive).map_err(|err| Error::disk("open", archive, err))?;
    let stream: Box<dyn Read> = if gzipped {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    std::fs::create_dir_all(dest).map_err(|err| Error::disk("create", dest, err))?;
    let name = archive.file_name().map_or_else(
        || archive.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Unpacking {
        archive: name,
        dest,
        options,
        written: 0,
    }
    .run(stream)
}

struct Unpacking<'a> {
    /// The archive's path, for messages.
    archive: String,
    dest: &'a Path,
    options: &'a UnpackOptions,
    /// Bytes written so far, against `options.max_bytes`.
    written: u64,
}

impl Unpacking<'_> {
    fn run(mut self, stream: Box<dyn Read>) -> Result<Vec<Unpacked>> {
        let mut tar = tar::Archive::new(stream);
        let entries = tar.entries().map_err(|err| self.corrupt(&err))?;
        let mut unpacked = Vec::new();
        for entry in entries {
            let mut entry = entry.map_err(|err| self.corrupt(&err))?;
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            match entry.header().entry_type() {
                EntryType::Regular | EntryType::Continuous => {}
                EntryType::Directory => {
                    self.member_path(&raw)?;
                    continue;
                }
                // pax and GNU long-name headers are read by the tar crate itself.
                EntryType::XGlobalHeader | EntryType::XHeader => continue,
                EntryType::Symlink | EntryType::Link => {
                    return Err(self.refuse(&raw, "is a link, which could point outside the folder"))
                }
                _ => {
                    return Err(self.refuse(
                        &raw,
                        "is not a plain file (a device, a pipe or a special entry)",
                    ))
                }
            }
            let Some(path) = self.member_path(&raw)? else {
                continue;
            };
            let size = entry.header().size().map_err(|err| self.corrupt(&err))?;
            if self.written.saturating_add(size) > self.options.max_bytes {
                return Err(self.bomb(&raw));
            }
            self.check_room(&raw, size)?;
            let written = self.write(&mut entry, &path, &raw)?;
            if written != size {
                return Err(Error::new(
                    ErrorCode::Integrity,
                    format!(
                        "{}: {raw:?} unpacked to {written} bytes, but the archive says {size}. The archive is damaged: download it again.",
                        self.archive
                    ),
                ));
            }
            unpacked.push(Unpacked { path, size });
        }
        Ok(unpacked)
    }

    /// Where a member goes below the destination (its prefix left out), or `None` for the prefix folder
    /// itself; an absolute path or one with `..` is refused.
    fn member_path(&self, raw: &str) -> Result<Option<SafeRelPath>> {
        let path = Path::new(raw);
        if path.is_absolute() || raw.starts_with('/') || raw.starts_with('\\') {
            return Err(self.refuse(raw, "has an absolute path"));
        }
        if path
            .components()
            .any(|c| matches!(c, Component::ParentDir | Component::Prefix(_)))
        {
            return Err(self.refuse(raw, "climbs out of the folder with '..'"));
        }
        let trimmed = raw.trim_start_matches("./");
        let below = match &self.options.strip_prefix {
            Some(prefix) => {
                let prefix = prefix.trim_end_matches('/');
                match trimmed.strip_prefix(prefix) {
                    Some("" | "/") => return Ok(None),
                    Some(rest) if rest.starts_with('/') => &rest[1..],
                    _ => trimmed,
                }
            }
            None => trimmed,
        };
        let below = below.trim_end_matches('/');
        if below.is_empty() {
            return Ok(None);
        }
        SafeRelPath::parse(below).map(Some).map_err(|err| {
            self.refuse(
                raw,
                &format!("has a name Jobfetch refuses ({})", err.message),
            )
        })
    }

    /// Writes one member's bytes to `path`, stopping at the size limit, through a temporary file that
    /// replaces the old one only when complete.
    fn write(&mut self, entry: &mut impl Read, path: &SafeRelPath, raw: &str) -> Result<u64> {
        let target: PathBuf = path.under(self.dest);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|err| Error::disk("create", parent, err))?;
        }
        let partial = target.with_extension(match target.extension() {
            Some(ext) => format!("{}.unpacking", ext.to_string_lossy()),
            None => "unpacking".into(),
        });
        let mut out = File::create(&partial).map_err(|err| Error::disk("write", &partial, err))?;
        let mut buffer = vec![0u8; 256 * 1024];
        let mut written = 0u64;
        loop {
            let n = entry.read(&mut buffer).map_err(|err| self.corrupt(&err))?;
            if n == 0 {
                break;
            }
            written += n as u64;
            self.written += n as u64;
            if self.written > self.options.max_bytes {
                drop(out);
                let _ = std::fs::remove_file(&partial);
                return Err(self.bomb(raw));
            }
            if let Err(err) = out.write_all(&buffer[..n]) {
                drop(out);
                let _ = std::fs::remove_file(&partial);
                return Err(Error::disk("write", &target, err));
            }
        }
        out.sync_all()
            .map_err(|err| Error::disk("write", &partial, err))?;
        std::fs::rename(&partial, &target).map_err(|err| Error::disk("write", &target, err))?;
        Ok(written)
    }

    /// A member larger than the free space is refused before it fills the disk.
    fn check_room(&self, member: &str, size: u64) -> Result<()> {
        let Ok(free) = crate::disk_space::free_bytes(self.dest) else {
            return Ok(());
        };
        if size <= free {
            return Ok(());
        }
        Err(Error::new(
            ErrorCode::DiskFull,
            format!(
                "{}: the member {member:?} needs {}, but only {} is free in {}. Make room and unpack again.",
                self.archive,
                crate::units::human_size(size),
                crate::units::human_size(free),
                self.dest.display()
            ),
        ))
    }

    fn refuse(&self, member: &str, why: &str) -> Error {
        Error::unsafe_name(format!(
            "{}: the member {member:?} {why}; Jobfetch unpacked nothing more from it.",
            self.archive
        ))
    }

    fn bomb(&self, member: &str) -> Error {
        Error::new(
            ErrorCode::Integrity,
            format!(
                "{}: the member {member:?} would unpack beyond {} GiB (a decompression bomb?); Jobfetch stopped unpacking. Keep the archive and unpack it by hand if you trust it.",
                self.archive,
                self.options.max_bytes >> 30
            ),
        )
    }

    fn corrupt(&self, err: &std::io::Error) -> Error {
        Error::new(
            ErrorCode::Integrity,
            format!(
                "{} is not a readable tar archive ({err}). Download it again.",
                self.archive
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A member of a test archive.
    enum Member<'a> {
        File(&'a str, &'a [u8]),
        Dir(&'a str),
        Symlink(&'a str, &'a str),
    }

    /// A .tar.gz of `members`, names written raw (the tar crate's own checks bypassed, as a hostile
    /// server would).
    fn archive(dir: &Path, members: &[Member]) -> PathBuf {
        let path = dir.join("results.tar.gz");
        let gz = flate2::write::GzEncoder::new(File::create(&path).unwrap(), Default::default());
        let mut builder = tar::Builder::new(gz);
        for member in members {
            let mut header = tar::Header::new_gnu();
            let (name, kind, data): (&str, EntryType, &[u8]) = match member {
                Member::File(name, data) => (name, EntryType::Regular, data),
                Member::Dir(name) => (name, EntryType::Directory, b""),
                Member::Symlink(name, target) => {
                    header.set_link_name(target).unwrap();
                    (name, EntryType::Symlink, b"")
                }
            };
            header.set_entry_type(kind);
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            let bytes = name.as_bytes();
            header.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
            header.set_cksum();
            builder.append(&header, data).unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap();
        path
    }

    fn up42() -> UnpackOptions {
        UnpackOptions {
            strip_prefix: Some("output/".into()),
            ..UnpackOptions::default()
        }
    }

    fn files_below(dir: &Path) -> Vec<String> {
        let mut found = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(next) = stack.pop() {
            for entry in std::fs::read_dir(&next).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    found.push(path.strip_prefix(dir).unwrap().display().to_string());
                }
            }
        }
        found.sort();
        found
    }

    #[test]
    fn an_up42_result_unpacks_without_its_output_folder_and_sizes_checked() {
        let dir = tempfile::tempdir().unwrap();
        let tarball = archive(
            dir.path(),
            &[
                Member::Dir("output/"),
                Member::File("output/data.json", b"{\"type\":\"FeatureCollection\"}"),
                Member::Dir("output/scene/"),
                Member::File("output/scene/a.tif", &[7u8; 5000]),
            ],
        );
        let dest = dir.path().join("task");
        let unpacked = unpack(&tarball, &dest, &up42()).unwrap();
        assert_eq!(
            unpacked,
            vec![
                Unpacked {
                    path: SafeRelPath::parse("data.json").unwrap(),
                    size: 28
                },
                Unpacked {
                    path: SafeRelPath::parse("scene/a.tif").unwrap(),
                    size: 5000
                },
            ]
        );
        assert_eq!(files_below(&dest), ["data.json", "scene/a.tif"]);
        assert_eq!(
            std::fs::read(dest.join("scene/a.tif")).unwrap(),
            [7u8; 5000]
        );
        // Again: the same files, replaced, nothing left over.
        unpack(&tarball, &dest, &up42()).unwrap();
        assert_eq!(files_below(&dest), ["data.json", "scene/a.tif"]);
    }

    #[test]
    fn hostile_members_are_refused_by_name_and_nothing_lands_outside() {
        for (members, named, why) in [
            (
                vec![Member::File("output/../../escaped.txt", b"x")],
                "output/../../escaped.txt",
                "'..'",
            ),
            (
                vec![Member::File("/tmp/jobfetch-unpack-absolute.txt", b"x")],
                "/tmp/jobfetch-unpack-absolute.txt",
                "absolute",
            ),
            (
                vec![
                    Member::Symlink("output/escape", "/tmp"),
                    Member::File("output/escape/jobfetch-unpack-symlinked.txt", b"x"),
                ],
                "output/escape",
                "link",
            ),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let tarball = archive(dir.path(), &members);
            let dest = dir.path().join("task");
            let err = unpack(&tarball, &dest, &up42()).unwrap_err();
            assert_eq!(err.code, ErrorCode::UnsafeName, "{}", err.message);
            assert!(
                err.message.contains(&format!("{named:?}")) && err.message.contains(why),
                "{}",
                err.message
            );
            assert_eq!(files_below(dir.path()), ["results.tar.gz"]);
        }
        assert!(!Path::new("/tmp/jobfetch-unpack-absolute.txt").exists());
        assert!(!Path::new("/tmp/jobfetch-unpack-symlinked.txt").exists());
    }

    #[test]
    fn a_member_beyond_the_limit_stops_the_unpacking_as_a_bomb() {
        let dir = tempfile::tempdir().unwrap();
        let zeros = vec![0u8; 300_000];
        let tarball = archive(
            dir.path(),
            &[
                Member::File("output/small.txt", b"fine"),
                Member::File("output/bomb.tif", &zeros),
            ],
        );
        let dest = dir.path().join("task");
        let options = UnpackOptions {
            max_bytes: 100_000,
            ..up42()
        };
        let err = unpack(&tarball, &dest, &options).unwrap_err();
        assert_eq!(err.code, ErrorCode::Integrity);
        assert!(
            err.message.contains("\"output/bomb.tif\""),
            "{}",
            err.message
        );
        assert_eq!(files_below(&dest), ["small.txt"]);
    }

    #[test]
    fn a_file_that_is_no_archive_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.tar.gz");
        std::fs::write(&path, b"<Error><Code>ExpiredToken</Code></Error>").unwrap();
        let err = unpack(&path, &dir.path().join("task"), &up42()).unwrap_err();
        assert_eq!(err.code, ErrorCode::Integrity, "{}", err.message);
        assert!(err
            .message
            .contains("results.tar.gz is not a readable tar archive"));
    }
}
