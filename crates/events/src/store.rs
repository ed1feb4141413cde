//! The SQL the event store runs, and the parameters for it, independent of any SQLite
//! client: map [`SqlValue`] to spin-sdk's or libsql's values.
//!
//! Usage per request: run [`SCHEMA_STATEMENTS`] once (idempotent), then for each
//! [`crate::IndexedEvent`] execute [`INSERT_EVENT`] with [`insert_params`]; a change
//! count of 0 means the store already had the event (a cross-request duplicate, to pass
//! to [`crate::ParsedBatch::report`]). For each [`Identify`] whose `user_identified`
//! event was newly inserted, execute [`UPSERT_TRAITS`] with [`trait_params`].
//!
//! Fewer round trips: insert up to [`INSERT_CHUNK_ROWS`] events per statement with
//! [`insert_events_sql`] and [`insert_chunk_params`]; its `RETURNING` rows name the events
//! it inserted. A batch is stored in one transaction ([`BEGIN`] ... [`COMMIT`]) on a
//! connection set up with [`CONNECTION_PRAGMAS`].

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::batch::IndexedEvent;
use crate::event::{AnalyticsEvent, Identify};
use crate::validate::format_timestamp;

// Each statement is written once, as a macro expanding to a literal, so that `SCHEMA`
// can be assembled with `concat!`.
macro_rules! events_table {
    () => {
        "CREATE TABLE IF NOT EXISTS analytics_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, -- ingestion sequence number
    event_id TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '', -- CloudEvents source, '' for other formats
    user_id TEXT NOT NULL,
    event_type TEXT NOT NULL, -- canonical snake_case
    timestamp TEXT NOT NULL, -- RFC 3339 UTC, fixed width with millis: text order = time order
    timestamp_ms INTEGER NOT NULL, -- milliseconds since the Unix epoch
    received_at TEXT NOT NULL, -- RFC 3339 UTC with millis
    properties TEXT NOT NULL, -- JSON object
    UNIQUE (source, event_id)
)"
    };
}
macro_rules! type_time_index {
    () => {
        "CREATE INDEX IF NOT EXISTS analytics_events_type_time ON analytics_events (event_type, timestamp_ms)"
    };
}
macro_rules! user_time_index {
    () => {
        "CREATE INDEX IF NOT EXISTS analytics_events_user_time ON analytics_events (user_id, timestamp_ms)"
    };
}
macro_rules! traits_table {
    () => {
        "CREATE TABLE IF NOT EXISTS user_traits (
    user_id TEXT PRIMARY KEY,
    traits TEXT NOT NULL, -- JSON object
    updated_at TEXT NOT NULL -- timestamp of the latest identify applied (RFC 3339 UTC, millis)
)"
    };
}

/// `analytics_events`: one row per stored event, unique on `(source, event_id)`.
pub const CREATE_EVENTS_TABLE: &str = events_table!();
/// Index for per-type time-range queries.
pub const CREATE_TYPE_TIME_INDEX: &str = type_time_index!();
/// Index for per-user time-range queries.
pub const CREATE_USER_TIME_INDEX: &str = user_time_index!();
/// `user_traits`: the merged traits of each user (from Segment `identify`).
pub const CREATE_TRAITS_TABLE: &str = traits_table!();

/// The schema, one statement per entry (for clients that execute one at a time).
pub const SCHEMA_STATEMENTS: [&str; 4] = [
    CREATE_EVENTS_TABLE,
    CREATE_TYPE_TIME_INDEX,
    CREATE_USER_TIME_INDEX,
    CREATE_TRAITS_TABLE,
];

/// The whole schema as one script (for clients with a batch/`execute_batch` call).
/// Idempotent (`IF NOT EXISTS`).
pub const SCHEMA: &str = concat!(
    events_table!(),
    ";\n",
    type_time_index!(),
    ";\n",
    user_time_index!(),
    ";\n",
    traits_table!(),
    ";\n"
);

/// Inserts one event; parameters from [`insert_params`]. Does nothing (0 rows changed)
/// when `(source, event_id)` is already stored.
pub const INSERT_EVENT: &str = "INSERT INTO analytics_events \
(event_id, source, user_id, event_type, timestamp, timestamp_ms, received_at, properties) \
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
ON CONFLICT(source, event_id) DO NOTHING";

/// Merges an identify's traits into the user's (JSON merge patch: a `null` trait
/// removes it), unless the stored traits come from a later identify; parameters from
/// [`trait_params`].
pub const UPSERT_TRAITS: &str = "INSERT INTO user_traits (user_id, traits, updated_at) \
VALUES (?1, ?2, ?3) \
ON CONFLICT(user_id) DO UPDATE SET \
traits = json_patch(user_traits.traits, excluded.traits), \
updated_at = excluded.updated_at \
WHERE excluded.updated_at >= user_traits.updated_at";

/// Events per multi-row insert statement built by [`insert_events_sql`]: 100 rows of 8
/// parameters stay under 999, the smallest bound-parameter limit any SQLite build has.
pub const INSERT_CHUNK_ROWS: usize = 100;
const _: () = assert!(INSERT_CHUNK_ROWS * 8 <= 999);

/// PRAGMAs to run on every new connection before writing. `busy_timeout = 0`: a writer
/// that finds the database locked gets `SQLITE_BUSY` at once instead of SQLite sleeping in
/// its busy handler, which would block a host thread; the caller waits and retries
/// asynchronously instead (see [`is_locked`]). `synchronous = FULL` syncs the log on every
/// commit, so an acknowledged commit survives a power loss, not just a crash of the
/// process (`NORMAL` in WAL mode would not).
pub const CONNECTION_PRAGMAS: [&str; 2] = ["PRAGMA busy_timeout = 0", "PRAGMA synchronous = FULL"];

pub use sql_store::is_locked;

/// Put the database file in write-ahead-log mode (persistent, so once per database is
/// enough): one sync per commit instead of three, and readers (the metrics jobs) never
/// block the writer. Returns one row naming the journal mode now in force.
pub const JOURNAL_MODE_WAL: &str = "PRAGMA journal_mode = WAL";

/// Opens the transaction a batch is stored in, taking the write lock at once so the
/// transaction cannot fail half-way on a lock upgrade.
pub const BEGIN: &str = "BEGIN IMMEDIATE";
/// Commits the batch's transaction.
pub const COMMIT: &str = "COMMIT";
/// Abandons the batch's transaction.
pub const ROLLBACK: &str = "ROLLBACK";

/// [`INSERT_EVENT`] for `rows` events in one statement (parameters from
/// [`insert_chunk_params`]), returning `source, event_id` of each row it inserted, so a
/// row absent from the result was already stored (a cross-request duplicate). Use at
/// most [`INSERT_CHUNK_ROWS`] rows per statement.
///
/// ```
/// let sql = events::store::insert_events_sql(2);
/// assert!(sql.contains("VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8), (?9, "));
/// assert!(sql.ends_with("RETURNING source, event_id"));
/// ```
pub fn insert_events_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO analytics_events \
(event_id, source, user_id, event_type, timestamp, timestamp_ms, received_at, properties) VALUES ",
    );
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        let first = row * 8 + 1;
        let placeholders: Vec<String> = (first..first + 8).map(|n| format!("?{n}")).collect();
        sql.push('(');
        sql.push_str(&placeholders.join(", "));
        sql.push(')');
    }
    sql.push_str(" ON CONFLICT(source, event_id) DO NOTHING RETURNING source, event_id");
    sql
}

/// The parameters of [`insert_events_sql`]`(events.len())`: [`insert_params`] of each
/// event, in order.
pub fn insert_chunk_params(events: &[IndexedEvent], received_at: DateTime<Utc>) -> Vec<SqlValue> {
    events
        .iter()
        .flat_map(|e| insert_params(&e.event, received_at))
        .collect()
}

pub use sql_store::SqlValue;

/// The 8 parameters of [`INSERT_EVENT`]: event id, source (`''` when absent), user id,
/// event type, timestamp text, timestamp in ms, `received_at` text, properties JSON.
pub fn insert_params(event: &AnalyticsEvent, received_at: DateTime<Utc>) -> Vec<SqlValue> {
    vec![
        SqlValue::Text(event.event_id.clone()),
        SqlValue::Text(event.source.clone().unwrap_or_default()),
        SqlValue::Text(event.user_id.clone()),
        SqlValue::Text(event.event_type.clone()),
        SqlValue::Text(format_timestamp(&event.timestamp)),
        SqlValue::Integer(event.timestamp_ms()),
        SqlValue::Text(format_timestamp(&received_at)),
        SqlValue::Text(Value::Object(event.properties.clone()).to_string()),
    ]
}

/// The 3 parameters of [`UPSERT_TRAITS`]: user id, traits JSON, identify timestamp.
pub fn trait_params(identify: &Identify) -> Vec<SqlValue> {
    vec![
        SqlValue::Text(identify.user_id.clone()),
        SqlValue::Text(Value::Object(identify.traits.clone()).to_string()),
        SqlValue::Text(format_timestamp(&identify.timestamp)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::received_at;
    use serde_json::json;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn schema_script_matches_statements() {
        let script: Vec<String> = SCHEMA
            .split(";\n")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let statements: Vec<String> = SCHEMA_STATEMENTS
            .iter()
            .map(|s| s.trim().to_owned())
            .collect();
        assert_eq!(script, statements);
        assert!(CREATE_EVENTS_TABLE.contains("UNIQUE (source, event_id)"));
        assert!(INSERT_EVENT.contains("ON CONFLICT(source, event_id) DO NOTHING"));
        assert_eq!(INSERT_EVENT.matches('?').count(), 8);
        assert_eq!(UPSERT_TRAITS.matches('?').count(), 3);
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn params() {
        let event = AnalyticsEvent {
            event_id: "e1".into(),
            user_id: "u1".into(),
            event_type: "course_enrolled".into(),
            timestamp: received_at(),
            properties: json!({"courseId": "c1"}).as_object().cloned().unwrap(),
            source: None,
        };
        let later = received_at() + chrono::Duration::milliseconds(1500);
        assert_eq!(
            insert_params(&event, later),
            vec![
                SqlValue::Text("e1".into()),
                SqlValue::Text(String::new()),
                SqlValue::Text("u1".into()),
                SqlValue::Text("course_enrolled".into()),
                SqlValue::Text("2024-05-01T12:00:00.000Z".into()),
                SqlValue::Integer(1_714_564_800_000),
                SqlValue::Text("2024-05-01T12:00:01.500Z".into()),
                SqlValue::Text(r#"{"courseId":"c1"}"#.into()),
            ]
        );
        let with_source = AnalyticsEvent {
            source: Some("/s".into()),
            ..event
        };
        assert_eq!(
            insert_params(&with_source, later)[1],
            SqlValue::Text("/s".into())
        );
        let identify = Identify {
            index: 0,
            message_id: "m".into(),
            user_id: "u1".into(),
            traits: json!({"plan": "pro"}).as_object().cloned().unwrap(),
            timestamp: received_at(),
        };
        assert_eq!(
            trait_params(&identify),
            vec![
                SqlValue::Text("u1".into()),
                SqlValue::Text(r#"{"plan":"pro"}"#.into()),
                SqlValue::Text("2024-05-01T12:00:00.000Z".into()),
            ]
        );
        assert_ne!(SqlValue::Null, SqlValue::Integer(0));
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn locked_messages() {
        for locked in [
            "SQLite failure: `database is locked`",
            "database table is locked: analytics_events",
            "SQLITE_BUSY",
            "error code SQLITE_LOCKED",
        ] {
            assert!(is_locked(locked), "{locked}");
        }
        for other in ["disk I/O error", "no such table: x", ""] {
            assert!(!is_locked(other), "{other}");
        }
        assert!(CONNECTION_PRAGMAS.contains(&"PRAGMA synchronous = FULL"));
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn chunk_insert() {
        let one = insert_events_sql(1);
        assert_eq!(
            one,
            INSERT_EVENT.replace(
                "ON CONFLICT(source, event_id) DO NOTHING",
                "ON CONFLICT(source, event_id) DO NOTHING RETURNING source, event_id"
            )
        );
        let full = insert_events_sql(INSERT_CHUNK_ROWS);
        assert_eq!(full.matches('?').count(), INSERT_CHUNK_ROWS * 8);
        assert!(full.contains("?800)"));
        let events: Vec<IndexedEvent> = ["a", "b"]
            .iter()
            .enumerate()
            .map(|(index, id)| IndexedEvent {
                index,
                event: AnalyticsEvent {
                    event_id: (*id).into(),
                    user_id: "u".into(),
                    event_type: "t".into(),
                    timestamp: received_at(),
                    properties: serde_json::Map::new(),
                    source: None,
                },
            })
            .collect();
        let params = insert_chunk_params(&events, received_at());
        assert_eq!(params.len(), 16);
        assert_eq!(params[0], SqlValue::Text("a".into()));
        assert_eq!(params[8], SqlValue::Text("b".into()));
        assert_eq!(
            params[..8],
            insert_params(&events[0].event, received_at())[..]
        );
    }
}
