//! The read path against the stored rows: on the demo platform, every dashboard read (every
//! zone, granularity, breakdown and some filters) equals the response built naively from
//! every stored row; and any stored value, integer or real, reads back exactly.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use demo::DemoConfig;
use events::AnalyticsEvent;
use proptest::prelude::*;
use serde_json::Number;

use crate::cache::{
    BodyEncoding, read_dashboard_cached, read_dashboard_json_cached, read_dashboard_typed_cached,
};
use crate::catalog::{BREAKDOWN_KEYS, Dashboard, metric};
use crate::gzip::gunzip;
use crate::read::DashboardQuery;
use crate::refresh::{ensure_schema, refresh};
use crate::response::{DashboardMetric, Point, Series, read_dashboard, read_dashboard_json};
use crate::settings::Settings;
use crate::store::{SqlStore, SqlValue};
use crate::test_support::{MemoryCache, TestStore, block_on};
use crate::time::{Granularity, Zone};

/// A series' place in the response: the metric's rank in the dashboard, then
/// `(key, value as an integer, value)` per dimension.
type SeriesKey = (usize, Vec<(String, Option<i64>, String)>);
type Dimensions = BTreeMap<String, String>;

/// The response's series, built from every stored row of the zone and granularity by the
/// definitions in docs/METRICS.md ("Reading a dashboard"), one rule at a time.
fn naive_series(query: &DashboardQuery, rows: &[DashboardMetric]) -> Vec<Series> {
    let buckets = query.buckets();
    let (start, end) = (buckets[0].start, buckets[buckets.len() - 1].end);
    let order = query.dashboard.metrics();
    let breakdown_of = |dims: &Dimensions| {
        if dims.contains_key("rank") {
            return None;
        }
        let keys: Vec<&str> = BREAKDOWN_KEYS
            .iter()
            .copied()
            .filter(|k| dims.contains_key(*k))
            .collect();
        match keys.as_slice() {
            [] => None,
            [one] => Some(*one),
            _ => Some("several"),
        }
    };
    let mut grouped: BTreeMap<SeriesKey, (Dimensions, Vec<(i64, Number)>)> = BTreeMap::new();
    for row in rows {
        let Some(rank) = order.iter().position(|m| *m == row.metric_name) else {
            continue;
        };
        let in_range = row.timestamp >= start && row.timestamp < end;
        let filtered = query
            .filters
            .iter()
            .all(|(k, v)| row.dimensions.get(k) == Some(v));
        if !in_range || !filtered || breakdown_of(&row.dimensions) != query.breakdown {
            continue;
        }
        let key: Vec<_> = row
            .dimensions
            .iter()
            .map(|(k, v)| (k.clone(), v.parse::<i64>().ok(), v.clone()))
            .collect();
        let entry = grouped
            .entry((rank, key))
            .or_insert_with(|| (row.dimensions.clone(), Vec::new()));
        entry.1.push((row.timestamp, row.value.clone()));
    }
    grouped
        .into_iter()
        .map(|((rank, _), (dimensions, mut values))| {
            values.sort_by_key(|(t, _)| *t);
            let name = order[rank];
            if metric(name).is_some_and(|m| m.zero_fill) {
                let stored = values.clone();
                values = buckets
                    .iter()
                    .map(|b| {
                        let v = stored.iter().find(|(t, _)| *t == b.start);
                        (b.start, v.map_or(Number::from(0), |(_, v)| v.clone()))
                    })
                    .collect();
            }
            Series {
                metric_name: name.to_owned(),
                dimensions,
                points: values
                    .into_iter()
                    .map(|(t, value)| Point {
                        timestamp: query.zone.format(t),
                        value,
                    })
                    .collect(),
            }
        })
        .collect()
}

fn history() -> Vec<AnalyticsEvent> {
    demo::generate(&DemoConfig::small())
        .map(|e| AnalyticsEvent {
            event_id: e.event_id,
            user_id: e.user_id,
            event_type: e.event_type.as_str().to_owned(),
            timestamp: e.timestamp,
            properties: e.properties,
            source: None,
        })
        .collect()
}

#[test]
fn every_read_equals_the_stored_rows() {
    let events = history();
    let settings = Settings::from_variables(Some("Asia/Kolkata"), None).expect("settings");
    let now = chrono::Utc::now();
    let first = events.iter().map(|e| e.timestamp).min().expect("events");
    let last = events.iter().map(|e| e.timestamp).max().expect("events");
    block_on(async {
        let mut store = TestStore::new().await;
        store.ingest(&events).await;
        refresh(&mut store, &settings, now).await.expect("refresh");
        let mut compared = (0, 0);
        let mut cache = MemoryCache::default();
        for zone in &settings.zones {
            // A few days beyond the data on both sides: zero-filled buckets.
            let from = zone.date_of(first.timestamp_millis()) - Days::new(3);
            let to = zone.date_of(last.timestamp_millis()) + Days::new(3);
            for g in Granularity::ALL {
                let rows = store.metrics(zone.name(), g.as_str()).await;
                for dashboard in Dashboard::ALL {
                    let mut queries: Vec<String> = ["", "&currency=EUR", "&rank=1", "&step=paid"]
                        .iter()
                        .map(|extra| extra.to_string())
                        .collect();
                    queries.extend(BREAKDOWN_KEYS.iter().map(|k| format!("&breakdown={k}")));
                    for extra in queries {
                        let text = format!(
                            "from={from}&to={to}&granularity={g}&tz={zone}{extra}",
                            g = g.as_str(),
                            zone = zone.name()
                        );
                        let query =
                            DashboardQuery::parse(dashboard.path(), Some(&text), now, &settings)
                                .expect("query");
                        let read = read_dashboard(&mut store, &query).await.expect("read");
                        let expected = naive_series(&query, &rows);
                        assert!(read.series == expected, "{dashboard:?} {text}");
                        // The route's JSON, written from the rows, is the response's.
                        let json = read_dashboard_json(&mut store, &query).await.expect("json");
                        assert!(
                            json == serde_json::to_string(&read).expect("serialize"),
                            "{dashboard:?} {text}"
                        );
                        // Through a cache: rendered once, then served from it.
                        let mut puts = vec![cache.puts];
                        for _ in 0..2 {
                            let cached =
                                read_dashboard_json_cached(&mut store, &mut cache, &query, now)
                                    .await
                                    .expect("cached");
                            assert!(cached == json, "{dashboard:?} {text}");
                            puts.push(cache.puts);
                        }
                        assert!(puts[1] > puts[0] && puts[2] == puts[1], "{puts:?}");
                        let typed =
                            read_dashboard_typed_cached(&mut store, &mut cache, &query, now)
                                .await
                                .expect("typed");
                        assert!(
                            typed == read && cache.puts == puts[2],
                            "{dashboard:?} {text}"
                        );
                        let gzip = read_dashboard_cached(
                            &mut store,
                            &mut cache,
                            &query,
                            BodyEncoding::Gzip,
                            now,
                        )
                        .await
                        .expect("gzip");
                        assert!(gunzip(&gzip) == json.as_bytes(), "{dashboard:?} {text}");
                        compared.0 += 1;
                        compared.1 += expected.iter().map(|s| s.points.len()).sum::<usize>();
                    }
                }
            }
        }
        // Enough reads and points that every kind of metric was compared.
        assert!(
            compared.0 == 2 * 3 * 5 * 8 && compared.1 > 40_000,
            "{compared:?}"
        );
    });
}

/// Stores `values` as one metric's daily rows from 2024-05-01 (UTC), reads them back
/// through the dashboard that shows it, and returns the read values.
async fn round_trip(store: &mut TestStore, name: &str, values: &[SqlValue]) -> Vec<Number> {
    let zone = Zone::UTC;
    let first: NaiveDate = "2024-05-01".parse().expect("date");
    store
        .execute("DELETE FROM dashboard_metrics", &[])
        .await
        .expect("delete");
    for (i, value) in values.iter().enumerate() {
        let day = first + Days::new(i as u64);
        store
            .execute(
                "INSERT INTO dashboard_metrics VALUES ('UTC', 'day', ?1, ?2, '{\"currency\":\"EUR\"}', ?3)",
                &[
                    SqlValue::Text(name.into()),
                    SqlValue::Integer(zone.day_start(day)),
                    value.clone(),
                ],
            )
            .await
            .expect("insert");
    }
    let to = first + Days::new(values.len() as u64 - 1);
    let text = format!("from={first}&to={to}");
    let query = DashboardQuery::parse(
        "revenue",
        Some(&text),
        chrono::Utc::now(),
        &Settings::default(),
    )
    .expect("query");
    let read = read_dashboard(store, &query).await.expect("read");
    read.series
        .into_iter()
        .find(|s| s.metric_name == name)
        .map(|s| s.points.into_iter().map(|p| p.value).collect())
        .unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// SQLite renders the points as text ([`crate::catalog::POINT_SQL`]): every integer, and
    /// every double a metric can take (ratios and averages of counts and minor units,
    /// magnitudes 1e-12 to 1e12), must read back exactly, as the same JSON number. (SQLite
    /// 3.47's `quote()` did not: its 15 digits read back as the neighbouring double of some
    /// values; and its 21-digit `%!.20e` is off by a unit in the last place for some
    /// magnitudes near 1e293.)
    #[test]
    fn stored_values_read_back_exactly(
        reals in prop::collection::vec(prop_oneof![
            // Any double of magnitude 2^-40 to 2^41 (about 1e-12 to 2e12), either sign.
            (any::<u64>(), -40i32..41, any::<bool>()).prop_map(|(bits, e, negative)| {
                let mantissa = f64::from_bits((bits >> 12) | 0x3FF0_0000_0000_0000);
                let value = mantissa * 2f64.powi(e);
                if negative { -value } else { value }
            }),
            // What the metrics' formulas give: ratios of counts and money, averages.
            (0i64..1_000_000_000_000, 1i64..1_000_000_000).prop_map(|(a, b)| a as f64 / b as f64),
            (-1000i64..1000).prop_map(|a| a as f64),
            Just(0.0),
        ], 1..300),
        integers in prop::collection::vec(any::<i64>(), 1..300),
    ) {
        block_on(async {
            let mut store = TestStore::new().await;
            ensure_schema(&mut store).await.expect("schema");
            let stored: Vec<SqlValue> = reals.iter().map(|f| SqlValue::Real(*f)).collect();
            let read = round_trip(&mut store, "arppu", &stored).await;
            let bits: Vec<Option<u64>> = read.iter().map(|n| n.as_f64().map(f64::to_bits)).collect();
            let expected: Vec<Option<u64>> = reals.iter().map(|f| Some(f.to_bits())).collect();
            prop_assert_eq!(bits, expected);
            prop_assert!(read.iter().all(Number::is_f64));
            let stored: Vec<SqlValue> = integers.iter().map(|i| SqlValue::Integer(*i)).collect();
            let read = round_trip(&mut store, "revenue_gross", &stored).await;
            let expected: Vec<Number> = integers.iter().map(|i| Number::from(*i)).collect();
            prop_assert_eq!(read, expected);
            Ok(())
        })?;
    }
}
