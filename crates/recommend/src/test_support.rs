//! A [`SqlStore`] over an in-memory libSQL database with the events schema, and helpers to
//! ingest events into it the way `track-event` does.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use events::AnalyticsEvent;
use serde_json::Value;
use sql_store::{LibsqlStore, Row, SqlStore, SqlValue, StoreError};

/// An in-memory SQLite database with the events table.
pub(crate) struct TestStore {
    inner: LibsqlStore,
    /// Statements run (to check what a read costs).
    pub statements: usize,
    /// Reads of `rec_state.last_seq` among them.
    pub last_seq_reads: usize,
}

impl SqlStore for TestStore {
    async fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<(), StoreError> {
        self.statements += 1;
        self.inner.execute(sql, params).await
    }

    async fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        self.statements += 1;
        self.last_seq_reads += usize::from(sql == crate::profiles::LAST_FOLDED);
        self.inner.query(sql, params).await
    }
}

impl TestStore {
    /// A fresh database with the events table and the library's schema.
    pub async fn new() -> TestStore {
        Self::with(LibsqlStore::memory().await.expect("database")).await
    }

    /// A connection to a database file that several stores share, as concurrent component
    /// instances share one.
    pub async fn open(path: &Path) -> TestStore {
        Self::with(LibsqlStore::open(path).await.expect("database")).await
    }

    async fn with(mut inner: LibsqlStore) -> TestStore {
        for statement in events::store::SCHEMA_STATEMENTS {
            inner.execute(statement, &[]).await.expect("schema");
        }
        let mut store = TestStore {
            inner,
            statements: 0,
            last_seq_reads: 0,
        };
        crate::ensure_schema(&mut store).await.expect("schema");
        store
    }

    /// Stores events as ingestion does (a duplicate `(source, eventId)` is ignored).
    pub async fn ingest(&mut self, events: &[AnalyticsEvent]) {
        let received = DateTime::<Utc>::UNIX_EPOCH;
        self.execute("BEGIN", &[]).await.expect("begin");
        for event in events {
            let params = events::store::insert_params(event, received);
            self.execute(events::store::INSERT_EVENT, &params)
                .await
                .expect("insert");
        }
        self.execute("COMMIT", &[]).await.expect("commit");
    }
}

/// A store that runs `race` (another connection's work) just before its first statement
/// containing `at`: what a concurrent instance could commit at that moment.
pub(crate) struct Racing {
    pub inner: TestStore,
    at: &'static str,
    race: Option<Pin<Box<dyn Future<Output = ()>>>>,
}

impl Racing {
    pub fn new(
        inner: TestStore,
        at: &'static str,
        race: impl Future<Output = ()> + 'static,
    ) -> Self {
        Racing {
            inner,
            at,
            race: Some(Box::pin(race)),
        }
    }

    async fn before(&mut self, sql: &str) {
        if sql.contains(self.at)
            && let Some(race) = self.race.take()
        {
            race.await;
        }
    }

    /// Whether the race has run.
    pub fn raced(&self) -> bool {
        self.race.is_none()
    }
}

impl SqlStore for Racing {
    async fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<(), StoreError> {
        self.before(sql).await;
        self.inner.execute(sql, params).await
    }

    async fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        self.before(sql).await;
        self.inner.query(sql, params).await
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

/// A fixed `now`.
pub(crate) fn now() -> DateTime<Utc> {
    "2026-05-01T00:00:00Z".parse().expect("now")
}
