//! Payload masking (RFC 6455 §5.3) and the source of client masking keys.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

/// XORs `payload` with `key`, starting `offset` bytes into the key stream.
/// The offset lets a payload that arrives in pieces be unmasked piece by
/// piece. Works on 8-byte words, which LLVM turns into SIMD.
pub fn apply_mask(payload: &mut [u8], key: [u8; 4], offset: usize) {
    let rotated = rotate_key(key, offset);
    let word = u64::from_ne_bytes([
        rotated[0], rotated[1], rotated[2], rotated[3], rotated[0], rotated[1], rotated[2],
        rotated[3],
    ]);
    let (words, tail) = payload.as_chunks_mut::<8>();
    for chunk in words {
        *chunk = (u64::from_ne_bytes(*chunk) ^ word).to_ne_bytes();
    }
    // A word is two whole keys, so the tail starts at key offset 0 again.
    for (byte, mask) in tail.iter_mut().zip(rotated.iter().cycle()) {
        *byte ^= mask;
    }
}

/// The key as seen from `offset` bytes into the key stream.
fn rotate_key(key: [u8; 4], offset: usize) -> [u8; 4] {
    let mut rotated = key;
    rotated.rotate_left(offset % 4);
    rotated
}

const POOL_KEYS: usize = 64;

/// Fresh, unpredictable 4-byte keys for client frames. Asking the OS for
/// 256 bytes at a time keeps the syscall off the per-frame path. Only
/// clients have one (boxed by the sender, so a server pays a null pointer).
pub(crate) struct MaskKeySource {
    pool: [[u8; 4]; POOL_KEYS],
    next: usize,
}

impl Default for MaskKeySource {
    fn default() -> Self {
        MaskKeySource::new()
    }
}

impl MaskKeySource {
    pub(crate) fn new() -> MaskKeySource {
        // Filled at first use: a client that never sends makes no syscall.
        MaskKeySource {
            pool: [[0; 4]; POOL_KEYS],
            next: POOL_KEYS,
        }
    }

    pub(crate) fn next_key(&mut self) -> [u8; 4] {
        if self.next >= POOL_KEYS {
            self.refill();
        }
        let key = self.pool.get(self.next).copied().unwrap_or_default();
        self.next += 1;
        key
    }

    fn refill(&mut self) {
        if getrandom::fill(self.pool.as_flattened_mut()).is_err() {
            self.fill_without_os_rng();
        }
        self.next = 0;
    }

    /// The OS generator practically never fails, but a panic is not an
    /// option. std's RandomState is seeded from the OS once per thread and
    /// gives different keys for every instance, which is still unpredictable
    /// enough for masking (it only defeats proxy cache poisoning).
    fn fill_without_os_rng(&mut self) {
        let hasher = RandomState::new();
        for (index, key) in self.pool.iter_mut().enumerate() {
            *key = (hasher.hash_one(index) as u32).to_ne_bytes();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask_bytewise(payload: &[u8], key: [u8; 4], offset: usize) -> Vec<u8> {
        payload
            .iter()
            .enumerate()
            .map(|(i, b)| b ^ key[(i + offset) % 4])
            .collect()
    }

    #[test]
    fn matches_bytewise_masking_for_all_lengths_and_offsets() {
        let key = [0x12, 0x34, 0x56, 0x78];
        let data: Vec<u8> = (0..100u8).collect();
        for len in 0..data.len() {
            for offset in 0..8 {
                let mut masked = data[..len].to_vec();
                apply_mask(&mut masked, key, offset);
                assert_eq!(
                    masked,
                    mask_bytewise(&data[..len], key, offset),
                    "len {len} offset {offset}"
                );
            }
        }
    }

    #[test]
    fn masking_in_pieces_equals_masking_at_once() {
        let key = [1, 2, 3, 4];
        let data: Vec<u8> = (0..=255u8).collect();
        let mut whole = data.clone();
        apply_mask(&mut whole, key, 0);
        let mut pieces = data.clone();
        let (first, rest) = pieces.split_at_mut(13);
        apply_mask(first, key, 0);
        apply_mask(rest, key, 13);
        assert_eq!(whole, pieces);
    }

    #[test]
    fn masking_twice_restores_the_payload() {
        let data = b"hello, masked world".to_vec();
        let mut copy = data.clone();
        apply_mask(&mut copy, [9, 8, 7, 6], 0);
        assert_ne!(copy, data);
        apply_mask(&mut copy, [9, 8, 7, 6], 0);
        assert_eq!(copy, data);
    }

    #[test]
    fn keys_differ_across_a_refill() {
        let mut source = MaskKeySource::new();
        let keys: Vec<[u8; 4]> = (0..POOL_KEYS * 2 + 1).map(|_| source.next_key()).collect();
        let distinct: std::collections::HashSet<_> = keys.iter().collect();
        // 129 random 32-bit keys: a collision is astronomically unlikely.
        assert!(distinct.len() > keys.len() - 2);
    }
}
