//! Duplicate keys: the same record twice in one file is an enterprise that could be paid twice.
//!
//! Every key is remembered as a 64-bit fingerprint only. Two different keys share a fingerprint
//! with a probability of about n²/2⁶⁵ (one in 370,000 for ten million rows); the message shows
//! the key so that a person can find the earlier row.
//!
//! Memory stays nearly flat however long the file: the latest [`RECENT_KEYS`] fingerprints are
//! kept in a table (about 5 MB); when it is full they are sorted and merged into a file of all
//! earlier fingerprints, in order, in the temporary directory. What stays in memory of those is
//! a filter of 2 bytes a key and 2 MB (22 MB for ten million rows, where the table alone took
//! 150–230 MB): for each fingerprint, its 16 bits after the first [`BUCKET_BITS`], grouped by
//! those first bits. A key whose 35 first bits match no earlier fingerprint's is new without
//! reading the file; otherwise the few earlier fingerprints that share those bits (the same
//! places of the file as of the filter, both being in order) are read and compared whole. At
//! ten million rows about one new key in 3,000 reads the file.

use std::hash::{Hash, Hasher};
use std::io::{Read, Seek, SeekFrom, Write};

/// What a row whose key an earlier row had is told.
pub const DUPLICATE_KEY: &str =
    "an earlier row has the same key: one row per record, so that nothing is decided or paid twice";

/// How many fingerprints the in-memory table holds before they are moved to the file: seven
/// eighths of 2¹⁹, what a table of 2¹⁹ places holds without growing.
pub const RECENT_KEYS: usize = 458_752;

/// The filter groups the fingerprints on file by at most this many first bits (fewer for a
/// register that holds fewer keys in memory: about one group per key held).
const BUCKET_BITS: u32 = 19;

/// The keys seen so far in one file.
///
/// A fingerprint is already a well-spread hash, so the table files it under itself rather than
/// hashing it again (which was a tenth of the time of deciding a large file).
#[derive(Debug)]
pub struct KeyRegister {
    recent: hashbrown::HashTable<u64>,
    /// How many fingerprints `recent` holds before they are moved to the file.
    recent_limit: usize,
    /// The fingerprints moved out of memory, once there are any.
    filed: Option<Filed>,
    unfiled: Option<std::io::Error>,
    /// Where the file goes: the system's temporary directory unless given.
    directory: Option<std::path::PathBuf>,
}

impl Default for KeyRegister {
    fn default() -> Self {
        KeyRegister::holding(RECENT_KEYS)
    }
}

impl KeyRegister {
    /// A register that keeps `recent_limit` fingerprints in memory (at least one) before moving
    /// them to its file; [`KeyRegister::default`] keeps [`RECENT_KEYS`].
    pub fn holding(recent_limit: usize) -> KeyRegister {
        KeyRegister {
            recent: hashbrown::HashTable::new(),
            recent_limit: recent_limit.max(1),
            filed: None,
            unfiled: None,
            directory: None,
        }
    }

    /// Notes `key`; true when an earlier row had it. Fails only when the register's file, once
    /// written, cannot be read back; when it cannot be written, the fingerprints stay in memory
    /// ([`KeyRegister::unfiled`] says why).
    pub fn seen_before(&mut self, key: &str) -> std::io::Result<bool> {
        self.seen_fingerprint_before(fingerprint_of(key))
    }

    /// [`KeyRegister::seen_before`] for each key in turn (`None`, a row without a key, is never
    /// seen). The places each key's look-up reads (the table's, the filter's) are first read
    /// for all of them, one after the other without waiting on any, so that their cache misses
    /// overlap instead of following one another.
    pub fn seen_before_each(&mut self, keys: &[Option<&str>]) -> std::io::Result<Vec<bool>> {
        let fingerprints: Vec<Option<u64>> = keys.iter().map(|key| key.map(fingerprint_of)).collect();
        let mut touched = 0;
        for fingerprint in fingerprints.iter().flatten() {
            touched += usize::from(self.recent.find(*fingerprint, |seen| seen == fingerprint).is_some());
            touched += self.filed.as_ref().map_or(0, |filed| filed.first_candidate(*fingerprint));
        }
        std::hint::black_box(touched);
        fingerprints
            .into_iter()
            .map(|fingerprint| match fingerprint {
                Some(fingerprint) => self.seen_fingerprint_before(fingerprint),
                None => Ok(false),
            })
            .collect()
    }

    fn seen_fingerprint_before(&mut self, fingerprint: u64) -> std::io::Result<bool> {
        if self.recent.find(fingerprint, |seen| *seen == fingerprint).is_some() {
            return Ok(true);
        }
        if let Some(filed) = &mut self.filed {
            if filed.contains(fingerprint)? {
                return Ok(true);
            }
        }
        if self.recent.len() >= self.recent_limit {
            self.move_to_file();
        }
        self.recent.insert_unique(fingerprint, fingerprint, |seen| *seen);
        Ok(false)
    }

    /// How many fingerprints are on file rather than in memory.
    pub fn filed(&self) -> usize {
        self.filed.as_ref().map_or(0, |filed| filed.suffixes.len())
    }

    /// The register with its file in `directory` rather than the system's temporary directory.
    pub fn filing_in(mut self, directory: impl Into<std::path::PathBuf>) -> KeyRegister {
        self.directory = Some(directory.into());
        self
    }

    /// Why fingerprints stopped going to the file, when they did: from then on they are all
    /// kept in memory, as many as there are.
    pub fn unfiled(&self) -> Option<&std::io::Error> {
        self.unfiled.as_ref()
    }

    fn move_to_file(&mut self) {
        if let Err(error) = self.file_recent() {
            self.recent_limit = usize::MAX;
            self.unfiled = Some(error);
        }
    }

    /// Moves the table's fingerprints to the file; on failure they stay in the table and the
    /// file is as it was.
    fn file_recent(&mut self) -> std::io::Result<()> {
        let filed = match &mut self.filed {
            Some(filed) => filed,
            None => {
                // About one group per key held: a few keys a group once the file holds more.
                let bits = (usize::BITS - self.recent_limit.leading_zeros()).clamp(2, BUCKET_BITS);
                self.filed.insert(Filed::new(bits, self.directory.as_deref())?)
            }
        };
        let fresh = sorted(&mut self.recent);
        let merged = filed.merge(&fresh);
        if merged.is_err() {
            for fingerprint in fresh {
                self.recent.insert_unique(fingerprint, fingerprint, |seen| *seen);
            }
        }
        merged
    }
}

/// SipHash with fixed keys: the same fingerprint in every run and on every thread.
fn fingerprint_of(key: &str) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

/// The table's fingerprints, ascending, leaving it empty: placed by their first bits (up to 16,
/// about one group per fingerprint: they are well spread, so a handful share them), then each
/// handful sorted.
fn sorted(table: &mut hashbrown::HashTable<u64>) -> Vec<u64> {
    let bits = (usize::BITS - table.len().leading_zeros()).clamp(1, 16);
    let group = |fingerprint: u64| (fingerprint >> (64 - bits)) as usize;
    let mut starts = vec![0usize; (1 << bits) + 1];
    for fingerprint in table.iter() {
        if let Some(count) = starts.get_mut(group(*fingerprint) + 1) {
            *count += 1;
        }
    }
    for index in 1..starts.len() {
        let before = starts.get(index - 1).copied().unwrap_or_default();
        if let Some(start) = starts.get_mut(index) {
            *start += before;
        }
    }
    let mut fresh = vec![0; table.len()];
    let mut next = starts.clone();
    for fingerprint in table.drain() {
        if let Some(place) = next.get_mut(group(fingerprint)) {
            if let Some(slot) = fresh.get_mut(*place) {
                *slot = fingerprint;
            }
            *place += 1;
        }
    }
    for bounds in starts.windows(2) {
        if let (Some(start), Some(end)) = (bounds.first(), bounds.get(1)) {
            if let Some(handful) = fresh.get_mut(*start..*end) {
                handful.sort_unstable();
            }
        }
    }
    fresh
}

/// Fingerprints read or written at a time when the file is merged.
const BLOCK: usize = 8_192;

/// The fingerprints of a file, read a block at a time.
struct Blocks<'f> {
    file: &'f std::fs::File,
    /// How many are still to be read from the file.
    left: usize,
    bytes: Vec<u8>,
    block: Vec<u64>,
    next: usize,
}

impl Blocks<'_> {
    fn next(&mut self) -> std::io::Result<Option<u64>> {
        if self.next == self.block.len() {
            let count = self.left.min(BLOCK);
            if count == 0 {
                return Ok(None);
            }
            self.bytes.resize(count * 8, 0);
            self.file.read_exact(&mut self.bytes)?;
            self.block.clear();
            self.block
                .extend(self.bytes.chunks_exact(8).filter_map(|chunk| chunk.try_into().ok().map(u64::from_le_bytes)));
            self.left -= count;
            self.next = 0;
        }
        let fingerprint = self.block.get(self.next).copied();
        self.next += 1;
        Ok(fingerprint)
    }
}

/// The fingerprints moved out of memory: all of them in order in a file, and the filter.
#[derive(Debug)]
struct Filed {
    /// Where the file is (the system's temporary directory when `None`).
    directory: Option<std::path::PathBuf>,
    /// How many first bits group the fingerprints: [`BUCKET_BITS`] or fewer.
    bucket_bits: u32,
    /// Every fingerprint on file, ascending, 8 bytes little-endian each.
    file: std::fs::File,
    /// `offsets[b]..offsets[b + 1]` are the places in the file (and in `suffixes`) of the
    /// fingerprints whose first `bucket_bits` bits are `b`.
    offsets: Vec<u32>,
    /// For each fingerprint on file, in the same order, the 16 bits after the first
    /// `bucket_bits`.
    suffixes: Vec<u16>,
}

/// A file without a name, removed when closed however the run ends.
fn temporary_file(directory: Option<&std::path::Path>) -> std::io::Result<std::fs::File> {
    match directory {
        Some(directory) => tempfile::tempfile_in(directory),
        None => tempfile::tempfile(),
    }
}

impl Filed {
    fn new(bucket_bits: u32, directory: Option<&std::path::Path>) -> std::io::Result<Filed> {
        let offsets = vec![0; (1 << bucket_bits) + 1];
        let file = temporary_file(directory)?;
        Ok(Filed { file, directory: directory.map(Into::into), bucket_bits, offsets, suffixes: Vec::new() })
    }

    fn bucket(&self, fingerprint: u64) -> usize {
        (fingerprint >> (64 - self.bucket_bits)) as usize
    }

    fn suffix(&self, fingerprint: u64) -> u16 {
        (fingerprint >> (64 - self.bucket_bits - 16)) as u16
    }

    /// The places of the file whose fingerprints share `fingerprint`'s first bits (the
    /// filter's), by reading the filter only.
    fn candidates(&self, fingerprint: u64) -> std::ops::Range<usize> {
        let bucket = self.bucket(fingerprint);
        let (Some(start), Some(end)) = (self.offsets.get(bucket), self.offsets.get(bucket + 1)) else {
            return 0..0;
        };
        let (start, end) = (*start as usize, *end as usize);
        let Some(group) = self.suffixes.get(start..end) else { return 0..0 };
        let wanted = self.suffix(fingerprint);
        start + group.partition_point(|suffix| *suffix < wanted)
            ..start + group.partition_point(|suffix| *suffix <= wanted)
    }

    /// The first of [`Filed::candidates`]: reads what a look-up of `fingerprint` will read.
    fn first_candidate(&self, fingerprint: u64) -> usize {
        self.candidates(fingerprint).start
    }

    /// Whether `fingerprint` is on file.
    fn contains(&mut self, fingerprint: u64) -> std::io::Result<bool> {
        let std::ops::Range { start: low, end: high } = self.candidates(fingerprint);
        if low >= high {
            return Ok(false);
        }
        // The fingerprints with these first bits are the same places of the file, in order.
        let mut bytes = vec![0; (high - low) * 8];
        self.file.seek(SeekFrom::Start(low as u64 * 8))?;
        self.file.read_exact(&mut bytes)?;
        Ok(bytes.chunks_exact(8).any(|chunk| chunk.try_into().ok().map(u64::from_le_bytes) == Some(fingerprint)))
    }

    /// Adds `fresh` (ascending, none on file yet) to the file and the filter; on failure both
    /// are as they were.
    fn merge(&mut self, fresh: &[u64]) -> std::io::Result<()> {
        let old_count = self.suffixes.len();
        let total = old_count + fresh.len();
        if u32::try_from(total).is_err() {
            return Err(std::io::Error::other("more than 4,294,967,295 keys in one file"));
        }
        // The file: merged into a new one, read and written a block at a time.
        let merged = temporary_file(self.directory.as_deref())?;
        {
            self.file.seek(SeekFrom::Start(0))?;
            let mut old = Blocks { file: &self.file, left: old_count, bytes: Vec::new(), block: Vec::new(), next: 0 };
            let mut out = Vec::with_capacity(BLOCK * 8);
            let write = |fingerprint: u64, out: &mut Vec<u8>| -> std::io::Result<()> {
                out.extend_from_slice(&fingerprint.to_le_bytes());
                if out.len() >= BLOCK * 8 {
                    (&merged).write_all(out)?;
                    out.clear();
                }
                Ok(())
            };
            let mut waiting = old.next()?;
            for &new in fresh {
                while let Some(old_fingerprint) = waiting.filter(|old_fingerprint| *old_fingerprint < new) {
                    write(old_fingerprint, &mut out)?;
                    waiting = old.next()?;
                }
                write(new, &mut out)?;
            }
            while let Some(old_fingerprint) = waiting {
                write(old_fingerprint, &mut out)?;
                waiting = old.next()?;
            }
            (&merged).write_all(&out)?;
        }
        self.file = merged;

        // The filter, in place: each fresh fingerprint goes after the old ones below it, taken
        // from the last, the old ones above it moving up to make room.
        self.suffixes.reserve_exact(fresh.len());
        self.suffixes.resize(total, 0);
        let mut old_end = old_count;
        for (index, new) in fresh.iter().enumerate().rev() {
            // The old places from `old_end` on have been moved up, but they all come after
            // this fingerprint: the rank among the places below is the same.
            let rank = self.rank(*new, old_end);
            self.suffixes.copy_within(rank..old_end, rank + index + 1);
            let suffix = self.suffix(*new);
            if let Some(place) = self.suffixes.get_mut(rank + index) {
                *place = suffix;
            }
            old_end = rank;
        }
        let mut fresh_before = 0;
        let bucket_bits = self.bucket_bits;
        let bucket_of = |fingerprint: u64| (fingerprint >> (64 - bucket_bits)) as usize;
        for (bucket, offset) in self.offsets.iter_mut().enumerate() {
            while fresh.get(fresh_before).is_some_and(|new| bucket_of(*new) < bucket) {
                fresh_before += 1;
            }
            *offset += fresh_before as u32;
        }
        Ok(())
    }

    /// How many fingerprints on file come before `fingerprint` by their first bits, counting
    /// only the places below `limit`.
    fn rank(&self, fingerprint: u64, limit: usize) -> usize {
        let bucket = self.bucket(fingerprint);
        let (Some(start), Some(end)) = (self.offsets.get(bucket), self.offsets.get(bucket + 1)) else {
            return limit;
        };
        let (start, end) = ((*start as usize).min(limit), (*end as usize).min(limit));
        let wanted = self.suffix(fingerprint);
        start + self.suffixes.get(start..end).unwrap_or_default().partition_point(|suffix| *suffix < wanted)
    }
}

#[cfg(test)]
mod tests {
    use super::KeyRegister;
    use proptest::prelude::*;
    use std::collections::HashSet;

    /// Fingerprints that often share their first 35 bits (the filter's) or all 64, so that runs
    /// of equal filter entries, old and new, and repeats are all met.
    fn fingerprints() -> impl Strategy<Value = Vec<u64>> {
        let prefixes = prop::sample::select(vec![0u64, 1, 2, 0x7_ffff_ffff, 0x4_0000_0000, 0x1_2345_6789]);
        let fingerprint = (prefixes, 0u64..6, any::<u64>(), any::<bool>()).prop_map(|(prefix, low, random, shared)| {
            if shared {
                (prefix << 29) | low
            } else {
                random
            }
        });
        prop::collection::vec(fingerprint, 0..300)
    }

    proptest! {
        /// Whatever is kept in memory and whatever is on file, the register answers as a set.
        #[test]
        fn a_register_that_files_its_keys_answers_as_a_set(fingerprints in fingerprints(), limit in 1usize..12) {
            let mut register = KeyRegister::holding(limit);
            let mut seen = HashSet::new();
            for fingerprint in fingerprints {
                let answer = register.seen_fingerprint_before(fingerprint).map_err(|error| TestCaseError::fail(error.to_string()))?;
                prop_assert_eq!(answer, !seen.insert(fingerprint));
            }
        }
    }

    proptest! {
        /// Keys looked up a chunk at a time answer as one at a time, also when the table is
        /// moved to the file in the middle of a chunk.
        #[test]
        fn keys_looked_up_together_answer_as_one_at_a_time(
            keys in prop::collection::vec(prop::option::of(0u32..40), 0..200),
            chunk in 1usize..20,
            limit in 1usize..8,
        ) {
            let keys: Vec<Option<String>> = keys.into_iter().map(|key| key.map(|key| format!("9137{key}"))).collect();
            let mut together = KeyRegister::holding(limit);
            let mut alone = KeyRegister::holding(limit);
            for part in keys.chunks(chunk) {
                let borrowed: Vec<Option<&str>> = part.iter().map(Option::as_deref).collect();
                let answers = together.seen_before_each(&borrowed).map_err(|error| TestCaseError::fail(error.to_string()))?;
                for (key, answer) in borrowed.iter().zip(answers) {
                    let expected = match key {
                        Some(key) => alone.seen_before(key).map_err(|error| TestCaseError::fail(error.to_string()))?,
                        None => false,
                    };
                    prop_assert_eq!(answer, expected);
                }
            }
        }
    }

    #[test]
    fn keys_stay_in_memory_when_they_cannot_be_filed() {
        let mut register = KeyRegister::holding(2).filing_in("/nonexistent/directory/for/keys");
        let keys: Vec<String> = (0..6).map(|number| format!("key {number}")).collect();
        for key in &keys {
            assert_eq!(register.seen_before(key).ok(), Some(false));
        }
        for key in &keys {
            assert_eq!(register.seen_before(key).ok(), Some(true));
        }
        assert_eq!(register.filed(), 0);
        assert!(register.unfiled().is_some());
    }

    #[test]
    fn keys_are_filed_once_the_table_is_full() {
        let mut register = KeyRegister::holding(3);
        let keys: Vec<String> = (0..10).map(|number| format!("9137110000000000{number:02}")).collect();
        for key in &keys {
            assert_eq!(register.seen_before(key).ok(), Some(false));
        }
        assert_eq!(register.filed(), 9);
        assert!(register.unfiled().is_none());
        for key in &keys {
            assert_eq!(register.seen_before(key).ok(), Some(true));
        }
    }
}
