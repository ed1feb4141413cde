//! Tutor and course recommendations and personalized study plans for the tutoring platform:
//! the read models of students, tutors and courses kept current from `analytics_events`,
//! their embeddings (cached by text hash), the sharded HNSW indexes over them, the hybrid
//! ranker, the served [`Recommendation`] rows (stale-while-revalidate) and [`StudyPlan`]s.
//!
//! This crate is for *what* is recommended and *how*. It is *not* for I/O: it opens no
//! database (SQL goes through a [`SqlStore`]), runs no model (vectors come from an
//! [`Embedder`]: Spin's LLM interface with `all-minilm-l6-v2` in the component, a
//! [`HashingEmbedder`] in tests), reads no clock (callers pass `now`) and checks no
//! credentials (the `auth` crate does). `docs/RECOMMENDATIONS.md` gives the scoring formula,
//! the index layout, the staleness rules and the study-plan algorithm.
//!
//! A component calls, with its [`IndexCache`] kept in a static between requests:
//!
//! - on its cron schedule (the background job):
//!   1. [`refresh_profiles`]`(store, embedder, now)`: fold new events, mark recommendations
//!      stale, embed changed profiles;
//!   2. [`rebuild_indexes_if_stale`]`(store, &IndexSettings::default(), now)`: rebuild and
//!      swap the indexes whose embeddings changed;
//!   3. [`regenerate_stale`]`(store, cache, embedder, max, now)`: revalidate stale rows;
//! - on `GET` of a student's recommendations: [`recommendations_for`]`(store, user_id)`,
//!   the stored row and its staleness at once; if there is none,
//!   [`generate_recommendations`]`(store, cache, embedder, user_id, now)`;
//! - on a filtered query: [`recommend_tutors`] / [`recommend_courses`]`(store, cache,
//!   embedder, user_id, &filters, limit)`;
//! - on CreatePersonalizedStudyPlan: [`study_plan`]`(store, cache, embedder, user_id, goal)`.
//!
//! Every entry point but the reads creates its tables first ([`ensure_schema`], idempotent).
//!
//! ```no_run
//! # async fn demo(store: &mut impl recommend::SqlStore) -> Result<(), recommend::RecommendError> {
//! use recommend::{Filters, HashingEmbedder, IndexCache, IndexSettings};
//! let (mut embedder, mut cache) = (HashingEmbedder::default(), IndexCache::new());
//! let now = chrono::Utc::now();
//! recommend::refresh_profiles(store, &mut embedder, now).await?;
//! recommend::rebuild_indexes_if_stale(store, &IndexSettings::default(), now).await?;
//! let served = match recommend::recommendations_for(store, "usr_1").await? {
//!     Some(served) => served,
//!     None => recommend::generate_recommendations(store, &mut cache, &mut embedder, "usr_1", now).await?,
//! };
//! let python = Filters { subject: Some("Python".into()), ..Filters::default() };
//! let tutors = recommend::recommend_tutors(store, &mut cache, &mut embedder, "usr_1", &python, 5).await?;
//! let plan = recommend::study_plan(store, &mut cache, &mut embedder, "usr_1", "Learn Python for data science").await?;
//! # let _ = (served, tutors, plan); Ok(()) }
//! ```

mod catalog;
pub mod collaborative;
mod embed;
mod embed_cache;
mod error;
mod filters;
mod fold;
mod generate;
pub mod index;
pub mod plan;
mod profiles;
pub mod ranker;
pub mod request;
pub mod schema;
mod sql;
mod stored;
mod student;
mod study_plan;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod test_support;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod flow_tests;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod demo_tests;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod proptests;

pub use embed::{
    EMBEDDING_DIM, Embedder, HashingEmbedder, dot, from_bytes, normalize, text_hash, to_bytes,
};
pub use embed_cache::{EMBED_BATCH, cached_vectors, embed_cached};
pub use error::{EmbedError, RecommendError};
pub use filters::{Attributes, Filters, Level};
pub use generate::{ANN_CANDIDATES, FALLBACK_CANDIDATES, recommend_courses, recommend_tutors};
pub use index::{IndexCache, IndexSettings, Kind, RebuildReport, rebuild_indexes_if_stale};
pub use profiles::{RefreshReport, refresh_profiles};
pub use ranker::RecommendedItem;
pub use sql_store::{Row, SqlStore, SqlValue, StoreError};
pub use stored::{
    Recommendation, STORED_ITEMS, Served, generate_recommendations, recommendations_for,
    regenerate_stale,
};
pub use student::blend;
pub use study_plan::{PlanStep, StudyPlan, study_plan};

/// Creates the library's tables (and `analytics_events` with its indexes, as the `events`
/// crate defines them, so a refresh before the first ingestion works). Idempotent, and one read
/// when the store already has this version of them; the entry points that write call it
/// themselves.
pub async fn ensure_schema<S: SqlStore>(store: &mut S) -> Result<(), RecommendError> {
    let statements = events::store::SCHEMA_STATEMENTS
        .iter()
        .chain(schema::SCHEMA_STATEMENTS)
        .copied();
    sql_store::ensure_schema(store, "recommend", statements)
        .await
        .map_err(error::at("schema"))?;
    Ok(())
}

/// A JSON parameter (for `json_each(?n)`).
pub(crate) fn json_param<T: serde::Serialize + ?Sized>(value: &T) -> SqlValue {
    SqlValue::Text(serde_json::to_string(value).unwrap_or_else(|_| "[]".to_owned()))
}
