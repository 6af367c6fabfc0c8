//! Unsigned decimal fields of replies.

/// The value of a non-empty run of ASCII digits (leading zeros allowed), or None when
/// `digits` is empty, holds anything else, or passes 2^64-1.
pub(super) fn parse_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |value, &byte| {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// Like `parse_u64`, for fields that must fit in 32 bits.
pub(super) fn parse_u32(digits: &[u8]) -> Option<u32> {
    u32::try_from(parse_u64(digits)?).ok()
}

/// Length of the run of ASCII digits at the start of `bytes`.
pub(super) fn digit_run(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| b.is_ascii_digit()).count()
}
