//! The index against exact search over the same vectors: for each goal, the shards a request
//! would search (the goal's subject and the three nearest centroids), searched through the
//! index and by a full scan of the same quantized vectors.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use recommend::index::{QVec, Shard};
use recommend::{IndexCache, Kind};
use sql_store::LibsqlStore;

/// Nearest items a request asks of each shard (the recommend crate's `ANN_CANDIDATES`).
const ANN_CANDIDATES: usize = 100;

/// Recall and time of the index against exact search, for one kind.
#[derive(Debug, Default)]
pub struct Comparison {
    /// Queries measured.
    pub queries: usize,
    /// recall@10 of the index's search (HNSW in large shards) against the scan.
    pub recall: f64,
    /// recall@10 over the HNSW shards alone (queries of their subjects), if any.
    pub hnsw_recall: Option<f64>,
    /// Mean time of the index's search of the selected shards.
    pub index_time: Duration,
    /// Mean time of the exact scan of the same shards.
    pub exact_time: Duration,
}

/// Merged top `k` ids over `shards`, nearest first, by `search`.
fn top(
    shards: &[Arc<Shard>],
    k: usize,
    search: impl Fn(&Shard) -> Vec<recommend::index::Hit>,
) -> Vec<String> {
    let mut best: HashMap<&str, f32> = HashMap::new();
    for shard in shards {
        for hit in search(shard) {
            let id = shard.id(hit.item);
            let e = best.entry(id).or_insert(f32::MIN);
            *e = e.max(hit.similarity);
        }
    }
    let mut hits: Vec<(&str, f32)> = best.into_iter().collect();
    hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    hits.into_iter()
        .take(k)
        .map(|(id, _)| id.to_owned())
        .collect()
}

/// Compares over `goals` (subject, vector).
pub async fn compare(
    store: &mut LibsqlStore,
    kind: Kind,
    goals: &[(String, Vec<f32>)],
) -> Result<Comparison> {
    let mut cache = IndexCache::new();
    let Some((_, manifest)) = cache.manifest(store, kind).await? else {
        return Ok(Comparison::default());
    };
    let (mut found, mut hnsw_found, mut hnsw_asked) = (0usize, 0usize, 0usize);
    let (mut index_time, mut exact_time) = (Duration::ZERO, Duration::ZERO);
    for (subject, q) in goals {
        let mut entries: Vec<_> = manifest.shard(subject).into_iter().collect();
        entries.extend(manifest.nearest(q, 3));
        entries.dedup_by(|a, b| a.name == b.name);
        let mut shards = Vec::new();
        for e in &entries {
            if let Some(s) = cache.shard(store, kind, e).await?
                && !shards.iter().any(|x: &Arc<Shard>| Arc::ptr_eq(x, &s))
            {
                shards.push(s);
            }
        }
        let qv = QVec::new(q);
        let t = Instant::now();
        let approx = top(&shards, 10, |s| s.search(&qv, ANN_CANDIDATES));
        index_time += t.elapsed();
        let t = Instant::now();
        let exact = top(&shards, 10, |s| s.search_exact(&qv, 10));
        exact_time += t.elapsed();
        found += exact.iter().filter(|id| approx.contains(id)).count();
        if let Some(own) = manifest.shard(subject)
            && let Some(shard) = cache.shard(store, kind, own).await?
            && !shard.is_exact()
        {
            let ids = |hits: Vec<recommend::index::Hit>| -> Vec<u32> {
                hits.into_iter().map(|h| h.item).take(10).collect()
            };
            let a = ids(shard.search(&qv, ANN_CANDIDATES));
            let e = ids(shard.search_exact(&qv, 10));
            hnsw_found += e.iter().filter(|i| a.contains(i)).count();
            hnsw_asked += e.len();
        }
    }
    let n = goals.len().max(1);
    Ok(Comparison {
        queries: goals.len(),
        recall: found as f64 / (n * 10) as f64,
        hnsw_recall: (hnsw_asked > 0).then(|| hnsw_found as f64 / hnsw_asked as f64),
        index_time: index_time / n as u32,
        exact_time: exact_time / n as u32,
    })
}
