//! The `.part` file a download is written to, and how its bytes reach the disk: small files through
//! the page cache; large ones from a writer thread of their own, straight to the disk where the system
//! allows it (`O_DIRECT`), so the disk writes while the network delivers and the sync before the
//! rename has almost nothing left to do.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use tokio::io::{AsyncSeekExt, AsyncWriteExt, BufWriter};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Files expected to be at least this long (or of unknown length) are written by a writer thread.
pub const LARGE_FILE_BYTES: u64 = 8 << 20;
/// Bytes a small file buffers before each write.
const SMALL_WRITE_BUFFER: usize = 1 << 18;
/// Bytes a large file hands to its writer thread at a time; two such blocks exist per file, one
/// being filled from the network while the other is written: 4 MiB a file, 64 MiB for 16 at once.
/// (4 MiB blocks wrote a 2 GiB file about 5% faster on a virtio disk; 2 MiB keeps memory in bounds.)
const BLOCK_BYTES: usize = 2 << 20;
/// Alignment of memory, file offsets and lengths for direct writes: the largest logical block size
/// of common disks, so it suits all of them.
const DIRECT_ALIGN: usize = 4096;

/// The `.part` path beside `target`, where bytes go until the file is whole: the one place
/// that names it, for downloads and for every other file written whole-or-not-at-all (manifests).
pub fn part_path(target: &Path) -> PathBuf {
    let mut name = target
        .file_name()
        .expect("targets have file names")
        .to_os_string();
    name.push(".part");
    target.with_file_name(name)
}

/// An open `.part` file, positioned after the bytes it already holds.
pub enum PartFile {
    Small(BufWriter<tokio::fs::File>),
    Large(LargePart),
}

impl PartFile {
    /// Opens `path` to continue after its first `resume_from` bytes (0: start it empty); `expected_len`
    /// is the whole file's length when known.
    pub async fn open(
        path: &Path,
        resume_from: u64,
        expected_len: Option<u64>,
    ) -> io::Result<Self> {
        let path = path.to_owned();
        let large = expected_len.is_none_or(|len| len >= LARGE_FILE_BYTES);
        let opened = tokio::task::spawn_blocking(move || open_part(&path, resume_from, large))
            .await
            .map_err(io::Error::other)??;
        Ok(match opened {
            Opened::Small(file) => {
                let mut file = tokio::fs::File::from_std(file);
                file.seek(SeekFrom::Start(resume_from)).await?;
                PartFile::Small(BufWriter::with_capacity(SMALL_WRITE_BUFFER, file))
            }
            Opened::Large {
                file,
                first,
                direct,
            } => PartFile::Large(LargePart::start(file, first, direct)),
        })
    }

    /// Appends `data`; an error from the disk (e.g. full) may belong to bytes given earlier.
    pub async fn write(&mut self, data: &[u8]) -> io::Result<()> {
        match self {
            PartFile::Small(file) => file.write_all(data).await,
            PartFile::Large(part) => part.write(data).await,
        }
    }

    /// Writes out everything given so far and syncs it to the disk.
    pub async fn finish(self) -> io::Result<()> {
        match self {
            PartFile::Small(mut file) => {
                file.flush().await?;
                file.get_mut().sync_data().await
            }
            PartFile::Large(part) => part.finish().await,
        }
    }
}

/// What [`open_part`] readied.
enum Opened {
    Small(File),
    /// `first` holds the start of the block the next bytes fall in (its bytes already on disk).
    Large {
        file: File,
        first: Block,
        direct: bool,
    },
}

/// Creates or truncates the `.part` to `resume_from` bytes; for a large file also reads the partial
/// block at its end (direct writes start on a block boundary) and turns on direct writes if it can.
fn open_part(path: &Path, resume_from: u64, large: bool) -> io::Result<Opened> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .read(true)
        .write(true)
        .truncate(resume_from == 0)
        .open(path)?;
    if resume_from > 0 {
        file.set_len(resume_from)?;
    }
    if !large {
        return Ok(Opened::Small(file));
    }
    let block_start = resume_from - resume_from % DIRECT_ALIGN as u64;
    let mut first = Block::new(block_start);
    let carried = (resume_from - block_start) as usize;
    file.seek(SeekFrom::Start(block_start))?;
    file.read_exact(&mut first.space()[..carried])?;
    first.len = carried;
    let direct = direct_writes(&file, true).is_ok();
    Ok(Opened::Large {
        file,
        first,
        direct,
    })
}

/// Turns direct writes (`O_DIRECT`: no page cache) on or off; an error means the file system or the
/// system does not offer them.
#[cfg(target_os = "linux")]
fn direct_writes(file: &File, on: bool) -> io::Result<()> {
    use rustix::fs::{fcntl_getfl, fcntl_setfl, OFlags};
    let flags = fcntl_getfl(file)?;
    let flags = if on {
        flags | OFlags::DIRECT
    } else {
        flags - OFlags::DIRECT
    };
    Ok(fcntl_setfl(file, flags)?)
}

/// Direct writes are only used on Linux; elsewhere large files go through the page cache too.
#[cfg(not(target_os = "linux"))]
fn direct_writes(_file: &File, on: bool) -> io::Result<()> {
    if on {
        Err(io::ErrorKind::Unsupported.into())
    } else {
        Ok(())
    }
}

/// An aligned buffer of [`BLOCK_BYTES`] holding `len` bytes of the file from offset `at`.
struct Block {
    memory: Vec<u8>,
    /// Where the aligned part of `memory` starts.
    start: usize,
    len: usize,
    at: u64,
}

impl Block {
    fn new(at: u64) -> Self {
        // Zeroed memory is mapped lazily, so a file that stays small only touches the pages it uses.
        let memory = vec![0; BLOCK_BYTES + DIRECT_ALIGN];
        let start = memory.as_ptr().align_offset(DIRECT_ALIGN);
        Block {
            memory,
            start,
            len: 0,
            at,
        }
    }

    fn space(&mut self) -> &mut [u8] {
        &mut self.memory[self.start + self.len..self.start + BLOCK_BYTES]
    }

    fn filled(&self) -> &[u8] {
        &self.memory[self.start..self.start + self.len]
    }

    fn is_full(&self) -> bool {
        self.len == BLOCK_BYTES
    }

    /// Copies as much of `data` as fits; returns how much that was.
    fn push(&mut self, data: &[u8]) -> usize {
        let space = self.space();
        let n = space.len().min(data.len());
        space[..n].copy_from_slice(&data[..n]);
        self.len += n;
        n
    }

    /// The block emptied, for the bytes that follow `self`.
    fn reuse_after(mut self, previous: &Block) -> Self {
        self.at = previous.at + previous.len as u64;
        self.len = 0;
        self
    }
}

/// A large `.part` file: the caller fills one block while the writer thread writes the other.
pub struct LargePart {
    current: Block,
    spare: Option<Block>,
    to_writer: mpsc::Sender<Block>,
    from_writer: mpsc::Receiver<Block>,
    /// Taken when its outcome is asked for.
    writer: Option<JoinHandle<io::Result<()>>>,
}

impl LargePart {
    fn start(file: File, first: Block, direct: bool) -> Self {
        let (to_writer, blocks) = mpsc::channel(2);
        let (written, from_writer) = mpsc::channel(2);
        let writer =
            tokio::task::spawn_blocking(move || write_blocks(file, direct, blocks, written));
        let spare = Some(Block::new(0));
        LargePart {
            current: first,
            spare,
            to_writer,
            from_writer,
            writer: Some(writer),
        }
    }

    async fn write(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let n = self.current.push(data);
            data = &data[n..];
            if self.current.is_full() {
                self.hand_over().await?;
            }
        }
        Ok(())
    }

    /// Gives the current block to the writer thread and continues in an empty one.
    async fn hand_over(&mut self) -> io::Result<()> {
        let empty = match self.spare.take() {
            Some(block) => block,
            None => match self.from_writer.recv().await {
                Some(block) => block,
                None => return Err(self.writer_failure().await),
            },
        };
        let next = empty.reuse_after(&self.current);
        let full = std::mem::replace(&mut self.current, next);
        if self.to_writer.send(full).await.is_err() {
            return Err(self.writer_failure().await);
        }
        Ok(())
    }

    /// The error that stopped the writer thread (told once; afterwards only that it stopped).
    async fn writer_failure(&mut self) -> io::Error {
        match self.writer.take() {
            Some(writer) => match writer.await {
                Ok(Err(err)) => err,
                Ok(Ok(())) => io::Error::other("the disk writer stopped early"),
                Err(err) => io::Error::other(err),
            },
            None => already_stopped(),
        }
    }

    async fn finish(self) -> io::Result<()> {
        let LargePart {
            current,
            to_writer,
            writer,
            ..
        } = self;
        if current.len > 0 {
            // Refused only when the writer thread has stopped on an error, which its handle gives.
            let _ = to_writer.send(current).await;
        }
        drop(to_writer); // the writer thread syncs and ends once it has written everything
        match writer {
            Some(writer) => writer.await.map_err(io::Error::other)?,
            None => Err(already_stopped()),
        }
    }
}

/// What a large part file says once its writer thread has stopped on an error it already reported.
fn already_stopped() -> io::Error {
    io::Error::other("the disk writer had already stopped on an error")
}

/// The writer thread: writes each block at its offset (a partial last block through the page cache,
/// as direct writes need whole blocks), hands it back for reuse, and syncs the file at the end.
/// It stops at the first error, which the caller gets from its handle.
fn write_blocks(
    mut file: File,
    mut direct: bool,
    mut blocks: mpsc::Receiver<Block>,
    written: mpsc::Sender<Block>,
) -> io::Result<()> {
    while let Some(block) = blocks.blocking_recv() {
        if direct && block.len % DIRECT_ALIGN != 0 {
            direct_writes(&file, false)?;
            direct = false;
        }
        let mut outcome = write_at(&mut file, &block, direct);
        if direct && outcome.is_err() {
            // Again through the page cache: that works where a file system takes O_DIRECT but not
            // these writes, and on a full disk it keeps as much as fits (a direct write keeps none).
            direct_writes(&file, false)?;
            direct = false;
            outcome = write_at(&mut file, &block, direct);
        }
        outcome?;
        // The caller may be gone (stopped); the bytes are written all the same.
        let _ = written.blocking_send(block);
    }
    file.sync_data()
}

/// Writes `block` at its offset: whole when `direct`, else in pieces, so that on a full disk every
/// piece that fits is kept (a file system may refuse a large write as a whole).
fn write_at(file: &mut File, block: &Block, direct: bool) -> io::Result<()> {
    file.seek(SeekFrom::Start(block.at))?;
    let piece = if direct {
        BLOCK_BYTES
    } else {
        SMALL_WRITE_BUFFER
    };
    block
        .filled()
        .chunks(piece)
        .try_for_each(|piece| file.write_all(piece))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_part_file_sits_beside_its_target() {
        assert_eq!(
            part_path(Path::new("/out/42/DES0226-1541/x_r.fits")),
            Path::new("/out/42/DES0226-1541/x_r.fits.part")
        );
        assert_eq!(part_path(Path::new("README")), Path::new("README.part"));
    }

    fn pattern(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    /// Opens `path` as a download would, writes `rest` in pieces of `chunk` bytes and finishes;
    /// returns whether it was written as a large file, and the file's bytes afterwards.
    async fn download_into(
        path: &Path,
        resume_from: usize,
        expected_len: Option<usize>,
        rest: &[u8],
        chunk: usize,
    ) -> (bool, Vec<u8>) {
        let mut part = PartFile::open(path, resume_from as u64, expected_len.map(|n| n as u64))
            .await
            .unwrap();
        let large = matches!(part, PartFile::Large(_));
        for piece in rest.chunks(chunk) {
            part.write(piece).await.unwrap();
        }
        part.finish().await.unwrap();
        (large, std::fs::read(path).unwrap())
    }

    #[tokio::test]
    async fn a_large_file_of_odd_length_arrives_whole() {
        let dir = tempfile::tempdir().unwrap();
        let data = pattern(LARGE_FILE_BYTES as usize + BLOCK_BYTES + 12_345, 7);
        let path = part_path(&dir.path().join("big.fits"));
        let (large, written) = download_into(&path, 0, Some(data.len()), &data, 65_521).await;
        assert!(large);
        assert!(written == data);
    }

    #[tokio::test]
    async fn a_large_file_resumes_from_an_unaligned_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = part_path(&dir.path().join("big.fits"));
        let data = pattern(2 * BLOCK_BYTES + 999, 3);
        let kept = BLOCK_BYTES + 5_000;
        // A previous attempt left more than it vouches for: only `kept` bytes count.
        std::fs::write(&path, &data[..kept + 777]).unwrap();
        let (large, written) = download_into(&path, kept, None, &data[kept..], 100_000).await;
        assert!(large);
        assert!(written == data);
    }

    #[tokio::test]
    async fn a_small_file_is_replaced_when_started_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = part_path(&dir.path().join("cutout.png"));
        std::fs::write(&path, pattern(50_000, 1)).unwrap();
        let data = pattern(30_000, 9);
        let (large, written) = download_into(&path, 0, Some(30_000), &data, 4_096).await;
        assert!(!large);
        assert_eq!(written, data);
    }

    #[tokio::test]
    async fn a_file_of_unknown_length_that_stays_small_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let data = pattern(10_001, 5);
        let path = part_path(&dir.path().join("listing"));
        assert_eq!(download_into(&path, 0, None, &data, 1_000).await.1, data);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn direct_writes_turn_on_and_off_where_the_file_system_offers_them() {
        let dir = tempfile::tempdir().unwrap();
        let file = File::create(dir.path().join("x")).unwrap();
        if direct_writes(&file, true).is_ok() {
            let flags = rustix::fs::fcntl_getfl(&file).unwrap();
            assert!(flags.contains(rustix::fs::OFlags::DIRECT));
            direct_writes(&file, false).unwrap();
        }
        let flags = rustix::fs::fcntl_getfl(&file).unwrap();
        assert!(!flags.contains(rustix::fs::OFlags::DIRECT));
    }
}
