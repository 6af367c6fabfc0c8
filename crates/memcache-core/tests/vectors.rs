//! Every line of the conformance vectors (`vectors/` at the repository root).

use memcache_core::{Algorithm, PointFormat, Ring, RingServer};
use std::path::PathBuf;

fn vectors_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../vectors/"))
}

/// The data rows of a vector file (comments skipped), split at tabs.
fn rows(file: &str) -> Vec<Vec<String>> {
    let path = vectors_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "conformance vectors missing: cannot read {} ({e})",
            path.display()
        )
    });
    text.lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| line.split('\t').map(str::to_owned).collect())
        .collect()
}

fn json_string(field: &str) -> String {
    serde_json::from_str(field).unwrap_or_else(|e| panic!("bad JSON string {field}: {e}"))
}

#[test]
fn every_hash_vector_matches() {
    let rows = rows("hashes.tsv");
    assert_eq!(rows.len(), 286, "hashes.tsv should hold 286 vectors");
    for row in &rows {
        let algorithm = Algorithm::from_name(&row[0]).expect("known algorithm");
        let key = json_string(&row[1]);
        let expected: u32 = row[2].parse().expect("u32 output");
        assert_eq!(
            algorithm.hash(key.as_bytes()),
            expected,
            "{} {:?}",
            row[0],
            key
        );
    }
}

#[test]
fn every_algorithm_has_vectors() {
    let rows = rows("hashes.tsv");
    for algorithm in Algorithm::ALL {
        assert_eq!(Algorithm::from_id(algorithm as u32), Some(algorithm));
        let count = rows.iter().filter(|row| row[0] == algorithm.name()).count();
        assert_eq!(count, 26, "{}", algorithm.name());
    }
}

/// The servers of both ketama sets, as `(host, port, weight)`.
fn ketama_set(set: &str) -> (Vec<(String, u32, u32)>, PointFormat) {
    let weights = [600, 300, 200, 350, 1000, 800, 950, 100];
    let servers = (1..=8)
        .zip(weights)
        .map(|(n, weight)| (format!("10.0.1.{n}"), 11211, weight))
        .collect::<Vec<_>>();
    match set {
        "libmemcached" => (servers, PointFormat::Libmemcached),
        "spymemcached" => (
            servers
                .into_iter()
                .map(|(host, port, _)| (host, port, 1))
                .collect(),
            PointFormat::Spymemcached,
        ),
        other => panic!("unknown ketama set {other}"),
    }
}

fn build_ring(set: &str) -> (Ring, Vec<String>) {
    let (servers, format) = ketama_set(set);
    let ring_servers: Vec<RingServer<'_>> = servers
        .iter()
        .map(|(host, port, weight)| RingServer {
            host,
            port: *port,
            weight: *weight,
        })
        .collect();
    let names = servers
        .iter()
        .map(|(host, port, _)| match format {
            PointFormat::Libmemcached => host.clone(),
            PointFormat::Spymemcached => format!("{host}:{port}"),
        })
        .collect();
    (Ring::new(&ring_servers, format), names)
}

#[test]
fn ketama_point_counts() {
    assert_eq!(build_ring("libmemcached").0.point_count(), 1264);
    assert_eq!(build_ring("spymemcached").0.point_count(), 8 * 160);
}

#[test]
fn every_ketama_vector_matches() {
    let rows = rows("ketama.tsv");
    assert_eq!(rows.len(), 2940, "ketama.tsv should hold 2940 vectors");
    for set in ["libmemcached", "spymemcached"] {
        let (ring, names) = build_ring(set);
        for row in rows.iter().filter(|row| row[0] == set) {
            let key = json_string(&row[1]);
            let server = ring.lookup(key.as_bytes());
            assert!(server >= 0, "empty ring for {set}");
            assert_eq!(names[server as usize], row[2], "{set} {key:?}");
        }
    }
}
