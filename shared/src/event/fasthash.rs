//! Word-at-a-time hashing (FxHash's step: one multiply per 8 bytes) for event skeletons,
//! signatures and the event module's hash maps, whose keys are short names, ids and hashes.

use std::hash::{BuildHasherDefault, Hasher};

pub(crate) const SEED: u64 = 0x243f_6a88_85a3_08d3;

pub(crate) fn mix(h: u64, x: u64) -> u64 {
    (h.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
}

/// Mixes `b` and its length into `h`.
pub(crate) fn mix_bytes(mut h: u64, b: &[u8]) -> u64 {
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        h = mix(h, u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
    }
    let rest = chunks.remainder();
    let mut last = [0u8; 8];
    last[..rest.len()].copy_from_slice(rest);
    mix(mix(h, u64::from_le_bytes(last)), b.len() as u64)
}

#[derive(Default)]
pub(crate) struct WordHasher(u64);

impl Hasher for WordHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = mix_bytes(self.0, bytes);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = mix(self.0, n);
    }
}

pub(crate) type FastBuild = BuildHasherDefault<WordHasher>;
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, FastBuild>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_and_every_byte_count() {
        assert_ne!(mix_bytes(SEED, b"ab"), mix_bytes(SEED, b"ab\0"));
        assert_ne!(mix_bytes(SEED, b"abcdefgh1"), mix_bytes(SEED, b"abcdefgh2"));
        assert_ne!(mix_bytes(mix_bytes(SEED, b"a"), b"bc"), mix_bytes(mix_bytes(SEED, b"ab"), b"c"));
    }
}
