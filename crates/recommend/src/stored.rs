//! The served `Recommendation` rows: generated, stored, read at once, marked stale by
//! relevant events (in [`crate::refresh_profiles`]) and regenerated in the background.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sql_store::{SqlStore, SqlValue};

use crate::embed::{Embedder, text_hash};
use crate::error::RecommendError;
use crate::filters::Filters;
use crate::generate::recommend;
use crate::index::{IndexCache, Kind};
use crate::profiles::LAST_FOLDED;
use crate::ranker::RecommendedItem;
use crate::sql::{Cols, query, single_i64};
use crate::student;

/// Tutors and courses in a stored [`Recommendation`], each.
pub const STORED_ITEMS: usize = 10;

/// A student's recommendations, as stored and served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recommendation {
    /// Unique per generation.
    pub recommendation_id: String,
    /// The student.
    pub user_id: String,
    /// Tutors, best first.
    pub recommended_tutor_ids: Vec<String>,
    /// Courses, best first.
    pub recommended_course_ids: Vec<String>,
    /// How good the best matches are, 0 to 1 (the mean score of the top three of each list).
    pub confidence_score: f64,
    /// When it was generated.
    pub generated_at: DateTime<Utc>,
    /// Every item with its score and explanation, tutors first.
    pub items: Vec<RecommendedItem>,
}

/// A stored recommendation and whether events since call for a new one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Served {
    /// The stored row.
    pub recommendation: Recommendation,
    /// Whether it is being (or should be) regenerated.
    pub stale: bool,
}

/// The stored recommendation of `user_id` (one indexed read), or `None` if none was ever
/// generated: the caller then generates one ([`generate_recommendations`]). A stale row
/// is still returned (stale-while-revalidate); [`regenerate_stale`] replaces it.
pub async fn recommendations_for<S: SqlStore>(
    store: &mut S,
    user_id: &str,
) -> Result<Option<Served>, RecommendError> {
    let rows = query(
        store,
        "SELECT recommendation_id, recommended_tutor_ids, recommended_course_ids, \
         confidence_score, generated_at, items, stale FROM recommendations WHERE user_id = ?1",
        &[user_id.into()],
        "read recommendation",
    )
    .await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let c = Cols::new(row, "read recommendation");
    let bad = || RecommendError::BadRow {
        step: "read recommendation",
    };
    Ok(Some(Served {
        recommendation: Recommendation {
            recommendation_id: c.str(0)?.to_owned(),
            user_id: user_id.to_owned(),
            recommended_tutor_ids: c.strings(1)?,
            recommended_course_ids: c.strings(2)?,
            confidence_score: c.f64(3)?,
            generated_at: c.str(4)?.parse().map_err(|_| bad())?,
            items: serde_json::from_str(c.str(5)?).map_err(|_| bad())?,
        },
        stale: c.i64(6)? != 0,
    }))
}

/// Generates both lists for `user_id` (no filters, [`STORED_ITEMS`] each), stores them as
/// the student's current [`Recommendation`] and returns it as stored. It is stored fresh
/// unless a refresh folded events while it was being generated: then it may already miss
/// them, so it is stored stale and the next job regenerates it.
pub async fn generate_recommendations<S: SqlStore, E: Embedder>(
    store: &mut S,
    cache: &mut IndexCache,
    embedder: &mut E,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<Served, RecommendError> {
    let basis = cache.catalog.sync(store).await?.unwrap_or(0);
    let student = student::load(store, embedder, user_id).await?;
    let filters = Filters::default();
    let tutors = recommend(store, cache, &student, Kind::Tutor, &filters, STORED_ITEMS).await?;
    let courses = recommend(store, cache, &student, Kind::Course, &filters, STORED_ITEMS).await?;
    let generated_at = now.to_rfc3339_opts(SecondsFormat::Millis, true);
    let recommendation = Recommendation {
        recommendation_id: format!("rec_{}", &text_hash(user_id, &generated_at)[..20]),
        user_id: user_id.to_owned(),
        recommended_tutor_ids: tutors.iter().map(|i| i.id.clone()).collect(),
        recommended_course_ids: courses.iter().map(|i| i.id.clone()).collect(),
        confidence_score: confidence(&tutors, &courses),
        generated_at: generated_at.parse().unwrap_or(now),
        items: tutors.into_iter().chain(courses).collect(),
    };
    let stale = store_row(store, &recommendation, basis).await?;
    Ok(Served {
        recommendation,
        stale,
    })
}

/// Regenerates up to `max` stale recommendations, oldest first; returns how many.
pub async fn regenerate_stale<S: SqlStore, E: Embedder>(
    store: &mut S,
    cache: &mut IndexCache,
    embedder: &mut E,
    max: usize,
    now: DateTime<Utc>,
) -> Result<usize, RecommendError> {
    crate::ensure_schema(store).await?;
    let rows = query(
        store,
        "SELECT user_id FROM recommendations WHERE stale = 1 ORDER BY generated_at, user_id LIMIT ?1",
        &[SqlValue::Integer(i64::try_from(max).unwrap_or(i64::MAX))],
        "stale",
    )
    .await?;
    let users = rows
        .iter()
        .map(|r| Ok(Cols::new(r, "stale").str(0)?.to_owned()))
        .collect::<Result<Vec<String>, RecommendError>>()?;
    for user in &users {
        generate_recommendations(store, cache, embedder, user, now).await?;
    }
    Ok(users.len())
}

fn confidence(tutors: &[RecommendedItem], courses: &[RecommendedItem]) -> f64 {
    let top: Vec<f32> = tutors
        .iter()
        .take(3)
        .chain(courses.iter().take(3))
        .map(|i| i.score)
        .collect();
    if top.is_empty() {
        return 0.0;
    }
    let mean = f64::from(top.iter().sum::<f32>()) / top.len() as f64;
    (mean * 1000.0).round() / 1000.0
}

/// Upserts the row; it is stale if the fold moved past `basis` since generation began
/// (checked in the same statement, so no fold can slip between check and write).
async fn store_row<S: SqlStore>(
    store: &mut S,
    r: &Recommendation,
    basis: i64,
) -> Result<bool, RecommendError> {
    let stale = single_i64(
        store,
        &format!(
            "INSERT INTO recommendations (user_id, recommendation_id, recommended_tutor_ids, \
             recommended_course_ids, confidence_score, generated_at, items, stale) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, COALESCE(({LAST_FOLDED}), 0) <> ?8) \
             ON CONFLICT (user_id) DO UPDATE SET \
             recommendation_id = excluded.recommendation_id, \
             recommended_tutor_ids = excluded.recommended_tutor_ids, \
             recommended_course_ids = excluded.recommended_course_ids, \
             confidence_score = excluded.confidence_score, generated_at = excluded.generated_at, \
             items = excluded.items, stale = excluded.stale RETURNING stale"
        ),
        &[
            r.user_id.as_str().into(),
            r.recommendation_id.as_str().into(),
            to_json(&r.recommended_tutor_ids).into(),
            to_json(&r.recommended_course_ids).into(),
            r.confidence_score.into(),
            r.generated_at
                .to_rfc3339_opts(SecondsFormat::Millis, true)
                .into(),
            to_json(&r.items).into(),
            SqlValue::Integer(basis),
        ],
        "store recommendation",
    )
    .await?
    .ok_or(RecommendError::BadRow {
        step: "store recommendation",
    })?;
    Ok(stale != 0)
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".to_owned())
}
