//! Word-at-a-time hashing (FxHash's step: one multiply per 8 bytes) for event skeletons,
//! signatures and the event module's hash maps, whose keys are short names, ids and hashes.

use std::hash::{BuildHasherDefault, Hasher};

pub(crate) const SEED: u64 = 0x243f_6a88_85a3_08d3;

#[inline]
pub(crate) fn mix(h: u64, x: u64) -> u64 {
    (h.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
}

/// Mixes `b` and its length into `h`.
#[inline]
pub(crate) fn mix_bytes(mut h: u64, b: &[u8]) -> u64 {
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        h = mix(h, u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
    }
    mix(mix(h, tail(chunks.remainder())), b.len() as u64)
}

/// Up to 7 bytes as one little-endian word, by at most three loads: a copy into a buffer
/// of variable length is a `memcpy` call, which costs more than the hash step itself.
#[inline]
fn tail(r: &[u8]) -> u64 {
    let n = r.len();
    let word = |lo: usize| -> u64 {
        match r.get(lo..lo + 4) {
            Some(&[a, b, c, d]) => u64::from(u32::from_le_bytes([a, b, c, d])),
            _ => 0,
        }
    };
    if n >= 4 {
        // Two overlapping 4-byte loads cover 4..=7 bytes.
        word(0) | word(n - 4) << ((n - 4) * 8)
    } else {
        r.iter().rev().fold(0u64, |acc, &x| acc << 8 | u64::from(x))
    }
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
        assert_ne!(
            mix_bytes(mix_bytes(SEED, b"a"), b"bc"),
            mix_bytes(mix_bytes(SEED, b"ab"), b"c")
        );
    }

    #[test]
    fn tail_is_the_little_endian_word() {
        let bytes = b"abcdefg";
        for n in 0..8 {
            let mut w = [0u8; 8];
            w[..n].copy_from_slice(&bytes[..n]);
            assert_eq!(tail(&bytes[..n]), u64::from_le_bytes(w), "{n} bytes");
        }
    }
}
