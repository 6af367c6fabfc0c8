//! Ring semantics beyond the shared vectors: weight 0, empty rings, wrapping, lookups by hash.

use memcache_core::hash::md5;
use memcache_core::{PointFormat, Ring, RingServer};

fn server(host: &str, weight: u32) -> RingServer<'_> {
    RingServer {
        host,
        port: 11211,
        weight,
    }
}

fn keys() -> impl Iterator<Item = String> {
    (0..2000).map(|i| format!("key:{i}"))
}

#[test]
fn a_weight_zero_server_is_as_if_absent() {
    let with = Ring::new(
        &[server("a", 3), server("b", 0), server("c", 5)],
        PointFormat::Libmemcached,
    );
    let without = Ring::new(&[server("a", 3), server("c", 5)], PointFormat::Libmemcached);
    assert_eq!(with.point_count(), without.point_count());
    for key in keys() {
        let (w, wo) = (with.lookup(key.as_bytes()), without.lookup(key.as_bytes()));
        assert_eq!(w, if wo == 1 { 2 } else { wo }, "{key}");
    }
}

#[test]
fn empty_rings_answer_minus_one() {
    for servers in [vec![], vec![server("a", 0), server("b", 0)]] {
        let ring = Ring::new(&servers, PointFormat::Spymemcached);
        assert_eq!(ring.point_count(), 0);
        assert_eq!(ring.lookup(b"key"), -1);
        assert_eq!(ring.lookup_hash(0), -1);
    }
}

#[test]
fn equal_weights_give_160_points_each() {
    let servers: Vec<String> = (0..7).map(|i| format!("10.0.0.{i}")).collect();
    let ring_servers: Vec<RingServer<'_>> = servers.iter().map(|h| server(h, 100)).collect();
    assert_eq!(
        Ring::new(&ring_servers, PointFormat::Libmemcached).point_count(),
        7 * 160
    );
}

#[test]
fn lookup_is_lookup_hash_of_md5() {
    let ring = Ring::new(&[server("a", 1), server("b", 1)], PointFormat::Libmemcached);
    for key in keys() {
        assert_eq!(
            ring.lookup(key.as_bytes()),
            ring.lookup_hash(md5(key.as_bytes()))
        );
    }
}

#[test]
fn hashes_past_the_last_point_wrap_to_the_first() {
    let ring = Ring::new(
        &[server("a", 1), server("b", 1), server("c", 1)],
        PointFormat::Libmemcached,
    );
    assert_eq!(ring.lookup_hash(u32::MAX), ring.lookup_hash(0));
}

#[test]
fn the_port_shows_in_libmemcached_points_only_when_not_11211() {
    let on_default = Ring::new(&[server("h", 1), server("i", 1)], PointFormat::Libmemcached);
    let spy = Ring::new(&[server("h", 1), server("i", 1)], PointFormat::Spymemcached);
    let other_port = [
        RingServer {
            host: "h",
            port: 11212,
            weight: 1,
        },
        server("i", 1),
    ];
    let other = Ring::new(&other_port, PointFormat::Libmemcached);
    let differ =
        |a: &Ring, b: &Ring| keys().any(|k| a.lookup(k.as_bytes()) != b.lookup(k.as_bytes()));
    assert!(differ(&on_default, &spy));
    assert!(differ(&on_default, &other));
}
