//! The HNSW indexes of tutors and courses.
//!
//! Layout: an index is a small *manifest* (one row per kind in `rec_index_manifest_v4`: its
//! version, the embedding version it was built from, and per shard a name, a content
//! fingerprint, a size and a centroid) and its *shards* (rows of `rec_index_shards_v4` keyed by
//! fingerprint): one per subject, holding quantized vectors, searched exactly below
//! [`IndexSettings::exact_below`] items and through an HNSW graph above. A tutor teaching
//! three subjects is in three shards. A request loads only the shards of the subjects it
//! needs (the student's, or the nearest centroids to their goal), and an [`IndexCache`]
//! kept between the requests of one instance decodes each shard once: a request checks the
//! manifest's version (one indexed read) and reuses everything unchanged.

mod build;
mod cache;
mod quant;
mod shard;
#[cfg(any(test, feature = "synthetic"))]
pub mod synthetic;

#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) mod tests;
#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) use tests as tests_support;

use serde::{Deserialize, Serialize};

pub use build::{RebuildReport, rebuild_indexes_if_stale};
pub use cache::{CacheStats, IndexCache, IndexView};
pub use quant::QVec;
pub use shard::{Hit, IndexSettings, Shard};

/// What an index holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// Tutor profiles.
    Tutor,
    /// Courses.
    Course,
}

impl Kind {
    /// Both kinds.
    pub const ALL: [Kind; 2] = [Kind::Tutor, Kind::Course];

    /// The stored name: `tutor` or `course`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Tutor => "tutor",
            Kind::Course => "course",
        }
    }
}

/// The shard an item of `subject` goes to (subjects compare case-insensitively).
pub fn shard_name(subject: &str) -> String {
    subject.trim().to_lowercase()
}

/// The stored description of one index version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The shards, by name.
    pub shards: Vec<ShardEntry>,
}

/// One shard of a manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardEntry {
    /// The subject, lower-cased.
    pub name: String,
    /// The hash of its items and their texts: equal fingerprints, equal shards.
    pub fingerprint: String,
    /// How many items.
    pub len: u32,
    /// The normalized mean of its vectors, to pick shards for a query with no subject.
    pub centroid: Vec<f32>,
}

impl Manifest {
    /// The entry of a shard, by subject (any case).
    pub fn shard(&self, subject: &str) -> Option<&ShardEntry> {
        let name = shard_name(subject);
        self.shards.iter().find(|s| s.name == name)
    }

    /// The `n` shards whose centroids are nearest to `query`.
    pub fn nearest(&self, query: &[f32], n: usize) -> Vec<&ShardEntry> {
        let mut scored: Vec<(f32, &ShardEntry)> = self
            .shards
            .iter()
            .map(|s| (crate::embed::dot(&s.centroid, query), s))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.name.cmp(&b.1.name)));
        scored.into_iter().take(n).map(|(_, s)| s).collect()
    }
}
