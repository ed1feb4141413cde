//! Issue 3, event ingestion: the `track-event` component on the root `spin.toml`, driven over
//! real HTTP through the host, with what it stored read back from the state directory's
//! `sqlite_db.db`.

mod errors;
mod formats;
mod sdk;
mod storage;

use crate::support::*;
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The ingest key the tests run the app with.
pub const KEY: &str = "test-ingest-key";

/// The app of the repository root, with the ingest key set.
pub fn ingest_host() -> HostBuilder {
    require_wasm(&["track_event", "metrics_component"]);
    HostBuilder::new("spin.toml").args(&["--variable", &format!("ingest_api_key={KEY}")])
}

/// POSTs `body` to `path` with the ingest key as a bearer token and more headers.
pub fn post_with(host: &Host, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let bearer = format!("Bearer {KEY}");
    let mut all = vec![("authorization", bearer.as_str())];
    all.extend_from_slice(headers);
    send("POST", &host.url(path), &all, body)
}

/// POSTs a JSON value to `/events` as `application/json`, authenticated.
pub fn post_json(host: &Host, body: &Value) -> Reply {
    post_with(
        host,
        "/events",
        &[("content-type", "application/json")],
        body.to_string().as_bytes(),
    )
}

/// A native event with a fixed timestamp.
pub fn native(id: &str, event_type: &str, properties: Value) -> Value {
    json!({"eventId": id, "userId": "stu-1", "eventType": event_type,
           "timestamp": "2024-05-01T10:00:00Z", "properties": properties})
}

/// A valid `course_enrolled` event.
pub fn enrolled(id: &str) -> Value {
    native(id, "course_enrolled", json!({"courseId": "alg-1"}))
}

/// Gzip-compresses bytes.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Checks a 202 report's counts and returns its rejections.
#[track_caller]
pub fn assert_report(reply: &Reply, accepted: u64, duplicates: u64) -> Vec<Value> {
    assert_eq!(reply.status, 202, "{}", reply.body);
    let report = reply.json();
    assert_eq!(
        (report["accepted"].as_u64(), report["duplicates"].as_u64()),
        (Some(accepted), Some(duplicates)),
        "{}",
        reply.body
    );
    report["rejected"].as_array().cloned().unwrap_or_default()
}

/// Checks an error reply's status and code and returns its message.
#[track_caller]
pub fn assert_error(reply: &Reply, status: u16, code: &str) -> String {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(
        reply.header("content-type"),
        Some("application/json"),
        "{}",
        reply.body
    );
    let body = reply.json();
    assert_eq!(body["error"]["code"], code, "{}", reply.body);
    body["error"]["message"].as_str().unwrap().to_owned()
}

/// The app's SQLite database in a host's state directory, read directly.
pub struct Db {
    path: PathBuf,
}

impl Db {
    /// The `default` database of a host.
    pub fn of(host: &Host) -> Self {
        Self::at(&host.state_dir)
    }

    /// The `default` database in a state directory.
    pub fn at(state_dir: &Path) -> Self {
        Self {
            path: state_dir.join("sqlite_db.db"),
        }
    }

    /// The `default` key-value store of a host (`spin_key_value (store, key, value)`).
    pub fn key_value(host: &Host) -> Self {
        Self {
            path: host.state_dir.join("sqlite_key_value.db"),
        }
    }

    /// Runs a query and returns its rows as JSON values.
    pub fn rows(&self, sql: &str) -> Vec<Vec<Value>> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let db = libsql::Builder::new_local(&self.path)
                .build()
                .await
                .unwrap();
            let conn = db.connect().unwrap();
            let mut rows = conn.query(sql, ()).await.unwrap();
            let columns = rows.column_count();
            let mut out = Vec::new();
            while let Some(row) = rows.next().await.unwrap() {
                let values = (0..columns)
                    .map(|i| match row.get_value(i).unwrap() {
                        libsql::Value::Integer(n) => json!(n),
                        libsql::Value::Real(f) => json!(f),
                        libsql::Value::Text(s) => json!(s),
                        libsql::Value::Blob(b) => json!(b),
                        libsql::Value::Null => Value::Null,
                    })
                    .collect();
                out.push(values);
            }
            out
        })
    }

    /// One number.
    pub fn scalar(&self, sql: &str) -> i64 {
        self.rows(sql)[0][0].as_i64().unwrap()
    }

    /// How many events are stored.
    pub fn count(&self) -> i64 {
        if !self.path.exists() {
            return 0;
        }
        let tables = self.scalar(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'analytics_events'",
        );
        if tables == 0 {
            return 0;
        }
        self.scalar("SELECT count(*) FROM analytics_events")
    }

    /// The stored event ids, in ingestion order.
    pub fn ids(&self) -> Vec<String> {
        self.rows("SELECT event_id FROM analytics_events ORDER BY seq")
            .into_iter()
            .map(|r| r[0].as_str().unwrap().to_owned())
            .collect()
    }

    /// The stored row of an event (no source), as a JSON object keyed by column.
    pub fn event(&self, id: &str) -> Value {
        let sql = format!(
            "SELECT seq, event_id, source, user_id, event_type, timestamp, timestamp_ms, \
             received_at, properties FROM analytics_events WHERE event_id = '{}'",
            id.replace('\'', "''")
        );
        let rows = self.rows(&sql);
        assert_eq!(rows.len(), 1, "event {id}: {rows:?}");
        let names = [
            "seq",
            "event_id",
            "source",
            "user_id",
            "event_type",
            "timestamp",
            "timestamp_ms",
            "received_at",
            "properties",
        ];
        let mut object = serde_json::Map::new();
        for (name, value) in names.iter().zip(rows[0].iter()) {
            object.insert((*name).into(), value.clone());
        }
        object["properties"] =
            serde_json::from_str(object["properties"].as_str().unwrap()).unwrap();
        Value::Object(object)
    }

    /// A user's merged traits, if any.
    pub fn traits(&self, user: &str) -> Option<Value> {
        let rows = self.rows(&format!(
            "SELECT traits FROM user_traits WHERE user_id = '{user}'"
        ));
        rows.first()
            .map(|r| serde_json::from_str(r[0].as_str().unwrap()).unwrap())
    }
}
