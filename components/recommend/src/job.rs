//! The background job: fold new events and embed changed profiles, rebuild stale indexes,
//! revalidate stale recommendations. The cron export and `POST /recommendations/refresh`
//! run it.

use chrono::{DateTime, Utc};
use recommend::{
    Embedder, IndexCache, IndexSettings, RebuildReport, RecommendError, RefreshReport, SqlStore,
};
use serde::Serialize;

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

/// refresh_profiles → rebuild_indexes_if_stale → regenerate_stale(`regenerate`): at most
/// that many stale recommendations (the oldest first) are regenerated; the rest wait for the
/// next run. The cron trigger uses [`recommend::request::DEFAULT_REGENERATE`].
pub async fn run<S: SqlStore, E: Embedder>(
    store: &mut S,
    cache: &mut IndexCache,
    embedder: &mut E,
    regenerate: usize,
    now: DateTime<Utc>,
) -> Result<JobReport, RecommendError> {
    let refresh = recommend::refresh_profiles(store, embedder, now).await?;
    let indexes =
        recommend::rebuild_indexes_if_stale(store, &IndexSettings::default(), now).await?;
    let regenerated = recommend::regenerate_stale(store, cache, embedder, regenerate, now).await?;
    Ok(JobReport {
        refresh,
        indexes,
        regenerated,
    })
}
