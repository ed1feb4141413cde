//! Storing a parsed batch in the `default` SQLite database, in one transaction.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use events::ParsedBatch;
use events::store;
use sql_store::spin::SpinStore;
use sql_store::{SqlStore, StoreError};

use crate::failure::Failure;

/// Set once this instance has checked that the database is in WAL mode and has the schema: a
/// new instance reads the schema ledger, and runs the statements only on a store without them.
static SCHEMA_READY: AtomicBool = AtomicBool::new(false);

/// Stores the batch's events (and the traits of its newly stored `identify` calls) in one
/// transaction, and returns how many events the store already had. On any failure the
/// transaction is rolled back and nothing of the batch is stored.
pub async fn save(batch: &ParsedBatch, received_at: DateTime<Utc>) -> Result<usize, Failure> {
    let mut db = SpinStore::open("default", &store::CONNECTION_PRAGMAS)
        .await
        .map_err(failure("open"))?;
    if !SCHEMA_READY.load(Ordering::Acquire) {
        ensure_schema(&mut db).await?;
        SCHEMA_READY.store(true, Ordering::Release);
    }
    db.execute(store::BEGIN, &[])
        .await
        .map_err(failure("begin"))?;
    let stored = async {
        let inserted = insert(&mut db, batch, received_at).await?;
        db.execute(store::COMMIT, &[])
            .await
            .map_err(failure("commit"))?;
        Ok(inserted)
    }
    .await;
    match stored {
        Ok(inserted) => {
            db.release();
            Ok(batch.events.len() - inserted)
        }
        Err(e) => {
            // Nothing may be left half-written. If even the rollback fails, the connection
            // is dropped, which rolls the transaction back.
            if db.execute(store::ROLLBACK, &[]).await.is_ok() {
                db.release();
            }
            Err(e)
        }
    }
}

async fn ensure_schema(db: &mut SpinStore) -> Result<(), Failure> {
    let statements = store::SCHEMA_STATEMENTS.iter().copied();
    let created = sql_store::ensure_schema(db, "track-event", statements)
        .await
        .map_err(failure("schema"))?;
    // Set once, with the schema: the journal mode is kept in the database file. A remote
    // libSQL database manages its own journal, so a refused PRAGMA is not an error.
    if created && let Err(e) = db.query(store::JOURNAL_MODE_WAL, &[]).await {
        eprintln!("track-event: {}: {e}", store::JOURNAL_MODE_WAL);
    }
    Ok(())
}

/// Inserts the events chunk by chunk, then merges the traits of the `identify` calls whose
/// event was new; returns how many events were inserted.
async fn insert(
    db: &mut SpinStore,
    batch: &ParsedBatch,
    received_at: DateTime<Utc>,
) -> Result<usize, Failure> {
    let mut inserted: HashSet<(String, String)> = HashSet::new();
    for chunk in batch.events.chunks(store::INSERT_CHUNK_ROWS) {
        let rows = db
            .query(
                &store::insert_events_sql(chunk.len()),
                &store::insert_chunk_params(chunk, received_at),
            )
            .await
            .map_err(failure("insert"))?;
        for row in rows {
            let text = |i: usize| {
                row.get(i)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            inserted.insert((text(0), text(1)));
        }
    }
    for identify in &batch.identifies {
        if inserted.contains(&(String::new(), identify.message_id.clone())) {
            db.execute(store::UPSERT_TRAITS, &store::trait_params(identify))
                .await
                .map_err(failure("traits"))?;
        }
    }
    Ok(inserted.len())
}

fn failure(step: &str) -> impl Fn(StoreError) -> Failure + '_ {
    move |e| Failure::Store(format!("{step}: {e}"))
}
