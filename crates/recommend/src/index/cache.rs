//! The decoded indexes of one component instance, kept between its requests.
//!
//! A Spin instance may serve many requests; the component keeps one [`IndexCache`] in a
//! static (`thread_local!` or a `Mutex`) and passes it to every call. Each call checks the
//! stored manifest version (one indexed read); shards are decoded on first use and kept by
//! fingerprint, so a rebuild that changed one subject leaves the others' decoded shards
//! in place. It carries the instance's [`CatalogCache`] too (catalog rows, valid until
//! the next fold).

use std::collections::HashMap;
use std::sync::Arc;

use sql_store::{SqlStore, SqlValue};

use super::{Kind, Manifest, QVec, Shard, ShardEntry};
use crate::catalog::CatalogCache;
use crate::error::{RecommendError, decode};
use crate::sql::{Cols, query};

/// How the cache has been used (for logs and tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Manifests read and decoded (first use, or a new version).
    pub manifest_loads: usize,
    /// Shards read and decoded.
    pub shard_loads: usize,
    /// Shards served from memory.
    pub shard_hits: usize,
}

/// Decoded manifests and shards, by kind and fingerprint.
#[derive(Default)]
pub struct IndexCache {
    manifests: HashMap<Kind, (i64, Arc<Manifest>)>,
    shards: HashMap<(Kind, String), Arc<Shard>>,
    pub(crate) catalog: CatalogCache,
    /// Usage counters.
    pub stats: CacheStats,
}

impl IndexCache {
    /// An empty cache.
    pub fn new() -> Self {
        IndexCache::default()
    }

    /// The current manifest of `kind` and its version, or `None` before the first build.
    pub async fn manifest<S: SqlStore>(
        &mut self,
        store: &mut S,
        kind: Kind,
    ) -> Result<Option<(i64, Arc<Manifest>)>, RecommendError> {
        let params = [kind.as_str().into()];
        let rows = query(
            store,
            "SELECT version FROM rec_index_manifest_v4 WHERE kind = ?1",
            &params,
            "index version",
        )
        .await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let version = Cols::new(row, "index version").i64(0)?;
        if let Some((cached, manifest)) = self.manifests.get(&kind)
            && *cached == version
        {
            return Ok(Some((version, manifest.clone())));
        }
        let rows = query(
            store,
            "SELECT version, manifest FROM rec_index_manifest_v4 WHERE kind = ?1",
            &params,
            "manifest",
        )
        .await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let c = Cols::new(row, "manifest");
        let version = c.i64(0)?;
        let manifest: Manifest = postcard::from_bytes(c.blob(1)?).map_err(decode("manifest"))?;
        self.stats.manifest_loads += 1;
        self.shards.retain(|(k, fingerprint), _| {
            *k != kind
                || manifest
                    .shards
                    .iter()
                    .any(|s| &s.fingerprint == fingerprint)
        });
        let manifest = Arc::new(manifest);
        self.manifests.insert(kind, (version, manifest.clone()));
        Ok(Some((version, manifest)))
    }

    /// The decoded shard of a manifest entry (`None` if a newer rebuild removed it since).
    pub async fn shard<S: SqlStore>(
        &mut self,
        store: &mut S,
        kind: Kind,
        entry: &ShardEntry,
    ) -> Result<Option<Arc<Shard>>, RecommendError> {
        let key = (kind, entry.fingerprint.clone());
        if let Some(shard) = self.shards.get(&key) {
            self.stats.shard_hits += 1;
            return Ok(Some(shard.clone()));
        }
        let rows = query(
            store,
            "SELECT data FROM rec_index_shards_v4 WHERE kind = ?1 AND fingerprint = ?2",
            &[kind.as_str().into(), entry.fingerprint.as_str().into()],
            "index shard",
        )
        .await?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(None);
        };
        // The shard keeps the bytes it was read as.
        let Some(SqlValue::Blob(bytes)) = row.into_iter().next() else {
            return Err(RecommendError::BadRow {
                step: "index shard",
            });
        };
        let shard = Arc::new(Shard::decode(bytes)?);
        self.stats.shard_loads += 1;
        self.shards.insert(key, shard.clone());
        Ok(Some(shard))
    }

    /// A view over the shards of `entries`, loading the ones not in memory.
    pub async fn view<S: SqlStore>(
        &mut self,
        store: &mut S,
        kind: Kind,
        entries: &[&ShardEntry],
    ) -> Result<IndexView, RecommendError> {
        let mut shards = Vec::with_capacity(entries.len());
        for entry in entries {
            if let Some(shard) = self.shard(store, kind, entry).await? {
                shards.push(shard);
            }
        }
        Ok(IndexView { shards })
    }
}

/// Some shards of one index, searched together.
#[derive(Clone, Default)]
pub struct IndexView {
    shards: Vec<Arc<Shard>>,
}

impl IndexView {
    /// A view over these shards.
    pub fn new(shards: Vec<Arc<Shard>>) -> Self {
        IndexView { shards }
    }

    /// How many shards.
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// The `k` nearest items over every shard (an item found in several shards counts once,
    /// with its best similarity), nearest first.
    pub fn search(&self, query: &[f32], k: usize) -> Vec<(String, f32)> {
        let q = QVec::new(query);
        let mut best: HashMap<&str, f32> = HashMap::new();
        for shard in &self.shards {
            for hit in shard.search(&q, k) {
                let id = shard.id(hit.item);
                let e = best.entry(id).or_insert(f32::MIN);
                *e = e.max(hit.similarity);
            }
        }
        let mut hits: Vec<(String, f32)> =
            best.into_iter().map(|(id, s)| (id.to_owned(), s)).collect();
        hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        hits.truncate(k);
        hits
    }

    /// The (approximate) vector of an item, if one of the shards holds it.
    pub fn vector(&self, id: &str) -> Option<Vec<f32>> {
        self.shards.iter().find_map(|s| s.vector(id))
    }
}
