//! The id -> item index map of the engine.

use crate::error::{Error, Result};
use crate::model::StringTable;

/// The id -> item index map: open addressing with linear probing over `(tag, index)` slots (at most
/// half full), keyed by the ids stored once in the model's [`StringTable`] (no copy of the strings).
/// The hash mixes 8-byte words with multiplications (see `IdIndex::hash`; the ids are the store's
/// own, so flooding resistance is not needed), the top bits choose the slot and the low 32 bits are
/// the tag that rejects almost every other id in the probe sequence without reading its bytes.
#[derive(Debug, Clone, Default)]
pub(crate) struct IdIndex {
    /// `(tag, item index)`; `index == EMPTY` marks a free slot.
    slots: Vec<(u32, u32)>,
    /// `64 - log2(slots.len())`.
    shift: u32,
}

impl IdIndex {
    const EMPTY: u32 = u32::MAX;

    /// The hash of an id: its first and last 8 bytes (overlapping for ids of 9 to 15 bytes; the length
    /// is in the seed) mixed with two 64-bit multiplications, after one more round per 16 bytes in
    /// between for longer ids. Typical ids (8 to 16 bytes) cost two loads and two multiplications (no
    /// 128-bit product, which wasm32 would call a helper for). The top bits come straight from the
    /// last product; the low 32 bits get the high half folded in.
    #[inline]
    fn hash(id: &[u8]) -> u64 {
        const K0: u64 = 0x9e37_79b9_7f4a_7c15;
        const K1: u64 = 0xe703_7ed1_a0b4_28db;
        const K2: u64 = 0x8ebc_6af0_9c88_c6e3;
        #[inline]
        fn mix(a: u64, b: u64, seed: u64) -> u64 {
            let h = ((a ^ seed).wrapping_mul(K1).rotate_left(29) ^ b).wrapping_mul(K2);
            h ^ (h >> 32)
        }
        let n = id.len();
        let mut seed = K0 ^ (n as u64);
        let (a, b) = if n >= 8 {
            let mut i = 0;
            while i + 16 < n {
                seed = mix(word(id, i), word(id, i + 8), seed);
                i += 16;
            }
            (word(id, i.min(n - 8)), word(id, n - 8))
        } else if n >= 4 {
            (u64::from(half(id, 0)), u64::from(half(id, n - 4)))
        } else {
            // 0 to 3 bytes: first, middle and last (0 when empty).
            let byte = |i: usize| u64::from(id.get(i).copied().unwrap_or(0));
            ((byte(0) << 16) | (byte(n / 2) << 8) | byte(n.wrapping_sub(1)), 0)
        };
        mix(a, b, seed)
    }

    /// Builds the index of `ids` (item index = position); the first duplicate id is an error.
    pub(super) fn new(ids: &StringTable) -> Result<IdIndex> {
        let n = ids.len();
        if u32::try_from(n).map_or(true, |n| n == u32::MAX) {
            return Err(Error::section("items.ids", "more than 2^32 - 1 items"));
        }
        let size = n.saturating_mul(2).max(8).next_power_of_two();
        let mut index = IdIndex { slots: vec![(0, Self::EMPTY); size], shift: 64 - size.trailing_zeros() };
        for (i, id) in ids.iter().enumerate() {
            if index.get(ids, id).is_some() {
                return Err(Error::section("items.ids", format!("duplicate item id {}", crate::json::Quoted(id))));
            }
            let h = Self::hash(id.as_bytes());
            let mask = index.slots.len() - 1;
            let mut s = (h >> index.shift) as usize;
            while let Some(slot) = index.slots.get_mut(s) {
                if slot.1 == Self::EMPTY {
                    *slot = (h as u32, i as u32);
                    break;
                }
                s = (s + 1) & mask;
            }
        }
        Ok(index)
    }

    /// The item index of `id`.
    pub(super) fn get(&self, ids: &StringTable, id: &str) -> Option<u32> {
        self.get_in(&ids.bytes, &ids.offsets, id)
    }

    /// The item indices of many ids (the tables' slices taken once). Not inlined into the rerank:
    /// on its own the loop keeps more of its invariants in registers.
    #[inline(never)]
    pub(super) fn resolve<S: AsRef<str>>(&self, ids: &StringTable, candidates: &[S]) -> Vec<Option<u32>> {
        let (bytes, offsets): (&[u8], &[u32]) = (&ids.bytes, &ids.offsets);
        candidates.iter().map(|c| self.get_in(bytes, offsets, c.as_ref())).collect()
    }

    #[inline]
    fn get_in(&self, bytes: &[u8], offsets: &[u32], id: &str) -> Option<u32> {
        let id = id.as_bytes();
        let h = Self::hash(id);
        let mask = self.slots.len().checked_sub(1)?;
        let mut s = (h >> self.shift) as usize;
        loop {
            let &(tag, i) = self.slots.get(s)?;
            if i == Self::EMPTY {
                return None;
            }
            if tag == h as u32 {
                let (a, b) = (offsets.get(i as usize)?, offsets.get(i as usize + 1)?);
                if bytes.get(*a as usize..*b as usize).is_some_and(|b| same_bytes(b, id)) {
                    return Some(i);
                }
            }
            s = (s + 1) & mask;
        }
    }
}

/// The 8 bytes at `i` as a little-endian word (0 when out of range).
#[inline]
fn word(b: &[u8], i: usize) -> u64 {
    b.get(i..i + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()).map_or(0, u64::from_le_bytes)
}

/// The 4 bytes at `i` as a little-endian word (0 when out of range).
#[inline]
fn half(b: &[u8], i: usize) -> u32 {
    b.get(i..i + 4).and_then(|w| <[u8; 4]>::try_from(w).ok()).map_or(0, u32::from_le_bytes)
}

/// `a == b`, a word at a time (short ids: cheaper than a call to `memcmp`).
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    if n <= 16 {
        // First and last word (overlapping below 16 bytes).
        return word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8);
    }
    let mut i = 0;
    while i + 8 < n {
        if word(a, i) != word(b, i) {
            return false;
        }
        i += 8;
    }
    word(a, n - 8) == word(b, n - 8)
}
