//! The catalog rows a generation reads (the best-rated items for a subject and filters, the
//! candidates' details), kept between the requests of one instance.
//!
//! Students of one subject share most of them: the same best-rated list, and candidates
//! from the same shards. Every change to the read models is a fold, and a fold moves
//! `rec_state.last_seq` in its transaction; so a request reads `last_seq` first (once: a
//! study plan ranks several times) and keeps
//! what is cached only while it has not moved. An entry read after a fold under the older
//! `last_seq` is dropped at the next request, never served past that fold.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use sql_store::SqlStore;

use crate::error::RecommendError;
use crate::index::Kind;
use crate::profiles::LAST_FOLDED;
use crate::ranker::Candidate;
use crate::sql::single_i64;

/// Items whose details are kept; past it the cache starts again (the platform of the
/// benchmark has 25,000 tutors and courses; one subject's requests need a few thousand).
const MAX_DETAILS: usize = 20_000;
/// Best-rated lists kept (one per kind, subjects and filters).
const MAX_LISTS: usize = 512;

/// The cached rows and the `last_seq` they were read under.
#[derive(Default)]
pub(crate) struct CatalogCache {
    basis: Option<i64>,
    best_rated: HashMap<String, Arc<Vec<String>>>,
    details: HashMap<Kind, HashMap<String, Candidate>>,
    details_len: usize,
    /// Rows read from the store (details) and lists queried (best-rated), for tests.
    pub(crate) reads: usize,
}

impl CatalogCache {
    /// Drops everything if a fold committed since the cached rows were read; returns the
    /// `last_seq` now current. Each request calls it once, before it reads the catalog.
    pub(crate) async fn sync<S: SqlStore>(
        &mut self,
        store: &mut S,
    ) -> Result<Option<i64>, RecommendError> {
        let last = single_i64(store, LAST_FOLDED, &[], "catalog basis").await?;
        if last != self.basis {
            self.best_rated.clear();
            self.details.clear();
            self.details_len = 0;
            self.basis = last;
        }
        Ok(last)
    }

    /// The best-rated list under `key`, or `read`'s answer, kept.
    pub(crate) async fn best_rated<F>(
        &mut self,
        key: String,
        read: F,
    ) -> Result<Arc<Vec<String>>, RecommendError>
    where
        F: AsyncFnOnce() -> Result<Vec<String>, RecommendError>,
    {
        if let Some(list) = self.best_rated.get(&key) {
            return Ok(list.clone());
        }
        let list = Arc::new(read().await?);
        self.reads += 1;
        if self.best_rated.len() >= MAX_LISTS {
            self.best_rated.clear();
        }
        self.best_rated.insert(key, list.clone());
        Ok(list)
    }

    /// The details of `ids` (in id order; unknown ids left out): the cached ones, and the
    /// rest through `read`, which then are kept.
    pub(crate) async fn details<F>(
        &mut self,
        kind: Kind,
        ids: &BTreeSet<String>,
        read: F,
    ) -> Result<Vec<Candidate>, RecommendError>
    where
        F: AsyncFnOnce(Vec<&String>) -> Result<Vec<Candidate>, RecommendError>,
    {
        let missing: Vec<&String> = match self.details.get(&kind) {
            Some(known) => ids.iter().filter(|id| !known.contains_key(*id)).collect(),
            None => ids.iter().collect(),
        };
        let fresh: HashMap<String, Candidate> = if missing.is_empty() {
            HashMap::new()
        } else {
            read(missing)
                .await?
                .into_iter()
                .map(|c| (c.id.clone(), c))
                .collect()
        };
        self.reads += fresh.len();
        let known = self.details.entry(kind).or_default();
        let answer = ids
            .iter()
            .filter_map(|id| fresh.get(id).or_else(|| known.get(id)).cloned())
            .collect();
        if self.details_len + fresh.len() > MAX_DETAILS {
            self.details.clear();
            self.details_len = 0;
        }
        self.details_len += fresh.len();
        self.details.entry(kind).or_default().extend(fresh);
        Ok(answer)
    }
}
