//! The dashboards admins watch, rendered by the runs that change the metrics.
//!
//! A run that changes the metrics makes every kept response stale, so without this the next
//! read of each dashboard would render it: up to 150 ms for a year of daily leaderboards at
//! 10M events, after every cron tick that folds new events. A read records its query (and
//! whether it was asked for gzip); each run that changes the metrics then renders the
//! queries read in the last day again, so the admins' next reads are served from the cache.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::cache::{
    BUILD, BodyEncoding, ResponseCache, cache_key, digest_key, forget_stale, keep_deflated,
    render_entry,
};
use crate::error::MetricsError;
use crate::read::DashboardQuery;
use crate::response::ReadState;
use crate::settings::Settings;
use crate::store::SqlStore;

/// The prefix of the watched queries' records.
pub const WATCH_KEY_PREFIX: &str = "metrics-watch/";

/// How long after its last read a query is rendered by each run.
pub const WATCH_FOR: TimeDelta = TimeDelta::hours(24);

/// A read rewrites its query's record only if it is older than this: most reads only look
/// at it.
const RENEW_AFTER: TimeDelta = TimeDelta::hours(1);

/// At most this many queries are rendered per run, the most recently read; the others are
/// forgotten until they are read again.
pub const MAX_WATCHED: usize = 16;

/// The stamp of the version whose watched queries were last rendered. It is under
/// [`crate::CACHE_KEY_PREFIX`], so it is cleared with the entries it stands for.
const RENDERED_KEY: &str = "metrics-response/watched";

/// A watched query: what [`DashboardQuery::from_params`] takes to give it again.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Watched {
    /// When it was last read and rendered (Unix seconds).
    read_at: i64,
    dashboard: String,
    params: BTreeMap<String, String>,
}

/// What [`render_watched_dashboards`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WatchReport {
    /// Responses rendered and kept.
    pub rendered: usize,
    /// Records removed, of queries no longer watched: not read for [`WATCH_FOR`], beyond
    /// [`MAX_WATCHED`], or no longer valid (a time zone taken out of the settings).
    pub forgotten: usize,
}

/// Records that `query` was read at `now`, as `encoding`, unless a read in the last
/// [`RENEW_AFTER`] did.
pub(crate) async fn watch<C: ResponseCache>(
    cache: &mut C,
    query: &DashboardQuery,
    encoding: BodyEncoding,
    now: DateTime<Utc>,
) {
    let record = Watched {
        read_at: now.timestamp(),
        dashboard: query.dashboard.path().to_owned(),
        params: query.params(),
    };
    let mut key = digest_key(
        WATCH_KEY_PREFIX,
        &serde_json::json!([record.dashboard, record.params]),
    );
    if encoding == BodyEncoding::Gzip {
        key.push_str(".gz");
    }
    let recent = read_record(cache, &key)
        .await
        .is_some_and(|r| now.timestamp() - r.read_at < RENEW_AFTER.num_seconds());
    if recent {
        return;
    }
    // A map of strings always serializes.
    let value = serde_json::to_vec(&record).unwrap_or_default();
    cache.put(&key, &value).await;
}

/// The record under `key`, if there is a readable one.
async fn read_record<C: ResponseCache>(cache: &mut C, key: &str) -> Option<Watched> {
    let value = cache.get(key).await?;
    serde_json::from_slice(&value).ok()
}

/// Renders the watched queries' responses at the metrics' current version and keeps them,
/// once per version: run it after [`crate::refresh`]; when nothing changed, it reads one
/// key and returns. A query's relative range (no `from` or `to`) is resolved at `now`.
pub async fn render_watched_dashboards<S: SqlStore, C: ResponseCache>(
    store: &mut S,
    cache: &mut C,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<WatchReport, MetricsError> {
    let mut report = WatchReport::default();
    let Some(version) = ReadState::read(store).await?.version else {
        return Ok(report);
    };
    let stamp = format!("{BUILD}@{version}\n");
    if cache.get(RENDERED_KEY).await.as_deref() == Some(stamp.as_bytes()) {
        return Ok(report);
    }
    forget_stale(cache, &stamp).await;

    // Each query's record, by its key without `.gz`, and whether it is read as gzip too.
    let mut watched: BTreeMap<String, (Watched, bool)> = BTreeMap::new();
    for key in cache.keys(WATCH_KEY_PREFIX).await {
        let record = read_record(cache, &key)
            .await
            .filter(|r| now.timestamp() - r.read_at <= WATCH_FOR.num_seconds());
        let Some(record) = record else {
            cache.remove(&key).await;
            report.forgotten += 1;
            continue;
        };
        let (query_key, gzip) = match key.strip_suffix(".gz") {
            Some(query_key) => (query_key.to_owned(), true),
            None => (key, false),
        };
        let slot = watched.entry(query_key).or_insert((record, gzip));
        slot.1 |= gzip;
    }

    let mut watched: Vec<(String, (Watched, bool))> = watched.into_iter().collect();
    watched.sort_by_key(|(_, (record, _))| std::cmp::Reverse(record.read_at));
    for (at, (key, (record, gzip))) in watched.into_iter().enumerate() {
        let query = DashboardQuery::from_params(&record.dashboard, record.params, now, settings);
        let Some(query) = query.ok().filter(|_| at < MAX_WATCHED) else {
            cache.remove(&key).await;
            if gzip {
                cache.remove(&format!("{key}.gz")).await;
            }
            report.forgotten += 1 + usize::from(gzip);
            continue;
        };
        let entry = render_entry(store, cache, &query, &stamp).await?;
        if gzip {
            let gzip_key = format!("{}.gz", cache_key(&query));
            keep_deflated(cache, &gzip_key, &stamp, &entry[stamp.len()..]).await;
        }
        report.rendered += 1;
    }
    cache.put(RENDERED_KEY, stamp.as_bytes()).await;
    Ok(report)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {

    use super::*;
    use crate::cache::read_dashboard_cached;
    use crate::gzip::gunzip;
    use crate::refresh::refresh;
    use crate::response::read_dashboard_json;
    use crate::test_support::{MemoryCache, TestStore, at, block_on, math_booking};

    fn query(text: &str, now: DateTime<Utc>, settings: &Settings) -> DashboardQuery {
        DashboardQuery::parse("tutoring", Some(text), now, settings).expect("query")
    }

    /// A store with one booking, refreshed at `now`, and an empty cache.
    async fn refreshed(settings: &Settings, now: DateTime<Utc>) -> (TestStore, MemoryCache) {
        let mut store = TestStore::new().await;
        ingest_and_refresh(&mut store, "b1", settings, now).await;
        (store, MemoryCache::default())
    }

    async fn ingest_and_refresh(
        store: &mut TestStore,
        id: &str,
        settings: &Settings,
        now: DateTime<Utc>,
    ) {
        store.ingest(&[math_booking(id, "2024-05-01")]).await;
        let report = refresh(store, settings, now).await;
        assert!(report.expect("refresh").changed());
    }

    #[test]
    fn the_runs_that_change_the_metrics_render_the_dashboards_read_since() {
        block_on(async {
            let settings = Settings::default();
            let now = at("2024-06-01T00:00:00Z");
            let (mut store, mut cache) = refreshed(&settings, now).await;
            // Nothing is watched yet: nothing to render.
            let report = render_watched_dashboards(&mut store, &mut cache, &settings, now).await;
            assert_eq!(report.expect("render"), WatchReport::default());

            // One query read as JSON, one as gzip (a default range, ending today).
            let json_query = query("from=2024-05-01&to=2024-05-03", now, &settings);
            let gzip_query = query("granularity=week", now, &settings);
            for (q, encoding) in [
                (&json_query, BodyEncoding::Identity),
                (&gzip_query, BodyEncoding::Gzip),
            ] {
                read_dashboard_cached(&mut store, &mut cache, q, encoding, now)
                    .await
                    .expect("read");
            }
            // One record each, the gzip one under its own key.
            assert_eq!(cache.watched().len(), 2, "{:?}", cache.watched());

            // A run that changes the metrics renders both, in the encodings they were read in.
            let later = at("2024-06-01T00:01:00Z");
            ingest_and_refresh(&mut store, "b2", &settings, later).await;
            let report = render_watched_dashboards(&mut store, &mut cache, &settings, later).await;
            assert_eq!(report.expect("render").rendered, 2);
            let puts = cache.puts;
            for (q, encoding) in [
                (&json_query, BodyEncoding::Identity),
                (&gzip_query, BodyEncoding::Gzip),
            ] {
                let body = read_dashboard_cached(&mut store, &mut cache, q, encoding, later)
                    .await
                    .expect("read");
                let json = read_dashboard_json(&mut store, q).await.expect("json");
                assert!(json.contains(r#""value":2"#), "{json}");
                let body = match encoding {
                    BodyEncoding::Identity => body,
                    BodyEncoding::Gzip => gunzip(&body),
                };
                assert_eq!(String::from_utf8(body).expect("utf-8"), json);
            }
            // Both were served from what the run kept: no read rendered.
            assert_eq!(cache.puts, puts);

            // Once per version: another call, or a run with nothing new, renders nothing.
            refresh(&mut store, &settings, later)
                .await
                .expect("refresh");
            let report = render_watched_dashboards(&mut store, &mut cache, &settings, later).await;
            assert_eq!(report.expect("render"), WatchReport::default());
            assert_eq!(cache.puts, puts);
        });
    }

    #[test]
    fn a_query_is_watched_for_a_day_and_the_most_recently_read_first() {
        block_on(async {
            let settings = Settings::default();
            let day_one = at("2024-06-01T08:00:00Z");
            let (mut store, mut cache) = refreshed(&settings, day_one).await;
            // Read on day one, a minute apart: the first is the oldest.
            let queries: Vec<DashboardQuery> = (1..=MAX_WATCHED + 1)
                .map(|day| query(&format!("from=2024-05-{day:02}"), day_one, &settings))
                .collect();
            for (minute, q) in (0..).zip(&queries) {
                let read_at = day_one + TimeDelta::minutes(minute);
                read_dashboard_cached(&mut store, &mut cache, q, BodyEncoding::Identity, read_at)
                    .await
                    .expect("read");
            }
            // A record that cannot be read any more is forgotten.
            let bad = format!("{WATCH_KEY_PREFIX}bad");
            cache.entries.insert(bad.clone(), b"{".to_vec());

            let next = day_one + TimeDelta::hours(1);
            ingest_and_refresh(&mut store, "b2", &settings, next).await;
            let report = render_watched_dashboards(&mut store, &mut cache, &settings, next).await;
            let report = report.expect("render");
            assert_eq!((report.rendered, report.forgotten), (MAX_WATCHED, 2));
            assert!(!cache.entries.contains_key(&bad));
            // The oldest read's entry was not rendered; the newest one's was.
            let kept = |cache: &MemoryCache, q: &DashboardQuery| {
                let stamp_len = BUILD.len() + 1;
                let entry = cache.entries.get(&cache_key(q));
                entry.is_some_and(|e| e[stamp_len..].starts_with(b"2@"))
            };
            assert!(!kept(&cache, &queries[0]) && kept(&cache, &queries[MAX_WATCHED]));

            // A day after their last read, the others are forgotten too.
            let day_two = day_one + WATCH_FOR + TimeDelta::minutes(MAX_WATCHED as i64 + 1);
            ingest_and_refresh(&mut store, "b3", &settings, day_two).await;
            let report = render_watched_dashboards(&mut store, &mut cache, &settings, day_two);
            let report = report.await.expect("render");
            assert_eq!((report.rendered, report.forgotten), (0, MAX_WATCHED));
            assert!(cache.watched().is_empty());
        });
    }

    #[test]
    fn every_read_keeps_its_query_watched_writing_at_most_once_an_hour() {
        block_on(async {
            let settings = Settings::default();
            let day_one = at("2024-06-01T08:00:00Z");
            let (mut store, mut cache) = refreshed(&settings, day_one).await;
            let q = query("from=2024-05-01", day_one, &settings);
            let read_at = async |store: &mut TestStore, cache: &mut MemoryCache, now| {
                read_dashboard_cached(store, cache, &q, BodyEncoding::Identity, now)
                    .await
                    .expect("read");
                let record = &cache.entries[cache.watched()[0]];
                serde_json::from_slice::<Watched>(record)
                    .expect("record")
                    .read_at
            };
            let first = read_at(&mut store, &mut cache, day_one).await;
            // Served from the cache; within the hour the record is only looked at.
            let soon = read_at(&mut store, &mut cache, day_one + TimeDelta::minutes(59)).await;
            assert_eq!(soon, first);
            // Later, a read served from the cache renews it: a day after the first read, the
            // query is still watched.
            let later = day_one + TimeDelta::hours(23);
            assert_eq!(
                read_at(&mut store, &mut cache, later).await,
                later.timestamp()
            );
            let next_day = day_one + TimeDelta::hours(30);
            ingest_and_refresh(&mut store, "b2", &settings, next_day).await;
            let report = render_watched_dashboards(&mut store, &mut cache, &settings, next_day);
            assert_eq!(report.await.expect("render").rendered, 1);
        });
    }

    #[test]
    fn a_default_range_is_rendered_as_of_the_run_and_a_dropped_zone_is_forgotten() {
        block_on(async {
            let settings = Settings::from_variables(Some("Europe/Paris"), None).expect("settings");
            let day_one = at("2024-06-01T08:00:00Z");
            let (mut store, mut cache) = refreshed(&settings, day_one).await;
            let read = async |store: &mut TestStore, cache: &mut MemoryCache, q| {
                read_dashboard_cached(store, cache, q, BodyEncoding::Identity, day_one)
                    .await
                    .expect("read")
            };
            // `to` given, `from` by default; and a range that ends today, in Paris.
            let given_to = query("to=2024-05-20&subject=math", day_one, &settings);
            let in_paris = query("tz=Europe/Paris&granularity=month", day_one, &settings);
            read(&mut store, &mut cache, &given_to).await;
            read(&mut store, &mut cache, &in_paris).await;

            let day_two = day_one + TimeDelta::days(1);
            ingest_and_refresh(&mut store, "b2", &settings, day_two).await;
            let report = render_watched_dashboards(&mut store, &mut cache, &settings, day_two);
            assert_eq!(report.await.expect("render").rendered, 2);
            // Kept under the keys the same requests have on day two.
            for text in [
                "to=2024-05-20&subject=math",
                "tz=Europe/Paris&granularity=month",
            ] {
                let q = query(text, day_two, &settings);
                assert!(cache.entries.contains_key(&cache_key(&q)), "{text}");
            }
            assert_eq!(
                query("subject=math", day_two, &settings).params()["breakdown"],
                "subject"
            );

            // Without Paris in the settings, its query cannot be given again: forgotten.
            let utc = Settings::default();
            ingest_and_refresh(&mut store, "b3", &utc, day_two).await;
            let report = render_watched_dashboards(&mut store, &mut cache, &utc, day_two);
            let report = report.await.expect("render");
            assert_eq!((report.rendered, report.forgotten), (1, 1));
        });
    }
}
