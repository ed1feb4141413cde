//! Rendered dashboard responses, kept until the metrics change.
//!
//! A year of daily leaderboards is over 10,000 series: reading and writing them takes tens
//! of milliseconds, while the metrics change at most once per refresh. A read looks its
//! response up by the query; an entry is served only if it was rendered by this build from
//! the metrics' current version (`metric_version`, set by every run that changes them).
//! `refreshedAt`, which every run changes, is written fresh on each read (and, for gzip,
//! compressed apart and joined to the kept tail's deflate stream: `gzip.rs`).

use std::fmt::Write;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::MetricsError;
use crate::gzip::{Deflated, gzip_joined};
use crate::read::DashboardQuery;
use crate::response::{
    DashboardResponse, ReadState, Series, into_text, query_rows, read_dashboard, write_head,
    write_tail,
};
use crate::store::SqlStore;
use crate::watch::watch;

/// Where rendered responses, and the queries read ([`crate::WATCH_KEY_PREFIX`]), are kept:
/// Spin's key-value store, in the component.
///
/// A cache is an optimization, never a source of failure: an implementation that cannot
/// reach its store answers `None` and drops writes.
// Components run on a single-threaded Wasm guest, so the futures need no `Send` bound.
#[allow(async_fn_in_trait)]
pub trait ResponseCache {
    /// The entry under `key`, if any.
    async fn get(&mut self, key: &str) -> Option<Vec<u8>>;
    /// Keeps `value` under `key`, replacing any entry.
    async fn put(&mut self, key: &str, value: &[u8]);
    /// Removes the entry under `key`, if any.
    async fn remove(&mut self, key: &str);
    /// Every key that starts with `prefix`.
    async fn keys(&mut self, prefix: &str) -> Vec<String>;
    /// Removes every entry whose key starts with `prefix` (after a run changed the
    /// metrics, which made them all stale).
    async fn remove_all(&mut self, prefix: &str) {
        for key in self.keys(prefix).await {
            self.remove(&key).await;
        }
    }
}

/// The prefix of every key [`read_dashboard_cached`] writes.
pub const CACHE_KEY_PREFIX: &str = "metrics-response/";

/// The build of this crate: an entry rendered by another build is not served.
pub(crate) const BUILD: &str = env!("METRICS_SOURCE_FINGERPRINT");

/// How a response's body is encoded (`Content-Encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyEncoding {
    /// The JSON text.
    Identity,
    /// Its gzip: a year of daily leaderboards is 2 to 3 MB of JSON, a tenth of that in gzip.
    Gzip,
}

/// Reads a dashboard as [`crate::read_dashboard_json`] does (the same JSON), through
/// `cache`, as `encoding`: a response rendered at the metrics' current version is served
/// from the cache, and one rendered now is kept in it. Each encoding is kept apart, so a
/// read takes only the bytes it sends: the JSON's tail, or its deflate stream.
///
/// Each read also records its query as watched at `now` (a small key, written at most
/// once an hour per query), so that the runs of the next day render it again as soon as
/// they change the metrics ([`crate::render_watched_dashboards`]).
pub async fn read_dashboard_cached<S: SqlStore, C: ResponseCache>(
    store: &mut S,
    cache: &mut C,
    query: &DashboardQuery,
    encoding: BodyEncoding,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, MetricsError> {
    let state = ReadState::read(store).await?;
    let mut head = Vec::new();
    write_head(&mut head, query, state.refreshed_at.as_deref());
    let Some(version) = state.version else {
        // Nothing to key by before a run has set a version.
        let mut tail = Vec::new();
        write_tail(&mut tail, query, &query_rows(store, query).await?)?;
        return Ok(joined(head, &tail, encoding));
    };
    let key = cache_key(query);
    let gzip_key = format!("{key}.gz");
    let stamp = format!("{BUILD}@{version}\n");
    watch(cache, query, encoding, now).await;
    if encoding == BodyEncoding::Gzip
        && let Some(entry) = cache.get(&gzip_key).await
        && let Some(deflated) = entry
            .strip_prefix(stamp.as_bytes())
            .and_then(Deflated::from_bytes)
    {
        return Ok(gzip_joined(&head, &deflated));
    }
    let entry = cache.get(&key).await;
    let kept = entry
        .as_deref()
        .and_then(|entry| entry.strip_prefix(stamp.as_bytes()))
        // A corrupt entry is rendered again.
        .filter(|tail| std::str::from_utf8(tail).is_ok());
    let rendered;
    let tail = match kept {
        Some(tail) => tail,
        None => {
            forget_stale(cache, &stamp).await;
            rendered = render_entry(store, cache, query, &stamp).await?;
            &rendered[stamp.len()..]
        }
    };
    if encoding == BodyEncoding::Gzip {
        let deflated = keep_deflated(cache, &gzip_key, &stamp, tail).await;
        return Ok(gzip_joined(&head, &deflated));
    }
    head.extend_from_slice(tail);
    Ok(head)
}

/// Renders `query`'s response and keeps it under its key: the entry, `stamp` then the
/// JSON after the fresh head.
pub(crate) async fn render_entry<S: SqlStore, C: ResponseCache>(
    store: &mut S,
    cache: &mut C,
    query: &DashboardQuery,
    stamp: &str,
) -> Result<Vec<u8>, MetricsError> {
    let mut entry = stamp.as_bytes().to_vec();
    write_tail(&mut entry, query, &query_rows(store, query).await?)?;
    cache.put(&cache_key(query), &entry).await;
    Ok(entry)
}

/// Compresses a kept JSON tail and keeps its deflate stream under `gzip_key`.
pub(crate) async fn keep_deflated<'a, C: ResponseCache>(
    cache: &mut C,
    gzip_key: &str,
    stamp: &str,
    tail: &'a [u8],
) -> Deflated<'a> {
    let deflated = Deflated::new(tail);
    let mut entry = stamp.as_bytes().to_vec();
    deflated.append_to(&mut entry);
    cache.put(gzip_key, &entry).await;
    deflated
}

/// The JSON text of [`read_dashboard_cached`] (identity).
pub async fn read_dashboard_json_cached<S: SqlStore, C: ResponseCache>(
    store: &mut S,
    cache: &mut C,
    query: &DashboardQuery,
    now: DateTime<Utc>,
) -> Result<String, MetricsError> {
    into_text(read_dashboard_cached(store, cache, query, BodyEncoding::Identity, now).await?)
}

/// The typed response of [`read_dashboard_json_cached`], parsed from its JSON: for the
/// component's typed export (the GraphQL subgraph), which so shares the kept responses and
/// the watched queries with the route. Parsing a kept response costs a fraction of
/// rendering it.
pub async fn read_dashboard_typed_cached<S: SqlStore, C: ResponseCache>(
    store: &mut S,
    cache: &mut C,
    query: &DashboardQuery,
    now: DateTime<Utc>,
) -> Result<DashboardResponse, MetricsError> {
    /// The fields of the JSON that the query does not already say.
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Parsed {
        refreshed_at: Option<String>,
        time_zone: String,
        series: Vec<Series>,
    }
    // Parsed from the bytes: serde checks the UTF-8 of what it reads.
    let json = read_dashboard_cached(store, cache, query, BodyEncoding::Identity, now).await?;
    match serde_json::from_slice::<Parsed>(&json) {
        Ok(parsed) => Ok(DashboardResponse {
            dashboard: query.dashboard,
            refreshed_at: parsed.refreshed_at,
            time_zone: parsed.time_zone,
            granularity: query.granularity.as_str(),
            series: parsed.series,
        }),
        // Never expected (the JSON is ours); the rows are then read again.
        Err(_) => read_dashboard(store, query).await,
    }
}

/// The body of `head` then `tail`, as `encoding`.
fn joined(mut head: Vec<u8>, tail: &[u8], encoding: BodyEncoding) -> Vec<u8> {
    match encoding {
        BodyEncoding::Identity => {
            head.extend_from_slice(tail);
            head
        }
        BodyEncoding::Gzip => gzip_joined(&head, &Deflated::new(tail)),
    }
}

/// On the first miss after the metrics changed (or after a new build), removes every
/// entry: none can be served again, and without this every day's default range would add
/// entries forever. The stamp they were cleared for is kept under [`STAMP_KEY`].
pub(crate) async fn forget_stale<C: ResponseCache>(cache: &mut C, stamp: &str) {
    if cache.get(STAMP_KEY).await.as_deref() != Some(stamp.as_bytes()) {
        cache.remove_all(CACHE_KEY_PREFIX).await;
        cache.put(STAMP_KEY, stamp.as_bytes()).await;
    }
}

/// Where [`forget_stale`] keeps the stamp of the entries it last cleared for.
const STAMP_KEY: &str = "metrics-response/stamp";

/// The key of a query's response: [`CACHE_KEY_PREFIX`] and a digest of every parameter
/// that decides it (keys stay short whatever the filters).
pub fn cache_key(query: &DashboardQuery) -> String {
    let parameters = serde_json::json!([
        query.dashboard.path(),
        query.zone.name(),
        query.granularity.as_str(),
        query.from.to_string(),
        query.to.to_string(),
        query.breakdown,
        query.filters,
    ]);
    digest_key(CACHE_KEY_PREFIX, &parameters)
}

/// `prefix` and the SHA-256 of `value`'s JSON, in hex.
pub(crate) fn digest_key(prefix: &str, value: &serde_json::Value) -> String {
    let digest = Sha256::digest(value.to_string().as_bytes());
    let mut key = String::with_capacity(prefix.len() + 64);
    key.push_str(prefix);
    for byte in digest {
        let _ = write!(key, "{byte:02x}"); // into a String: cannot fail
    }
    key
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::gzip::gunzip;
    use crate::refresh::{ensure_schema, refresh};
    use crate::response::read_dashboard_json;
    use crate::settings::Settings;
    use crate::test_support::{MemoryCache, TestStore, at, block_on, math_booking};

    /// When the tests' reads are asked.
    fn now() -> DateTime<Utc> {
        at("2024-06-01T00:05:00Z")
    }

    fn query(text: &str) -> DashboardQuery {
        DashboardQuery::parse(
            "tutoring",
            Some(text),
            at("2024-06-01T00:00:00Z"),
            &Settings::default(),
        )
        .expect("query")
    }

    /// A read through the cache, checked against the rendered JSON.
    async fn read_checked(
        store: &mut TestStore,
        cache: &mut MemoryCache,
        q: &DashboardQuery,
    ) -> String {
        let cached = read_dashboard_json_cached(store, cache, q, now())
            .await
            .expect("read");
        assert_eq!(cached, read_dashboard_json(store, q).await.expect("json"));
        cached
    }

    #[test]
    fn a_response_is_served_from_the_cache_until_the_metrics_change() {
        block_on(async {
            let settings = Settings::default();
            let mut store = TestStore::new().await;
            let mut cache = MemoryCache::default();
            ensure_schema(&mut store).await.expect("schema");
            let q = query("from=2024-05-01&to=2024-05-03");

            // Before any run there is no version to key by: nothing is kept.
            read_checked(&mut store, &mut cache, &q).await;
            assert_eq!((cache.puts, cache.responses()), (0, 0));

            store.ingest(&[math_booking("b1", "2024-05-01")]).await;
            refresh(&mut store, &settings, at("2024-06-01T00:00:00Z"))
                .await
                .expect("refresh");
            let first = read_checked(&mut store, &mut cache, &q).await;
            assert!(first.contains(r#""value":1"#), "{first}");
            assert_eq!((cache.puts, cache.responses()), (2, 2)); // the stamp and the entry
            // And the query is watched, to be rendered by the next runs that change the metrics.
            assert_eq!(cache.watched().len(), 1);
            let again = read_dashboard_json_cached(&mut store, &mut cache, &q, now())
                .await
                .expect("read");
            assert_eq!((again.as_str(), cache.puts), (first.as_str(), 2));

            // A run with nothing new changes `refreshedAt` only: still served from the cache.
            refresh(&mut store, &settings, at("2024-06-01T00:01:00Z"))
                .await
                .expect("refresh");
            let idle = read_checked(&mut store, &mut cache, &q).await;
            assert!(idle.contains("2024-06-01T00:01:00.000Z"), "{idle}");
            assert_eq!(cache.puts, 2);

            // New events change the version: the stale entry is not served.
            store.ingest(&[math_booking("b2", "2024-05-01")]).await;
            refresh(&mut store, &settings, at("2024-06-01T00:02:00Z"))
                .await
                .expect("refresh");
            let changed = read_checked(&mut store, &mut cache, &q).await;
            assert!(changed.contains(r#""value":2"#), "{changed}");
            // The stale entry was removed, and the stamp it was cleared for kept.
            assert_eq!((cache.puts, cache.responses()), (4, 2));

            // Another query has its own entry.
            let other = query("from=2024-05-01&to=2024-05-04");
            read_checked(&mut store, &mut cache, &other).await;
            assert_eq!((cache.puts, cache.responses()), (5, 3));
            assert_eq!(cache.watched().len(), 2);
            cache.remove_all(CACHE_KEY_PREFIX).await;
            assert_eq!((cache.responses(), cache.watched().len()), (0, 2));
        });
    }

    #[test]
    fn only_an_entry_of_this_build_and_version_is_served() {
        block_on(async {
            let mut store = TestStore::new().await;
            let mut cache = MemoryCache::default();
            store.ingest(&[math_booking("b1", "2024-05-01")]).await;
            let report = refresh(&mut store, &Settings::default(), at("2024-06-01T00:00:00Z"))
                .await
                .expect("refresh");
            assert!(report.changed());
            let q = query("from=2024-05-01&to=2024-05-03");
            let expected = read_dashboard_json(&mut store, &q).await.expect("json");
            let key = cache_key(&q);
            let stamp = format!("{BUILD}@{}@2024-06-01T00:00:00.000Z\n", report.to_seq);

            // The entry is what is served: its text follows the fresh head.
            let head_end = expected.find(r#","timeZone""#).expect("tail");
            cache
                .entries
                .insert(key.clone(), format!("{stamp},\"kept\":true}}").into_bytes());
            let served = read_dashboard_json_cached(&mut store, &mut cache, &q, now())
                .await
                .expect("read");
            assert_eq!(served, format!("{},\"kept\":true}}", &expected[..head_end]));

            // Another build's, another version's or a corrupt entry is rendered again.
            for entry in [
                format!("0000000000000000@{}", &stamp[BUILD.len() + 1..]).into_bytes(),
                format!("{BUILD}@0@2024-06-01T00:00:00.000Z\n,\"kept\":true}}").into_bytes(),
                [stamp.as_bytes(), b"\xff\xfe"].concat(),
            ] {
                cache.entries.insert(key.clone(), entry);
                let read = read_dashboard_json_cached(&mut store, &mut cache, &q, now())
                    .await
                    .expect("read");
                assert_eq!(read, expected);
                assert_eq!(
                    cache.entries[&key],
                    [stamp.as_bytes(), &expected.as_bytes()[head_end..]].concat()
                );
            }
        });
    }

    #[test]
    fn a_gzip_read_is_the_json_compressed_and_each_encoding_is_kept_apart() {
        block_on(async {
            let settings = Settings::default();
            let mut store = TestStore::new().await;
            let mut cache = MemoryCache::default();
            let q = query("from=2024-05-01&to=2024-05-03");
            ensure_schema(&mut store).await.expect("schema");
            let read = async |store: &mut TestStore, cache: &mut MemoryCache, q, encoding| {
                read_dashboard_cached(store, cache, q, encoding, now())
                    .await
                    .expect("read")
            };

            // Before any run: compressed, not kept.
            let body = read(&mut store, &mut cache, &q, BodyEncoding::Gzip).await;
            let json = read_dashboard_json(&mut store, &q).await.expect("json");
            assert_eq!(gunzip(&body), json.as_bytes());
            assert_eq!(cache.puts, 0);

            store.ingest(&[math_booking("b1", "2024-05-01")]).await;
            refresh(&mut store, &settings, at("2024-06-01T00:00:00Z"))
                .await
                .expect("refresh");
            let json = read_dashboard_json(&mut store, &q).await.expect("json");
            // Rendered once, kept in both encodings (and the stamp).
            let body = read(&mut store, &mut cache, &q, BodyEncoding::Gzip).await;
            assert_eq!(gunzip(&body), json.as_bytes());
            assert_eq!((cache.puts, cache.responses()), (3, 3));
            let gz = cache.entries[&format!("{}.gz", cache_key(&q))].len();
            assert!(gz * 2 < cache.entries[&cache_key(&q)].len() + 64, "{gz}");
            // Then each is served from its own entry.
            let body = read(&mut store, &mut cache, &q, BodyEncoding::Gzip).await;
            assert_eq!(gunzip(&body), json.as_bytes());
            let plain = read(&mut store, &mut cache, &q, BodyEncoding::Identity).await;
            assert_eq!((plain, cache.puts), (json.into_bytes(), 3));

            // A run with nothing new: the fresh head is compressed and joined to the kept tail.
            refresh(&mut store, &settings, at("2024-06-01T00:01:00Z"))
                .await
                .expect("refresh");
            let json = read_dashboard_json(&mut store, &q).await.expect("json");
            let body = read(&mut store, &mut cache, &q, BodyEncoding::Gzip).await;
            assert_eq!((gunzip(&body), cache.puts), (json.into_bytes(), 3));

            // Kept as JSON first: a gzip read compresses the kept tail, without a render.
            let other = query("from=2024-05-02&to=2024-05-03");
            let json = read(&mut store, &mut cache, &other, BodyEncoding::Identity).await;
            assert_eq!(cache.puts, 4);
            store
                .execute("DELETE FROM dashboard_metrics", &[])
                .await
                .expect("delete");
            let body = read(&mut store, &mut cache, &other, BodyEncoding::Gzip).await;
            assert_eq!((gunzip(&body), cache.puts), (json, 5));
        });
    }

    #[test]
    fn a_key_is_a_digest_of_every_parameter() {
        let keys: Vec<String> = [
            "from=2024-05-01&to=2024-05-03",
            "from=2024-05-01&to=2024-05-04",
            "from=2024-05-01&to=2024-05-03&granularity=week",
            "from=2024-05-01&to=2024-05-03&subject=math",
            "from=2024-05-01&to=2024-05-03&breakdown=subject",
        ]
        .iter()
        .map(|text| cache_key(&query(text)))
        .collect();
        let distinct: std::collections::BTreeSet<&String> = keys.iter().collect();
        assert_eq!(distinct.len(), keys.len());
        assert_eq!(keys[0], cache_key(&query("to=2024-05-03&from=2024-05-01")));
        assert!(keys.iter().all(|k| k.len() == CACHE_KEY_PREFIX.len() + 64));
    }
}
