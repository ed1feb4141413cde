//! Shards round-trip, recall of the HNSW shards against exact search, and (ignored, run by
//! hand in release) the index at the benchmark's sizes.

use std::time::Instant;

use super::synthetic::{Shape, Synthetic};
use super::*;

/// `n` clustered unit vectors (`item-00000`, ...) around `clusters` centers fixed by `seed`.
pub(crate) fn clustered(n: usize, clusters: usize, seed: u64) -> Vec<(String, Vec<f32>)> {
    Synthetic::new(Shape::Clustered, clusters, seed).sample(n, seed ^ 0x17e5, "item")
}

/// `n` query vectors from the distribution of `clustered(_, clusters, seed)`: the same
/// centers, other noise (a student's goal is near the profiles, not anywhere on the sphere).
pub(crate) fn queries(n: usize, clusters: usize, seed: u64) -> Vec<(String, Vec<f32>)> {
    Synthetic::new(Shape::Clustered, clusters, seed).sample(n, seed ^ 0x9e37, "query")
}

/// Mean recall@k of `shard` against its exact search, over `queries`.
pub(crate) fn recall_at(shard: &Shard, queries: &[(String, Vec<f32>)], k: usize) -> f64 {
    let mut found = 0;
    for (_, q) in queries {
        let q = QVec::new(q);
        let exact: Vec<u32> = shard.search_exact(&q, k).iter().map(|h| h.item).collect();
        let approx: Vec<u32> = shard.search(&q, k).iter().map(|h| h.item).collect();
        found += exact.iter().filter(|i| approx.contains(i)).count();
    }
    found as f64 / (queries.len() * k) as f64
}

/// Mean recall@k of `shard` against an exact search of the unquantized vectors.
fn recall_f32(
    shard: &Shard,
    items: &[(String, Vec<f32>)],
    queries: &[(String, Vec<f32>)],
    k: usize,
) -> f64 {
    let mut found = 0;
    for (_, q) in queries {
        let mut exact: Vec<(f32, &str)> = items
            .iter()
            .map(|(id, v)| (crate::dot(q, v), id.as_str()))
            .collect();
        exact.sort_by(|a, b| b.0.total_cmp(&a.0));
        let approx: Vec<&str> = shard
            .search(&QVec::new(q), k)
            .iter()
            .map(|h| shard.id(h.item))
            .collect();
        found += exact[..k]
            .iter()
            .filter(|(_, id)| approx.contains(id))
            .count();
    }
    found as f64 / (queries.len() * k) as f64
}

fn hnsw_settings() -> IndexSettings {
    IndexSettings {
        exact_below: 0,
        ..IndexSettings::default()
    }
}

#[test]
fn shards_round_trip_and_find_items_by_id() {
    let items = clustered(300, 6, 1);
    for settings in [IndexSettings::default(), hnsw_settings()] {
        let shard = Shard::build(&items, &settings, 7);
        assert_eq!(shard.is_exact(), settings.exact_below > 0);
        let decoded = Shard::decode(shard.encode()).expect("decode");
        assert_eq!((decoded.len(), decoded.is_empty()), (300, false));
        let v = decoded.vector("item-00042").expect("vector");
        assert!(crate::dot(&v, &items[42].1) > 0.99);
        assert!(decoded.vector("nope").is_none());
        let q = QVec::new(&items[42].1);
        let hits = decoded.search(&q, 5);
        assert_eq!(decoded.id(hits[0].item), "item-00042");
        assert!(hits.windows(2).all(|w| w[0].similarity >= w[1].similarity));
        assert_eq!(decoded.search_exact(&q, 5)[0], hits[0]);
    }
    let empty = Shard::build(&[], &IndexSettings::default(), 1);
    assert!(empty.is_empty() && empty.search(&QVec::new(&[0.0; 4]), 3).is_empty());
    assert!(Shard::decode(vec![1, 2, 3]).is_err());
}

#[test]
fn hnsw_recall_at_10_against_exact_search() {
    // Coverage counters in the distance loop make builds about ten times slower under `cargo
    // llvm-cov`; there the index is smaller (plain and wasm test runs keep 2,000 items).
    let (n, clusters, n_queries) = if cfg!(coverage) {
        (600, 6, 40)
    } else {
        (2_000, 20, 100)
    };
    let items = clustered(n, clusters, 2);
    let shard = Shard::build(&items, &hnsw_settings(), 3);
    assert!(!shard.is_exact());
    let queries = queries(n_queries, clusters, 2);
    let recall = recall_at(&shard, &queries, 10);
    assert!(recall >= 0.95, "recall@10 = {recall}");
}

#[test]
fn manifest_picks_shards_by_subject_and_centroid() {
    let entry = |name: &str, v: Vec<f32>| ShardEntry {
        name: name.into(),
        fingerprint: name.into(),
        len: 1,
        centroid: v,
    };
    let m = Manifest {
        shards: vec![
            entry("python", vec![1.0, 0.0]),
            entry("spanish", vec![0.0, 1.0]),
        ],
    };
    assert_eq!(m.shard(" Python").map(|s| s.name.as_str()), Some("python"));
    assert!(m.shard("French").is_none());
    let names: Vec<&str> = m
        .nearest(&[0.1, 0.9], 1)
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["spanish"]);
    assert_eq!(Kind::Tutor.as_str(), "tutor");
    assert_eq!(shard_name(" Data Science "), "data science");
}

/// The index at the benchmark's sizes, on each shape of vectors: `cargo test --release -p
/// recommend --lib index::tests::at_benchmark_sizes -- --ignored --nocapture`, choosing with
/// `RECOMMEND_BENCH_SIZES=5000,20000`, `RECOMMEND_BENCH_SHAPES=uniform,clustered,topical`,
/// `RECOMMEND_BENCH_EF=256` and `RECOMMEND_BENCH_EFC=100` (lists: every combination).
/// Queries come from the items' distribution; `RECOMMEND_BENCH_QUERIES=elsewhere` draws
/// them around other centers instead (far from every item, as the first measurements did).
#[test]
#[ignore]
fn at_benchmark_sizes() {
    let list = |name: &str, default: &str| -> Vec<String> {
        std::env::var(name)
            .unwrap_or_else(|_| default.into())
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let numbers = |name: &str, default: &str| -> Vec<usize> {
        list(name, default)
            .iter()
            .filter_map(|n| n.parse().ok())
            .collect()
    };
    let defaults = IndexSettings::default();
    let efs = numbers("RECOMMEND_BENCH_EF", &defaults.ef_search.to_string());
    let efcs = numbers("RECOMMEND_BENCH_EFC", &defaults.ef_construction.to_string());
    for n in numbers("RECOMMEND_BENCH_SIZES", "20000,5000,1000") {
        for shape in list("RECOMMEND_BENCH_SHAPES", "uniform,clustered,topical") {
            let shape = match shape.as_str() {
                "uniform" => Shape::Uniform,
                "clustered" => Shape::Clustered,
                _ => Shape::Topical,
            };
            let generator = Synthetic::new(shape, (n / 500).max(2), 5);
            let items = generator.sample(n, 6, "item");
            let queries = match std::env::var("RECOMMEND_BENCH_QUERIES").as_deref() {
                Ok("elsewhere") => Synthetic::new(shape, (n / 500).max(2), 8).sample(200, 7, "q"),
                _ => generator.sample(200, 7, "query"),
            };
            for (&ef_construction, &ef_search) in
                efcs.iter().flat_map(|c| efs.iter().map(move |e| (c, e)))
            {
                let settings = IndexSettings {
                    exact_below: 0,
                    ef_construction,
                    ef_search,
                };
                measure(&items, &queries, &settings, &format!("n={n} {shape:?}"));
            }
        }
    }
}

fn measure(
    items: &[(String, Vec<f32>)],
    queries: &[(String, Vec<f32>)],
    settings: &IndexSettings,
    what: &str,
) {
    let t = Instant::now();
    let shard = Shard::build(items, settings, 11);
    let build = t.elapsed();
    let bytes = shard.encode();
    // The median of 21 decodes of the bytes as a store read returns them (owned).
    let mut decodes: Vec<_> = (0..21)
        .map(|_| {
            let bytes = bytes.clone();
            let t = Instant::now();
            let shard = std::hint::black_box(Shard::decode(bytes).expect("decode"));
            let elapsed = t.elapsed();
            drop(shard);
            elapsed
        })
        .collect();
    decodes.sort();
    let decode = decodes[decodes.len() / 2];
    let decoded = Shard::decode(bytes.clone()).expect("decode");
    let recall = recall_at(&decoded, queries, 10);
    let recall_exact = recall_f32(&decoded, items, queries, 10);
    let qs: Vec<QVec> = queries.iter().map(|(_, v)| QVec::new(v)).collect();
    let t = Instant::now();
    for q in &qs {
        std::hint::black_box(decoded.search(q, 10));
    }
    let hnsw_search = t.elapsed() / qs.len() as u32;
    let t = Instant::now();
    for q in &qs {
        std::hint::black_box(decoded.search_exact(q, 10));
    }
    let exact_search = t.elapsed() / qs.len() as u32;
    println!(
        "{what} efc={} ef={}: build {build:.2?}, {} KiB, decode {decode:.2?}, recall@10 {recall:.3} \
         (vs f32 {recall_exact:.3}), search {hnsw_search:.2?} (exact scan {exact_search:.2?})",
        settings.ef_construction,
        settings.ef_search,
        bytes.len() / 1024
    );
}
