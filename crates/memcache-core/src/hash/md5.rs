use md5::{Digest, Md5};

/// The 16-byte MD5 digest of `data` (ketama cuts it into four points).
pub fn md5_digest(data: &[u8]) -> [u8; 16] {
    Md5::digest(data).into()
}

/// libhashkit's "md5": the first four digest bytes as a little-endian u32.
/// Reads bytes unsigned.
pub fn md5(key: &[u8]) -> u32 {
    let digest = md5_digest(key);
    u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]])
}
