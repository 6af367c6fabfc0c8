use crate::js_error;
use memcache_core::{PointFormat, Ring, RingServer};
use napi::bindgen_prelude::Int32ArraySlice;
use napi::Result;
use napi_derive::napi;

/// A ketama ring; server indexes refer to the order of the constructor's arrays.
#[napi]
pub struct KetamaRing {
    ring: Ring,
}

#[napi]
impl KetamaRing {
    /// Builds the ring. `format`: 0 libmemcached, 1 spymemcached point strings.
    #[napi(constructor)]
    pub fn new(
        hosts: Vec<String>,
        ports: Vec<u32>,
        weights: Vec<u32>,
        format: u32,
    ) -> Result<Self> {
        if ports.len() != hosts.len() || weights.len() != hosts.len() {
            return Err(js_error(
                "hosts, ports and weights must have the same length",
            ));
        }
        let format = PointFormat::from_id(format)
            .ok_or_else(|| js_error(format!("unknown ring format {format}")))?;
        let servers: Vec<RingServer<'_>> = hosts
            .iter()
            .zip(ports)
            .zip(weights)
            .map(|((host, port), weight)| RingServer { host, port, weight })
            .collect();
        Ok(KetamaRing {
            ring: Ring::new(&servers, format),
        })
    }

    /// Number of points on the ring.
    #[napi(getter)]
    pub fn point_count(&self) -> u32 {
        self.ring.point_count() as u32
    }

    /// Server index for a key; -1 on an empty ring.
    #[napi]
    pub fn lookup(&self, key: &[u8]) -> i32 {
        self.ring.lookup(key)
    }

    /// Server index for an md5 key hash; -1 on an empty ring.
    #[napi]
    pub fn lookup_hash(&self, hash: u32) -> i32 {
        self.ring.lookup_hash(hash)
    }

    /// Server index of each key of a packed batch into `out`.
    #[napi]
    pub fn lookup_batch(
        &self,
        keys: &[u8],
        offsets: &[u32],
        mut out: Int32ArraySlice,
    ) -> Result<()> {
        // SAFETY: JS runs no code while this synchronous call holds the view.
        let out = unsafe { out.as_mut() };
        self.ring.lookup_batch(keys, offsets, out).map_err(js_error)
    }
}
