//! Duplicate keys: the same record twice in one file is an enterprise that could be paid twice.
//!
//! Every key is remembered as a 64-bit fingerprint only: 8 bytes a row in the table (9–18 with
//! the table's free space, 19 MB for a million rows) rather than the keys' text or their rows,
//! so that a register of a million rows still decides in under 64 MB. Two different keys share a
//! fingerprint with a probability of about n²/2⁶⁵ (one in 370,000 for ten million rows); the
//! message shows the key so that a person can find the earlier row. `eval
//! --allow-duplicate-keys` skips the register where memory must stay flat.

use std::hash::{Hash, Hasher};

/// What a row whose key an earlier row had is told.
pub const DUPLICATE_KEY: &str =
    "an earlier row has the same key: one row per record, so that nothing is decided or paid twice";

/// The keys seen so far in one file.
///
/// A fingerprint is already a well-spread hash, so the table files it under itself rather than
/// hashing it again (which was a tenth of the time of deciding a large file).
#[derive(Debug, Default)]
pub struct KeyRegister {
    fingerprints: hashbrown::HashTable<u64>,
}

impl KeyRegister {
    /// Notes `key`; true when an earlier row had it.
    pub fn seen_before(&mut self, key: &str) -> bool {
        // SipHash with fixed keys: the same fingerprint in every run and on every thread.
        let mut hasher = std::hash::DefaultHasher::new();
        key.hash(&mut hasher);
        let fingerprint = hasher.finish();
        match self.fingerprints.entry(fingerprint, |seen| *seen == fingerprint, |seen| *seen) {
            hashbrown::hash_table::Entry::Occupied(_) => true,
            hashbrown::hash_table::Entry::Vacant(place) => {
                place.insert(fingerprint);
                false
            }
        }
    }
}
