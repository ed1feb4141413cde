//! The SQL boundary of the platform's library crates.
//!
//! Library crates (`metrics`, `recommend`) plan and run SQL but open no database: they take a
//! [`SqlStore`], a connection with `execute` and `query`. This crate is for that trait and its
//! values, and for its implementations, each behind a feature so a library pulls in none of
//! them: `libsql` (a `libsql::Connection`, for native tests, benchmarks and tools) and `spin`
//! (Spin's `spin:sqlite` interface, for components: an async store for HTTP handlers and a
//! synchronous one for exports that may not block, such as the cron trigger's).
//! It is *not* for any schema or query: those belong to the crates that own the tables. It
//! only keeps the ledger that lets each crate apply its schema once per version
//! ([`ensure_schema`]).
//!
//! ```
//! use sql_store::{SqlStore, SqlValue};
//! async fn count_users(store: &mut impl SqlStore) -> Result<i64, sql_store::StoreError> {
//!     let rows = store.query("SELECT count(*) FROM users WHERE role = ?1", &["tutor".into()]).await?;
//!     Ok(rows.first().and_then(|r| r[0].as_i64()).unwrap_or(0))
//! }
//! ```

#[cfg(feature = "libsql")]
mod libsql_store;
mod ready;
mod schema;
#[cfg(feature = "spin")]
pub mod spin;
mod value;

#[cfg(feature = "libsql")]
pub use libsql_store::LibsqlStore;
pub use ready::{NotReady, run_ready};
pub use schema::{ensure_schema, schema_fingerprint};
pub use value::{Row, SqlValue};

/// A failure reported by the store, with its message for the logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct StoreError {
    /// What the database said.
    pub message: String,
}

impl StoreError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        StoreError {
            message: message.into(),
        }
    }

    /// Whether another connection held the lock (`SQLITE_BUSY` / `SQLITE_LOCKED`), so the
    /// statement may succeed if retried.
    pub fn is_locked(&self) -> bool {
        is_locked(&self.message)
    }
}

/// Whether an SQLite error message says another connection holds the lock.
///
/// ```
/// assert!(sql_store::is_locked("SQLITE_BUSY: database is locked"));
/// assert!(!sql_store::is_locked("no such table: users"));
/// ```
pub fn is_locked(message: &str) -> bool {
    [
        "database is locked",
        "database table is locked",
        "SQLITE_BUSY",
        "SQLITE_LOCKED",
    ]
    .iter()
    .any(|m| message.contains(m))
}

/// A SQLite connection (Spin's `sqlite` interface in a component, libSQL natively).
///
/// Callers run every statement of a transaction on the same store. Implementations wait and
/// retry a statement while another connection holds the write lock, and return any other
/// failure as a [`StoreError`]. Parameters are numbered (`?1`, `?2`, ...) in slice order.
// Components run on a single-threaded Wasm guest, so the futures need no `Send` bound.
#[allow(async_fn_in_trait)]
pub trait SqlStore {
    /// Runs a statement that returns no rows.
    async fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<(), StoreError>;

    /// Runs a query and returns all its rows.
    async fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError>;
}

impl<S: SqlStore> SqlStore for &mut S {
    async fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<(), StoreError> {
        (**self).execute(sql, params).await
    }

    async fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        (**self).query(sql, params).await
    }
}

/// Runs `body` in a `BEGIN IMMEDIATE` transaction: committed if it succeeds, rolled back if it
/// fails. `step_error` makes the caller's error of a failed `"begin"` or `"commit"`.
pub async fn transaction<S: SqlStore, T, E>(
    store: &mut S,
    step_error: impl Fn(&'static str, StoreError) -> E,
    body: impl AsyncFnOnce(&mut S) -> Result<T, E>,
) -> Result<T, E> {
    store
        .execute("BEGIN IMMEDIATE", &[])
        .await
        .map_err(|e| step_error("begin", e))?;
    match body(store).await {
        Ok(value) => {
            store
                .execute("COMMIT", &[])
                .await
                .map_err(|e| step_error("commit", e))?;
            Ok(value)
        }
        Err(e) => {
            // If even the rollback fails, dropping the connection rolls back.
            let _ = store.execute("ROLLBACK", &[]).await;
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn errors() {
        assert_eq!(StoreError::new("locked").to_string(), "locked");
        assert!(StoreError::new("database table is locked: t").is_locked());
        assert!(StoreError::new("SQLITE_LOCKED").is_locked());
        assert!(!StoreError::new("syntax error").is_locked());
    }
}
