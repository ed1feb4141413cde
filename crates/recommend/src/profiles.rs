//! RefreshProfiles: folds new events into the student, tutor and course read models, then
//! embeds the profiles whose text changed.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sql_store::{SqlStore, SqlValue};

use crate::embed::Embedder;
use crate::embed_cache::embed_cached;
use crate::error::RecommendError;
use crate::sql::{Cols, exec, query, single_i64, transaction};
use crate::{ensure_schema, fold};

/// Events folded per transaction: a long backlog is folded in several short transactions.
pub const FOLD_CHUNK: i64 = 20_000;

/// The last event folded into the read models.
pub(crate) const LAST_FOLDED: &str = "SELECT last_seq FROM rec_state WHERE id = 1";

/// Profiles embedded per query round.
const EMBED_ROUND: i64 = 256;

/// What a refresh did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshReport {
    /// The last ingestion sequence number folded in before this run.
    pub from_seq: i64,
    /// The last one folded in by this run.
    pub to_seq: i64,
    /// Tutor profiles whose current text got its embedding.
    pub tutors_embedded: usize,
    /// Course profiles whose current text got its embedding.
    pub courses_embedded: usize,
    /// Goal texts of the folded events, embedded (or found in the cache) ahead of requests.
    pub goals_embedded: usize,
}

/// Folds the events ingested since the last run into the read models, in transactions of at
/// most [`FOLD_CHUNK`] events (each advancing `last_seq`, so a crash loses nothing), marks
/// the affected [`crate::Recommendation`]s stale, then embeds the changed tutor and course
/// profiles and the new goals outside any transaction (the model may be slow). Embeddings
/// are cached by text hash: an unchanged text is never embedded twice. `now` is recorded
/// as the refresh time.
pub async fn refresh_profiles<S: SqlStore, E: Embedder>(
    store: &mut S,
    embedder: &mut E,
    now: DateTime<Utc>,
) -> Result<RefreshReport, RecommendError> {
    ensure_schema(store).await?;
    let at = now.to_rfc3339_opts(SecondsFormat::Millis, true);
    let fold = async |s: &mut S| fold_chunk(s, &at).await;
    let (mut last, mut upto) = transaction(store, fold).await?;
    let mut report = RefreshReport {
        from_seq: last,
        ..RefreshReport::default()
    };
    while upto > last {
        report.goals_embedded += embed_goals(store, embedder, last, upto).await?;
        (last, upto) = transaction(store, fold).await?;
    }
    report.to_seq = upto;
    report.tutors_embedded = embed_profiles(store, embedder, &TUTORS).await?;
    report.courses_embedded = embed_profiles(store, embedder, &COURSES).await?;
    Ok(report)
}

/// Folds up to [`FOLD_CHUNK`] events after `last_seq`; returns it and its new value. It
/// reads `last_seq` inside the transaction: a run at the same time folded what it folded
/// once, never twice.
async fn fold_chunk<S: SqlStore>(store: &mut S, at: &str) -> Result<(i64, i64), RecommendError> {
    let last = single_i64(store, LAST_FOLDED, &[], "state")
        .await?
        .unwrap_or(0);
    let upto = single_i64(
        store,
        "SELECT MAX(seq) FROM (SELECT seq FROM analytics_events WHERE seq > ?1 ORDER BY seq LIMIT ?2)",
        &[SqlValue::Integer(last), SqlValue::Integer(FOLD_CHUNK)],
        "upto",
    )
    .await?
    .unwrap_or(last);
    if upto > last {
        let range = [SqlValue::Integer(last), SqlValue::Integer(upto)];
        for sql in fold::statements() {
            exec(store, &sql, &range, "fold").await?;
        }
    }
    exec(
        store,
        "UPDATE rec_state SET last_seq = ?1, refreshed_at = ?2 WHERE id = 1",
        &[SqlValue::Integer(upto), SqlValue::Text(at.to_owned())],
        "state",
    )
    .await?;
    Ok((last, upto))
}

/// The text a goal is embedded from.
pub(crate) fn goal_text(goal: &str, subjects: &[String]) -> String {
    if subjects.is_empty() {
        goal.to_owned()
    } else {
        format!("{goal}. Subjects: {}.", subjects.join(", "))
    }
}

async fn embed_goals<S: SqlStore, E: Embedder>(
    store: &mut S,
    embedder: &mut E,
    last: i64,
    upto: i64,
) -> Result<usize, RecommendError> {
    let rows = query(
        store,
        "SELECT DISTINCT goal, subjects FROM rec_goals WHERE (user_id, goal) IN \
         (SELECT user_id, json_extract(properties, '$.goal') FROM analytics_events \
         WHERE seq > ?1 AND seq <= ?2 AND event_type = 'student_goal_set')",
        &[SqlValue::Integer(last), SqlValue::Integer(upto)],
        "goals",
    )
    .await?;
    let texts = rows
        .iter()
        .map(|r| {
            let c = Cols::new(r, "goals");
            Ok(goal_text(c.str(0)?, &c.strings(1)?))
        })
        .collect::<Result<Vec<_>, RecommendError>>()?;
    embed_cached(store, embedder, &texts).await?;
    Ok(texts.len())
}

/// How to find and describe the profiles of one kind that need an embedding.
struct ProfileKind {
    pending: &'static str,
    set_hash: &'static str,
    version: &'static str,
    text: fn(&Cols) -> Result<String, RecommendError>,
}

const TUTORS: ProfileKind = ProfileKind {
    pending: "SELECT tutor_id, updated_ms, name, subjects, bio, languages FROM rec_tutors \
              WHERE text_hash IS NULL ORDER BY tutor_id LIMIT ?1",
    set_hash: "UPDATE rec_tutors SET text_hash = ?1 WHERE tutor_id = ?2 AND updated_ms = ?3",
    version: "UPDATE rec_state SET tutor_version = tutor_version + 1 WHERE id = 1",
    text: tutor_text,
};

const COURSES: ProfileKind = ProfileKind {
    pending: "SELECT course_id, published_ms, title, subject, level, description FROM rec_courses \
              WHERE text_hash IS NULL ORDER BY course_id LIMIT ?1",
    set_hash: "UPDATE rec_courses SET text_hash = ?1 WHERE course_id = ?2 AND published_ms = ?3",
    version: "UPDATE rec_state SET course_version = course_version + 1 WHERE id = 1",
    text: course_text,
};

fn tutor_text(c: &Cols) -> Result<String, RecommendError> {
    Ok(format!(
        "{}. Tutor of {}. {} Teaches in {}.",
        c.str(2)?,
        c.strings(3)?.join(", "),
        c.str(4)?,
        c.strings(5)?.join(", ")
    ))
}

fn course_text(c: &Cols) -> Result<String, RecommendError> {
    Ok(format!(
        "{}. A {} course in {}. {}",
        c.str(2)?,
        c.str(4)?,
        c.str(3)?,
        c.str(5)?
    ))
}

/// Embeds every profile of `kind` whose text has no embedding yet; bumps the kind's
/// version (which the index follows) if any did.
async fn embed_profiles<S: SqlStore, E: Embedder>(
    store: &mut S,
    embedder: &mut E,
    kind: &ProfileKind,
) -> Result<usize, RecommendError> {
    let mut done = 0;
    loop {
        let rows = query(
            store,
            kind.pending,
            &[SqlValue::Integer(EMBED_ROUND)],
            "profiles",
        )
        .await?;
        if rows.is_empty() {
            break;
        }
        let mut pending = Vec::with_capacity(rows.len());
        for r in &rows {
            let c = Cols::new(r, "profiles");
            pending.push((c.str(0)?.to_owned(), c.i64(1)?, (kind.text)(&c)?));
        }
        let texts: Vec<String> = pending.iter().map(|p| p.2.clone()).collect();
        let vectors = embed_cached(store, embedder, &texts).await?;
        for ((id, version, _), (hash, _)) in pending.iter().zip(vectors) {
            let params = [
                SqlValue::Text(hash),
                SqlValue::Text(id.clone()),
                SqlValue::Integer(*version),
            ];
            exec(store, kind.set_hash, &params, "profile hash").await?;
        }
        done += pending.len();
        if rows.len() < EMBED_ROUND as usize {
            break;
        }
    }
    if done > 0 {
        exec(store, kind.version, &[], "profile version").await?;
    }
    Ok(done)
}
