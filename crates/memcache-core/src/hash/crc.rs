/// libhashkit's "crc": bits 16..31 of the IEEE CRC-32, masked to 15 bits
/// (python-memcached's server hash too).
/// Reads bytes unsigned (libhashkit sign-extends, then masks to 8 bits).
pub fn crc(key: &[u8]) -> u32 {
    (crc32fast::hash(key) >> 16) & 0x7fff
}
