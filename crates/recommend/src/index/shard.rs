//! One shard of an index: the items of one subject, searched exactly below a size threshold
//! and through an HNSW graph above it, serialized with `postcard`.
//!
//! `instant-distance` builds the graph. Its own serialized form decodes every link as a
//! variable-length integer and every point as an allocation, which cost a new instance 6 to
//! 11 ms for a 7,000-item shard in wasm; so a shard stores the graph's layers as flat arrays
//! of links beside the vectors' matrix, and [`Graph::search`] walks them as `instant-distance`
//! walks its own (the same algorithm and order: a test checks that both find the same items).

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use instant_distance::Builder;
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

/// Quantized vectors in one allocation: a shard decodes as two copies, whatever its size, and
/// a scan reads memory in order.
#[derive(Clone, Serialize, Deserialize)]
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

    /// `instant-distance`'s distance for our points: one minus the similarity.
    fn distance(&self, query: &QVec, item: u32) -> f32 {
        self.row(item as usize)
            .map_or(f32::INFINITY, |(values, scale)| {
                1.0 - query.similarity_to(values, scale)
            })
    }
}

/// `M` of the HNSW paper as `instant-distance` fixes it: links per item on the upper layers,
/// twice as many on the bottom one.
const M: usize = 32;
/// A link slot after an item's last link.
const NO_LINK: u32 = u32::MAX;

/// An HNSW graph's links.
#[derive(Clone, Serialize, Deserialize)]
struct Graph {
    ef_search: u32,
    /// The bottom layer: every item, `2 * M` slots each.
    zero: Links,
    /// The layers above, lowest first: their items are the first of the shard, `M` slots each.
    upper: Vec<Links>,
}

/// The links of one layer, item `i`'s in slots `[i * width, (i + 1) * width)`, ending at the
/// first [`NO_LINK`]: 2 bytes a link while positions fit (below 65,535 items: a 7,000-item
/// graph is 1 MB smaller), 4 above.
#[derive(Clone, Serialize, Deserialize)]
enum Links {
    Narrow(#[serde(with = "le_halves")] Vec<u16>),
    Wide(#[serde(with = "le_words")] Vec<u32>),
}

impl Links {
    fn new(slots: Vec<u32>, items: usize) -> Links {
        if items < usize::from(u16::MAX) {
            // Every position fits, and NO_LINK becomes u16::MAX.
            Links::Narrow(
                slots
                    .into_iter()
                    .map(|l| l.min(u32::from(u16::MAX)) as u16)
                    .collect(),
            )
        } else {
            Links::Wide(slots)
        }
    }

    fn len(&self) -> usize {
        match self {
            Links::Narrow(slots) => slots.len(),
            Links::Wide(slots) => slots.len(),
        }
    }

    /// Calls `f` with each link of `item` (slots out of range are no links).
    fn each(&self, item: u32, width: usize, mut f: impl FnMut(u32)) {
        let start = item as usize * width;
        match self {
            Links::Narrow(slots) => {
                let node = slots.get(start..start + width).unwrap_or_default();
                node.iter()
                    .take_while(|&&l| l != u16::MAX)
                    .for_each(|&l| f(u32::from(l)));
            }
            Links::Wide(slots) => {
                let node = slots.get(start..start + width).unwrap_or_default();
                node.iter()
                    .take_while(|&&l| l != NO_LINK)
                    .for_each(|&l| f(l));
            }
        }
    }
}

/// `u16`s as one byte string, little-endian.
mod le_halves {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(values: &[u16], serializer: S) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        serializer.serialize_bytes(&bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u16>, D::Error> {
        let bytes: serde_bytes::ByteBuf = serde::Deserialize::deserialize(deserializer)?;
        if !bytes.len().is_multiple_of(2) {
            return Err(serde::de::Error::custom("a byte string of 2-byte numbers"));
        }
        Ok(bytes
            .chunks_exact(2)
            .map(|w| u16::from_le_bytes([w[0], w[1]]))
            .collect())
    }
}

/// A candidate of a graph walk, ordered by distance, then position (as `instant-distance`
/// orders its own).
#[derive(Clone, Copy, PartialEq)]
struct Candidate {
    distance: f32,
    item: u32,
}

impl Eq for Candidate {}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.distance
            .total_cmp(&other.distance)
            .then(self.item.cmp(&other.item))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The state of one walk (the HNSW paper's algorithm 2): `nearest` (W, sorted, at most `ef`),
/// `candidates` (C) and `visited` (v, one bit per item).
struct Walk<'a> {
    vectors: &'a Matrix,
    query: &'a QVec,
    visited: Vec<u64>,
    candidates: BinaryHeap<Reverse<Candidate>>,
    nearest: Vec<Candidate>,
    ef: usize,
}

impl Walk<'_> {
    fn visit(&mut self, item: u32) {
        let (word, bit) = (item as usize / 64, 1u64 << (item % 64));
        match self.visited.get_mut(word) {
            Some(w) if *w & bit == 0 => *w |= bit,
            // Seen, or out of range (a corrupt link is no link).
            _ => return,
        }
        let new = Candidate {
            distance: self.vectors.distance(self.query, item),
            item,
        };
        let at = self.nearest.binary_search(&new).unwrap_or_else(|at| at);
        if at < self.ef {
            self.nearest.insert(at, new);
            self.candidates.push(Reverse(new));
        }
    }

    /// Expands the nearest candidates through `links` (`width` slots per item) until none is
    /// nearer than the furthest kept.
    fn search(&mut self, links: &Links, width: usize) {
        while let Some(Reverse(candidate)) = self.candidates.pop() {
            if self
                .nearest
                .last()
                .is_some_and(|furthest| candidate.distance > furthest.distance)
            {
                break;
            }
            links.each(candidate.item, width, |item| self.visit(item));
            self.nearest.truncate(self.ef);
        }
    }

    /// Goes down a layer: the nearest found become the entry points.
    fn descend(&mut self) {
        self.candidates.clear();
        self.candidates
            .extend(self.nearest.iter().map(|&c| Reverse(c)));
        self.visited.iter_mut().for_each(|w| *w = 0);
        for c in &self.nearest {
            self.visited[c.item as usize / 64] |= 1 << (c.item % 64);
        }
    }
}

impl Graph {
    /// The links of `instant-distance`'s graph, read from its serialized form (its fields are
    /// private): `ef_search`, the points, the bottom layer, then the upper layers.
    fn of(graph: &instant_distance::Hnsw<QVec>) -> Result<Graph, postcard::Error> {
        #[derive(Deserialize)]
        struct Parts {
            ef_search: usize,
            _points: Vec<QVec>,
            zero: Vec<Slots<{ 2 * M }>>,
            layers: Vec<Vec<Slots<M>>>,
        }
        let parts: Parts = postcard::from_bytes(&postcard::to_stdvec(graph)?)?;
        let items = parts.zero.len();
        Ok(Graph {
            ef_search: parts.ef_search as u32,
            zero: Links::new(parts.zero.into_iter().flat_map(|n| n.0).collect(), items),
            upper: parts
                .layers
                .into_iter()
                .map(|layer| Links::new(layer.into_iter().flat_map(|n| n.0).collect(), items))
                .collect(),
        })
    }

    /// The nearest items to `query` over `vectors`, nearest first, at most `ef_search`.
    fn search(&self, vectors: &Matrix, query: &QVec) -> Vec<Candidate> {
        let n = vectors.len();
        if n == 0 {
            return Vec::new();
        }
        let mut walk = Walk {
            vectors,
            query,
            visited: vec![0; n.div_ceil(64)],
            candidates: BinaryHeap::new(),
            nearest: Vec::new(),
            ef: 1,
        };
        // The first item is the entry point, on every layer.
        walk.visit(0);
        for layer in self.upper.iter().rev() {
            walk.search(layer, M);
            walk.descend();
        }
        walk.ef = (self.ef_search as usize).max(1);
        walk.search(&self.zero, 2 * M);
        walk.nearest
    }
}

/// A fixed number of links as `instant-distance` serializes them (a tuple of point ids).
struct Slots<const N: usize>([u32; N]);

impl<'de, const N: usize> Deserialize<'de> for Slots<N> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<const N: usize>;
        impl<'de, const N: usize> serde::de::Visitor<'de> for Visitor<N> {
            type Value = Slots<N>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                write!(f, "{N} point ids")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Slots<N>, A::Error> {
                let mut slots = [NO_LINK; N];
                for (i, slot) in slots.iter_mut().enumerate() {
                    *slot = seq
                        .next_element()?
                        .ok_or_else(|| serde::de::Error::invalid_length(i, &self))?;
                }
                Ok(Slots(slots))
            }
        }
        deserializer.deserialize_tuple(N, Visitor::<N>)
    }
}

/// The stored form: ids in one string, their ends and their order by id as little-endian
/// `u32`s, the vectors as one matrix and, above the size threshold, the graph's links: a
/// shard decodes as a few copies, with nothing allocated per item (a recycled instance
/// decodes its shards again).
#[derive(Serialize, Deserialize)]
struct Stored {
    ids: String,
    #[serde(with = "le_words")]
    ends: Vec<u32>,
    #[serde(with = "le_words")]
    by_id: Vec<u32>,
    vectors: Matrix,
    graph: Option<Graph>,
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
            return Shard::assemble(&ids, Matrix::new(&vectors), None);
        }
        let (hnsw, order) = Builder::default()
            .ef_construction(settings.ef_construction)
            .ef_search(settings.ef_search)
            .seed(seed)
            .build_hnsw(vectors);
        Shard::of_graph(items, &hnsw, order)
    }

    /// A shard of `instant-distance`'s graph over `items`; `order` is each item's point id.
    fn of_graph(
        items: &[(String, Vec<f32>)],
        hnsw: &instant_distance::Hnsw<QVec>,
        order: Vec<instant_distance::PointId>,
    ) -> Shard {
        let mut ids = vec![""; items.len()];
        for ((id, _), pid) in items.iter().zip(order) {
            ids[pid.into_inner() as usize] = id.as_str();
        }
        let points: Vec<QVec> = hnsw.iter().map(|(_, p)| p.clone()).collect();
        // Serializing a graph we just built into memory cannot fail.
        let graph = Graph::of(hnsw).expect("instant-distance's graph in its own format");
        Shard::assemble(&ids, Matrix::new(&points), Some(graph))
    }

    fn assemble(ids: &[&str], vectors: Matrix, graph: Option<Graph>) -> Shard {
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
                vectors,
                graph,
            },
        }
    }

    /// The stored form.
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(&self.stored).unwrap_or_default()
    }

    /// A shard from its stored form, checked so that no lookup can go out of bounds (a graph
    /// link out of range is read as no link).
    pub fn decode(bytes: &[u8]) -> Result<Shard, RecommendError> {
        let stored: Stored = postcard::from_bytes(bytes).map_err(decode("index shard"))?;
        let n = stored.ends.len();
        let m = &stored.vectors;
        // Checked: a corrupt `dim` must not wrap around to a plausible size.
        let vectors_fit =
            m.len() == n && m.len().checked_mul(m.dim as usize) == Some(m.values.len());
        let mut start = 0;
        let ids_fit = stored.ends.iter().all(|&end| {
            let fits = end as usize >= start && stored.ids.is_char_boundary(end as usize);
            start = end as usize;
            fits
        }) && start == stored.ids.len();
        let order_fits = stored.by_id.len() == n && stored.by_id.iter().all(|&i| (i as usize) < n);
        let graph_fits = stored.graph.as_ref().is_none_or(|g| {
            g.zero.len() == n * 2 * M
                && g.upper.iter().all(|l| l.len() <= n * M && l.len() % M == 0)
        });
        if !vectors_fit || !ids_fit || !order_fits || !graph_fits {
            return Err(RecommendError::Decode {
                what: "index shard",
                message: "ids, vectors and graph disagree".into(),
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
        self.stored.graph.is_none()
    }

    /// The (approximate) vector of an item, by id: a binary search of the ids' order.
    pub fn vector(&self, id: &str) -> Option<Vec<f32>> {
        let order = &self.stored.by_id;
        let at = order.binary_search_by(|&i| self.id(i).cmp(id)).ok()?;
        let (values, scale) = self.stored.vectors.row(order[at] as usize)?;
        Some(QVec::f32s(values, scale))
    }

    /// Up to `k` nearest items to `query`, nearest first (for graph shards at most
    /// `ef_search`).
    pub fn search(&self, query: &QVec, k: usize) -> Vec<Hit> {
        match &self.stored.graph {
            None => self.search_exact(query, k),
            Some(graph) => graph
                .search(&self.stored.vectors, query)
                .into_iter()
                .take(k)
                .map(|c| Hit {
                    item: c.item,
                    similarity: 1.0 - c.distance,
                })
                .collect(),
        }
    }

    /// The `k` nearest items by a full scan, whatever the shard's kind (the reference for
    /// recall measurements).
    pub fn search_exact(&self, query: &QVec, k: usize) -> Vec<Hit> {
        exact(self.stored.vectors.similarities(query), k)
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
    fn the_stored_graph_finds_what_instant_distance_finds() {
        // Clustered vectors, so that there are near ties and several layers.
        let items: Vec<(String, Vec<f32>)> = (0..1500)
            .map(|i| (format!("item-{i}"), synthetic_vector(i % 40, i)))
            .collect();
        let settings = IndexSettings {
            exact_below: 0,
            ef_search: 64,
            ..IndexSettings::default()
        };
        let vectors: Vec<QVec> = items.iter().map(|(_, v)| QVec::new(v)).collect();
        // The same graph for both: parallel insertion makes two builds differ a little.
        let (hnsw, order) = Builder::default()
            .ef_construction(settings.ef_construction)
            .ef_search(settings.ef_search)
            .seed(7)
            .build_hnsw(vectors);
        let shard = Shard::decode(&Shard::of_graph(&items, &hnsw, order).encode()).expect("decode");
        assert!(!shard.is_exact());
        let graph = shard.stored.graph.as_ref().expect("a graph");
        assert!(!graph.upper.is_empty(), "more than one layer");
        for q in 0..60 {
            let query = QVec::new(&synthetic_vector(q % 45, 10_000 + q));
            let mut search = instant_distance::Search::default();
            let theirs: Vec<(u32, f32)> = hnsw
                .search(&query, &mut search)
                .map(|item| (item.pid.into_inner(), 1.0 - item.distance))
                .collect();
            let ours: Vec<(u32, f32)> = shard
                .search(&query, usize::MAX)
                .iter()
                .map(|hit| (hit.item, hit.similarity))
                .collect();
            assert_eq!(ours, theirs, "query {q}");
        }
    }

    /// A unit vector near the `cluster`-th axis, varied by `seed`.
    fn synthetic_vector(cluster: usize, seed: usize) -> Vec<f32> {
        let mut state = (seed as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut v: Vec<f32> = (0..48)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state % 1000) as f32 / 4000.0
            })
            .collect();
        v[cluster % 48] += 1.0;
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / norm).collect()
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_stored_form_that_disagrees_with_itself_is_an_error() {
        let settings = IndexSettings {
            exact_below: 0,
            ..IndexSettings::default()
        };
        let good = Shard::build(&items(), &settings, 1).stored;
        let corrupt = |change: &dyn Fn(&mut Stored)| {
            let mut stored = Stored {
                ids: good.ids.clone(),
                ends: good.ends.clone(),
                by_id: good.by_id.clone(),
                vectors: good.vectors.clone(),
                graph: good.graph.clone(),
            };
            change(&mut stored);
            Shard::decode(&postcard::to_stdvec(&stored).expect("encode")).err()
        };
        assert!(corrupt(&|_| ()).is_none());
        // Flat, and a link out of range: still a shard, searched without a panic.
        assert!(corrupt(&|s| s.graph = None).is_none());
        assert!(corrupt(&|s| narrow(&mut s.graph.as_mut().unwrap().zero)[0] = 60_000).is_none());
        let broken: [&dyn Fn(&mut Stored); 9] = [
            &|s| s.ends[0] = 99,
            &|s| s.ends.swap(0, 1),
            // Inside the two bytes of "ä".
            &|s| {
                let at = s.ids.find('ä').unwrap();
                let item = s.ends.iter().position(|&end| end as usize > at).unwrap();
                s.ends[item] = at as u32 + 1;
            },
            &|s| s.by_id[0] = 5,
            &|s| {
                s.by_id.pop();
            },
            &|s| {
                s.vectors.values.pop();
            },
            // Times the item count, more than a 32-bit `usize` holds.
            &|s| s.vectors.dim = u32::MAX,
            &|s| {
                narrow(&mut s.graph.as_mut().unwrap().zero).pop();
            },
            &|s| {
                s.graph
                    .as_mut()
                    .unwrap()
                    .upper
                    .push(Links::new(vec![0; 7], 5))
            },
        ];
        for (i, change) in broken.iter().enumerate() {
            assert!(
                matches!(corrupt(change), Some(RecommendError::Decode { .. })),
                "change {i}"
            );
        }
        // A byte string of words whose length is no multiple of 4.
        let mut bytes = postcard::to_stdvec(&good).expect("encode");
        let at = good.ids.len() + 1;
        bytes[at] -= 1;
        assert!(Shard::decode(&bytes).is_err());
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_corrupt_link_is_no_link() {
        let settings = IndexSettings {
            exact_below: 0,
            ..IndexSettings::default()
        };
        let mut shard = Shard::build(&items(), &settings, 1);
        let graph = shard.stored.graph.as_mut().expect("a graph");
        for layer in std::iter::once(&mut graph.zero).chain(&mut graph.upper) {
            for link in narrow(layer).iter_mut().filter(|l| **l != u16::MAX) {
                *link += 1_000;
            }
        }
        // The entry point alone is reachable.
        let hits = shard.search(&QVec::new(&items()[3].1), 5);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].item, 0);
    }

    fn narrow(links: &mut Links) -> &mut Vec<u16> {
        match links {
            Links::Narrow(slots) => slots,
            Links::Wide(_) => panic!("a small shard's links are narrow"),
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn links_are_narrow_while_positions_fit() {
        let slots = vec![3, 65_000, NO_LINK, 9, 1, 2, 4, NO_LINK];
        for (items, wide) in [(65_534, false), (65_535, true), (1 << 20, true)] {
            let links = Links::new(slots.clone(), items);
            assert_eq!(matches!(links, Links::Wide(_)), wide, "{items}");
            let links: Links = postcard::from_bytes(&postcard::to_stdvec(&links).unwrap()).unwrap();
            let node = |item| {
                let mut found = Vec::new();
                links.each(item, 4, |l| found.push(l));
                found
            };
            assert_eq!(node(0), [3, 65_000]);
            assert_eq!(node(1), [1, 2, 4]);
            assert_eq!(node(2), Vec::<u32>::new());
        }
        // An odd number of bytes is no list of links.
        let odd = postcard::to_stdvec(&(0u32, serde_bytes::Bytes::new(&[1, 2, 3]))).unwrap();
        assert!(postcard::from_bytes::<Links>(&odd).is_err());
    }
}
