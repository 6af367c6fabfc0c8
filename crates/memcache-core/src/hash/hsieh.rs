use super::signed_char_u32;

/// Paul Hsieh's SuperFastHash; 0 for an empty key.
/// Reads the 16-bit words and a lone last byte unsigned, but the third byte of a
/// 3-byte tail as signed `char` (sign-extended before `<< 18`), as libhashkit does.
pub fn hsieh(key: &[u8]) -> u32 {
    if key.is_empty() {
        return 0;
    }
    let mut hash: u32 = 0;
    let mut words = key.chunks_exact(4);
    for word in &mut words {
        hash = hash.wrapping_add(le16(word[0], word[1]));
        let tmp = (le16(word[2], word[3]) << 11) ^ hash;
        hash = (hash << 16) ^ tmp;
        hash = hash.wrapping_add(hash >> 11);
    }
    hash = mix_tail(hash, words.remainder());
    avalanche(hash)
}

fn le16(low: u8, high: u8) -> u32 {
    u32::from(low) | (u32::from(high) << 8)
}

fn mix_tail(mut hash: u32, tail: &[u8]) -> u32 {
    match *tail {
        [a, b, c] => {
            hash = hash.wrapping_add(le16(a, b));
            hash ^= hash << 16;
            hash ^= signed_char_u32(c) << 18;
            hash.wrapping_add(hash >> 11)
        }
        [a, b] => {
            hash = hash.wrapping_add(le16(a, b));
            hash ^= hash << 11;
            hash.wrapping_add(hash >> 17)
        }
        [a] => {
            hash = hash.wrapping_add(u32::from(a));
            hash ^= hash << 10;
            hash.wrapping_add(hash >> 1)
        }
        _ => hash,
    }
}

fn avalanche(mut hash: u32) -> u32 {
    hash ^= hash << 3;
    hash = hash.wrapping_add(hash >> 5);
    hash ^= hash << 4;
    hash = hash.wrapping_add(hash >> 17);
    hash ^= hash << 25;
    hash.wrapping_add(hash >> 6)
}
