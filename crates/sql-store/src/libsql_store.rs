//! [`SqlStore`] over a `libsql::Connection`.

use crate::{Row, SqlStore, SqlValue, StoreError};

/// A store over a libSQL connection: an embedded file, memory, or a remote database.
pub struct LibsqlStore {
    /// The connection, for statements the trait does not cover.
    pub conn: libsql::Connection,
    // Keeps an in-memory database alive as long as the store.
    _db: Option<libsql::Database>,
}

impl LibsqlStore {
    /// A store over an open connection.
    pub fn new(conn: libsql::Connection) -> Self {
        LibsqlStore { conn, _db: None }
    }

    /// A store over a fresh in-memory database.
    pub async fn memory() -> Result<Self, StoreError> {
        let db = libsql::Builder::new_local(":memory:")
            .build()
            .await
            .map_err(error)?;
        let conn = db.connect().map_err(error)?;
        Ok(LibsqlStore {
            conn,
            _db: Some(db),
        })
    }

    /// A store over an embedded database file (created if absent).
    pub async fn open(path: impl AsRef<std::path::Path>) -> Result<Self, StoreError> {
        let db = libsql::Builder::new_local(path.as_ref())
            .build()
            .await
            .map_err(error)?;
        let conn = db.connect().map_err(error)?;
        Ok(LibsqlStore {
            conn,
            _db: Some(db),
        })
    }
}

fn error(e: libsql::Error) -> StoreError {
    StoreError::new(e.to_string())
}

fn to_libsql(params: &[SqlValue]) -> Vec<libsql::Value> {
    params
        .iter()
        .map(|p| match p {
            SqlValue::Integer(i) => libsql::Value::Integer(*i),
            SqlValue::Real(f) => libsql::Value::Real(*f),
            SqlValue::Text(s) => libsql::Value::Text(s.clone()),
            SqlValue::Blob(b) => libsql::Value::Blob(b.clone()),
            SqlValue::Null => libsql::Value::Null,
        })
        .collect()
}

fn from_libsql(value: libsql::Value) -> SqlValue {
    match value {
        libsql::Value::Integer(n) => SqlValue::Integer(n),
        libsql::Value::Real(f) => SqlValue::Real(f),
        libsql::Value::Text(s) => SqlValue::Text(s),
        libsql::Value::Blob(b) => SqlValue::Blob(b),
        libsql::Value::Null => SqlValue::Null,
    }
}

impl SqlStore for LibsqlStore {
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
            .map_err(|e| StoreError::new(format!("{e}: {sql}")))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().await.map_err(error)? {
            let values = (0..row.column_count())
                .map(|i| row.get_value(i).map(from_libsql))
                .collect::<Result<Row, _>>()
                .map_err(error)?;
            out.push(values);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn round_trips_every_type() {
        let mut store = LibsqlStore::memory().await.expect("store");
        store
            .execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n)", &[])
            .await
            .expect("create");
        let row = vec![
            SqlValue::Integer(7),
            SqlValue::Real(1.5),
            SqlValue::Text("x".into()),
            SqlValue::Blob(vec![0, 255]),
            SqlValue::Null,
        ];
        store
            .execute("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)", &row)
            .await
            .expect("insert");
        let rows = store.query("SELECT * FROM t", &[]).await.expect("select");
        assert_eq!(rows, vec![row]);
        // Through the `&mut S` implementation, as generic code borrows a store.
        async fn failures(mut store: impl SqlStore) -> (StoreError, StoreError) {
            let query = store.query("SELECT * FROM missing", &[]).await;
            let execute = store.execute("INSERT INTO missing VALUES (1)", &[]).await;
            (query.unwrap_err(), execute.unwrap_err())
        }
        let (query, execute) = failures(&mut store).await;
        assert!(query.message.contains("missing"), "{query}");
        assert!(execute.message.contains("missing"), "{execute}");
    }

    #[tokio::test]
    async fn opens_a_file_and_an_existing_connection() {
        let dir = std::env::temp_dir().join(format!("sql-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("db.sqlite");
        let mut store = LibsqlStore::open(&path).await.expect("open");
        store
            .execute("CREATE TABLE IF NOT EXISTS t (i)", &[])
            .await
            .expect("create");
        let mut again = LibsqlStore::new(store.conn.clone());
        assert_eq!(
            again
                .query("SELECT count(*) FROM t", &[])
                .await
                .expect("count"),
            vec![vec![SqlValue::Integer(0)]]
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
