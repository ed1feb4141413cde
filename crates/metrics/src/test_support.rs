//! A [`MetricsStore`] over an in-memory libSQL database, and helpers to ingest events into
//! it the way `track-event` does.

use chrono::{DateTime, Utc};
use events::AnalyticsEvent;
use serde_json::Value;

use crate::read::DashboardMetric;
use crate::store::{MetricsStore, Row, SqlValue, StoreError};

/// An in-memory SQLite database with the events schema.
pub(crate) struct TestStore {
    pub conn: libsql::Connection,
}

fn to_libsql(params: &[SqlValue]) -> Vec<libsql::Value> {
    params
        .iter()
        .map(|p| match p {
            SqlValue::Integer(i) => libsql::Value::Integer(*i),
            SqlValue::Real(f) => libsql::Value::Real(*f),
            SqlValue::Text(s) => libsql::Value::Text(s.clone()),
            SqlValue::Null => libsql::Value::Null,
        })
        .collect()
}

fn error(e: libsql::Error) -> StoreError {
    StoreError::new(e.to_string())
}

impl MetricsStore for TestStore {
    async fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<(), StoreError> {
        self.conn
            .execute(sql, to_libsql(params))
            .await
            .map(|_| ())
            .map_err(|e| StoreError::new(format!("{e}: {sql}")))
    }

    async fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        let mut rows = self
            .conn
            .query(sql, to_libsql(params))
            .await
            .map_err(error)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().await.map_err(error)? {
            let mut values = Vec::new();
            for i in 0..row.column_count() {
                values.push(match row.get_value(i).map_err(error)? {
                    libsql::Value::Integer(n) => SqlValue::Integer(n),
                    libsql::Value::Real(f) => SqlValue::Real(f),
                    libsql::Value::Text(s) => SqlValue::Text(s),
                    libsql::Value::Null | libsql::Value::Blob(_) => SqlValue::Null,
                });
            }
            out.push(values);
        }
        Ok(out)
    }
}

impl TestStore {
    /// A fresh database with the events table.
    pub async fn new() -> TestStore {
        let db = libsql::Builder::new_local(":memory:")
            .build()
            .await
            .expect("database");
        let conn = db.connect().expect("connection");
        for statement in events::store::SCHEMA_STATEMENTS {
            conn.execute(statement, ()).await.expect("schema");
        }
        TestStore { conn }
    }

    /// Stores events as ingestion does (a duplicate `(source, eventId)` is ignored).
    pub async fn ingest(&mut self, events: &[AnalyticsEvent]) {
        let received = DateTime::<Utc>::UNIX_EPOCH;
        for event in events {
            let params = events::store::insert_params(event, received);
            let params: Vec<SqlValue> = params
                .into_iter()
                .map(|p| match p {
                    events::store::SqlValue::Integer(i) => SqlValue::Integer(i),
                    events::store::SqlValue::Text(s) => SqlValue::Text(s),
                    events::store::SqlValue::Null => SqlValue::Null,
                })
                .collect();
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
