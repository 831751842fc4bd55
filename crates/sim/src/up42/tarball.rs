//! Result tarballs: gzipped tar with a top-level `output/` holding `data.json` and the data files,
//! or hostile members for tests, the bomb's zeros compressed as they are sent.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::io::Write;

use axum::body::Body;
use bytes::Bytes;
use flate2::write::GzEncoder;
use flate2::Compression;
use tar::{EntryType, Header};

use super::projects::{Hostile, Output};
use crate::clock::UnixTime;

/// What the bomb member's header says it holds, and what its stream holds: 64 GiB of zeros.
pub(crate) const BOMB_LEN: u64 = 64 << 30;
/// Gzip input handed to the encoder at once while streaming.
const STEP: u64 = 256 * 1024;

/// A stretch of tar bytes: given, or that many zero bytes (made as they are compressed).
enum Piece {
    Bytes(Vec<u8>),
    Zeros(u64),
}

/// The members of one result tarball, in order.
pub(crate) struct Tarball {
    mtime: UnixTime,
    pieces: Vec<Piece>,
}

impl Tarball {
    /// `output/`, `output/data.json`, then each output's file at `output/<up42.data_path>`.
    pub(crate) fn results(
        data_json: &[u8],
        outputs: &[Output],
        mtime: UnixTime,
        render: impl Fn(&Output) -> Vec<u8>,
    ) -> Tarball {
        let mut tarball = Tarball {
            mtime,
            pieces: Vec::new(),
        };
        tarball.dir(b"output/");
        tarball.file(b"output/data.json", data_json.to_vec());
        let mut folders: Vec<&str> = Vec::new();
        for output in outputs {
            let Some(path) = &output.data_path else {
                continue;
            };
            if let Some((folder, _)) = path.rsplit_once('/') {
                if !folders.contains(&folder) {
                    folders.push(folder);
                    tarball.dir(format!("output/{folder}/").as_bytes());
                }
            }
            tarball.file(format!("output/{path}").as_bytes(), render(output));
        }
        tarball
    }

    /// `output/data.json` plus the members of each hostile kind, in order.
    pub(crate) fn hostile(data_json: &[u8], kinds: &[Hostile], mtime: UnixTime) -> Tarball {
        let mut tarball = Tarball {
            mtime,
            pieces: Vec::new(),
        };
        tarball.dir(b"output/");
        tarball.file(b"output/data.json", data_json.to_vec());
        let note = |what: &str| {
            format!("jobfetch sim: {what}; a safe client never writes this\n").into_bytes()
        };
        for kind in kinds {
            match kind {
                Hostile::Traversal => {
                    tarball.file(
                        b"output/../../escaped.txt",
                        note("a member that climbs out with ../"),
                    );
                }
                Hostile::Absolute => {
                    tarball.file(
                        b"/tmp/jobfetch-up42-absolute.txt",
                        note("a member with an absolute path"),
                    );
                }
                Hostile::Symlink => {
                    tarball.member(b"output/escape", 0, EntryType::Symlink, Some(b"/tmp"));
                    tarball.file(
                        b"output/escape/jobfetch-up42-symlinked.txt",
                        note("a member written through a symlink"),
                    );
                }
                Hostile::Bomb => {
                    tarball.member(b"output/bomb.tif", BOMB_LEN, EntryType::Regular, None);
                    tarball.pieces.push(Piece::Zeros(BOMB_LEN));
                    // BOMB_LEN is a multiple of 512: no padding.
                }
            }
        }
        tarball
    }

    fn dir(&mut self, path: &[u8]) {
        self.member(path, 0, EntryType::Directory, None);
    }

    fn file(&mut self, path: &[u8], data: Vec<u8>) {
        self.member(path, data.len() as u64, EntryType::Regular, None);
        let padding = (512 - data.len() % 512) % 512;
        self.pieces.push(Piece::Bytes(data));
        self.pieces.push(Piece::Bytes(vec![0; padding]));
    }

    /// A header naming `path` as given, `..` and leading `/` included (the `tar` crate's
    /// `set_path` would refuse those, as a careful writer should).
    fn member(&mut self, path: &[u8], size: u64, kind: EntryType, link: Option<&[u8]>) {
        let mut header = Header::new_gnu();
        header.set_entry_type(kind);
        header.set_size(size);
        header.set_mode(if kind == EntryType::Regular {
            0o644
        } else {
            0o755
        });
        header.set_mtime(u64::try_from(self.mtime).unwrap_or(0));
        header.set_uid(0);
        header.set_gid(0);
        let old = header.as_old_mut();
        old.name = [0; 100];
        old.name[..path.len()].copy_from_slice(path);
        if let Some(link) = link {
            old.linkname = [0; 100];
            old.linkname[..link.len()].copy_from_slice(link);
        }
        header
            .set_username("up42")
            .and_then(|()| header.set_groupname("up42"))
            .expect("short names fit a GNU header");
        header.set_cksum();
        self.pieces.push(Piece::Bytes(header.as_bytes().to_vec()));
    }

    /// Every piece, then the two zero blocks that end a tar archive.
    fn ended(mut self) -> Vec<Piece> {
        self.pieces.push(Piece::Bytes(vec![0; 1024]));
        self.pieces
    }

    /// Whether the whole tarball is small enough to make at once (no bomb in it).
    pub(crate) fn is_small(&self) -> bool {
        self.pieces
            .iter()
            .all(|piece| matches!(piece, Piece::Bytes(_)))
    }

    /// The gzipped tarball in one buffer; for [`Tarball::is_small`] ones.
    pub(crate) fn gzip(self) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        for piece in &self.ended() {
            if let Piece::Bytes(bytes) = piece {
                encoder
                    .write_all(bytes)
                    .expect("writing to memory cannot fail");
            }
        }
        encoder.finish().expect("writing to memory cannot fail")
    }

    /// The gzipped tarball as a body compressed while it is sent, so memory stays bounded
    /// whatever the members claim; the client going away stops the work.
    pub(crate) fn gzip_stream(self) -> Body {
        let pieces = VecDeque::from(self.ended());
        let encoder = GzEncoder::new(Vec::new(), Compression::fast());
        let stream = futures_util::stream::unfold(Some((encoder, pieces)), |state| async move {
            let (mut encoder, mut pieces) = state?;
            let mut fed = 0;
            while fed < STEP {
                match pieces.front_mut() {
                    None => {
                        let rest = encoder.finish().expect("writing to memory cannot fail");
                        return Some((Ok::<_, Infallible>(Bytes::from(rest)), None));
                    }
                    Some(Piece::Bytes(bytes)) => {
                        fed += bytes.len() as u64;
                        encoder
                            .write_all(bytes)
                            .expect("writing to memory cannot fail");
                        pieces.pop_front();
                    }
                    Some(Piece::Zeros(left)) => {
                        let take = (*left).min(STEP - fed);
                        encoder
                            .write_all(&ZEROS[..take as usize])
                            .expect("writing to memory cannot fail");
                        fed += take;
                        *left -= take;
                        if *left == 0 {
                            pieces.pop_front();
                        }
                    }
                }
            }
            let chunk = std::mem::take(encoder.get_mut());
            Some((Ok(Bytes::from(chunk)), Some((encoder, pieces))))
        });
        Body::from_stream(stream)
    }
}

static ZEROS: [u8; STEP as usize] = [0; STEP as usize];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_members_are_written_as_named() {
        let tarball = Tarball::hostile(
            b"{}",
            &[Hostile::Traversal, Hostile::Absolute, Hostile::Symlink],
            1_700_000_000,
        );
        assert!(tarball.is_small());
        let gz = tarball.gzip();
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&gz[..]));
        let names: Vec<(String, EntryType)> = archive
            .entries()
            .unwrap()
            .map(|entry| {
                let entry = entry.unwrap();
                let name = String::from_utf8(entry.path_bytes().into_owned()).unwrap();
                (name, entry.header().entry_type())
            })
            .collect();
        assert_eq!(
            names,
            [
                ("output/".into(), EntryType::Directory),
                ("output/data.json".into(), EntryType::Regular),
                ("output/../../escaped.txt".into(), EntryType::Regular),
                ("/tmp/jobfetch-up42-absolute.txt".into(), EntryType::Regular),
                ("output/escape".into(), EntryType::Symlink),
                (
                    "output/escape/jobfetch-up42-symlinked.txt".into(),
                    EntryType::Regular
                ),
            ]
        );
    }
}
