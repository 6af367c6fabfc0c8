//! Ketama consistent-hashing ring, bit-exact with libmemcached's weighted ketama
//! (and, with the `Spymemcached` point format, with spymemcached / libketama).

use crate::batch::{map_keys, BatchError};
use crate::hash::{md5, md5_digest};
use std::io::Write;

/// How a server's point strings are spelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointFormat {
    /// `"<host>-<i>"` when the port is 11211, else `"<host>:<port>-<i>"`.
    Libmemcached,
    /// Always `"<host>:<port>-<i>"`.
    Spymemcached,
}

impl PointFormat {
    /// The format with binding id `id` (0 libmemcached, 1 spymemcached).
    pub fn from_id(id: u32) -> Option<PointFormat> {
        match id {
            0 => Some(PointFormat::Libmemcached),
            1 => Some(PointFormat::Spymemcached),
            _ => None,
        }
    }
}

/// One server as the ring sees it.
#[derive(Clone, Copy, Debug)]
pub struct RingServer<'a> {
    pub host: &'a str,
    pub port: u32,
    pub weight: u32,
}

const DEFAULT_PORT: u32 = 11211;
const POINTS_PER_SERVER: f32 = 160.0;
/// Each MD5 digest yields four points.
const POINTS_PER_HASH: u32 = 4;

/// A built ring: points ascending, each with the index of the server that owns it.
#[derive(Clone, Debug, Default)]
pub struct Ring {
    points: Vec<u32>,
    owners: Vec<u32>,
}

impl Ring {
    /// Builds the ring over `servers`, in their order; equal points go to the earlier server.
    pub fn new(servers: &[RingServer<'_>], format: PointFormat) -> Ring {
        let total_weight: u64 = servers.iter().map(|s| u64::from(s.weight)).sum();
        // A weight-0 server is never used, so it does not count as live either: the ring
        // equals one built without it (as libmemcached's ring without an ejected server).
        let live_servers = servers.iter().filter(|s| s.weight > 0).count();
        let mut entries: Vec<(u32, u32)> = Vec::new();
        let mut label = Vec::with_capacity(64);
        for (index, server) in servers.iter().enumerate() {
            let count = points_for(server.weight, total_weight, live_servers);
            for i in 0..count / POINTS_PER_HASH {
                point_label(&mut label, server, format, i);
                let digest = md5_digest(&label);
                for chunk in digest.chunks_exact(4) {
                    let point = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
                    entries.push((point, index as u32));
                }
            }
        }
        // Sorting (point, server index) pairs is libmemcached's comparator.
        entries.sort_unstable();
        let (points, owners) = entries.into_iter().unzip();
        Ring { points, owners }
    }

    /// Number of points on the ring.
    pub fn point_count(&self) -> usize {
        self.points.len()
    }

    /// Server index for a key's bytes; -1 on an empty ring.
    pub fn lookup(&self, key: &[u8]) -> i32 {
        self.lookup_hash(md5(key))
    }

    /// Server index owning the first point >= `hash`, wrapping past the last point; -1 when empty.
    pub fn lookup_hash(&self, hash: u32) -> i32 {
        if self.points.is_empty() {
            return -1;
        }
        let at = self.points.partition_point(|&point| point < hash);
        let at = if at == self.points.len() { 0 } else { at };
        self.owners[at] as i32
    }

    /// `lookup` for each key of a packed batch (see `batch::map_keys`).
    pub fn lookup_batch(
        &self,
        keys: &[u8],
        offsets: &[u32],
        out: &mut [i32],
    ) -> Result<(), BatchError> {
        map_keys(keys, offsets, out, |key| self.lookup(key))
    }
}

/// libmemcached's points per server, in float32 arithmetic as it does them
/// (a double-precision version gives other counts for some server counts).
fn points_for(weight: u32, total_weight: u64, live_servers: usize) -> u32 {
    if weight == 0 {
        return 0;
    }
    let share = weight as f32 / total_weight as f32;
    let per_hash = (share * POINTS_PER_SERVER / POINTS_PER_HASH as f32 * live_servers as f32
        + 1e-10_f32)
        .floor();
    (per_hash as u32).saturating_mul(POINTS_PER_HASH)
}

/// Writes the `i`th point string of `server` into `label`.
fn point_label(label: &mut Vec<u8>, server: &RingServer<'_>, format: PointFormat, i: u32) {
    label.clear();
    label.extend_from_slice(server.host.as_bytes());
    let with_port = format == PointFormat::Spymemcached || server.port != DEFAULT_PORT;
    // Writing to a Vec cannot fail.
    let _ = if with_port {
        write!(label, ":{}-{}", server.port, i)
    } else {
        write!(label, "-{}", i)
    };
}
