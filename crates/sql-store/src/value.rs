//! The values bound to and read from statements.

/// A value bound to, or read from, a SQL statement.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// An `INTEGER`.
    Integer(i64),
    /// A `REAL`.
    Real(f64),
    /// A `TEXT`.
    Text(String),
    /// A `BLOB`.
    Blob(Vec<u8>),
    /// `NULL`.
    Null,
}

/// One result row, columns in `SELECT` order.
pub type Row = Vec<SqlValue>;

impl SqlValue {
    /// The value as an integer (`None` for any other type).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            SqlValue::Integer(i) => Some(*i),
            _ => None,
        }
    }

    /// The value as a real; an integer converts (SQLite returns `1` for `1.0` in places).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            SqlValue::Real(f) => Some(*f),
            SqlValue::Integer(i) => Some(*i as f64),
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

    /// The value as bytes.
    pub fn as_blob(&self) -> Option<&[u8]> {
        match self {
            SqlValue::Blob(b) => Some(b),
            _ => None,
        }
    }

    /// Whether the value is `NULL`.
    pub fn is_null(&self) -> bool {
        matches!(self, SqlValue::Null)
    }
}

impl From<i64> for SqlValue {
    fn from(value: i64) -> Self {
        SqlValue::Integer(value)
    }
}

impl From<f64> for SqlValue {
    fn from(value: f64) -> Self {
        SqlValue::Real(value)
    }
}

impl From<&str> for SqlValue {
    fn from(value: &str) -> Self {
        SqlValue::Text(value.to_owned())
    }
}

impl From<String> for SqlValue {
    fn from(value: String) -> Self {
        SqlValue::Text(value)
    }
}

impl From<Vec<u8>> for SqlValue {
    fn from(value: Vec<u8>) -> Self {
        SqlValue::Blob(value)
    }
}

impl<T: Into<SqlValue>> From<Option<T>> for SqlValue {
    fn from(value: Option<T>) -> Self {
        value.map_or(SqlValue::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn accessors_and_conversions() {
        assert_eq!(SqlValue::from(3i64).as_i64(), Some(3));
        assert_eq!(SqlValue::Real(3.0).as_i64(), None);
        assert_eq!(SqlValue::from(2.5).as_f64(), Some(2.5));
        assert_eq!(SqlValue::Integer(2).as_f64(), Some(2.0));
        assert_eq!(SqlValue::Null.as_f64(), None);
        assert_eq!(SqlValue::from("a").as_str(), Some("a"));
        assert_eq!(SqlValue::from(String::from("b")).as_str(), Some("b"));
        assert_eq!(SqlValue::Null.as_str(), None);
        assert_eq!(SqlValue::from(vec![1u8, 2]).as_blob(), Some(&[1u8, 2][..]));
        assert_eq!(SqlValue::Text("x".into()).as_blob(), None);
        assert!(SqlValue::from(None::<i64>).is_null());
        assert_eq!(SqlValue::from(Some(4i64)), SqlValue::Integer(4));
        assert!(!SqlValue::Integer(0).is_null());
    }
}
