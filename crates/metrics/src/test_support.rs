//! A [`SqlStore`] over an in-memory libSQL database, and helpers to ingest events into
//! it the way `track-event` does.

use chrono::{DateTime, Utc};
use events::AnalyticsEvent;
use serde_json::Value;

use crate::response::DashboardMetric;
use sql_store::LibsqlStore;

use crate::store::{Row, SqlStore, SqlValue, StoreError};

/// An in-memory SQLite database with the events schema.
pub(crate) struct TestStore {
    inner: LibsqlStore,
}

impl SqlStore for TestStore {
    async fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<(), StoreError> {
        self.inner.execute(sql, params).await
    }

    async fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        self.inner.query(sql, params).await
    }
}

impl TestStore {
    /// A store over an open connection.
    pub fn over(conn: libsql::Connection) -> TestStore {
        TestStore {
            inner: LibsqlStore::new(conn),
        }
    }

    /// A fresh database with the events table.
    pub async fn new() -> TestStore {
        let mut inner = LibsqlStore::memory().await.expect("database");
        for statement in events::store::SCHEMA_STATEMENTS {
            inner.execute(statement, &[]).await.expect("schema");
        }
        TestStore { inner }
    }

    /// Stores events as ingestion does (a duplicate `(source, eventId)` is ignored).
    pub async fn ingest(&mut self, events: &[AnalyticsEvent]) {
        let received = DateTime::<Utc>::UNIX_EPOCH;
        for event in events {
            let params = events::store::insert_params(event, received);
            self.execute(events::store::INSERT_EVENT, &params)
                .await
                .expect("insert");
        }
    }

    /// Every stored metric row of a zone and granularity, sorted.
    pub async fn metrics(&mut self, zone: &str, granularity: &str) -> Vec<DashboardMetric> {
        let rows = self
            .query(
                "SELECT metric_name, bucket_start, dimensions, value FROM dashboard_metrics \
                 WHERE zone = ?1 AND granularity = ?2 ORDER BY metric_name, bucket_start, dimensions",
                &[SqlValue::Text(zone.into()), SqlValue::Text(granularity.into())],
            )
            .await
            .expect("metrics");
        rows.iter()
            .map(|r| DashboardMetric::from_row(r).expect("row"))
            .collect()
    }
}

/// Runs a future to completion on a fresh current-thread runtime.
pub(crate) fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(future)
}

/// An event at an RFC 3339 instant.
pub(crate) fn event(
    id: &str,
    user: &str,
    kind: &str,
    at: &str,
    properties: Value,
) -> AnalyticsEvent {
    AnalyticsEvent {
        event_id: id.into(),
        user_id: user.into(),
        event_type: kind.into(),
        timestamp: at.parse().expect("timestamp"),
        properties: properties.as_object().cloned().unwrap_or_default(),
        source: None,
    }
}

/// An RFC 3339 instant.
pub(crate) fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("instant")
}

/// `u1` books an hour of math with `t1` at 10:00 UTC on `day` (`2024-05-01`).
pub(crate) fn math_booking(id: &str, day: &str) -> AnalyticsEvent {
    let at = format!("{day}T10:00:00Z");
    let properties = serde_json::json!({"sessionId": id, "tutorId": "t1",
        "subject": "math", "durationMinutes": 60});
    event(id, "u1", "session_booked", &at, properties)
}

/// A cache in memory that counts the responses it was asked to keep.
#[derive(Default)]
pub(crate) struct MemoryCache {
    pub entries: std::collections::BTreeMap<String, Vec<u8>>,
    /// Puts under [`crate::CACHE_KEY_PREFIX`] (responses and their stamps).
    pub puts: usize,
}

impl MemoryCache {
    /// The entries under [`crate::CACHE_KEY_PREFIX`].
    pub fn responses(&self) -> usize {
        let keys = self.entries.keys();
        keys.filter(|k| k.starts_with(crate::CACHE_KEY_PREFIX))
            .count()
    }

    /// The keys of the watched queries' records.
    pub fn watched(&self) -> Vec<&str> {
        let keys = self.entries.keys().map(String::as_str);
        keys.filter(|k| k.starts_with(crate::WATCH_KEY_PREFIX))
            .collect()
    }
}

impl crate::cache::ResponseCache for MemoryCache {
    async fn get(&mut self, key: &str) -> Option<Vec<u8>> {
        self.entries.get(key).cloned()
    }
    async fn put(&mut self, key: &str, value: &[u8]) {
        self.puts += usize::from(key.starts_with(crate::CACHE_KEY_PREFIX));
        self.entries.insert(key.to_owned(), value.to_vec());
    }
    async fn remove(&mut self, key: &str) {
        self.entries.remove(key);
    }
    async fn keys(&mut self, prefix: &str) -> Vec<String> {
        let keys = self.entries.keys();
        keys.filter(|k| k.starts_with(prefix)).cloned().collect()
    }
}
