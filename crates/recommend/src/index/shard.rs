//! One shard of an index: the items of one subject, searched exactly below a size threshold
//! and through an `instant-distance` HNSW graph above it, serialized with `postcard`.

use instant_distance::{Builder, Hnsw, PointId, Search};
use serde::{Deserialize, Serialize};

use super::quant::{QVec, i8_bytes, le_words};
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
    /// The item's position in the shard ([`Shard::id`]).
    pub item: u32,
    /// Cosine similarity to the query.
    pub similarity: f32,
}

/// How a shard's items are searched.
#[derive(Serialize, Deserialize)]
enum Body {
    /// A scan of one matrix: `dim` quantized values per item, one after another.
    Exact(Matrix),
    /// The graph; items are in its point order.
    Hnsw(Hnsw<QVec>),
}

/// Quantized vectors in one allocation: a flat shard decodes as two copies, whatever its
/// size, and a scan reads memory in order.
#[derive(Serialize, Deserialize)]
struct Matrix {
    dim: u32,
    #[serde(with = "i8_bytes")]
    values: Vec<i8>,
    #[serde(with = "le_words")]
    scales: Vec<f32>,
}

impl Matrix {
    fn new(vectors: &[QVec]) -> Matrix {
        Matrix {
            dim: vectors.first().map_or(0, |v| v.dim() as u32),
            values: vectors.iter().flat_map(|v| v.values()).copied().collect(),
            scales: vectors.iter().map(QVec::scale).collect(),
        }
    }

    fn len(&self) -> usize {
        self.scales.len()
    }

    fn row(&self, item: usize) -> Option<(&[i8], f32)> {
        let dim = self.dim as usize;
        let values = self.values.get(item * dim..(item + 1) * dim)?;
        Some((values, *self.scales.get(item)?))
    }

    fn similarities<'a>(&'a self, query: &'a QVec) -> impl Iterator<Item = f32> + 'a {
        let dim = (self.dim as usize).max(1);
        self.values
            .chunks_exact(dim)
            .zip(&self.scales)
            .map(|(values, scale)| query.similarity_to(values, *scale))
    }
}

/// The stored form: ids in one string, their ends and their order by id as little-endian
/// `u32`s, so nothing is allocated per item when a shard decodes (a recycled instance decodes
/// its shards again).
#[derive(Serialize, Deserialize)]
struct Stored {
    ids: String,
    #[serde(with = "le_words")]
    ends: Vec<u32>,
    #[serde(with = "le_words")]
    by_id: Vec<u32>,
    body: Body,
}

/// A decoded shard, ready to search.
pub struct Shard {
    stored: Stored,
}

impl Shard {
    /// Builds a shard over `items` (id, unit vector). `seed` makes the graph reproducible.
    pub fn build(items: &[(String, Vec<f32>)], settings: &IndexSettings, seed: u64) -> Shard {
        let vectors: Vec<QVec> = items.iter().map(|(_, v)| QVec::new(v)).collect();
        if items.len() < settings.exact_below {
            let ids: Vec<&str> = items.iter().map(|(id, _)| id.as_str()).collect();
            return Shard::assemble(&ids, Body::Exact(Matrix::new(&vectors)));
        }
        let (graph, order) = Builder::default()
            .ef_construction(settings.ef_construction)
            .ef_search(settings.ef_search)
            .seed(seed)
            .build_hnsw(vectors);
        let mut ids = vec![""; items.len()];
        for ((id, _), pid) in items.iter().zip(order) {
            ids[pid.into_inner() as usize] = id.as_str();
        }
        Shard::assemble(&ids, Body::Hnsw(graph))
    }

    fn assemble(ids: &[&str], body: Body) -> Shard {
        let mut ends = Vec::with_capacity(ids.len());
        let mut text = String::new();
        for id in ids {
            text.push_str(id);
            ends.push(text.len() as u32);
        }
        let mut by_id: Vec<u32> = (0..ids.len() as u32).collect();
        by_id.sort_by_key(|&i| ids[i as usize]);
        Shard {
            stored: Stored {
                ids: text,
                ends,
                by_id,
                body,
            },
        }
    }

    /// The stored form.
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(&self.stored).unwrap_or_default()
    }

    /// A shard from its stored form, checked so that no lookup can go out of bounds.
    pub fn decode(bytes: &[u8]) -> Result<Shard, RecommendError> {
        let stored: Stored = postcard::from_bytes(bytes).map_err(decode("index shard"))?;
        let n = stored.ends.len();
        let items = match &stored.body {
            Body::Exact(m) => {
                // Checked: a corrupt `dim` must not wrap around to a plausible size.
                let whole = m.len().checked_mul(m.dim as usize) == Some(m.values.len());
                if whole { m.len() } else { usize::MAX }
            }
            Body::Hnsw(graph) => graph.iter().count(),
        };
        let mut start = 0;
        let ids_fit = stored.ends.iter().all(|&end| {
            let fits = end as usize >= start && stored.ids.is_char_boundary(end as usize);
            start = end as usize;
            fits
        }) && start == stored.ids.len();
        let order_fits = stored.by_id.len() == n && stored.by_id.iter().all(|&i| (i as usize) < n);
        if items != n || !ids_fit || !order_fits {
            return Err(RecommendError::Decode {
                what: "index shard",
                message: "ids and vectors disagree".into(),
            });
        }
        Ok(Shard { stored })
    }

    /// The id of the item at `position` (a [`Hit::item`]).
    pub fn id(&self, position: u32) -> &str {
        let i = position as usize;
        let end = self.stored.ends.get(i).map_or(0, |&e| e as usize);
        let start = match i {
            0 => 0,
            _ => self.stored.ends.get(i - 1).map_or(end, |&e| e as usize),
        };
        self.stored.ids.get(start..end).unwrap_or("")
    }

    /// How many items.
    pub fn len(&self) -> usize {
        self.stored.ends.len()
    }

    /// Whether the shard is empty.
    pub fn is_empty(&self) -> bool {
        self.stored.ends.is_empty()
    }

    /// Whether searches are exact scans.
    pub fn is_exact(&self) -> bool {
        matches!(self.stored.body, Body::Exact(_))
    }

    /// The (approximate) vector of an item, by id: a binary search of the ids' order.
    pub fn vector(&self, id: &str) -> Option<Vec<f32>> {
        let order = &self.stored.by_id;
        let at = order.binary_search_by(|&i| self.id(i).cmp(id)).ok()?;
        let item = order[at] as usize;
        match &self.stored.body {
            Body::Exact(m) => m.row(item).map(|(values, scale)| QVec::f32s(values, scale)),
            Body::Hnsw(graph) => Some(graph[PointId::from(item as u32)].to_f32()),
        }
    }

    /// Up to `k` nearest items to `query`, nearest first (for HNSW shards at most `ef_search`).
    pub fn search(&self, query: &QVec, k: usize) -> Vec<Hit> {
        match &self.stored.body {
            Body::Exact(m) => exact(m.similarities(query), k),
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
        match &self.stored.body {
            Body::Exact(m) => exact(m.similarities(query), k),
            Body::Hnsw(graph) => exact(graph.iter().map(|(_, p)| p.similarity(query)), k),
        }
    }
}

/// The `k` best of the similarities, by position.
fn exact(similarities: impl Iterator<Item = f32>, k: usize) -> Vec<Hit> {
    let mut hits: Vec<Hit> = similarities
        .enumerate()
        .map(|(i, similarity)| Hit {
            item: i as u32,
            similarity,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn items() -> Vec<(String, Vec<f32>)> {
        // Not in id order, and ids of several bytes per character.
        ["zeta", "ä-umlaut", "alpha", "mu", "日本"]
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let mut v = vec![0.0; 8];
                v[i] = 1.0;
                (id.to_string(), v)
            })
            .collect()
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn every_item_is_found_by_its_id_and_its_position() {
        let items = items();
        for exact_below in [usize::MAX, 0] {
            let settings = IndexSettings {
                exact_below,
                ..IndexSettings::default()
            };
            let shard =
                Shard::decode(&Shard::build(&items, &settings, 1).encode()).expect("decode");
            for (id, v) in &items {
                let found = shard.vector(id).expect(id);
                assert!(crate::dot(&found, v) > 0.99, "{id}");
                let hit = shard.search(&QVec::new(v), 1)[0];
                assert_eq!(shard.id(hit.item), id);
            }
            assert!(shard.vector("absent").is_none());
            assert_eq!(shard.id(99), "");
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_stored_form_that_disagrees_with_itself_is_an_error() {
        let good = Shard::build(&items(), &IndexSettings::default(), 1).stored;
        let Body::Exact(m) = &good.body else {
            panic!("a flat shard")
        };
        let corrupt = |change: &dyn Fn(&mut Stored)| {
            let mut stored = Stored {
                ids: good.ids.clone(),
                ends: good.ends.clone(),
                by_id: good.by_id.clone(),
                body: Body::Exact(Matrix {
                    dim: m.dim,
                    values: m.values.clone(),
                    scales: m.scales.clone(),
                }),
            };
            change(&mut stored);
            Shard::decode(&postcard::to_stdvec(&stored).expect("encode")).err()
        };
        assert!(corrupt(&|_| ()).is_none());
        let broken: [&dyn Fn(&mut Stored); 7] = [
            &|s| s.ends[0] = 99,
            &|s| s.ends.swap(0, 1),
            // Inside the two bytes of "ä".
            &|s| s.ends[0] += 1,
            &|s| s.by_id[0] = 5,
            &|s| {
                s.by_id.pop();
            },
            &|s| {
                if let Body::Exact(m) = &mut s.body {
                    m.values.pop();
                }
            },
            // Times the item count, more than a 32-bit `usize` holds.
            &|s| {
                if let Body::Exact(m) = &mut s.body {
                    m.dim = u32::MAX;
                }
            },
        ];
        for change in broken {
            assert!(matches!(
                corrupt(change),
                Some(RecommendError::Decode { .. })
            ));
        }
        // A byte string of words whose length is no multiple of 4.
        let mut bytes = postcard::to_stdvec(&good).expect("encode");
        let at = good.ids.len() + 1;
        bytes[at] -= 1;
        assert!(Shard::decode(&bytes).is_err());
    }
}
