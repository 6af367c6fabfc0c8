use super::signed_char_u32;

/// Bob Jenkins' one-at-a-time hash (libhashkit's default).
/// Reads bytes as signed `char`: bytes >= 0x80 are sign-extended.
pub fn one_at_a_time(key: &[u8]) -> u32 {
    let mut value: u32 = 0;
    for &byte in key {
        value = value.wrapping_add(signed_char_u32(byte));
        value = value.wrapping_add(value << 10);
        value ^= value >> 6;
    }
    value = value.wrapping_add(value << 3);
    value ^= value >> 11;
    value.wrapping_add(value << 15)
}
