//! GenerateTutorRecommendations and GenerateCourseRecommendations: candidates from the index
//! (nearest to the student's goals and history), from students with the same history, and
//! the best-rated items that pass the filters; then the ranker.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use sql_store::{SqlStore, SqlValue};

use crate::collaborative::{CoTakers, co_taken};
use crate::embed::{Embedder, dot};
use crate::error::RecommendError;
use crate::filters::{Attributes, Filters, Level};
use crate::index::{IndexCache, IndexView, Kind, Manifest, ShardEntry};
use crate::ranker::{Candidate, RankContext, RecommendedItem, Weights, rank};
use crate::sql::{Cols, query};
use crate::student::{self, Student};

/// Nearest items asked of the index per request.
pub const ANN_CANDIDATES: usize = 100;
/// Shards searched for a student with no known subject: the nearest to their goal.
pub const NEAREST_SHARDS: usize = 3;
/// Best-rated items that pass the filters, added to the candidates (cold start, and
/// filters that the nearest items all fail).
pub const FALLBACK_CANDIDATES: i64 = 50;

/// Up to `limit` tutors for `user_id`, best first, none violating `filters` or already
/// booked. A student with only a goal gets tutors near that goal; an unknown student the
/// best-rated ones.
pub async fn recommend_tutors<S: SqlStore, E: Embedder>(
    store: &mut S,
    cache: &mut IndexCache,
    embedder: &mut E,
    user_id: &str,
    filters: &Filters,
    limit: usize,
) -> Result<Vec<RecommendedItem>, RecommendError> {
    cache.catalog.sync(store).await?;
    let student = student::load(store, embedder, user_id).await?;
    recommend(store, cache, &student, Kind::Tutor, filters, limit).await
}

/// Up to `limit` courses for `user_id`, best first, none violating `filters` or already
/// enrolled in; see [`recommend_tutors`].
pub async fn recommend_courses<S: SqlStore, E: Embedder>(
    store: &mut S,
    cache: &mut IndexCache,
    embedder: &mut E,
    user_id: &str,
    filters: &Filters,
    limit: usize,
) -> Result<Vec<RecommendedItem>, RecommendError> {
    cache.catalog.sync(store).await?;
    let student = student::load(store, embedder, user_id).await?;
    recommend(store, cache, &student, Kind::Course, filters, limit).await
}

/// Ranks items of one kind for a loaded student. The request has synced the catalog cache
/// (`cache.catalog.sync`) before.
pub(crate) async fn recommend<S: SqlStore>(
    store: &mut S,
    cache: &mut IndexCache,
    student: &Student,
    kind: Kind,
    filters: &Filters,
    limit: usize,
) -> Result<Vec<RecommendedItem>, RecommendError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let view = match cache.manifest(store, kind).await? {
        Some((_, manifest)) => {
            let entries = select_shards(&manifest, student, filters);
            cache.view(store, kind, &entries).await?
        }
        None => IndexView::default(),
    };
    let mut similarity: HashMap<String, f32> = HashMap::new();
    if let Some(q) = &student.query {
        similarity.extend(view.search(q, ANN_CANDIDATES));
    }
    let collaborative = collaborative(store, student, kind).await?;
    let mut ids: BTreeSet<String> = similarity.keys().cloned().collect();
    ids.extend(collaborative.keys().cloned());
    let subjects: Vec<String> = match &filters.subject {
        Some(s) => vec![s.to_lowercase()],
        None => student.subjects.iter().map(|s| s.to_lowercase()).collect(),
    };
    let near = best_rated(store, cache, kind, filters, &subjects).await?;
    if near.len() < limit + student.taken.len() && !subjects.is_empty() && filters.subject.is_none()
    {
        // The student's subjects have too few items that pass the filters: look further.
        ids.extend(
            best_rated(store, cache, kind, filters, &[])
                .await?
                .iter()
                .cloned(),
        );
    }
    ids.extend(near.iter().cloned());
    let ctx = RankContext {
        taken: student.taken.clone(),
        level: student.level(),
        goal: student.goals.first().map(|g| g.text.clone()),
        has_history: !student.taken.is_empty(),
    };
    let mut candidates = cache
        .catalog
        .details(kind, &ids, async |missing| {
            details(store, kind, &missing).await
        })
        .await?;
    for c in &mut candidates {
        c.vector = view.vector(&c.id);
        c.similarity = match (similarity.get(&c.id), &student.query, &c.vector) {
            (Some(s), _, _) => *s,
            (None, Some(q), Some(v)) => dot(q, v),
            _ => 0.0,
        };
        c.collaborative = collaborative.get(&c.id).copied().unwrap_or(0.0);
    }
    Ok(rank(candidates, filters, &ctx, &Weights::default(), limit))
}

/// The shards to search: the filter's subject; else the student's subjects and the
/// [`NEAREST_SHARDS`] nearest to the student's query (a goal often reaches past the subjects
/// named with it).
pub(crate) fn select_shards<'m>(
    manifest: &'m Manifest,
    student: &Student,
    filters: &Filters,
) -> Vec<&'m ShardEntry> {
    if let Some(subject) = &filters.subject {
        return manifest.shard(subject).into_iter().collect();
    }
    let mut entries: Vec<&ShardEntry> = student
        .subjects
        .iter()
        .filter_map(|s| manifest.shard(s))
        .collect();
    if let Some(q) = &student.query {
        entries.extend(manifest.nearest(q, NEAREST_SHARDS));
    }
    let mut seen = std::collections::HashSet::new();
    entries.retain(|e| seen.insert(e.name.as_str()));
    entries
}

/// Items of `kind` taken with the student's [`RECENT_ITEMS`] latest items, scored 0 to 1 by
/// [`co_taken`] over the sample in [`Student::co_takers`]. The cost is bounded whatever the
/// platform's size: the sampled co-takers' items are read through the primary key, peer by
/// peer (`CROSS JOIN` keeps that order: filtering every interaction of the kind by `user_id
/// IN peers` scanned them all, over a second per request at 200,000 students).
async fn collaborative<S: SqlStore>(
    store: &mut S,
    student: &Student,
    kind: Kind,
) -> Result<HashMap<String, f32>, RecommendError> {
    let samples = &student.co_takers;
    let peers: BTreeSet<&String> = samples.iter().flatten().collect();
    if peers.is_empty() {
        return Ok(HashMap::new());
    }
    let popularity = match kind {
        Kind::Tutor => "(SELECT students FROM rec_tutors WHERE tutor_id = i.item_id)",
        Kind::Course => "(SELECT enrollments FROM rec_courses WHERE course_id = i.item_id)",
    };
    let rows = query(
        store,
        &format!(
            "SELECT DISTINCT p.value, i.item_id, COALESCE({popularity}, 0) \
             FROM json_each(?1) p CROSS JOIN rec_interactions i \
             ON i.user_id = p.value AND i.item_kind = ?2"
        ),
        &[crate::json_param(&peers), kind.as_str().into()],
        "co-taken items",
    )
    .await?;
    let mut items: HashMap<String, Vec<String>> = HashMap::new();
    let mut popular: HashMap<String, i64> = HashMap::new();
    for r in &rows {
        let c = Cols::new(r, "co-taken items");
        let item = c.str(1)?.to_owned();
        popular.insert(item.clone(), c.i64(2)?);
        items.entry(c.str(0)?.to_owned()).or_default().push(item);
    }
    let recent: Vec<CoTakers> = samples
        .iter()
        .map(|takers| {
            let mut counts: HashMap<String, u32> = HashMap::new();
            for item in takers.iter().filter_map(|t| items.get(t)).flatten() {
                *counts.entry(item.clone()).or_default() += 1;
            }
            CoTakers {
                sampled: takers.len(),
                counts,
            }
        })
        .collect();
    Ok(co_taken(
        &recent,
        |item| popular.get(item).copied().unwrap_or(0),
        &student.taken,
        ANN_CANDIDATES,
    ))
}

/// [`fallback`], through the instance's catalog cache.
async fn best_rated<S: SqlStore>(
    store: &mut S,
    cache: &mut IndexCache,
    kind: Kind,
    filters: &Filters,
    subjects: &[String],
) -> Result<Arc<Vec<String>>, RecommendError> {
    let key = serde_json::json!([
        kind.as_str(),
        subjects,
        filters.min_price,
        filters.max_price,
        filters.currency,
        filters.language,
        filters.level.map(Level::as_str),
    ])
    .to_string();
    cache
        .catalog
        .best_rated(key, async || fallback(store, kind, filters, subjects).await)
        .await
}

/// The best-rated items of `subjects` (lower-cased; none: any) that pass the filters, at most
/// [`FALLBACK_CANDIDATES`], best first (ties by id).
///
/// One walk per subject down an index by rating (`rec_tutor_subjects`, or the subject and
/// rating index of `rec_courses`) that stops at the limit, then a merge: each item of the
/// union's best is among its own subject's best, so the merge is exact. (One walk for all the
/// subjects, down the rating index of every item, checked each item's subjects on the way: a
/// rare subject walked most of the catalog.)
pub(crate) async fn fallback<S: SqlStore>(
    store: &mut S,
    kind: Kind,
    filters: &Filters,
    subjects: &[String],
) -> Result<Vec<String>, RecommendError> {
    let (items, price, language_or_level) = match kind {
        Kind::Tutor => (
            "rec_tutors t",
            "t.hourly_rate",
            " AND (?5 IS NULL OR EXISTS (SELECT 1 FROM json_each(t.languages) l WHERE lower(l.value) = lower(?5)))",
        ),
        Kind::Course => (
            "rec_courses t",
            "t.price",
            " AND (?5 IS NULL OR t.level = ?5)",
        ),
    };
    let filtered = format!(
        "(?2 IS NULL OR {price} >= ?2) AND (?3 IS NULL OR {price} <= ?3) \
         AND (?4 IS NULL OR lower(t.currency) = lower(?4)){language_or_level}"
    );
    let rating = "(t.rating_sum + 20.0) / (t.rating_count + 5.0)";
    let sql = match (kind, subjects.is_empty()) {
        (Kind::Tutor, true) => format!(
            "SELECT t.tutor_id, {rating} FROM {items} WHERE {filtered} \
             ORDER BY {rating} DESC, t.tutor_id LIMIT ?6"
        ),
        (Kind::Course, true) => format!(
            "SELECT t.course_id, {rating} FROM {items} WHERE {filtered} \
             ORDER BY {rating} DESC, t.course_id LIMIT ?6"
        ),
        // CROSS JOIN: the subject's index walk leads.
        (Kind::Tutor, false) => format!(
            "SELECT s.tutor_id, s.rating FROM rec_tutor_subjects s CROSS JOIN {items} \
             ON t.tutor_id = s.tutor_id WHERE s.subject = ?1 AND {filtered} \
             ORDER BY s.rating DESC, s.tutor_id LIMIT ?6"
        ),
        (Kind::Course, false) => format!(
            "SELECT t.course_id, {rating} FROM {items} WHERE lower(t.subject) = ?1 AND {filtered} \
             ORDER BY {rating} DESC, t.course_id LIMIT ?6"
        ),
    };
    let fifth = match kind {
        Kind::Tutor => SqlValue::from(filters.language.clone()),
        Kind::Course => SqlValue::from(filters.level.map(Level::as_str)),
    };
    let mut params = [
        SqlValue::Null,
        filters.min_price.into(),
        filters.max_price.into(),
        filters.currency.clone().into(),
        fifth,
        FALLBACK_CANDIDATES.into(),
    ];
    let walks: Vec<Option<&String>> = match subjects {
        [] => vec![None],
        _ => subjects.iter().map(Some).collect(),
    };
    let mut best: Vec<(f64, String)> = Vec::new();
    for subject in walks {
        params[0] = subject.map_or(SqlValue::Null, |s| s.as_str().into());
        for r in &query(store, &sql, &params, "fallback").await? {
            let c = Cols::new(r, "fallback");
            best.push((c.f64(1)?, c.str(0)?.to_owned()));
        }
    }
    best.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    // An item of several of the subjects was found once per subject, with one rating.
    best.dedup_by(|a, b| a.1 == b.1);
    best.truncate(FALLBACK_CANDIDATES as usize);
    Ok(best.into_iter().map(|(_, id)| id).collect())
}

/// The candidates' attributes and counters.
async fn details<S: SqlStore>(
    store: &mut S,
    kind: Kind,
    ids: &[&String],
) -> Result<Vec<Candidate>, RecommendError> {
    let sql = match kind {
        Kind::Tutor => {
            "SELECT tutor_id, name, subjects, languages, hourly_rate, currency, rating_sum, \
             rating_count, bookings, completed FROM rec_tutors \
             WHERE tutor_id IN (SELECT value FROM json_each(?1)) ORDER BY tutor_id"
        }
        Kind::Course => {
            "SELECT course_id, title, json_array(subject), '[]', price, currency, rating_sum, \
             rating_count, enrollments, completions, level FROM rec_courses \
             WHERE course_id IN (SELECT value FROM json_each(?1)) ORDER BY course_id"
        }
    };
    let rows = query(store, sql, &[crate::json_param(ids)], "candidates").await?;
    rows.iter()
        .map(|r| {
            let c = Cols::new(r, "candidates");
            Ok(Candidate {
                id: c.str(0)?.to_owned(),
                label: c.str(1)?.to_owned(),
                attributes: Attributes {
                    kind,
                    subjects: c.strings(2)?,
                    languages: c.strings(3)?,
                    price: c.i64(4)?,
                    currency: c.str(5)?.to_owned(),
                    level: c.opt_str(10).and_then(Level::parse),
                },
                similarity: 0.0,
                collaborative: 0.0,
                ratings: (c.i64(6)?, c.i64(7)?),
                popularity: c.i64(8)?,
                completions: c.i64(9)?,
                vector: None,
            })
        })
        .collect()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::test_support::{TestStore, block_on};

    /// `rec_tutor_subjects` follows the tutors' subjects and ratings, whatever writes them.
    #[test]
    fn the_best_rated_of_a_subject_follow_the_tutors() {
        block_on(async {
            let mut store = TestStore::new().await;
            let run = async |store: &mut TestStore, sql: &str| {
                store.execute(sql, &[]).await.expect(sql);
            };
            for (id, subjects, rating) in [
                ("t1", r#"["Math", "Physics"]"#, 5),
                ("t2", r#"["math"]"#, 1),
            ] {
                run(
                    &mut store,
                    &format!(
                        "INSERT INTO rec_tutors (tutor_id, name, subjects, bio, languages, hourly_rate, \
                         currency, updated_ms, rating_sum, rating_count) \
                         VALUES ('{id}', '{id}', '{subjects}', '', '[]', 30, 'USD', 0, {rating}, 1)"
                    ),
                )
                .await;
            }
            let best = async |store: &mut TestStore, subjects: &[&str]| {
                let subjects: Vec<String> = subjects.iter().map(|s| s.to_string()).collect();
                fallback(store, Kind::Tutor, &Filters::default(), &subjects)
                    .await
                    .expect("fallback")
            };
            assert_eq!(best(&mut store, &["math"]).await, ["t1", "t2"]);
            assert_eq!(best(&mut store, &["math", "physics"]).await, ["t1", "t2"]);
            // A rating changes the order; a subject dropped is no longer searched.
            run(
                &mut store,
                "UPDATE rec_tutors SET rating_sum = 0, rating_count = 4 WHERE tutor_id = 't1'",
            )
            .await;
            assert_eq!(best(&mut store, &["math"]).await, ["t2", "t1"]);
            run(
                &mut store,
                r#"UPDATE rec_tutors SET subjects = '["Physics"]' WHERE tutor_id = 't1'"#,
            )
            .await;
            assert_eq!(best(&mut store, &["math"]).await, ["t2"]);
            assert_eq!(best(&mut store, &["physics"]).await, ["t1"]);
            run(&mut store, "DELETE FROM rec_tutors WHERE tutor_id = 't1'").await;
            assert!(best(&mut store, &["physics"]).await.is_empty());
            assert_eq!(best(&mut store, &[]).await, ["t2"]);
            let rows = store
                .query("SELECT subject, tutor_id FROM rec_tutor_subjects", &[])
                .await
                .expect("rows");
            assert_eq!(rows, [vec!["math".into(), "t2".into()]]);
        });
    }

    /// The SQL reads the sample [`co_taken`] is defined over: the latest items first, their
    /// other takers, what those took, and the items' popularity.
    #[test]
    fn the_collaborative_signal_reads_the_sample_co_taken_scores() {
        block_on(async {
            let mut store = TestStore::new().await;
            let interactions = [
                ("me", "t1", 10),
                ("me", "t2", 20),
                ("a", "t1", 5),
                ("a", "t3", 5),
                ("b", "t2", 5),
                ("b", "t3", 5),
                ("c", "t2", 5),
                ("c", "t4", 5),
            ];
            for (user, item, at) in interactions {
                store
                    .execute(
                        "INSERT INTO rec_interactions VALUES (?1, 'tutor', ?2, 'booked', 1, ?3)",
                        &[user.into(), item.into(), (at as i64).into()],
                    )
                    .await
                    .expect("interaction");
            }
            for (tutor, students) in [("t1", 2), ("t2", 3), ("t3", 2), ("t4", 1)] {
                store
                    .execute(
                        "INSERT INTO rec_tutors (tutor_id, name, subjects, bio, languages, \
                         hourly_rate, currency, updated_ms, students) \
                         VALUES (?1, ?1, '[]', '', '[]', 30, 'USD', 0, ?2)",
                        &[tutor.into(), (students as i64).into()],
                    )
                    .await
                    .expect("tutor");
            }
            let student = Student {
                taken: ["t1".to_string(), "t2".to_string()].into(),
                co_takers: crate::student::co_takers(&mut store, "me")
                    .await
                    .expect("co-takers"),
                ..Student::default()
            };
            assert_eq!(student.co_takers, [vec!["b", "c"], vec!["a"]]);
            let scores = collaborative(&mut store, &student, Kind::Tutor)
                .await
                .expect("collaborative");
            let co = |sampled, counts: &[(&str, u32)]| CoTakers {
                sampled,
                counts: counts.iter().map(|(i, n)| (i.to_string(), *n)).collect(),
            };
            // t2 is the latest (b and c took it), then t1 (a took it).
            let recent = [
                co(2, &[("t2", 2), ("t3", 1), ("t4", 1)]),
                co(1, &[("t1", 1), ("t3", 1)]),
            ];
            let popularity = |i: &str| match i {
                "t2" => 3,
                "t4" => 1,
                _ => 2,
            };
            let expected = co_taken(&recent, popularity, &student.taken, ANN_CANDIDATES);
            assert_eq!(scores, expected);
            assert_eq!(scores["t3"], 1.0);
            assert!(scores["t4"] < 1.0 && !scores.contains_key("t1"));
        });
    }
}
