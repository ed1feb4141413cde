//! The refresh's guarantees against a real SQLite: late events re-attribute old buckets,
//! zones come and go, runs can be bounded, reruns change nothing, a locked store fails
//! cleanly, and a dashboard reads back what was stored.

use serde_json::json;

use crate::engine_tests::{D1, D5, history, ms, now, refreshed, value};
use crate::refresh::{rebuild, refresh};
use crate::settings::Settings;
use crate::store::{SqlStore, SqlValue};
use crate::test_support::{TestStore, block_on, event};
use crate::time::Zone;

#[test]
fn late_events_reattribute_old_buckets() {
    block_on(async {
        let settings = Settings::default();
        let mut store = TestStore::new().await;
        let all = history();
        // The booking of s1 and the course arrive last: until then p1's and p3's subject is unknown.
        let (late, early): (Vec<_>, Vec<_>) = all
            .into_iter()
            .partition(|e| e.event_id == "b1" || e.event_id == "c1");
        store.ingest(&early).await;
        refresh(&mut store, &settings, now()).await.expect("first");
        let day = store.metrics("UTC", "day").await;
        assert_eq!(
            value(
                &day,
                "revenue_gross",
                D1,
                &[("currency", "EUR"), ("subject", "unknown")]
            ),
            Some(json!(4500))
        );
        store.ingest(&late).await;
        let report = refresh(&mut store, &settings, now()).await.expect("second");
        assert_eq!((report.from_seq, report.to_seq), (20, 22));
        let day = store.metrics("UTC", "day").await;
        assert_eq!(
            value(
                &day,
                "revenue_gross",
                D1,
                &[("currency", "EUR"), ("subject", "unknown")]
            ),
            None
        );
        assert_eq!(
            value(
                &day,
                "revenue_gross",
                D1,
                &[("currency", "EUR"), ("subject", "math")]
            ),
            Some(json!(4500))
        );
        assert_eq!(
            value(&day, "enrollments", D5, &[("subject", "math")]),
            Some(json!(2))
        );
        let mut fresh = refreshed(&history(), &settings).await;
        for g in ["day", "week", "month"] {
            assert_eq!(
                store.metrics("UTC", g).await,
                fresh.metrics("UTC", g).await,
                "{g}"
            );
        }
    });
}

#[test]
fn time_zones_are_built_when_added_and_dropped_when_removed() {
    block_on(async {
        let mut store = refreshed(&history(), &Settings::default()).await;
        let paris = Settings::from_variables(Some("Europe/Paris"), None).expect("settings");
        let report = refresh(&mut store, &paris, now()).await.expect("refresh");
        assert_eq!(report.zones_rebuilt, vec!["Europe/Paris".to_owned()]);
        let day = store.metrics("Europe/Paris", "day").await;
        // 2024-05-01 in Paris starts at 04-30T22:00Z.
        let start = "2024-04-30T22:00:00Z";
        assert_eq!(value(&day, "dau", start, &[]), Some(json!(2)));
        assert_eq!(
            Zone::parse("Europe/Paris").map(|z| z.format(ms(start))),
            Some("2024-05-01T00:00:00+02:00".into())
        );
        let again = refresh(&mut store, &paris, now()).await.expect("again");
        assert!(again.zones_rebuilt.is_empty());
        assert_eq!(again.buckets_recomputed, 0);
        refresh(&mut store, &Settings::default(), now())
            .await
            .expect("drop");
        assert!(store.metrics("Europe/Paris", "day").await.is_empty());
    });
}

/// Refreshes the first events, runs `earlier` (what an earlier release left behind) and then
/// the current schema, and checks that the next refresh rebuilds the zone once, to the
/// metrics of a fresh store.
async fn rebuilt_once_after(earlier: &[&str]) {
    let all = history();
    let (early, late) = all.split_at(12);
    let mut store = refreshed(early, &Settings::default()).await;
    for sql in earlier {
        store.execute(sql, &[]).await.expect(sql);
    }
    crate::refresh::ensure_schema(&mut store)
        .await
        .expect("schema");
    store.ingest(late).await;
    let report = refresh(&mut store, &Settings::default(), now())
        .await
        .expect("refresh");
    assert_eq!(report.zones_rebuilt, vec!["UTC".to_owned()]);
    let mut fresh = refreshed(&all, &Settings::default()).await;
    for g in ["day", "week", "month"] {
        assert_eq!(
            store.metrics("UTC", g).await,
            fresh.metrics("UTC", g).await,
            "{g}"
        );
    }
    let again = refresh(&mut store, &Settings::default(), now())
        .await
        .expect("again");
    assert!(again.zones_rebuilt.is_empty());
}

#[test]
fn a_store_from_before_the_tallies_is_rebuilt_once() {
    // Its metrics and zones, no tallies, no schema ledger.
    block_on(rebuilt_once_after(&[
        "DROP TABLE metric_tallies",
        "DROP TABLE schema_applied",
    ]));
}

#[test]
fn payers_tallied_in_the_earlier_form_are_rebuilt_once() {
    // One payer tally per (currency, product, subject), and that release's schema.
    block_on(rebuilt_once_after(&[
        "DELETE FROM metric_tallies WHERE metric_name = 'paying_users'",
        "INSERT INTO metric_tallies VALUES ('UTC', 'day', 'paying_users', 0, \
         '{\"currency\":\"USD\",\"product\":\"session\",\"subject\":\"math\"}', 'u1', 1, 1)",
        "DROP TABLE schema_applied",
    ]));
}

#[test]
fn a_store_from_before_sums_were_tallied_is_rebuilt_once() {
    // No sum tallies, the leaderboards' earlier index.
    block_on(rebuilt_once_after(&[
        "DELETE FROM metric_tallies WHERE member = ''",
        "DROP INDEX metric_tallies_top",
        "CREATE INDEX metric_tallies_ranked ON metric_tallies \
         (zone, granularity, metric_name, bucket_start, part, v DESC, member) \
         WHERE metric_name <> 'paying_users'",
        "DROP TABLE schema_applied",
    ]));
}

#[test]
fn bounded_runs_and_rebuild() {
    block_on(async {
        let limited = Settings::from_variables(None, Some("5")).expect("settings");
        let mut store = TestStore::new().await;
        store.ingest(&history()).await;
        let mut runs = 0;
        loop {
            let report = refresh(&mut store, &limited, now()).await.expect("refresh");
            runs += 1;
            assert!(report.to_seq - report.from_seq <= 5);
            if !report.more_pending {
                break;
            }
        }
        assert_eq!(runs, 5);
        let mut fresh = refreshed(&history(), &Settings::default()).await;
        assert_eq!(
            store.metrics("UTC", "day").await,
            fresh.metrics("UTC", "day").await
        );
        let report = rebuild(&mut store, &Settings::default(), now())
            .await
            .expect("rebuild");
        assert_eq!((report.from_seq, report.to_seq), (0, 22));
        assert_eq!(
            store.metrics("UTC", "month").await,
            fresh.metrics("UTC", "month").await
        );
    });
}

#[test]
fn empty_store_and_no_new_events() {
    block_on(async {
        let mut store = TestStore::new().await;
        let report = refresh(&mut store, &Settings::default(), now())
            .await
            .expect("empty");
        assert_eq!(
            (report.from_seq, report.to_seq, report.more_pending),
            (0, 0, false)
        );
        assert!(store.metrics("UTC", "day").await.is_empty());
        store.ingest(&history()).await;
        refresh(&mut store, &Settings::default(), now())
            .await
            .expect("refresh");
        let before = store.metrics("UTC", "day").await;
        let later = "2024-06-02T00:00:00Z".parse().expect("later");
        let report = refresh(&mut store, &Settings::default(), later)
            .await
            .expect("again");
        assert_eq!(report.from_seq, report.to_seq);
        assert_eq!(store.metrics("UTC", "day").await, before);
        let state = store
            .query("SELECT refreshed_at FROM metric_state", &[])
            .await
            .expect("state");
        assert_eq!(
            state,
            vec![vec![SqlValue::Text("2024-06-02T00:00:00.000Z".into())]]
        );
    });
}

#[test]
fn a_refresh_waits_for_another_writer_and_rolls_back_on_failure() {
    block_on(async {
        let dir = std::env::temp_dir().join(format!("metrics-lock-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        let db = libsql::Builder::new_local(&dir).build().await.expect("db");
        let mut a = TestStore::over(db.connect().expect("a"));
        let mut b = TestStore::over(db.connect().expect("b"));
        for statement in events::store::SCHEMA_STATEMENTS {
            a.execute(statement, &[]).await.expect("schema");
        }
        a.ingest(&history()).await;
        refresh(&mut a, &Settings::default(), now())
            .await
            .expect("first");
        b.execute("BEGIN IMMEDIATE", &[]).await.expect("lock");
        a.ingest(&[]).await;
        // `a` cannot take the write lock while `b` holds it: the refresh fails, changing nothing.
        let err = refresh(&mut a, &Settings::default(), now())
            .await
            .expect_err("locked");
        assert!(err.to_string().contains("locked"), "{err}");
        b.execute("COMMIT", &[]).await.expect("unlock");
        let report = refresh(&mut a, &Settings::default(), now())
            .await
            .expect("after");
        assert_eq!(report.from_seq, report.to_seq);
        let _ = std::fs::remove_file(&dir);
    });
}

#[test]
fn dashboard_read_through_the_store() {
    block_on(async {
        let settings = Settings::default();
        let mut store = TestStore::new().await;
        crate::refresh::ensure_schema(&mut store)
            .await
            .expect("schema");
        let query = crate::read::DashboardQuery::parse(
            "tutoring",
            Some("from=2024-05-01&to=2024-05-03&subject=math"),
            now(),
            &settings,
        )
        .expect("query");
        let before = crate::response::read_dashboard(&mut store, &query)
            .await
            .expect("empty read");
        assert!(before.refreshed_at.is_none() && before.series.is_empty());
        store.ingest(&history()).await;
        refresh(&mut store, &settings, now())
            .await
            .expect("refresh");
        let response = crate::response::read_dashboard(&mut store, &query)
            .await
            .expect("read");
        assert_eq!(
            response.refreshed_at.as_deref(),
            Some("2024-06-01T00:00:00.000Z")
        );
        let body = serde_json::to_value(&response).expect("json");
        assert_eq!(
            body["series"][0],
            json!({"metricName": "sessions_booked", "dimensions": {"subject": "math"}, "points": [
                {"timestamp": "2024-05-01T00:00:00Z", "value": 1},
                {"timestamp": "2024-05-02T00:00:00Z", "value": 0},
                {"timestamp": "2024-05-03T00:00:00Z", "value": 0}]})
        );
        assert!(
            response
                .series
                .iter()
                .all(|s| s.dimensions.get("subject").map(String::as_str) == Some("math"))
        );

        // Without a breakdown: totals only, and the read is one range of the covering index.
        let totals = crate::read::DashboardQuery::parse(
            "tutoring",
            Some("from=2024-05-01&to=2024-05-03"),
            now(),
            &settings,
        )
        .expect("query");
        let response = crate::response::read_dashboard(&mut store, &totals)
            .await
            .expect("read");
        assert!(!response.series.is_empty());
        assert!(
            response
                .series
                .iter()
                .all(|s| { s.dimensions.is_empty() || s.dimensions.contains_key("rank") })
        );
        let (sql, params) = totals.sql();
        let plan = store
            .query(&format!("EXPLAIN QUERY PLAN {sql}"), &params)
            .await
            .expect("plan");
        let plan = format!("{plan:?}");
        assert!(
            plan.contains("COVERING INDEX dashboard_metrics_by_series"),
            "{plan}"
        );
        // Series come in index order: grouping their points needs no sort.
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    });
}

#[test]
fn a_late_event_rewrites_only_the_rows_it_changes() {
    block_on(async {
        let settings = Settings::default();
        let mut store = TestStore::new().await;
        store.ingest(&history()).await;
        refresh(&mut store, &settings, now()).await.expect("first");
        for sql in [
            "CREATE TABLE written (metric_name TEXT, granularity TEXT)",
            "CREATE TRIGGER inserted AFTER INSERT ON dashboard_metrics \
             BEGIN INSERT INTO written VALUES (new.metric_name, new.granularity); END",
            "CREATE TRIGGER updated AFTER UPDATE ON dashboard_metrics \
             BEGIN INSERT INTO written VALUES (new.metric_name, new.granularity); END",
            "CREATE TRIGGER deleted AFTER DELETE ON dashboard_metrics \
             BEGIN INSERT INTO written VALUES (old.metric_name, old.granularity); END",
        ] {
            store.execute(sql, &[]).await.expect("trigger");
        }
        // A second booking of t1's, by u1 in the quarter hour of their first: its day, week
        // and month are recomputed, but only the bookings' rows change.
        store
            .ingest(&[event(
                "b9",
                "u1",
                "session_booked",
                "2024-05-01T10:05:00Z",
                json!({"sessionId": "s9", "tutorId": "t1", "subject": "math", "durationMinutes": 30}),
            )])
            .await;
        let report = refresh(&mut store, &settings, now()).await.expect("late");
        assert!(report.buckets_recomputed > 0);
        let rows = store
            .query(
                "SELECT DISTINCT metric_name, granularity FROM written ORDER BY 1, 2",
                &[],
            )
            .await
            .expect("written");
        let written: Vec<String> = rows.iter().map(|r| format!("{r:?}")).collect();
        let names: std::collections::BTreeSet<String> = rows
            .iter()
            .map(|r| match &r[0] {
                SqlValue::Text(name) => name.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        let expected = [
            "booked_hours",
            "booked_minutes",
            "sessions_booked",
            "top_tutors_by_bookings",
        ];
        assert_eq!(
            names.iter().map(String::as_str).collect::<Vec<_>>(),
            expected,
            "{written:?}"
        );
        assert_eq!(rows.len(), expected.len() * 3, "{written:?}");
        let day = store.metrics("UTC", "day").await;
        assert_eq!(value(&day, "sessions_booked", D1, &[]), Some(json!(2)));
        assert_eq!(value(&day, "booked_hours", D1, &[]), Some(json!(2.0)));
    });
}
