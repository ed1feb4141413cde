//! The engine on the demo generator's believable platform history: incremental refreshes
//! in chunks equal one full refresh and the naive reference; and (ignored, run by hand) how
//! long a full and an incremental refresh take on a larger history.

use std::time::Instant;

use demo::{DemoConfig, DemoEvent};
use events::AnalyticsEvent;

use crate::refresh::refresh;
use crate::settings::Settings;
use crate::store::{Row, SqlStore, SqlValue, StoreError};
use crate::test_support::{TestStore, block_on};
use crate::time::Granularity;

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

async fn all_rows(
    store: &mut TestStore,
    settings: &Settings,
) -> Vec<crate::response::DashboardMetric> {
    let mut rows = Vec::new();
    for zone in &settings.zones {
        for g in Granularity::ALL {
            rows.extend(store.metrics(zone.name(), g.as_str()).await);
        }
    }
    rows
}

#[test]
fn demo_history_in_chunks_equals_full_refresh_and_reference() {
    let events = history(&DemoConfig::small().scaled(2.0));
    assert!(events.len() > 1000, "{}", events.len());
    let settings = Settings::from_variables(Some("Asia/Kolkata"), None).expect("settings");
    let now = chrono::Utc::now();
    block_on(async {
        let mut store = TestStore::new().await;
        // Delivered out of order: every fifth event arrives in a last, late chunk.
        let (late, timely): (Vec<_>, Vec<_>) = events
            .iter()
            .cloned()
            .enumerate()
            .partition(|(i, _)| i % 5 == 0);
        let timely: Vec<AnalyticsEvent> = timely.into_iter().map(|(_, e)| e).collect();
        let late: Vec<AnalyticsEvent> = late.into_iter().map(|(_, e)| e).collect();
        for chunk in timely.chunks(timely.len() / 3 + 1).chain([late.as_slice()]) {
            store.ingest(chunk).await;
            refresh(&mut store, &settings, now).await.expect("refresh");
        }
        let mut fresh = TestStore::new().await;
        fresh.ingest(&events).await;
        refresh(&mut fresh, &settings, now).await.expect("full");
        let incremental = all_rows(&mut store, &settings).await;
        assert_eq!(incremental, all_rows(&mut fresh, &settings).await);
        assert!(incremental.len() > 1000);
        // And the reference, on the order the store kept.
        let stored: Vec<crate::reference::Stored> = timely
            .iter()
            .chain(&late)
            .enumerate()
            .map(|(i, e)| crate::reference::Stored {
                seq: i as i64 + 1,
                user: e.user_id.clone(),
                kind: e.event_type.clone(),
                ms: e.timestamp_ms(),
                props: e.properties.clone(),
            })
            .collect();
        let mut engine = crate::reference::Table::new();
        for g in Granularity::ALL {
            for r in store.metrics("UTC", g.as_str()).await {
                let v = match r.value.as_i64() {
                    Some(i) => crate::reference::V::I(i),
                    None => crate::reference::V::F(r.value.as_f64().unwrap_or(f64::NAN)),
                };
                engine.insert(
                    (
                        g.as_str().to_owned(),
                        r.metric_name,
                        r.timestamp,
                        r.dimensions,
                    ),
                    v,
                );
            }
        }
        let reference = crate::reference::compute(&stored, settings.zones[0]);
        crate::proptests::same(&engine, &reference).expect("engine equals reference");
    });
}

#[test]
#[ignore = "timing on a larger history; run with --ignored --nocapture"]
fn demo_history_timing() {
    let events = history(&DemoConfig::standard());
    let settings = Settings::default();
    let now = chrono::Utc::now();
    let tail = events.len() / 20;
    let span = |es: &[AnalyticsEvent]| {
        let min = es.iter().map(|e| e.timestamp).min();
        let max = es.iter().map(|e| e.timestamp).max();
        (min, max)
    };
    println!(
        "history {:?}, tail {:?}",
        span(&events),
        span(&events[events.len() - tail..])
    );
    let kinds: std::collections::BTreeMap<&str, usize> =
        events[events.len() - tail..]
            .iter()
            .fold(Default::default(), |mut m, e| {
                *m.entry(e.event_type.as_str()).or_insert(0) += 1;
                m
            });
    println!("tail kinds {kinds:?}");
    block_on(async {
        let mut store = TestStore::new().await;
        store.ingest(&events[..events.len() - tail]).await;
        let started = Instant::now();
        refresh(&mut store, &settings, now).await.expect("full");
        println!(
            "full refresh of {} events: {:?}",
            events.len() - tail,
            started.elapsed()
        );
        store.ingest(&events[events.len() - tail..]).await;
        let started = Instant::now();
        let mut timed = Timed {
            inner: store,
            spent: Vec::new(),
        };
        let report = refresh(&mut timed, &settings, now)
            .await
            .expect("incremental");
        println!(
            "incremental refresh of {tail} events: {:?} ({report:?})",
            started.elapsed()
        );
        timed
            .spent
            .sort_by_key(|(_, spent)| std::cmp::Reverse(*spent));
        for (sql, spent) in timed.spent.iter().take(12) {
            println!(
                "{spent:?} {}",
                sql.split("SELECT")
                    .nth(3)
                    .unwrap_or(sql)
                    .chars()
                    .take(200)
                    .collect::<String>()
            );
        }
    });
}

/// A store that records how long each statement took.
struct Timed {
    inner: TestStore,
    spent: Vec<(String, std::time::Duration)>,
}

impl SqlStore for Timed {
    async fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<(), StoreError> {
        let started = Instant::now();
        let result = self.inner.execute(sql, params).await;
        self.spent.push((sql.to_owned(), started.elapsed()));
        result
    }

    async fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        let started = Instant::now();
        let result = self.inner.query(sql, params).await;
        self.spent.push((sql.to_owned(), started.elapsed()));
        result
    }
}

/// Every statement of a refresh and of a read finds its rows through an index: a plan that
/// scans a fact table, the events or the served rows would make a run's cost grow with the
/// store.
#[test]
fn no_statement_scans_a_table() {
    block_on(async {
        let mut store = TestStore::new().await;
        crate::refresh::ensure_schema(&mut store)
            .await
            .expect("schema");
        let mut sqls = vec![crate::groups::insert(
            &crate::tallies::leaderboards().select,
        )];
        sqls.extend([
            crate::windows::ROLLING_DAYS.to_owned(),
            crate::windows::ROLLING_CARRIED.to_owned(),
            crate::windows::DAY_WINDOWS.to_owned(),
            crate::windows::ROLLING_PERIODS.to_owned(),
            crate::windows::funnel(),
            crate::windows::retention("day"),
            crate::windows::delete_retention("day"),
            crate::windows::empty_retention("day"),
            crate::windows::DELETE_ROLLING_DAYS.to_owned(),
            crate::groups::DELETE.to_owned(),
            crate::facts::joined_cohorts(),
            crate::tallies::CLEAR.to_owned(),
            crate::newly_active::record_new_activity(),
            crate::newly_active::ADD_NEW_ACTIVITY.to_owned(),
            crate::facts::record_activity(),
            crate::newly_active::EARLIER_ACTIVITY.to_owned(),
            crate::newly_active::ADD.to_owned(),
            crate::newly_active::DELETE_STICKINESS.to_owned(),
            crate::newly_active::INSERT_STICKINESS.to_owned(),
            crate::newly_active::REGISTRATIONS.to_owned(),
        ]);
        sqls.extend(crate::newly_active::add_retention("day"));
        for g in crate::time::Granularity::ALL {
            sqls.extend(crate::tallies::apply(g).into_iter().map(|(sql, _)| sql));
        }
        sqls.extend(crate::tallies::build());
        sqls.extend(crate::tallies::build_granularity(
            crate::time::Granularity::Month,
        ));
        sqls.push(crate::tallies::counted_from_tallies());
        sqls.extend(crate::tallies::deltas(1));
        for d in crate::groups::derived() {
            sqls.extend([d.insert, d.insert_changed, d.delete_vanished_changed]);
        }
        sqls.extend(crate::facts::touches());
        sqls.extend(crate::facts::upserts());
        let query = crate::read::DashboardQuery::parse(
            "revenue",
            Some("currency=EUR"),
            chrono::Utc::now(),
            &Settings::default(),
        )
        .expect("query");
        sqls.push(query.sql().0);
        for sql in &sqls {
            let plan = store
                .query(&format!("EXPLAIN QUERY PLAN {sql}"), &[])
                .await
                .expect("plan");
            for row in plan {
                let step = row
                    .get(3)
                    .and_then(SqlValue::as_str)
                    .unwrap_or_default()
                    .to_owned();
                // The run's deltas summed per bucket, and its new activity, are read whole,
                // by design.
                let scans_table = step.starts_with("SCAN ")
                    && ["metric_", "analytics_events", "dashboard_metrics"]
                        .iter()
                        .any(|t| step.contains(t))
                    && !["metric_bucket_deltas", "metric_new_activity"]
                        .iter()
                        .any(|t| step.contains(t));
                // The only automatic index allowed is on the rolling CTE of per-day deltas.
                let automatic =
                    step.contains("AUTOMATIC") && !step.starts_with("SEARCH p USING AUTOMATIC");
                assert!(!scans_table && !automatic, "{step} in {sql}");
            }
        }
    });
}
