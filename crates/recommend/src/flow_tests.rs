//! The whole flow on a small hand-written platform: refresh, rebuild, recommend, serve,
//! mark stale, regenerate, plan.

use serde_json::json;

use crate::test_support::{Racing, TestStore, block_on, event, now};
use crate::*;

fn platform() -> Vec<events::AnalyticsEvent> {
    let tutor = |id: &str, name: &str, subjects: &[&str], bio: &str, langs: &[&str], rate: i64| {
        event(
            &format!("p-{id}"),
            id,
            "tutor_profile_updated",
            "2026-01-01T00:00:00Z",
            json!({"name": name, "subjects": subjects, "bio": bio, "languages": langs,
                   "hourlyRate": rate, "currency": "USD"}),
        )
    };
    let course = |id: &str,
                  by: &str,
                  title: &str,
                  subject: &str,
                  level: &str,
                  pre: &[&str],
                  desc: &str| {
        event(
            &format!("c-{id}"),
            by,
            "course_published",
            "2026-01-02T00:00:00Z",
            json!({"courseId": id, "title": title, "description": desc, "subject": subject,
                   "level": level, "prerequisites": pre, "hours": 12.0, "price": 9900, "currency": "USD"}),
        )
    };
    vec![
        tutor(
            "tut_py",
            "Ana Python",
            &["Python", "Data Science"],
            "Python and pandas for data science.",
            &["English", "Spanish"],
            5000,
        ),
        tutor(
            "tut_py2",
            "Ben Coder",
            &["Python"],
            "Python programming for beginners.",
            &["English"],
            3000,
        ),
        tutor(
            "tut_es",
            "Carla Lengua",
            &["Spanish"],
            "Conversational Spanish for travel.",
            &["Spanish"],
            2500,
        ),
        course(
            "py1",
            "tut_py",
            "Python Foundations",
            "Python",
            "beginner",
            &[],
            "Variables, functions and files in Python.",
        ),
        course(
            "pandas",
            "tut_py",
            "Data Analysis with pandas",
            "Data Science",
            "intermediate",
            &["py1"],
            "Clean and analyse data with pandas in Python.",
        ),
        course(
            "ml",
            "tut_py",
            "Machine Learning with scikit-learn",
            "Data Science",
            "advanced",
            &["pandas"],
            "Regression and classification for data science in Python.",
        ),
        course(
            "es1",
            "tut_es",
            "Spanish for Beginners",
            "Spanish",
            "beginner",
            &[],
            "Greetings and travel Spanish.",
        ),
        event(
            "r1",
            "usr_old",
            "user_registered",
            "2026-01-03T00:00:00Z",
            json!({"role": "student"}),
        ),
        event(
            "g1",
            "usr_old",
            "student_goal_set",
            "2026-01-03T00:01:00Z",
            json!({"goal": "Learn Python", "subjects": ["Python"], "level": "beginner"}),
        ),
        event(
            "b1",
            "usr_old",
            "session_booked",
            "2026-01-04T00:00:00Z",
            json!({"sessionId": "s1", "tutorId": "tut_py", "subject": "Python", "startsAt": "2026-01-05T00:00:00Z", "amount": 5000, "currency": "USD"}),
        ),
        event(
            "b2",
            "usr_peer",
            "session_booked",
            "2026-01-04T00:00:00Z",
            json!({"sessionId": "s2", "tutorId": "tut_py", "subject": "Python", "startsAt": "2026-01-05T00:00:00Z", "amount": 5000, "currency": "USD"}),
        ),
        event(
            "b3",
            "usr_peer",
            "session_booked",
            "2026-01-04T00:00:00Z",
            json!({"sessionId": "s3", "tutorId": "tut_py2", "subject": "Python", "startsAt": "2026-01-05T00:00:00Z", "amount": 3000, "currency": "USD"}),
        ),
        event(
            "e1",
            "usr_old",
            "course_enrolled",
            "2026-01-06T00:00:00Z",
            json!({"courseId": "py1"}),
        ),
        event(
            "e2",
            "usr_old",
            "course_completed",
            "2026-01-07T00:00:00Z",
            json!({"courseId": "py1"}),
        ),
        event(
            "v1",
            "usr_old",
            "review_submitted",
            "2026-01-08T00:00:00Z",
            json!({"rating": 5, "tutorId": "tut_py", "courseId": "py1"}),
        ),
        event(
            "v2",
            "usr_peer",
            "review_submitted",
            "2026-01-08T00:00:00Z",
            json!({"rating": 4, "tutorId": "tut_py"}),
        ),
        event(
            "g2",
            "usr_new",
            "student_goal_set",
            "2026-01-09T00:00:00Z",
            json!({"goal": "Speak conversational Spanish for travel", "subjects": ["Spanish"], "level": "beginner"}),
        ),
    ]
}

/// The platform's events in a new store, folded and indexed with the default settings.
async fn indexed_platform() -> TestStore {
    let mut store = TestStore::new().await;
    store.ingest(&platform()).await;
    refresh_profiles(&mut store, &mut HashingEmbedder::default(), now())
        .await
        .expect("refresh");
    rebuild_indexes_if_stale(&mut store, &IndexSettings::default(), now())
        .await
        .expect("rebuild");
    store
}

#[test]
fn refresh_rebuild_recommend_serve_and_revalidate() {
    block_on(async {
        let mut store = TestStore::new().await;
        store.ingest(&platform()).await;
        let mut embedder = HashingEmbedder::default();
        let report = refresh_profiles(&mut store, &mut embedder, now())
            .await
            .expect("refresh");
        assert_eq!((report.from_seq, report.to_seq), (0, 17));
        assert_eq!(
            (
                report.tutors_embedded,
                report.courses_embedded,
                report.goals_embedded
            ),
            (3, 4, 2)
        );
        let calls = embedder.calls;
        let again = refresh_profiles(&mut store, &mut embedder, now())
            .await
            .expect("again");
        assert_eq!(
            (again.from_seq, again.to_seq, again.tutors_embedded),
            (17, 17, 0)
        );
        assert_eq!(embedder.calls, calls);

        let settings = IndexSettings::default();
        let built = rebuild_indexes_if_stale(&mut store, &settings, now())
            .await
            .expect("rebuild");
        assert!(built.iter().all(|r| r.rebuilt && r.version == 1));
        assert_eq!((built[0].items, built[0].shards), (4, 3)); // tut_py is in two shards
        let same = rebuild_indexes_if_stale(&mut store, &settings, now())
            .await
            .expect("same");
        assert!(
            same.iter()
                .all(|r| !r.rebuilt && r.version == 1 && r.shards_built == 0)
        );

        let mut cache = IndexCache::new();
        let tutors = recommend_tutors(
            &mut store,
            &mut cache,
            &mut embedder,
            "usr_new",
            &Filters::default(),
            3,
        )
        .await
        .expect("tutors");
        assert_eq!(tutors[0].id, "tut_es", "{tutors:?}");
        assert!(
            tutors[0]
                .explanation
                .contains("Speak conversational Spanish"),
            "{}",
            tutors[0].explanation
        );
        // The old student: booked tut_py, completed py1; peers booked tut_py2.
        let tutors = recommend_tutors(
            &mut store,
            &mut cache,
            &mut embedder,
            "usr_old",
            &Filters::default(),
            5,
        )
        .await
        .expect("tutors");
        assert!(tutors.iter().all(|t| t.id != "tut_py"));
        assert_eq!(tutors[0].id, "tut_py2", "{tutors:?}");
        assert!(
            tutors[0].explanation.contains("popular with students"),
            "{}",
            tutors[0].explanation
        );
        let spanish_speakers = Filters {
            language: Some("spanish".into()),
            ..Filters::default()
        };
        let tutors = recommend_tutors(
            &mut store,
            &mut cache,
            &mut embedder,
            "usr_old",
            &spanish_speakers,
            5,
        )
        .await
        .expect("filtered");
        assert_eq!(
            tutors.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
            ["tut_es"]
        );
        let courses = recommend_courses(
            &mut store,
            &mut cache,
            &mut embedder,
            "usr_old",
            &Filters::default(),
            5,
        )
        .await
        .expect("courses");
        assert!(courses.iter().all(|c| c.id != "py1"));
        assert_eq!(courses[0].id, "pandas", "{courses:?}");
        let advanced = Filters {
            level: Some(Level::Advanced),
            ..Filters::default()
        };
        let courses = recommend_courses(
            &mut store,
            &mut cache,
            &mut embedder,
            "usr_old",
            &advanced,
            5,
        )
        .await
        .expect("advanced");
        assert_eq!(
            courses.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["ml"]
        );
        assert!(
            recommend_courses(
                &mut store,
                &mut cache,
                &mut embedder,
                "usr_old",
                &advanced,
                0
            )
            .await
            .expect("none")
            .is_empty()
        );
        let stats = cache.stats;
        assert_eq!(stats.manifest_loads, 2);

        // Served: nothing, then generated, then read at once.
        assert_eq!(
            recommendations_for(&mut store, "usr_new")
                .await
                .expect("read"),
            None
        );
        let generated =
            generate_recommendations(&mut store, &mut cache, &mut embedder, "usr_new", now())
                .await
                .expect("generate");
        assert!(!generated.stale);
        let generated = generated.recommendation;
        assert_eq!(generated.recommended_tutor_ids[0], "tut_es");
        assert_eq!(generated.recommended_course_ids[0], "es1");
        assert!(generated.confidence_score > 0.0 && generated.confidence_score <= 1.0);
        store.statements = 0;
        let served = recommendations_for(&mut store, "usr_new")
            .await
            .expect("read")
            .expect("row");
        assert_eq!(store.statements, 1);
        assert_eq!(
            (served.recommendation.clone(), served.stale),
            (generated.clone(), false)
        );
        let json = serde_json::to_value(&served).expect("json");
        assert!(json["recommendation"]["recommendedTutorIds"].is_array());

        // A new Spanish course marks it stale; the regeneration picks the course up.
        let later = vec![event(
            "c-es2",
            "tut_es",
            "course_published",
            "2026-02-01T00:00:00Z",
            json!({"courseId": "es2", "title": "Conversational Spanish", "description": "Travel conversations in Spanish.",
                   "subject": "Spanish", "level": "beginner", "prerequisites": ["es1"], "hours": 20,
                   "price": 5000, "currency": "USD"}),
        )];
        store.ingest(&later).await;
        refresh_profiles(&mut store, &mut embedder, now())
            .await
            .expect("refresh");
        assert!(
            recommendations_for(&mut store, "usr_new")
                .await
                .expect("read")
                .expect("row")
                .stale
        );
        let (rebuilt, served) =
            run_job_then_read(&mut store, &settings, &mut cache, &mut embedder, "usr_new").await;
        assert_eq!(
            (
                rebuilt[0].rebuilt,
                rebuilt[1].rebuilt,
                rebuilt[1].shards_built
            ),
            (false, true, 1)
        );
        assert!(
            served
                .recommendation
                .recommended_course_ids
                .contains(&"es2".to_string())
        );
        assert_eq!(cache.stats.manifest_loads, 3, "{:?}", cache.stats);

        // A study plan for the old student: py1 is completed, pandas then ml, then a tutor.
        let last_seq_reads = store.last_seq_reads;
        let plan = study_plan(
            &mut store,
            &mut cache,
            &mut embedder,
            "usr_old",
            "Machine learning for data science with Python",
        )
        .await
        .expect("plan");
        let courses: Vec<&str> = plan
            .steps
            .iter()
            .filter_map(|s| match s {
                PlanStep::Course { course_id, .. } => Some(course_id.as_str()),
                PlanStep::TutorSessions { .. } => None,
            })
            .collect();
        assert_eq!(courses, ["pandas", "ml"], "{plan:?}");
        assert_eq!(
            store.last_seq_reads - last_seq_reads,
            1,
            "one catalog sync for a plan that ranks tutors per subject"
        );
        assert!(plan.skipped.iter().any(|s| s.course_id == "py1"));
        assert!(
            matches!(plan.steps.last(), Some(PlanStep::TutorSessions { subject, .. }) if subject == "Data Science")
        );
        assert!(plan.estimated_hours >= 24.0);
        assert_eq!(plan.level, Some(Level::Beginner));
        let json = serde_json::to_value(&plan).expect("json");
        assert_eq!(json["steps"][0]["type"], "course");
        assert_eq!(json["steps"][0]["courseId"], "pandas");
    });
}

#[test]
fn empty_store_and_unknown_students_get_answers() {
    block_on(async {
        let mut store = TestStore::new().await;
        let mut embedder = HashingEmbedder::default();
        let mut cache = IndexCache::new();
        let tutors = recommend_tutors(
            &mut store,
            &mut cache,
            &mut embedder,
            "nobody",
            &Filters::default(),
            5,
        )
        .await
        .expect("tutors");
        assert!(tutors.is_empty());
        let plan = study_plan(
            &mut store,
            &mut cache,
            &mut embedder,
            "nobody",
            "Learn Python",
        )
        .await
        .expect("plan");
        assert!(plan.steps.is_empty() && plan.estimated_hours == 0.0);
        store.ingest(&platform()).await;
        refresh_profiles(&mut store, &mut embedder, now())
            .await
            .expect("refresh");
        // Before any index build, the best-rated items still come back.
        let tutors = recommend_tutors(
            &mut store,
            &mut cache,
            &mut embedder,
            "nobody",
            &Filters::default(),
            5,
        )
        .await
        .expect("tutors");
        assert_eq!(tutors.len(), 3);
        assert_eq!(tutors[0].id, "tut_py", "{tutors:?}");
        assert_eq!(
            regenerate_stale(&mut store, &mut cache, &mut embedder, 5, now())
                .await
                .expect("none"),
            0
        );
    });
}

#[test]
fn an_index_of_the_older_format_is_dropped_and_built_again() {
    block_on(async {
        let mut store = TestStore::new().await;
        let mut embedder = HashingEmbedder::default();
        // What an earlier version left: its tables, holding a shard it could decode.
        for sql in [
            "CREATE TABLE rec_index_manifest (kind TEXT PRIMARY KEY, version INTEGER NOT NULL, \
             source_version INTEGER NOT NULL, built_at TEXT NOT NULL, manifest BLOB NOT NULL)",
            "CREATE TABLE rec_index_shards (kind TEXT NOT NULL, fingerprint TEXT NOT NULL, \
             data BLOB NOT NULL, PRIMARY KEY (kind, fingerprint))",
            "INSERT INTO rec_index_shards VALUES ('tutor', 'f', x'0102')",
            "CREATE TABLE rec_index_shards_v3 (kind TEXT NOT NULL, fingerprint TEXT NOT NULL, \
             data BLOB NOT NULL, PRIMARY KEY (kind, fingerprint))",
            // ... and the schema it recorded.
            "UPDATE schema_applied SET fingerprint = 'an earlier version' WHERE owner = 'recommend'",
        ] {
            store.execute(sql, &[]).await.expect("old table");
        }
        store.ingest(&platform()).await;
        refresh_profiles(&mut store, &mut embedder, now())
            .await
            .expect("refresh");
        let old = store
            .query(
                "SELECT name FROM sqlite_master WHERE name IN ('rec_index_manifest', 'rec_index_shards', 'rec_index_shards_v3')",
                &[],
            )
            .await
            .expect("tables");
        assert!(old.is_empty(), "{old:?}");
        let reports = rebuild_indexes_if_stale(&mut store, &IndexSettings::default(), now())
            .await
            .expect("rebuild");
        assert!(
            reports.iter().all(|r| r.rebuilt && r.items > 0),
            "{reports:?}"
        );
        let mut cache = IndexCache::new();
        let tutors = recommend_tutors(
            &mut store,
            &mut cache,
            &mut embedder,
            "usr_new",
            &Filters::default(),
            3,
        )
        .await
        .expect("tutors");
        assert!(!tutors.is_empty());
        assert!(cache.stats.shard_loads > 0, "{:?}", cache.stats);
    });
}

#[test]
fn a_corrupt_store_is_an_error_not_a_panic() {
    block_on(async {
        let mut store = indexed_platform().await;
        store
            .execute("UPDATE rec_index_shards_v4 SET data = x'ff'", &[])
            .await
            .expect("corrupt");
        let mut cache = IndexCache::new();
        let err = recommend_tutors(
            &mut store,
            &mut cache,
            &mut HashingEmbedder::default(),
            "usr_new",
            &Filters::default(),
            3,
        )
        .await;
        assert!(matches!(err, Err(RecommendError::Decode { .. })), "{err:?}");
        store
            .execute("UPDATE rec_index_manifest_v4 SET manifest = x'ff'", &[])
            .await
            .expect("corrupt");
        let err = rebuild_indexes_if_stale(&mut store, &IndexSettings::default(), now()).await;
        assert!(matches!(err, Err(RecommendError::Decode { .. })), "{err:?}");
        store
            .execute("UPDATE recommendations SET items = 'x'", &[])
            .await
            .expect("noop");
        store
            .execute(
                "INSERT INTO recommendations VALUES ('u', 'r', '[]', '[]', 0.5, 'not a time', '[]', 0)",
                &[],
            )
            .await
            .expect("bad row");
        let err = recommendations_for(&mut store, "u").await;
        assert!(matches!(err, Err(RecommendError::BadRow { .. })), "{err:?}");
    });
}

/// The job's steps after a refresh (rebuild the indexes, regenerate the one stale row), then
/// `user`'s row, which must now be fresh.
async fn run_job_then_read<S: SqlStore>(
    store: &mut S,
    settings: &IndexSettings,
    cache: &mut IndexCache,
    embedder: &mut HashingEmbedder,
    user: &str,
) -> (Vec<RebuildReport>, Served) {
    let rebuilt = rebuild_indexes_if_stale(store, settings, now())
        .await
        .expect("rebuild");
    let n = regenerate_stale(store, cache, embedder, 10, now())
        .await
        .expect("regenerate");
    assert_eq!(n, 1, "one stale row");
    let served = recommendations_for(store, user)
        .await
        .expect("read")
        .expect("row");
    assert!(!served.stale);
    (rebuilt, served)
}

/// The bookings tally of every tutor, in order.
async fn tutor_bookings<S: SqlStore>(store: &mut S) -> Vec<(String, i64)> {
    let rows = store
        .query(
            "SELECT tutor_id, bookings FROM rec_tutors ORDER BY tutor_id",
            &[],
        )
        .await
        .expect("bookings");
    rows.iter()
        .map(|r| {
            let id = r[0].as_str().expect("id").to_owned();
            (id, r[1].as_i64().expect("bookings"))
        })
        .collect()
}

#[test]
fn catalog_rows_are_read_once_between_folds_and_again_after_one() {
    block_on(async {
        let mut store = indexed_platform().await;
        let mut cache = IndexCache::new();
        let tutors = async |store: &mut TestStore, cache: &mut IndexCache| {
            recommend_tutors(
                store,
                cache,
                &mut HashingEmbedder::default(),
                "usr_old",
                &Filters::default(),
                5,
            )
            .await
            .expect("tutors")
        };

        let last_seq_reads = store.last_seq_reads;
        let first = tutors(&mut store, &mut cache).await;
        assert_eq!(
            store.last_seq_reads - last_seq_reads,
            1,
            "the catalog synced once"
        );
        let reads = cache.catalog.reads;
        assert!(reads > 0);
        assert_eq!(tutors(&mut store, &mut cache).await, first);
        assert_eq!(
            cache.catalog.reads, reads,
            "served from the instance's cache"
        );

        // A fold changes a candidate: the cache is dropped, and what it then serves is what
        // an instance with an empty cache serves.
        store
            .ingest(&[event(
                "v3",
                "usr_peer",
                "review_submitted",
                "2026-01-10T00:00:00Z",
                json!({"rating": 1, "tutorId": "tut_py2"}),
            )])
            .await;
        refresh_profiles(&mut store, &mut HashingEmbedder::default(), now())
            .await
            .expect("refresh");
        let after = tutors(&mut store, &mut cache).await;
        assert!(cache.catalog.reads > reads, "read again after the fold");
        assert_eq!(after, tutors(&mut store, &mut IndexCache::new()).await);
        assert_ne!(after, first, "the new rating changes the scores");
    });
}

#[test]
fn two_refreshes_at_once_fold_each_event_once() {
    block_on(async {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("app.db");
        let mut alone = TestStore::new().await;
        alone.ingest(&platform()).await;
        let mut embedder = HashingEmbedder::default();
        refresh_profiles(&mut alone, &mut embedder, now())
            .await
            .expect("refresh");

        let mut first = TestStore::open(&path).await;
        first.ingest(&platform()).await;
        let other = TestStore::open(&path).await;
        // Another instance folds everything between this run's start and its first fold.
        let mut store = Racing::new(first, "BEGIN IMMEDIATE", async move {
            let mut other = other;
            let report = refresh_profiles(&mut other, &mut HashingEmbedder::default(), now())
                .await
                .expect("the other refresh");
            assert_eq!((report.from_seq, report.to_seq), (0, 17));
        });
        let report = refresh_profiles(&mut store, &mut embedder, now())
            .await
            .expect("refresh");
        assert!(store.raced());
        assert_eq!((report.from_seq, report.to_seq), (17, 17));
        let expected = tutor_bookings(&mut alone).await;
        assert_eq!(expected.iter().map(|t| t.1).sum::<i64>(), 3, "{expected:?}");
        assert_eq!(tutor_bookings(&mut store).await, expected);
    });
}

#[test]
fn a_recommendation_generated_across_a_refresh_is_stored_stale_and_regenerated() {
    block_on(async {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("app.db");
        let mut embedder = HashingEmbedder::default();
        let mut cache = IndexCache::new();
        let mut first = TestStore::open(&path).await;
        first.ingest(&platform()).await;
        let other = TestStore::open(&path).await;
        // The platform is folded while usr_new's row is generated from the empty read models.
        let mut store = Racing::new(first, "INSERT INTO recommendations", async move {
            let mut other = other;
            refresh_profiles(&mut other, &mut HashingEmbedder::default(), now())
                .await
                .expect("the other refresh");
        });
        let served =
            generate_recommendations(&mut store, &mut cache, &mut embedder, "usr_new", now())
                .await
                .expect("generate");
        assert!(store.raced());
        assert!(served.recommendation.recommended_tutor_ids.is_empty());
        assert!(served.stale, "a row that missed a fold is stored fresh");
        let read = recommendations_for(&mut store, "usr_new")
            .await
            .expect("read")
            .expect("row");
        assert_eq!(read, served);

        // The job's next run revalidates it from the folded platform.
        let settings = IndexSettings::default();
        let (_, read) =
            run_job_then_read(&mut store, &settings, &mut cache, &mut embedder, "usr_new").await;
        assert_eq!(read.recommendation.recommended_tutor_ids[0], "tut_es");
    });
}
