//! The library on the demo generator's platform: a refresh in chunks gives the same read
//! models as one refresh, and a new student with only a goal gets sensible tutors, courses
//! and a study plan.

use demo::{DemoConfig, DemoEvent};
use events::AnalyticsEvent;
use serde_json::json;
use sql_store::{Row, SqlStore};

use crate::test_support::{TestStore, block_on, event, now};
use crate::*;

fn history(config: &DemoConfig) -> Vec<AnalyticsEvent> {
    demo::generate(config)
        .map(|e: DemoEvent| AnalyticsEvent {
            event_id: e.event_id,
            user_id: e.user_id,
            event_type: e.event_type.as_str().to_owned(),
            timestamp: e.timestamp,
            properties: e.properties,
            source: None,
        })
        .collect()
}

async fn read_models(store: &mut TestStore) -> Vec<Vec<Row>> {
    let mut out = Vec::new();
    for sql in [
        "SELECT * FROM rec_tutors ORDER BY tutor_id",
        "SELECT * FROM rec_courses ORDER BY course_id",
        "SELECT * FROM rec_goals ORDER BY user_id, goal",
        "SELECT * FROM rec_interactions ORDER BY user_id, item_kind, item_id, relation",
        "SELECT * FROM rec_reviews ORDER BY user_id, item_kind, item_id",
        "SELECT * FROM rec_student_subjects ORDER BY subject, user_id",
        "SELECT * FROM rec_students ORDER BY user_id",
    ] {
        out.push(store.query(sql, &[]).await.expect("read"));
    }
    out
}

async fn subjects_of(store: &mut TestStore, kind: Kind, id: &str) -> String {
    let sql = match kind {
        Kind::Tutor => "SELECT subjects FROM rec_tutors WHERE tutor_id = ?1",
        Kind::Course => "SELECT subject FROM rec_courses WHERE course_id = ?1",
    };
    let rows = store.query(sql, &[id.into()]).await.expect("subjects");
    rows[0][0].as_str().expect("text").to_owned()
}

#[test]
fn chunked_refreshes_equal_one_refresh() {
    let events = history(&DemoConfig::small());
    block_on(async {
        let mut embedder = HashingEmbedder::default();
        let mut chunked = TestStore::new().await;
        for chunk in events.chunks(events.len() / 4 + 1) {
            chunked.ingest(chunk).await;
            refresh_profiles(&mut chunked, &mut embedder, now())
                .await
                .expect("refresh");
        }
        let mut whole = TestStore::new().await;
        whole.ingest(&events).await;
        refresh_profiles(&mut whole, &mut embedder, now())
            .await
            .expect("refresh");
        let (a, b) = (
            read_models(&mut chunked).await,
            read_models(&mut whole).await,
        );
        assert!(a.iter().all(|rows| !rows.is_empty()));
        assert_eq!(a, b);
    });
}

#[test]
fn a_new_student_with_only_a_goal_gets_sensible_results() {
    let events = history(&DemoConfig::small());
    block_on(async {
        let mut store = TestStore::new().await;
        store.ingest(&events).await;
        let goal = event(
            "goal-new",
            "usr_newcomer",
            "student_goal_set",
            "2026-04-30T12:00:00Z",
            json!({"goal": "Learn Python for data science", "subjects": ["Python", "Data Science"], "level": "beginner"}),
        );
        store.ingest(&[goal]).await;
        let mut embedder = HashingEmbedder::default();
        refresh_profiles(&mut store, &mut embedder, now())
            .await
            .expect("refresh");
        rebuild_indexes_if_stale(&mut store, &IndexSettings::default(), now())
            .await
            .expect("rebuild");
        let mut cache = IndexCache::new();
        let rec =
            generate_recommendations(&mut store, &mut cache, &mut embedder, "usr_newcomer", now())
                .await
                .expect("recommendations")
                .recommendation;
        assert!(!rec.recommended_tutor_ids.is_empty() && !rec.recommended_course_ids.is_empty());
        let relevant = [
            "Python",
            "Data Science",
            "Machine Learning",
            "SQL",
            "Statistics",
        ];
        let top_tutor = subjects_of(&mut store, Kind::Tutor, &rec.recommended_tutor_ids[0]).await;
        assert!(
            relevant.iter().any(|s| top_tutor.contains(s)),
            "top tutor teaches {top_tutor}"
        );
        let top_course =
            subjects_of(&mut store, Kind::Course, &rec.recommended_course_ids[0]).await;
        assert!(
            relevant.contains(&top_course.as_str()),
            "top course is in {top_course}"
        );
        assert!(
            rec.items[0]
                .explanation
                .contains("Learn Python for data science"),
            "{}",
            rec.items[0].explanation
        );

        let plan = study_plan(
            &mut store,
            &mut cache,
            &mut embedder,
            "usr_newcomer",
            "Learn Python for data science",
        )
        .await
        .expect("plan");
        let titles: Vec<&str> = plan
            .steps
            .iter()
            .filter_map(|s| match s {
                PlanStep::Course { title, .. } => Some(title.as_str()),
                PlanStep::TutorSessions { .. } => None,
            })
            .collect();
        assert_eq!(titles.first(), Some(&"Python Foundations"), "{plan:#?}");
        assert!(
            plan.steps
                .iter()
                .any(|s| matches!(s, PlanStep::TutorSessions { .. }))
        );
        assert!(plan.estimated_hours > 12.0);
    });
}

/// The best-rated items of `subjects` that pass `filters`, by one scan of the whole catalog:
/// the reference for [`crate::generate::fallback`].
async fn best_rated_by_scan(
    store: &mut TestStore,
    kind: Kind,
    filters: &Filters,
    subjects: &[String],
) -> Vec<String> {
    let (table, id, price, subject_match, fifth) = match kind {
        Kind::Tutor => (
            "rec_tutors",
            "tutor_id",
            "hourly_rate",
            "EXISTS (SELECT 1 FROM json_each(subjects) j WHERE lower(j.value) IN (SELECT value FROM json_each(?1)))",
            "(?5 IS NULL OR EXISTS (SELECT 1 FROM json_each(languages) l WHERE lower(l.value) = lower(?5)))",
        ),
        Kind::Course => (
            "rec_courses",
            "course_id",
            "price",
            "lower(subject) IN (SELECT value FROM json_each(?1))",
            "(?5 IS NULL OR level = ?5)",
        ),
    };
    let sql = format!(
        "SELECT {id} FROM {table} WHERE (json_array_length(?1) = 0 OR {subject_match}) \
         AND (?2 IS NULL OR {price} >= ?2) AND (?3 IS NULL OR {price} <= ?3) \
         AND (?4 IS NULL OR lower(currency) = lower(?4)) AND {fifth} \
         ORDER BY (rating_sum + 20.0) / (rating_count + 5.0) DESC, {id} LIMIT 50"
    );
    let fifth = match kind {
        Kind::Tutor => SqlValue::from(filters.language.clone()),
        Kind::Course => SqlValue::from(filters.level.map(Level::as_str)),
    };
    let params = [
        json_param(subjects),
        filters.min_price.into(),
        filters.max_price.into(),
        filters.currency.clone().into(),
        fifth,
    ];
    let rows = store.query(&sql, &params).await.expect("scan");
    rows.iter()
        .map(|r| r[0].as_str().expect("id").to_owned())
        .collect()
}

#[test]
fn best_rated_lists_equal_a_scan_of_the_catalog() {
    let events = history(&DemoConfig::small());
    block_on(async {
        let mut store = TestStore::new().await;
        let mut embedder = HashingEmbedder::default();
        // In chunks: tutors' ratings and profiles change from one refresh to the next.
        for chunk in events.chunks(events.len() / 5 + 1) {
            store.ingest(chunk).await;
            refresh_profiles(&mut store, &mut embedder, now())
                .await
                .expect("refresh");
        }
        let rows = store
            .query(
                "SELECT DISTINCT lower(j.value) FROM rec_tutors, json_each(subjects) j ORDER BY 1",
                &[],
            )
            .await
            .expect("subjects");
        let all: Vec<String> = rows
            .iter()
            .map(|r| r[0].as_str().expect("subject").to_owned())
            .collect();
        assert!(all.len() > 5, "{all:?}");
        let mut sets: Vec<Vec<String>> = vec![vec![], vec!["no such subject".into()]];
        sets.extend(all.iter().map(|s| vec![s.clone()]));
        sets.extend(all.windows(3).map(<[String]>::to_vec));
        let filters = [
            Filters::default(),
            Filters {
                max_price: Some(40),
                currency: Some("usd".into()),
                ..Filters::default()
            },
            Filters {
                min_price: Some(30),
                language: Some("Spanish".into()),
                level: Some(Level::Beginner),
                ..Filters::default()
            },
        ];
        let mut compared = 0;
        for kind in Kind::ALL {
            for f in &filters {
                for subjects in &sets {
                    let fast = crate::generate::fallback(&mut store, kind, f, subjects)
                        .await
                        .expect("fallback");
                    let scan = best_rated_by_scan(&mut store, kind, f, subjects).await;
                    assert_eq!(fast, scan, "{kind:?} {subjects:?} {f:?}");
                    compared += usize::from(!scan.is_empty());
                }
            }
        }
        assert!(compared > sets.len(), "{compared} non-empty lists");
    });
}
