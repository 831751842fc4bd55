//! The virtual file tree behind the fake nginx: directories, lazily rendered files, memoized bytes.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use bytes::Bytes;
use serde::Serialize;

use crate::clock::UnixTime;
use crate::fits;
use crate::generated;
use crate::preview::{self, Stretch};
use crate::scene::Band;
use crate::stamp::Stamp;

/// How a file's bytes are obtained.
pub(crate) enum Content {
    /// Already in memory (text outputs, raw test files).
    Bytes(Bytes),
    /// One band of a cutout as FITS.
    Fits { stamp: Arc<Stamp>, band: Band },
    /// A colour preview of a cutout as PNG.
    Png {
        stamp: Arc<Stamp>,
        colors: [Band; 3],
        stretch: Stretch,
    },
    /// `len` pseudo-random bytes that follow from `seed`, produced per range and never kept
    /// (the benchmark's files, up to gigabytes).
    Generated { seed: u64, len: u64 },
    /// `len` bytes written on first read ([`pretty_json`]): text whose data is kept anyway, in
    /// another form, so that only its length is kept until someone reads it.
    Rendered {
        len: u64,
        render: Box<dyn Fn() -> Vec<u8> + Send + Sync>,
    },
}

/// `value` as pretty-printed JSON, written when the file is first read; its length is counted now,
/// without keeping the text.
pub(crate) fn pretty_json<T: Serialize + Send + Sync + 'static>(value: Arc<T>) -> Content {
    let mut counter = ByteCounter(0);
    serde_json::to_writer_pretty(&mut counter, &*value).expect("the sim's JSON always serializes");
    Content::Rendered {
        len: counter.0,
        render: Box::new(move || {
            serde_json::to_vec_pretty(&*value).expect("the sim's JSON always serializes")
        }),
    }
}

/// A writer that only counts what it is given.
struct ByteCounter(u64);

impl std::io::Write for ByteCounter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 += bytes.len() as u64;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A file whose size is known up front and whose bytes are rendered on first read, then kept.
pub(crate) struct File {
    mtime: UnixTime,
    size: u64,
    content: Content,
    rendered: OnceLock<Bytes>,
}

impl File {
    pub(crate) fn new(mtime: UnixTime, content: Content) -> File {
        let size = match &content {
            Content::Bytes(bytes) => bytes.len() as u64,
            Content::Fits { stamp, band } => fits::file_len(stamp, *band),
            Content::Png { stamp, .. } => preview::file_len(stamp.width, stamp.height),
            Content::Generated { len, .. } => *len,
            Content::Rendered { len, .. } => *len,
        };
        File {
            mtime,
            size,
            content,
            rendered: OnceLock::new(),
        }
    }

    pub(crate) fn mtime(&self) -> UnixTime {
        self.mtime
    }

    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// The file's bytes; the first call renders them (milliseconds for an image), later calls are free.
    pub(crate) fn bytes(&self) -> Bytes {
        self.rendered
            .get_or_init(|| match &self.content {
                Content::Bytes(bytes) => bytes.clone(),
                Content::Fits { stamp, band } => fits::encode(stamp, *band).into(),
                Content::Png {
                    stamp,
                    colors,
                    stretch,
                } => preview::encode(stamp, *colors, *stretch).into(),
                // Not reached from the file server, which streams these through `body`.
                Content::Generated { seed, len } => generated::collect(*seed, 0, *len),
                Content::Rendered { render, .. } => render().into(),
            })
            .clone()
    }

    /// Bytes `start..start + len` as a response body. Generated content is streamed in slices,
    /// so its memory stays bounded; everything else is rendered (once) and sliced.
    pub(crate) fn body(&self, start: u64, len: u64) -> Body {
        match &self.content {
            Content::Generated { seed, .. } => generated::body(*seed, start, len),
            _ => Body::from(self.bytes().slice(start as usize..(start + len) as usize)),
        }
    }
}

/// A directory entry.
pub(crate) enum Node {
    Dir(Arc<Dir>),
    File(Arc<File>),
}

impl Node {
    pub(crate) fn mtime(&self) -> UnixTime {
        match self {
            Node::Dir(dir) => dir.mtime,
            Node::File(file) => file.mtime,
        }
    }
}

/// A finished, immutable directory; entries are kept in byte-wise name order.
pub(crate) struct Dir {
    mtime: UnixTime,
    entries: BTreeMap<String, Node>,
}

/// What a path resolves to.
pub(crate) enum Found<'a> {
    Dir(&'a Dir),
    File(&'a Arc<File>),
}

impl Dir {
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.entries
            .iter()
            .map(|(name, node)| (name.as_str(), node))
    }

    /// Walks `segments` down from this directory.
    pub(crate) fn lookup(&self, segments: &[&str]) -> Option<Found<'_>> {
        let Some((first, rest)) = segments.split_first() else {
            return Some(Found::Dir(self));
        };
        match self.entries.get(*first)? {
            Node::Dir(dir) => dir.lookup(rest),
            Node::File(file) if rest.is_empty() => Some(Found::File(file)),
            Node::File(_) => None,
        }
    }
}

/// Collects files and sub-trees by path, then freezes them into a `Dir`.
#[derive(Default)]
pub(crate) struct DirBuilder {
    entries: BTreeMap<String, Pending>,
}

enum Pending {
    Dir(DirBuilder),
    Done(Node),
}

impl DirBuilder {
    /// Adds a file at a `/`-separated relative path, creating folders on the way.
    pub(crate) fn add_file(&mut self, path: &str, file: File) {
        self.put(path, Node::File(Arc::new(file)));
    }

    /// Places an already built directory at a `/`-separated relative path.
    pub(crate) fn mount(&mut self, path: &str, dir: Arc<Dir>) {
        self.put(path, Node::Dir(dir));
    }

    fn put(&mut self, path: &str, node: Node) {
        match path.split_once('/') {
            None => {
                self.entries.insert(path.to_owned(), Pending::Done(node));
            }
            Some((folder, rest)) => {
                let entry = self
                    .entries
                    .entry(folder.to_owned())
                    .or_insert_with(|| Pending::Dir(DirBuilder::default()));
                match entry {
                    Pending::Dir(builder) => builder.put(rest, node),
                    Pending::Done(_) => panic!("{folder} is already a file or mounted folder"),
                }
            }
        }
    }

    /// Freezes the tree; a folder's mtime is that of its newest entry.
    pub(crate) fn build(self) -> Dir {
        let entries: BTreeMap<String, Node> = self
            .entries
            .into_iter()
            .map(|(name, pending)| {
                let node = match pending {
                    Pending::Dir(builder) => Node::Dir(Arc::new(builder.build())),
                    Pending::Done(node) => node,
                };
                (name, node)
            })
            .collect();
        let mtime = entries.values().map(Node::mtime).max().unwrap_or(0);
        Dir { mtime, entries }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rendered_json_file_has_the_length_it_said_and_the_text_serde_writes() {
        let value = Arc::new(
            serde_json::json!({"cutouts": [{"RA": 21.5, "FILES": ["a_g.fits", "é.png"]}]}),
        );
        let file = File::new(0, pretty_json(value.clone()));
        let expected = serde_json::to_vec_pretty(&*value).unwrap();
        assert_eq!(file.size(), expected.len() as u64);
        assert_eq!(file.bytes(), expected);
    }
}
