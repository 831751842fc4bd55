//! Shards of a plan: `i/N` names one of N parts, and [`split`] deals a plan's files out to them so that
//! every file lands in exactly one part, the parts carry about the same load, and every machine that
//! splits the same plan gets the same parts.
//!
//! The split is a deterministic greedy bin-packing (longest processing time first): files are taken
//! heaviest first, ties by path, and each goes to the part with the least load so far, ties to the
//! lowest index. A file weighs its size plus [`FILE_WEIGHT`] (what one request costs in time, roughly,
//! so that parts of many small files get as many files as bytes suggest); a file of unknown size weighs
//! only that. Paths are unique in a plan, so the order, and with it the split, depends on nothing
//! but the files themselves: not on the order they were listed in, the machine or the run. The heaviest
//! part then carries at most the lightest part's load plus one file's weight.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// The weight a file adds for being one more request, in bytes: 64 KiB.
pub const FILE_WEIGHT: u64 = 64 * 1024;

/// The most shards a plan can be split into.
pub const MAX_SHARDS: u32 = 100_000;

/// One of `count` parts of a plan, numbered from 0 as Slurm numbers array tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// The whole plan as one shard.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Shard `index` of `count`; an error saying what is allowed when it is not one.
    pub fn new(index: u32, count: u32) -> Result<Shard> {
        if count == 0 || count > MAX_SHARDS {
            return Err(Error::invalid_input(format!(
                "A plan is split into 1 to {MAX_SHARDS} shards, not {count}."
            )));
        }
        if index >= count {
            return Err(Error::invalid_input(format!(
                "Shards of {count} are numbered 0 to {}, so there is no shard {index}/{count}.",
                count - 1
            )));
        }
        Ok(Shard { index, count })
    }

    /// The name of the shard's state folder: `2-of-8`.
    pub fn folder_name(self) -> String {
        format!("{}-of-{}", self.index, self.count)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = Error;

    /// `i/N`, e.g. `0/4` … `3/4`.
    fn from_str(text: &str) -> Result<Shard> {
        let parsed = text
            .trim()
            .split_once('/')
            .and_then(|(i, n)| Some((i.trim().parse().ok()?, n.trim().parse().ok()?)));
        match parsed {
            Some((index, count)) => Shard::new(index, count),
            None => Err(Error::invalid_input(format!(
                "{text:?} is not a shard: write i/N, e.g. 0/4 for the first of four (i runs from 0 to N-1)."
            ))),
        }
    }
}

/// What the split needs to know of a file.
#[derive(Debug, Clone, Copy)]
pub struct Weighed<'a> {
    /// Unique within the plan.
    pub path: &'a str,
    pub size: Option<u64>,
}

impl Weighed<'_> {
    fn weight(&self) -> u64 {
        self.size.unwrap_or(0).saturating_add(FILE_WEIGHT)
    }
}

/// Deals `files` out to `count` shards; part `i` holds the indices (into `files`) of shard `i`'s files,
/// in path order.
pub fn split(files: &[Weighed<'_>], count: u32) -> Vec<Vec<usize>> {
    let count = count.max(1) as usize;
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&files[a], &files[b]);
        b.weight().cmp(&a.weight()).then_with(|| a.path.cmp(b.path))
    });
    let mut parts = vec![Vec::new(); count];
    // The lightest part first, the lowest index among equals.
    let mut loads: BinaryHeap<Reverse<(u64, usize)>> =
        (0..count).map(|i| Reverse((0, i))).collect();
    for index in order {
        let Reverse((load, part)) = loads.pop().expect("at least one part");
        parts[part].push(index);
        loads.push(Reverse((load.saturating_add(files[index].weight()), part)));
    }
    for part in &mut parts {
        part.sort_by(|&a, &b| files[a].path.cmp(files[b].path));
    }
    parts
}

/// The indices of shard `shard`'s files among `files` (see [`split`]).
pub fn select(files: &[Weighed<'_>], shard: Shard) -> Vec<usize> {
    split(files, shard.count)
        .into_iter()
        .nth(shard.index as usize)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` files with sizes from 0 to a few MB, some unknown, spread unevenly (xorshift from `seed`).
    fn uneven(n: usize, seed: u64) -> Vec<(String, Option<u64>)> {
        let mut x = seed | 1;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        (0..n)
            .map(|i| {
                let roll = next();
                let size = match roll % 10 {
                    0 => None,
                    1 => Some(0),
                    2 => Some(roll % 5_000_000),
                    _ => Some(roll % 20_000),
                };
                (format!("dir{}/file{i:05}.fits", roll % 7), size)
            })
            .collect()
    }

    fn weighed(files: &[(String, Option<u64>)]) -> Vec<Weighed<'_>> {
        files
            .iter()
            .map(|(path, size)| Weighed { path, size: *size })
            .collect()
    }

    fn paths_of(files: &[Weighed<'_>], part: &[usize]) -> Vec<String> {
        part.iter().map(|&i| files[i].path.to_string()).collect()
    }

    #[test]
    fn every_file_lands_in_exactly_one_shard_for_one_to_seven_shards() {
        for (n, seed) in [(0, 1), (1, 2), (3, 3), (6, 4), (7, 5), (50, 6), (1_001, 7)] {
            let files = uneven(n, seed);
            let files = weighed(&files);
            for count in 1..=7 {
                let mut seen = vec![0; files.len()];
                for index in 0..count {
                    for i in select(&files, Shard::new(index, count).unwrap()) {
                        seen[i] += 1;
                    }
                }
                assert!(
                    seen.iter().all(|&times| times == 1),
                    "{n} files in {count} shards: {seen:?}"
                );
            }
        }
    }

    #[test]
    fn shards_carry_about_the_same_load() {
        let files = uneven(2_000, 11);
        let files = weighed(&files);
        let heaviest_file = files.iter().map(Weighed::weight).max().unwrap();
        for count in 1..=7 {
            let loads: Vec<u64> = split(&files, count)
                .iter()
                .map(|part| part.iter().map(|&i| files[i].weight()).sum())
                .collect();
            let (min, max) = (*loads.iter().min().unwrap(), *loads.iter().max().unwrap());
            assert!(
                max - min <= heaviest_file,
                "{count} shards: loads {loads:?} differ by more than the heaviest file ({heaviest_file})"
            );
        }
    }

    #[test]
    fn one_huge_file_does_not_stop_the_others_from_spreading() {
        let mut files: Vec<(String, Option<u64>)> = (0..12)
            .map(|i| (format!("small{i:02}"), Some(1_000)))
            .collect();
        files.push(("huge".into(), Some(10_000_000_000)));
        let files = weighed(&files);
        let parts = split(&files, 3);
        let huge = parts.iter().find(|p| paths_of(&files, p) == ["huge"]);
        assert!(
            huge.is_some(),
            "the huge file has a shard to itself: {parts:?}"
        );
        let others: Vec<usize> = parts.iter().map(Vec::len).filter(|&n| n != 1).collect();
        assert_eq!(others, [6, 6], "{parts:?}");
    }

    #[test]
    fn the_split_is_the_same_whatever_order_the_files_come_in() {
        let files = uneven(300, 21);
        let mut reversed = files.clone();
        reversed.reverse();
        let mut shuffled = files.clone();
        shuffled.sort_by_key(|(path, _)| path.bytes().rev().collect::<Vec<u8>>());
        for count in 1..=7 {
            let expected: Vec<Vec<String>> = {
                let files = weighed(&files);
                split(&files, count)
                    .iter()
                    .map(|p| paths_of(&files, p))
                    .collect()
            };
            for other in [&reversed, &shuffled, &files] {
                let other = weighed(other);
                let got: Vec<Vec<String>> = split(&other, count)
                    .iter()
                    .map(|p| paths_of(&other, p))
                    .collect();
                assert_eq!(got, expected, "{count} shards");
            }
        }
    }

    #[test]
    fn more_shards_than_files_leaves_some_empty() {
        let files = uneven(3, 31);
        let files = weighed(&files);
        let sizes: Vec<usize> = split(&files, 7).iter().map(Vec::len).collect();
        assert_eq!(sizes.iter().sum::<usize>(), 3);
        assert_eq!(sizes.iter().filter(|&&n| n == 0).count(), 4, "{sizes:?}");
    }

    #[test]
    fn shards_are_written_i_of_n_from_zero() {
        assert_eq!(
            "2/4".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 4 }
        );
        assert_eq!(" 0 / 1 ".parse::<Shard>().unwrap(), Shard::WHOLE);
        assert_eq!(Shard::new(3, 8).unwrap().to_string(), "3/8");
        assert_eq!(Shard::new(3, 8).unwrap().folder_name(), "3-of-8");
        for (text, says) in [
            ("4/4", "numbered 0 to 3"),
            ("1/0", "1 to 100000 shards"),
            ("2", "write i/N"),
            ("-1/4", "write i/N"),
            ("a/b", "write i/N"),
        ] {
            let err = text.parse::<Shard>().unwrap_err();
            assert!(err.message.contains(says), "{text}: {}", err.message);
        }
    }
}
