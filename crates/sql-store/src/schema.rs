//! Applying a crate's schema once per version of it, not once per component instance.
//!
//! Spin starts a new instance every 128 requests (and after a second idle), and each one ran
//! every idempotent `CREATE ... IF NOT EXISTS` of its crates again: dozens of statements,
//! milliseconds of its first request. [`ensure_schema`] records a fingerprint of the statements
//! it applied in `schema_applied`, one row per owner; a store that holds the same fingerprint
//! costs one indexed read. Any change to the statements changes the fingerprint, so a new
//! release applies its schema once, whichever instance comes first.

use crate::{SqlStore, SqlValue, StoreError};

/// The ledger of applied schemas.
const LEDGER: &str = "CREATE TABLE IF NOT EXISTS schema_applied (
    owner TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL
)";

/// A fingerprint of `statements`, in order (FNV-1a, 64 bits: it tells versions apart, it
/// guards against no one).
///
/// ```
/// let a = sql_store::schema_fingerprint(["CREATE TABLE a (x)", "CREATE TABLE b (y)"]);
/// assert_eq!(a, sql_store::schema_fingerprint(["CREATE TABLE a (x)", "CREATE TABLE b (y)"]));
/// assert_ne!(a, sql_store::schema_fingerprint(["CREATE TABLE a (x)CREATE TABLE b (y)"]));
/// ```
pub fn schema_fingerprint<'a>(statements: impl IntoIterator<Item = &'a str>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for statement in statements {
        // A separator no statement ends with, so ["ab", "c"] and ["a", "bc"] differ.
        for byte in statement.bytes().chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// Whether the store records `fingerprint` as applied for `owner`. A store without the ledger
/// (or that cannot read it) is not current: applying the schema is always safe.
async fn schema_is_current<S: SqlStore>(store: &mut S, owner: &str, fingerprint: &str) -> bool {
    let rows = store
        .query(
            "SELECT fingerprint FROM schema_applied WHERE owner = ?1",
            &[SqlValue::from(owner)],
        )
        .await;
    matches!(rows.as_deref(), Ok([row]) if row.first().and_then(SqlValue::as_str) == Some(fingerprint))
}

/// Records `fingerprint` as applied for `owner`.
async fn record_schema<S: SqlStore>(
    store: &mut S,
    owner: &str,
    fingerprint: &str,
) -> Result<(), StoreError> {
    store.execute(LEDGER, &[]).await?;
    store
        .execute(
            "INSERT INTO schema_applied (owner, fingerprint) VALUES (?1, ?2)
             ON CONFLICT (owner) DO UPDATE SET fingerprint = excluded.fingerprint",
            &[SqlValue::from(owner), SqlValue::from(fingerprint)],
        )
        .await
}

/// Runs `statements` (each idempotent) and records them for `owner`, unless the store already
/// records this exact list. Returns whether they ran. Two instances at once may both run
/// them, which idempotent statements allow.
pub async fn ensure_schema<'a, S: SqlStore>(
    store: &mut S,
    owner: &str,
    statements: impl IntoIterator<Item = &'a str> + Clone,
) -> Result<bool, StoreError> {
    let fingerprint = schema_fingerprint(statements.clone());
    if schema_is_current(store, owner, &fingerprint).await {
        return Ok(false);
    }
    for statement in statements {
        store.execute(statement, &[]).await?;
    }
    record_schema(store, owner, &fingerprint).await?;
    Ok(true)
}

#[cfg(all(test, feature = "libsql"))]
mod tests {
    use super::*;
    use crate::LibsqlStore;

    const V1: [&str; 2] = [
        "CREATE TABLE IF NOT EXISTS a (x INTEGER)",
        "INSERT INTO a VALUES (1)",
    ];

    async fn count(store: &mut LibsqlStore) -> i64 {
        let rows = store.query("SELECT count(*) FROM a", &[]).await.unwrap();
        rows[0][0].as_i64().unwrap()
    }

    #[tokio::test]
    async fn a_schema_runs_once_per_version_and_owner() {
        let mut store = LibsqlStore::memory().await.unwrap();
        assert!(ensure_schema(&mut store, "one", V1).await.unwrap());
        assert!(!ensure_schema(&mut store, "one", V1).await.unwrap());
        // The insert ran once: the second call read the ledger and stopped.
        assert_eq!(count(&mut store).await, 1);
        // Another owner has its own row; a changed list runs again.
        assert!(ensure_schema(&mut store, "two", V1).await.unwrap());
        let v2 = [V1[0], V1[1], "CREATE INDEX IF NOT EXISTS a_x ON a (x)"];
        assert!(ensure_schema(&mut store, "one", v2).await.unwrap());
        assert!(!ensure_schema(&mut store, "one", v2).await.unwrap());
        assert_eq!(count(&mut store).await, 3);
    }

    #[tokio::test]
    async fn a_failing_statement_records_nothing() {
        let mut store = LibsqlStore::memory().await.unwrap();
        let broken = ["CREATE TABLE IF NOT EXISTS a (x INTEGER)", "NOT SQL"];
        assert!(ensure_schema(&mut store, "one", broken).await.is_err());
        let fingerprint = schema_fingerprint(broken);
        assert!(!schema_is_current(&mut store, "one", &fingerprint).await);
    }
}
