//! The dashboard route's response cache, kept in a file laid out as Spin's `default`
//! key-value store (`spin_key_value`), as the host keeps it for the component.

use std::path::Path;

use anyhow::Result;
use metrics::{ResponseCache, SqlStore, SqlValue};
use sql_store::LibsqlStore;

/// A key-value file of rendered responses.
pub struct Responses(LibsqlStore);

impl Responses {
    /// Opens (creating) the file, emptied.
    pub async fn open(path: &Path) -> Result<Responses> {
        let mut store = LibsqlStore::open(path).await?;
        store
            .execute(
                "CREATE TABLE IF NOT EXISTS spin_key_value (
                 store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
                 PRIMARY KEY (store, key))",
                &[],
            )
            .await?;
        store.execute("DELETE FROM spin_key_value", &[]).await?;
        Ok(Responses(store))
    }

    /// How many entries the file holds.
    pub async fn len(&mut self) -> Result<i64> {
        let rows = self
            .0
            .query("SELECT COUNT(*) FROM spin_key_value", &[])
            .await?;
        Ok(rows[0][0].as_i64().unwrap_or_default())
    }
}

impl ResponseCache for Responses {
    async fn get(&mut self, key: &str) -> Option<Vec<u8>> {
        let sql = "SELECT value FROM spin_key_value WHERE store = 'default' AND key = ?1";
        let rows = self
            .0
            .query(sql, &[SqlValue::Text(key.into())])
            .await
            .ok()?;
        match rows.into_iter().next()?.into_iter().next()? {
            SqlValue::Blob(value) => Some(value),
            _ => None,
        }
    }

    async fn put(&mut self, key: &str, value: &[u8]) {
        let sql =
            "INSERT OR REPLACE INTO spin_key_value (store, key, value) VALUES ('default', ?1, ?2)";
        let params = [SqlValue::Text(key.into()), SqlValue::Blob(value.to_vec())];
        self.0.execute(sql, &params).await.expect("keep a response");
    }

    async fn remove(&mut self, key: &str) {
        let sql = "DELETE FROM spin_key_value WHERE store = 'default' AND key = ?1";
        let params = [SqlValue::Text(key.into())];
        self.0
            .execute(sql, &params)
            .await
            .expect("remove a response");
    }

    async fn keys(&mut self, prefix: &str) -> Vec<String> {
        let sql = "SELECT key FROM spin_key_value WHERE store = 'default' AND substr(key, 1, length(?1)) = ?1";
        let rows = self.0.query(sql, &[SqlValue::Text(prefix.into())]).await;
        let rows = rows.expect("list responses");
        let key = |row: Vec<SqlValue>| match row.into_iter().next() {
            Some(SqlValue::Text(key)) => Some(key),
            _ => None,
        };
        rows.into_iter().filter_map(key).collect()
    }
}
