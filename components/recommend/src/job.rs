//! The background job: fold new events and embed changed profiles, rebuild stale indexes,
//! revalidate stale recommendations. The cron export and `POST /recommendations/refresh`
//! run it.

use chrono::{DateTime, Utc};
use recommend::{
    Embedder, IndexCache, IndexSettings, RebuildReport, RecommendError, RefreshReport, SqlStore,
};
use serde::Serialize;

/// The most stale recommendations one run regenerates (the oldest first); the rest wait for
/// the next run.
pub const REGENERATE_PER_RUN: usize = 100;

/// What one run did.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobReport {
    /// The events folded and the profiles embedded.
    pub refresh: RefreshReport,
    /// Each index: rebuilt or not, its version and size.
    pub indexes: Vec<RebuildReport>,
    /// Stale recommendations regenerated.
    pub regenerated: usize,
}

/// refresh_profiles → rebuild_indexes_if_stale → regenerate_stale([`REGENERATE_PER_RUN`]).
pub async fn run<S: SqlStore, E: Embedder>(
    store: &mut S,
    cache: &mut IndexCache,
    embedder: &mut E,
    now: DateTime<Utc>,
) -> Result<JobReport, RecommendError> {
    let refresh = recommend::refresh_profiles(store, embedder, now).await?;
    let indexes =
        recommend::rebuild_indexes_if_stale(store, &IndexSettings::default(), now).await?;
    let regenerated =
        recommend::regenerate_stale(store, cache, embedder, REGENERATE_PER_RUN, now).await?;
    Ok(JobReport {
        refresh,
        indexes,
        regenerated,
    })
}
