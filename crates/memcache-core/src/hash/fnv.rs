use super::{signed_char_u32, signed_char_u64};

const FNV_64_INIT: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_64_PRIME: u64 = 0x0000_0100_0000_01b3;
const FNV_32_INIT: u32 = 0x811c_9dc5;
const FNV_32_PRIME: u32 = 0x0100_0193;

/// 64-bit FNV-1, truncated to its low 32 bits.
/// Reads bytes as signed `char`: bytes >= 0x80 are sign-extended to 64 bits.
pub fn fnv1_64(key: &[u8]) -> u32 {
    let hash = key.iter().fold(FNV_64_INIT, |hash, &byte| {
        hash.wrapping_mul(FNV_64_PRIME) ^ signed_char_u64(byte)
    });
    hash as u32
}

/// libhashkit's "fnv1a_64": FNV-1a run on a 32-bit state with the 64-bit constants
/// truncated (init 0x84222325, prime 0x1b3). Not real FNV-1a 64; twemproxy has the same quirk.
/// Reads bytes as signed `char`: bytes >= 0x80 are sign-extended.
pub fn fnv1a_64(key: &[u8]) -> u32 {
    key.iter().fold(FNV_64_INIT as u32, |hash, &byte| {
        (hash ^ signed_char_u32(byte)).wrapping_mul(FNV_64_PRIME as u32)
    })
}

/// 32-bit FNV-1.
/// Reads bytes as signed `char`: bytes >= 0x80 are sign-extended.
pub fn fnv1_32(key: &[u8]) -> u32 {
    key.iter().fold(FNV_32_INIT, |hash, &byte| {
        hash.wrapping_mul(FNV_32_PRIME) ^ signed_char_u32(byte)
    })
}

/// 32-bit FNV-1a.
/// Reads bytes as signed `char`: bytes >= 0x80 are sign-extended.
pub fn fnv1a_32(key: &[u8]) -> u32 {
    key.iter().fold(FNV_32_INIT, |hash, &byte| {
        (hash ^ signed_char_u32(byte)).wrapping_mul(FNV_32_PRIME)
    })
}
