//! Shards round-trip, recall of the HNSW shards against exact search, and (ignored, run by
//! hand in release) the index at the benchmark's sizes.

use std::time::Instant;

use super::*;
use crate::embed::normalize;

/// Deterministic clustered unit vectors, like embeddings of profiles in a few topics.
pub(crate) fn clustered(n: usize, clusters: usize, seed: u64) -> Vec<(String, Vec<f32>)> {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f32 / (1u64 << 53) as f32 * 2.0 - 1.0
    };
    let dim = crate::EMBEDDING_DIM;
    let centers: Vec<Vec<f32>> = (0..clusters)
        .map(|_| {
            let mut c: Vec<f32> = (0..dim).map(|_| next()).collect();
            normalize(&mut c);
            c
        })
        .collect();
    (0..n)
        .map(|i| {
            let c = &centers[i % clusters];
            let mut v: Vec<f32> = c.iter().map(|x| x + 0.06 * next()).collect();
            normalize(&mut v);
            (format!("item-{i:05}"), v)
        })
        .collect()
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
        let decoded = Shard::decode(&shard.encode()).expect("decode");
        assert_eq!((decoded.len(), decoded.is_empty()), (300, false));
        let v = decoded.vector("item-00042").expect("vector").to_f32();
        assert!(crate::dot(&v, &items[42].1) > 0.99);
        assert!(decoded.vector("nope").is_none());
        let q = QVec::new(&items[42].1);
        let hits = decoded.search(&q, 5);
        assert_eq!(decoded.ids()[hits[0].item as usize], "item-00042");
        assert!(hits.windows(2).all(|w| w[0].similarity >= w[1].similarity));
        assert_eq!(decoded.search_exact(&q, 5)[0], hits[0]);
    }
    let empty = Shard::build(&[], &IndexSettings::default(), 1);
    assert!(empty.is_empty() && empty.search(&QVec::new(&[0.0; 4]), 3).is_empty());
    assert!(Shard::decode(&[1, 2, 3]).is_err());
}

#[test]
fn hnsw_recall_at_10_against_exact_search() {
    let items = clustered(2_000, 20, 2);
    let shard = Shard::build(&items, &hnsw_settings(), 3);
    assert!(!shard.is_exact());
    let queries = clustered(100, 20, 99);
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

/// The index at the benchmark's sizes: `cargo test --release -p recommend --lib
/// index::tests::at_benchmark_sizes -- --ignored --nocapture`.
#[test]
#[ignore]
fn at_benchmark_sizes() {
    let sizes: Vec<usize> = std::env::var("RECOMMEND_BENCH_SIZES")
        .unwrap_or_else(|_| "20000,5000,1000".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    for n in sizes {
        let clusters = (n / 500).max(2);
        let items = clustered(n, clusters, 5);
        let t = Instant::now();
        let shard = Shard::build(&items, &hnsw_settings(), 11);
        let build = t.elapsed();
        let bytes = shard.encode();
        let t = Instant::now();
        let decoded = Shard::decode(&bytes).expect("decode");
        let decode = t.elapsed();
        let queries = clustered(200, clusters, 77);
        let recall = recall_at(&decoded, &queries, 10);
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
            "n={n}: build {build:?}, {} KiB, decode {decode:?}, recall@10 {recall:.3}, \
             search {hnsw_search:?} (exact scan {exact_search:?})",
            bytes.len() / 1024
        );
    }
}
