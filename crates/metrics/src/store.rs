//! The I/O boundary: the SQL connection the engine runs its statements on.

/// A value bound to, or read from, a SQL statement.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// An `INTEGER`.
    Integer(i64),
    /// A `REAL`.
    Real(f64),
    /// A `TEXT`.
    Text(String),
    /// `NULL`.
    Null,
}

impl SqlValue {
    /// The value as an integer (`None` for text, null, or a real).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            SqlValue::Integer(i) => Some(*i),
            _ => None,
        }
    }

    /// The value as text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            SqlValue::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// One result row, columns in `SELECT` order.
pub type Row = Vec<SqlValue>;

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
}

/// A SQLite connection (Spin's `sqlite` interface in the component, libSQL in tests).
///
/// The engine runs every statement of a refresh on the same connection, inside the
/// transaction it opens with `BEGIN IMMEDIATE`. Implementations should wait and retry a
/// statement while another connection holds the write lock (`SQLITE_BUSY`), as the
/// `track-event` component does, and return any other failure as a [`StoreError`].
/// Parameters are numbered (`?1`, `?2`, ...) in slice order.
// The component runs on a single-threaded Wasm guest, so the futures need no `Send` bound.
#[allow(async_fn_in_trait)]
pub trait MetricsStore {
    /// Runs a statement that returns no rows.
    async fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<(), StoreError>;

    /// Runs a query and returns all its rows.
    async fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn accessors() {
        assert_eq!(SqlValue::Integer(3).as_i64(), Some(3));
        assert_eq!(SqlValue::Real(3.0).as_i64(), None);
        assert_eq!(SqlValue::Text("a".into()).as_str(), Some("a"));
        assert_eq!(SqlValue::Null.as_str(), None);
        assert_eq!(StoreError::new("locked").to_string(), "locked");
    }
}
