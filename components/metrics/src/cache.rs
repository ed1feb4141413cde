//! The dashboards' rendered responses in Spin's `default` key-value store: a separate
//! store from the metrics' database, so keeping a response never waits for a refresh's
//! write transaction.
//!
//! Two views of the same store: [`KvCache`] over `spin:key-value`, whose functions are
//! asynchronous, for the HTTP routes; [`SyncKvCache`] over `wasi:keyvalue/store`, whose
//! functions are synchronous, for the synchronous exports (the cron trigger's and the typed
//! interface's), which may not block on asynchronous imports.

use chrono::{DateTime, Utc};
use metrics::{RefreshReport, ResponseCache, Settings, SqlStore};
use spin_sdk::key_value::Store;

use crate::wasi_key_value::Bucket;

/// The `default` store, or nothing if this component may not open it (then every read
/// is rendered).
pub struct KvCache(Option<Store>);

impl KvCache {
    /// Opens the `default` store.
    pub async fn open() -> KvCache {
        match Store::open_default().await {
            Ok(store) => KvCache(Some(store)),
            Err(e) => KvCache(not_cached(e)),
        }
    }
}

impl ResponseCache for KvCache {
    async fn get(&mut self, key: &str) -> Option<Vec<u8>> {
        let store = self.0.as_ref()?;
        store.get(key).await.unwrap_or_else(|e| warn("get", key, e))
    }

    async fn put(&mut self, key: &str, value: &[u8]) {
        if let Some(store) = &self.0
            && let Err(e) = store.set(key, value).await
        {
            warn::<()>("set", key, e);
        }
    }

    async fn remove(&mut self, key: &str) {
        if let Some(store) = &self.0
            && let Err(e) = store.delete(key).await
        {
            warn::<()>("delete", key, e);
        }
    }

    async fn keys(&mut self, prefix: &str) -> Vec<String> {
        let Some(store) = &self.0 else {
            return Vec::new();
        };
        match store.get_keys().await.collect().await {
            Ok(keys) => keys.into_iter().filter(|k| k.starts_with(prefix)).collect(),
            Err(e) => warn("list", prefix, e),
        }
    }
}

/// The same store through `wasi:keyvalue/store`.
pub struct SyncKvCache(Option<Bucket>);

impl SyncKvCache {
    /// Opens the `default` store.
    pub fn open() -> SyncKvCache {
        match crate::wasi_key_value::open("default") {
            Ok(bucket) => SyncKvCache(Some(bucket)),
            Err(e) => SyncKvCache(not_cached(e)),
        }
    }
}

impl ResponseCache for SyncKvCache {
    async fn get(&mut self, key: &str) -> Option<Vec<u8>> {
        let bucket = self.0.as_ref()?;
        bucket.get(key).unwrap_or_else(|e| warn("get", key, e))
    }

    async fn put(&mut self, key: &str, value: &[u8]) {
        if let Some(bucket) = &self.0
            && let Err(e) = bucket.set(key, value)
        {
            warn::<()>("set", key, e);
        }
    }

    async fn remove(&mut self, key: &str) {
        if let Some(bucket) = &self.0
            && let Err(e) = bucket.delete(key)
        {
            warn::<()>("delete", key, e);
        }
    }

    async fn keys(&mut self, prefix: &str) -> Vec<String> {
        let Some(bucket) = &self.0 else {
            return Vec::new();
        };
        match bucket.list_keys(None) {
            Ok(page) => page
                .keys
                .into_iter()
                .filter(|k| k.starts_with(prefix))
                .collect(),
            Err(e) => warn("list", prefix, e),
        }
    }
}

/// After a refresh: renders the dashboards admins read in the last day, if the run changed
/// the metrics ([`metrics::render_watched_dashboards`]) and has caught up (while a backlog
/// is folded, each run would render them again for nothing). A failure is logged: the run
/// itself succeeded, and the next read renders what this did not.
pub async fn render_watched<S: SqlStore, C: ResponseCache>(
    report: &RefreshReport,
    store: &mut S,
    cache: &mut C,
    settings: &Settings,
    now: DateTime<Utc>,
) {
    if report.more_pending {
        return;
    }
    match metrics::render_watched_dashboards(store, cache, settings, now).await {
        Ok(report) if report.rendered + report.forgotten > 0 => println!(
            "metrics: rendered {} watched dashboard responses, forgot {} queries",
            report.rendered, report.forgotten
        ),
        Ok(_) => {}
        Err(e) => eprintln!("metrics: rendering the watched dashboards: {e}"),
    }
}

fn not_cached<T>(error: impl std::fmt::Debug) -> Option<T> {
    eprintln!("metrics: responses are not cached: key-value store 'default': {error:?}");
    None
}

/// Logs a failed cache operation; the read goes on without it.
fn warn<T: Default>(operation: &str, key: &str, error: impl std::fmt::Debug) -> T {
    eprintln!("metrics: response cache {operation} {key}: {error:?}");
    T::default()
}
