/// Both murmurs seed with `0xdeadbeef * len` (u32 arithmetic), as libhashkit does.
fn seed(len: usize) -> u32 {
    0xdead_beef_u32.wrapping_mul(len as u32)
}

/// Little-endian u32 from up to four bytes, missing high bytes zero.
fn le32_partial(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .rev()
        .fold(0, |word, &byte| (word << 8) | u32::from(byte))
}

/// MurmurHash2 (32-bit) with libhashkit's length-derived seed.
/// Reads bytes unsigned.
pub fn murmur(key: &[u8]) -> u32 {
    const M: u32 = 0x5bd1_e995;
    let mut h = seed(key.len()) ^ key.len() as u32;
    let mut blocks = key.chunks_exact(4);
    for block in &mut blocks {
        let mut k = le32_partial(block).wrapping_mul(M);
        k ^= k >> 24;
        h = h.wrapping_mul(M) ^ k.wrapping_mul(M);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        h = (h ^ le32_partial(tail)).wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^ (h >> 15)
}

/// MurmurHash3 x86_32 with libhashkit's length-derived seed.
/// Reads bytes unsigned.
pub fn murmur3(key: &[u8]) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let scramble = |k: u32| k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    let mut h = seed(key.len());
    let mut blocks = key.chunks_exact(4);
    for block in &mut blocks {
        h ^= scramble(le32_partial(block));
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    // libhashkit mixes the (possibly empty) tail unconditionally; scramble(0) is 0.
    h ^= scramble(le32_partial(blocks.remainder()));
    fmix32(h ^ key.len() as u32)
}

fn fmix32(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}
