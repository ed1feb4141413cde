//! One shard of an index: the items of one subject, searched exactly below a size threshold
//! and through an `instant-distance` HNSW graph above it, serialized with `postcard`.

use std::collections::HashMap;

use instant_distance::{Builder, Hnsw, PointId, Search};
use serde::{Deserialize, Serialize};

use super::quant::QVec;
use crate::error::{RecommendError, decode};

/// How shards are built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexSettings {
    /// Shards with fewer items are searched exactly (a scan of quantized vectors is faster
    /// than a graph walk at this size, and exact).
    pub exact_below: usize,
    /// HNSW `efConstruction`.
    pub ef_construction: usize,
    /// HNSW `ef` at search time: the most candidates one shard returns.
    pub ef_search: usize,
}

impl Default for IndexSettings {
    fn default() -> Self {
        IndexSettings {
            exact_below: 4096,
            ef_construction: 100,
            ef_search: 256,
        }
    }
}

/// A nearest item: its position in the shard and its (approximate) cosine similarity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// The item's position in [`Shard::ids`].
    pub item: u32,
    /// Cosine similarity to the query.
    pub similarity: f32,
}

#[derive(Serialize, Deserialize)]
enum Body {
    Exact(Vec<QVec>),
    /// The graph; `ids` are in its point order.
    Hnsw(Hnsw<QVec>),
}

#[derive(Serialize, Deserialize)]
struct Stored {
    ids: Vec<String>,
    body: Body,
}

/// A decoded shard, ready to search.
pub struct Shard {
    ids: Vec<String>,
    body: Body,
    /// Item position by id.
    positions: HashMap<String, u32>,
    /// For HNSW shards: the graph's point of each item (items are in point order).
    points: Vec<PointId>,
}

impl Shard {
    /// Builds a shard over `items` (id, unit vector). `seed` makes the graph reproducible.
    pub fn build(items: &[(String, Vec<f32>)], settings: &IndexSettings, seed: u64) -> Shard {
        let vectors: Vec<QVec> = items.iter().map(|(_, v)| QVec::new(v)).collect();
        if items.len() < settings.exact_below {
            let ids = items.iter().map(|(id, _)| id.clone()).collect();
            return Shard::assemble(Stored {
                ids,
                body: Body::Exact(vectors),
            });
        }
        let (graph, order) = Builder::default()
            .ef_construction(settings.ef_construction)
            .ef_search(settings.ef_search)
            .seed(seed)
            .build_hnsw(vectors);
        let mut ids = vec![String::new(); items.len()];
        for ((id, _), pid) in items.iter().zip(order) {
            ids[pid.into_inner() as usize] = id.clone();
        }
        Shard::assemble(Stored {
            ids,
            body: Body::Hnsw(graph),
        })
    }

    fn assemble(stored: Stored) -> Shard {
        let positions = stored
            .ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), i as u32))
            .collect();
        let points = match &stored.body {
            Body::Exact(_) => Vec::new(),
            Body::Hnsw(graph) => graph.iter().map(|(pid, _)| pid).collect(),
        };
        Shard {
            ids: stored.ids,
            body: stored.body,
            positions,
            points,
        }
    }

    /// The stored form.
    pub fn encode(&self) -> Vec<u8> {
        #[derive(Serialize)]
        struct StoredRef<'a> {
            ids: &'a [String],
            body: &'a Body,
        }
        postcard::to_stdvec(&StoredRef {
            ids: &self.ids,
            body: &self.body,
        })
        .unwrap_or_default()
    }

    /// A shard from its stored form.
    pub fn decode(bytes: &[u8]) -> Result<Shard, RecommendError> {
        let stored: Stored = postcard::from_bytes(bytes).map_err(decode("index shard"))?;
        let n = stored.ids.len();
        let consistent = match &stored.body {
            Body::Exact(v) => v.len() == n,
            Body::Hnsw(graph) => graph.iter().count() == n,
        };
        if !consistent {
            return Err(RecommendError::Decode {
                what: "index shard",
                message: "ids and vectors disagree".into(),
            });
        }
        Ok(Shard::assemble(stored))
    }

    /// The item ids, by position.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// How many items.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the shard is empty.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Whether searches are exact scans.
    pub fn is_exact(&self) -> bool {
        matches!(self.body, Body::Exact(_))
    }

    /// The quantized vector of an item, by id.
    pub fn vector(&self, id: &str) -> Option<&QVec> {
        let item = *self.positions.get(id)? as usize;
        match &self.body {
            Body::Exact(v) => v.get(item),
            Body::Hnsw(graph) => Some(&graph[*self.points.get(item)?]),
        }
    }

    /// Up to `k` nearest items to `query`, nearest first (for HNSW shards at most `ef_search`).
    pub fn search(&self, query: &QVec, k: usize) -> Vec<Hit> {
        match &self.body {
            Body::Exact(vectors) => exact(vectors.iter(), query, k),
            Body::Hnsw(graph) => {
                let mut search = Search::default();
                graph
                    .search(query, &mut search)
                    .take(k)
                    .map(|item| Hit {
                        item: item.pid.into_inner(),
                        similarity: 1.0 - item.distance,
                    })
                    .collect()
            }
        }
    }

    /// The `k` nearest items by a full scan, whatever the shard's kind (the reference for
    /// recall measurements).
    pub fn search_exact(&self, query: &QVec, k: usize) -> Vec<Hit> {
        match &self.body {
            Body::Exact(vectors) => exact(vectors.iter(), query, k),
            Body::Hnsw(graph) => exact(graph.iter().map(|(_, p)| p), query, k),
        }
    }
}

fn exact<'a>(vectors: impl Iterator<Item = &'a QVec>, query: &QVec, k: usize) -> Vec<Hit> {
    let mut hits: Vec<Hit> = vectors
        .enumerate()
        .map(|(i, v)| Hit {
            item: i as u32,
            similarity: v.similarity(query),
        })
        .collect();
    let by_similarity = |a: &Hit, b: &Hit| {
        b.similarity
            .total_cmp(&a.similarity)
            .then(a.item.cmp(&b.item))
    };
    if hits.len() > k && k > 0 {
        hits.select_nth_unstable_by(k - 1, by_similarity);
    }
    hits.truncate(k);
    hits.sort_by(by_similarity);
    hits
}
