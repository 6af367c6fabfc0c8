//! What several test files share.

/// `len` bytes of JSON-like text that compresses about as real JSON does.
pub fn json_like(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 64);
    let mut i = 0u64;
    while out.len() < len {
        out.extend_from_slice(
            format!(
                "{{\"id\":{i},\"name\":\"user{}\",\"ok\":true}},",
                i * 7919 % 1000
            )
            .as_bytes(),
        );
        i += 1;
    }
    out.truncate(len);
    out
}
