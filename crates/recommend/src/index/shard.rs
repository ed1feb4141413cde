//! One shard of an index: the items of one subject, searched exactly below a size threshold
//! and through an HNSW graph above it, serialized with `postcard`.
//!
//! A new instance loads the shards it needs again (Spin recycles instances), so a stored shard
//! is searched where it lies: decoding one checks its parts and records where they are in the
//! bytes read from the store, and copies nothing. Its parts are the ids, the quantized
//! vectors as one matrix and, above the threshold, the graph's layers as flat arrays of links.
//! `instant-distance` builds the graph; its own serialized form decodes each link as a
//! variable-length integer and each point as an allocation, 6 to 11 ms for a 7,000-item shard
//! in wasm, so [`Links`] are walked as `instant-distance` walks its own (the same algorithm and
//! order: a test checks that both find the same items).

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::ops::Range;

use instant_distance::Builder;
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

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
    /// The item's position in the shard ([`Shard::id`]).
    pub item: u32,
    /// Cosine similarity to the query.
    pub similarity: f32,
}

/// `M` of the HNSW paper as `instant-distance` fixes it: links per item on the upper layers,
/// twice as many on the bottom one.
const M: usize = 32;
/// A link slot after an item's last link (as 4 bytes; `u16::MAX` as 2).
const NO_LINK: u32 = u32::MAX;

/// The stored form, as written: the ids in one string, their ends and their order by id as
/// little-endian `u32`s, the matrix and the graph.
#[derive(Clone, Serialize)]
struct Stored {
    ids: String,
    ends: ByteBuf,
    by_id: ByteBuf,
    vectors: StoredMatrix,
    graph: Option<StoredGraph>,
}

/// `dim` bytes (`i8`s) per item, one item after another, and a little-endian `f32` scale each.
#[derive(Clone, Serialize)]
struct StoredMatrix {
    dim: u32,
    values: ByteBuf,
    scales: ByteBuf,
}

#[derive(Clone, Serialize)]
struct StoredGraph {
    ef_search: u32,
    /// The bottom layer: every item, `2 * M` slots each.
    zero: StoredLinks,
    /// The layers above, lowest first: their items are the first of the shard, `M` slots each.
    upper: Vec<StoredLinks>,
}

/// The links of one layer, item `i`'s in slots `[i * width, (i + 1) * width)`, ending at the
/// first [`NO_LINK`]: 2 bytes a link while positions fit (below 65,535 items: a 7,000-item
/// graph is 1 MB smaller), 4 above.
#[derive(Clone, Serialize)]
enum StoredLinks {
    Narrow(ByteBuf),
    Wide(ByteBuf),
}

impl StoredLinks {
    fn new(slots: &[u32], items: usize) -> StoredLinks {
        if items < usize::from(u16::MAX) {
            // Every position fits, and NO_LINK becomes u16::MAX.
            let narrow = slots.iter().map(|&l| l.min(u32::from(u16::MAX)) as u16);
            StoredLinks::Narrow(ByteBuf::from(
                narrow.flat_map(u16::to_le_bytes).collect::<Vec<_>>(),
            ))
        } else {
            StoredLinks::Wide(le_bytes(slots.iter().copied()))
        }
    }
}

fn le_bytes(words: impl Iterator<Item = u32>) -> ByteBuf {
    ByteBuf::from(words.flat_map(u32::to_le_bytes).collect::<Vec<_>>())
}

/// The stored form, as read: the same fields, borrowed from the bytes.
#[derive(Deserialize)]
struct Parts<'a> {
    ids: &'a str,
    ends: &'a [u8],
    by_id: &'a [u8],
    #[serde(borrow)]
    vectors: MatrixParts<'a>,
    #[serde(borrow)]
    graph: Option<GraphParts<'a>>,
}

#[derive(Deserialize)]
struct MatrixParts<'a> {
    dim: u32,
    values: &'a [u8],
    scales: &'a [u8],
}

#[derive(Deserialize)]
struct GraphParts<'a> {
    ef_search: u32,
    #[serde(borrow)]
    zero: LinksParts<'a>,
    #[serde(borrow)]
    upper: Vec<LinksParts<'a>>,
}

#[derive(Deserialize)]
enum LinksParts<'a> {
    Narrow(&'a [u8]),
    Wide(&'a [u8]),
}

/// The `i`-th little-endian 4-byte word of `bytes` (0 past the end).
fn word(bytes: &[u8], i: usize) -> u32 {
    bytes
        .get(i * 4..i * 4 + 4)
        .map_or(0, |w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
}

/// A shard's matrix, where it lies.
#[derive(Clone, Copy)]
struct Vectors<'a> {
    dim: usize,
    values: &'a [u8],
    scales: &'a [u8],
}

impl<'a> Vectors<'a> {
    fn row(&self, item: usize) -> Option<(&'a [u8], f32)> {
        let values = self.values.get(item * self.dim..(item + 1) * self.dim)?;
        let scale = self.scales.get(item * 4..item * 4 + 4)?;
        Some((
            values,
            f32::from_le_bytes([scale[0], scale[1], scale[2], scale[3]]),
        ))
    }

    fn similarities<'q>(self, query: &'q QVec) -> impl Iterator<Item = f32> + 'q
    where
        'a: 'q,
    {
        self.values
            .chunks_exact(self.dim.max(1))
            .zip(self.scales.chunks_exact(4))
            .map(|(values, s)| {
                query.similarity_to(values, f32::from_le_bytes([s[0], s[1], s[2], s[3]]))
            })
    }

    /// `instant-distance`'s distance for our points: one minus the similarity.
    fn distance(&self, query: &QVec, item: u32) -> f32 {
        self.row(item as usize)
            .map_or(f32::INFINITY, |(values, scale)| {
                1.0 - query.similarity_to(values, scale)
            })
    }
}

/// One layer's links, where they lie.
#[derive(Clone, Copy)]
struct Links<'a> {
    wide: bool,
    slots: &'a [u8],
}

impl Links<'_> {
    /// Calls `f` with each link of `item` (slots out of range are no links).
    fn each(&self, item: u32, width: usize, mut f: impl FnMut(u32)) {
        let size = if self.wide { 4 } else { 2 };
        let start = item as usize * width * size;
        let node = self
            .slots
            .get(start..start + width * size)
            .unwrap_or_default();
        if self.wide {
            node.chunks_exact(4)
                .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
                .take_while(|&l| l != NO_LINK)
                .for_each(&mut f);
        } else {
            node.chunks_exact(2)
                .map(|w| u16::from_le_bytes([w[0], w[1]]))
                .take_while(|&l| l != u16::MAX)
                .for_each(|l| f(u32::from(l)));
        }
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
    vectors: Vectors<'a>,
    query: &'a QVec,
    visited: Vec<u64>,
    candidates: BinaryHeap<Reverse<Candidate>>,
    nearest: Vec<Candidate>,
    ef: usize,
}

/// The word of a walk's `visited` that holds `item`'s bit, and the bit.
fn visited_bit(item: u32) -> (usize, u64) {
    (item as usize / 64, 1 << (item % 64))
}

impl Walk<'_> {
    fn visit(&mut self, item: u32) {
        let (word, bit) = visited_bit(item);
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
    fn search(&mut self, links: Links, width: usize) {
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
            let (word, bit) = visited_bit(c.item);
            self.visited[word] |= bit;
        }
    }
}

impl StoredGraph {
    /// The links of `instant-distance`'s graph, read from its serialized form (its fields are
    /// private): `ef_search`, the points, the bottom layer, then the upper layers.
    fn of(graph: &instant_distance::Hnsw<QVec>) -> Result<StoredGraph, postcard::Error> {
        /// A point, read in place and not kept (`QVec`'s serialized shape).
        #[derive(Deserialize)]
        struct Point<'a> {
            _scale: f32,
            _q: &'a [u8],
        }
        #[derive(Deserialize)]
        struct Theirs<'a> {
            ef_search: usize,
            #[serde(borrow)]
            _points: Vec<Point<'a>>,
            zero: Vec<Slots<{ 2 * M }>>,
            layers: Vec<Vec<Slots<M>>>,
        }
        let bytes = postcard::to_stdvec(graph)?;
        let theirs: Theirs = postcard::from_bytes(&bytes)?;
        let items = theirs.zero.len();
        let zero: Vec<u32> = theirs.zero.iter().flat_map(|n| n.0).collect();
        Ok(StoredGraph {
            ef_search: theirs.ef_search as u32,
            zero: StoredLinks::new(&zero, items),
            upper: theirs
                .layers
                .iter()
                .map(|layer| {
                    let slots: Vec<u32> = layer.iter().flat_map(|n| n.0).collect();
                    StoredLinks::new(&slots, items)
                })
                .collect(),
        })
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

impl Stored {
    /// The stored form of a shard over `items` (id, unit vector). `seed` makes the graph
    /// reproducible.
    fn build(items: &[(String, Vec<f32>)], settings: &IndexSettings, seed: u64) -> Stored {
        let vectors: Vec<QVec> = items.iter().map(|(_, v)| QVec::new(v)).collect();
        if items.len() < settings.exact_below {
            let ids: Vec<&str> = items.iter().map(|(id, _)| id.as_str()).collect();
            return Stored::assemble(&ids, &vectors, None);
        }
        let (hnsw, order) = Builder::default()
            .ef_construction(settings.ef_construction)
            .ef_search(settings.ef_search)
            .seed(seed)
            .build_hnsw(vectors);
        Stored::of_graph(items, &hnsw, order)
    }

    /// The stored form of `instant-distance`'s graph over `items`; `order` is each item's
    /// point id.
    fn of_graph(
        items: &[(String, Vec<f32>)],
        hnsw: &instant_distance::Hnsw<QVec>,
        order: Vec<instant_distance::PointId>,
    ) -> Stored {
        let mut ids = vec![""; items.len()];
        for ((id, _), pid) in items.iter().zip(order) {
            ids[pid.into_inner() as usize] = id.as_str();
        }
        let points: Vec<QVec> = hnsw.iter().map(|(_, p)| p.clone()).collect();
        // Serializing a graph we just built into memory cannot fail.
        let graph = StoredGraph::of(hnsw).expect("instant-distance's graph in its own format");
        Stored::assemble(&ids, &points, Some(graph))
    }

    fn assemble(ids: &[&str], vectors: &[QVec], graph: Option<StoredGraph>) -> Stored {
        let mut ends = Vec::with_capacity(ids.len());
        let mut text = String::new();
        for id in ids {
            text.push_str(id);
            ends.push(text.len() as u32);
        }
        let mut by_id: Vec<u32> = (0..ids.len() as u32).collect();
        by_id.sort_by_key(|&i| ids[i as usize]);
        Stored {
            ids: text,
            ends: le_bytes(ends.into_iter()),
            by_id: le_bytes(by_id.into_iter()),
            vectors: StoredMatrix {
                dim: vectors.first().map_or(0, |v| v.dim() as u32),
                values: ByteBuf::from(
                    vectors
                        .iter()
                        .flat_map(|v| v.values())
                        .copied()
                        .collect::<Vec<_>>(),
                ),
                scales: ByteBuf::from(
                    vectors
                        .iter()
                        .flat_map(|v| v.scale().to_le_bytes())
                        .collect::<Vec<_>>(),
                ),
            },
            graph,
        }
    }

    fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).unwrap_or_default()
    }
}

/// Where a graph's layers lie in a shard's bytes.
struct GraphAt {
    ef_search: u32,
    zero: LinksAt,
    upper: Vec<LinksAt>,
}

#[derive(Clone)]
struct LinksAt {
    wide: bool,
    at: Range<usize>,
}

/// A decoded shard, ready to search: the bytes as stored, and where each part lies in them.
pub struct Shard {
    bytes: Vec<u8>,
    ids: Range<usize>,
    ends: Range<usize>,
    by_id: Range<usize>,
    dim: usize,
    values: Range<usize>,
    scales: Range<usize>,
    graph: Option<GraphAt>,
}

impl Shard {
    /// Builds a shard over `items` (id, unit vector). `seed` makes the graph reproducible.
    pub fn build(items: &[(String, Vec<f32>)], settings: &IndexSettings, seed: u64) -> Shard {
        Shard::decode(Stored::build(items, settings, seed).encode())
            .expect("a shard just built decodes")
    }

    /// The stored form.
    pub fn encode(&self) -> Vec<u8> {
        self.bytes.clone()
    }

    /// A shard from its stored form, checked so that no lookup can go out of bounds (a graph
    /// link out of range is read as no link). Nothing is copied: the shard keeps `bytes`.
    pub fn decode(bytes: Vec<u8>) -> Result<Shard, RecommendError> {
        let parts: Parts = postcard::from_bytes(&bytes).map_err(decode("index shard"))?;
        let disagree = || RecommendError::Decode {
            what: "index shard",
            message: "ids, vectors and graph disagree".into(),
        };
        // Where a borrowed part lies in `bytes`.
        let at = |part: &[u8]| -> Result<Range<usize>, RecommendError> {
            let start = (part.as_ptr() as usize)
                .checked_sub(bytes.as_ptr() as usize)
                .filter(|s| s + part.len() <= bytes.len())
                .ok_or_else(disagree)?;
            Ok(start..start + part.len())
        };
        let n = parts.ends.len() / 4;
        let dim = parts.vectors.dim as usize;
        let mut start = 0;
        let ids_fit = parts.ends.len() == n * 4
            && (0..n).all(|i| {
                let end = word(parts.ends, i) as usize;
                let fits = end >= start && parts.ids.is_char_boundary(end);
                start = end;
                fits
            })
            && start == parts.ids.len();
        let order_fits =
            parts.by_id.len() == n * 4 && (0..n).all(|i| (word(parts.by_id, i) as usize) < n);
        // Checked: a corrupt `dim` must not wrap around to a plausible size.
        let vectors_fit = n.checked_mul(dim) == Some(parts.vectors.values.len())
            && parts.vectors.scales.len() == n * 4;
        let links_at = |links: &LinksParts, width: usize, whole: bool| {
            let (wide, slots) = match links {
                LinksParts::Narrow(slots) => (false, *slots),
                LinksParts::Wide(slots) => (true, *slots),
            };
            let node = width * if wide { 4 } else { 2 };
            let fits = if whole {
                slots.len() == n * node
            } else {
                slots.len() <= n * node && slots.len() % node == 0
            };
            if fits {
                Ok(LinksAt {
                    wide,
                    at: at(slots)?,
                })
            } else {
                Err(disagree())
            }
        };
        if !ids_fit || !order_fits || !vectors_fit {
            return Err(disagree());
        }
        let graph = match &parts.graph {
            None => None,
            Some(g) => Some(GraphAt {
                ef_search: g.ef_search,
                zero: links_at(&g.zero, 2 * M, true)?,
                upper: g
                    .upper
                    .iter()
                    .map(|l| links_at(l, M, false))
                    .collect::<Result<_, _>>()?,
            }),
        };
        Ok(Shard {
            ids: at(parts.ids.as_bytes())?,
            ends: at(parts.ends)?,
            by_id: at(parts.by_id)?,
            dim,
            values: at(parts.vectors.values)?,
            scales: at(parts.vectors.scales)?,
            graph,
            bytes,
        })
    }

    fn vectors(&self) -> Vectors<'_> {
        Vectors {
            dim: self.dim,
            values: &self.bytes[self.values.clone()],
            scales: &self.bytes[self.scales.clone()],
        }
    }

    fn links(&self, at: &LinksAt) -> Links<'_> {
        Links {
            wide: at.wide,
            slots: &self.bytes[at.at.clone()],
        }
    }

    /// The id of the item at `position` (a [`Hit::item`]).
    pub fn id(&self, position: u32) -> &str {
        let (i, ends) = (position as usize, &self.bytes[self.ends.clone()]);
        if i >= self.len() {
            return "";
        }
        let end = word(ends, i) as usize;
        let start = if i == 0 {
            0
        } else {
            word(ends, i - 1) as usize
        };
        // Decoding checked that the ends cut the ids at character boundaries.
        let ids = &self.bytes[self.ids.clone()];
        ids.get(start..end)
            .and_then(|id| std::str::from_utf8(id).ok())
            .unwrap_or("")
    }

    /// How many items.
    pub fn len(&self) -> usize {
        self.ends.len() / 4
    }

    /// Whether the shard is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether searches are exact scans.
    pub fn is_exact(&self) -> bool {
        self.graph.is_none()
    }

    /// The (approximate) vector of an item, by id: a binary search of the ids' order.
    pub fn vector(&self, id: &str) -> Option<Vec<f32>> {
        let order = &self.bytes[self.by_id.clone()];
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let mid = (low + high) / 2;
            let item = word(order, mid);
            match self.id(item).cmp(id) {
                Ordering::Less => low = mid + 1,
                Ordering::Greater => high = mid,
                Ordering::Equal => {
                    let (values, scale) = self.vectors().row(item as usize)?;
                    return Some(QVec::f32s(values, scale));
                }
            }
        }
        None
    }

    /// Up to `k` nearest items to `query`, nearest first (for graph shards at most
    /// `ef_search`).
    pub fn search(&self, query: &QVec, k: usize) -> Vec<Hit> {
        let Some(graph) = &self.graph else {
            return self.search_exact(query, k);
        };
        if self.is_empty() {
            return Vec::new();
        }
        let mut walk = Walk {
            vectors: self.vectors(),
            query,
            visited: vec![0; self.len().div_ceil(64)],
            candidates: BinaryHeap::new(),
            nearest: Vec::new(),
            ef: 1,
        };
        // The first item is the entry point, on every layer.
        walk.visit(0);
        for layer in graph.upper.iter().rev() {
            walk.search(self.links(layer), M);
            walk.descend();
        }
        walk.ef = (graph.ef_search as usize).max(1);
        walk.search(self.links(&graph.zero), 2 * M);
        walk.nearest
            .into_iter()
            .take(k)
            .map(|c| Hit {
                item: c.item,
                similarity: 1.0 - c.distance,
            })
            .collect()
    }

    /// The `k` nearest items by a full scan, whatever the shard's kind (the reference for
    /// recall measurements).
    pub fn search_exact(&self, query: &QVec, k: usize) -> Vec<Hit> {
        exact(self.vectors().similarities(query), k)
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

    fn graph_settings() -> IndexSettings {
        IndexSettings {
            exact_below: 0,
            ..IndexSettings::default()
        }
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
            let shard = Shard::decode(Shard::build(&items, &settings, 1).encode()).expect("decode");
            assert_eq!(shard.is_exact(), exact_below > 0);
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
        // Clustered vectors, so that there are near ties and several layers. Coverage counters
        // make a build about ten times slower: a smaller graph there.
        let n = if cfg!(coverage) { 400 } else { 1500 };
        let items: Vec<(String, Vec<f32>)> = (0..n)
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
        let shard = Shard::decode(Stored::of_graph(&items, &hnsw, order).encode()).expect("decode");
        assert!(
            !shard.graph.as_ref().expect("a graph").upper.is_empty(),
            "more than one layer"
        );
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

    fn set_word(bytes: &mut ByteBuf, i: usize, value: u32) {
        bytes[i * 4..i * 4 + 4].copy_from_slice(&value.to_le_bytes());
    }

    fn narrow(links: &mut StoredLinks) -> &mut ByteBuf {
        match links {
            StoredLinks::Narrow(slots) => slots,
            StoredLinks::Wide(_) => panic!("a small shard's links are narrow"),
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_stored_form_that_disagrees_with_itself_is_an_error() {
        let good = Stored::build(&items(), &graph_settings(), 1);
        let corrupt = |change: &dyn Fn(&mut Stored)| {
            let mut stored = good.clone();
            change(&mut stored);
            Shard::decode(stored.encode()).err()
        };
        assert!(corrupt(&|_| ()).is_none());
        // Flat, and a link out of range: still a shard, searched without a panic.
        assert!(corrupt(&|s| s.graph = None).is_none());
        let far = |s: &mut Stored| {
            narrow(&mut s.graph.as_mut().unwrap().zero)[..2]
                .copy_from_slice(&60_000u16.to_le_bytes())
        };
        assert!(corrupt(&far).is_none());
        let broken: [&dyn Fn(&mut Stored); 9] = [
            &|s| set_word(&mut s.ends, 0, 99),
            &|s| {
                let (a, b) = (word(&s.ends, 0), word(&s.ends, 1));
                set_word(&mut s.ends, 0, b);
                set_word(&mut s.ends, 1, a);
            },
            // Inside the two bytes of "ä".
            &|s| {
                let at = s.ids.find('ä').unwrap();
                let item = (0..5).find(|&i| word(&s.ends, i) as usize > at).unwrap();
                set_word(&mut s.ends, item, at as u32 + 1);
            },
            &|s| set_word(&mut s.by_id, 0, 5),
            &|s| s.by_id.truncate(16),
            &|s| {
                s.vectors.values.pop();
            },
            // Times the item count, more than a 32-bit `usize` holds.
            &|s| s.vectors.dim = u32::MAX,
            &|s| {
                let zero = narrow(&mut s.graph.as_mut().unwrap().zero);
                let len = zero.len();
                zero.truncate(len - 2);
            },
            &|s| {
                s.graph
                    .as_mut()
                    .unwrap()
                    .upper
                    .push(StoredLinks::new(&[0; 7], 5))
            },
        ];
        for (i, change) in broken.iter().enumerate() {
            assert!(
                matches!(corrupt(change), Some(RecommendError::Decode { .. })),
                "change {i}"
            );
        }
        // A byte string of words whose length is no multiple of 4.
        let mut bytes = good.encode();
        let at = good.ids.len() + 1;
        bytes[at] -= 1;
        assert!(Shard::decode(bytes).is_err());
        assert!(Shard::decode(vec![1, 2, 3]).is_err());
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_corrupt_link_is_no_link() {
        let mut stored = Stored::build(&items(), &graph_settings(), 1);
        let graph = stored.graph.as_mut().expect("a graph");
        for layer in std::iter::once(&mut graph.zero).chain(&mut graph.upper) {
            for slot in narrow(layer).chunks_exact_mut(2) {
                let link = u16::from_le_bytes([slot[0], slot[1]]);
                if link != u16::MAX {
                    slot.copy_from_slice(&(link + 1_000).to_le_bytes());
                }
            }
        }
        let shard = Shard::decode(stored.encode()).expect("decode");
        // The entry point alone is reachable.
        let hits = shard.search(&QVec::new(&items()[3].1), 5);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].item, 0);
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn links_are_narrow_while_positions_fit() {
        let slots = [3, 65_000, NO_LINK, 9, 1, 2, 4, NO_LINK];
        for (items, wide) in [(65_534, false), (65_535, true), (1 << 20, true)] {
            let (is_wide, bytes) = match StoredLinks::new(&slots, items) {
                StoredLinks::Narrow(b) => (false, b),
                StoredLinks::Wide(b) => (true, b),
            };
            assert_eq!(is_wide, wide, "{items}");
            let links = Links {
                wide,
                slots: &bytes,
            };
            let node = |item| {
                let mut found = Vec::new();
                links.each(item, 4, |l| found.push(l));
                found
            };
            assert_eq!(node(0), [3, 65_000]);
            assert_eq!(node(1), [1, 2, 4]);
            assert_eq!(node(2), Vec::<u32>::new());
        }
    }
}
