//! Storing a parsed batch in the `default` SQLite database, in one transaction.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use events::ParsedBatch;
use events::store::{self, SqlValue};
use spin_sdk::sqlite::{Connection, Error, Value};

use crate::failure::Failure;

/// Set once this instance has put the database in WAL mode and created the schema; an
/// instance serves up to 128 requests, so the schema statements run once per instance.
static SCHEMA_READY: AtomicBool = AtomicBool::new(false);

/// How long a request waits for another writer's lock before answering 503.
const LOCK_WAIT: Duration = Duration::from_secs(10);
/// The longest single pause between two attempts to take the lock.
const MAX_PAUSE: Duration = Duration::from_millis(20);

thread_local! {
    /// Connections this instance has open and is not using. Keeping them across requests
    /// saves opening and configuring one per request and, above all, keeps the WAL file
    /// open: when the last connection to a WAL database closes, SQLite checkpoints the log
    /// into the database and deletes it, syncing the file several times.
    static IDLE: RefCell<Vec<Connection>> = const { RefCell::new(Vec::new()) };
}

/// At most this many idle connections are kept per instance (Spin runs up to 16 requests
/// at once in one instance).
const MAX_IDLE: usize = 16;

/// Stores the batch's events (and the traits of its newly stored `identify` calls) in one
/// transaction, and returns how many events the store already had. On any failure the
/// transaction is rolled back and nothing of the batch is stored.
pub async fn save(batch: &ParsedBatch, received_at: DateTime<Utc>) -> Result<usize, Failure> {
    let conn = connection().await?;
    if !SCHEMA_READY.load(Ordering::Acquire) {
        ensure_schema(&conn).await?;
        SCHEMA_READY.store(true, Ordering::Release);
    }
    when_unlocked(&conn, store::BEGIN)
        .await
        .map_err(failure("begin"))?;
    let stored = async {
        let inserted = insert(&conn, batch, received_at).await?;
        run(&conn, store::COMMIT, Vec::new())
            .await
            .map_err(failure("commit"))?;
        Ok(inserted)
    }
    .await;
    match stored {
        Ok(inserted) => {
            release(conn);
            Ok(batch.events.len() - inserted)
        }
        Err(e) => {
            // Nothing may be left half-written. If even the rollback fails, the connection
            // is dropped, which rolls the transaction back.
            if run(&conn, store::ROLLBACK, Vec::new()).await.is_ok() {
                release(conn);
            }
            Err(e)
        }
    }
}

/// An idle connection of this instance, or a new one set up with the connection PRAGMAs.
async fn connection() -> Result<Connection, Failure> {
    if let Some(conn) = IDLE.with_borrow_mut(Vec::pop) {
        return Ok(conn);
    }
    let conn = Connection::open_default().await.map_err(failure("open"))?;
    // A remote libSQL database may refuse PRAGMAs and manages its own durability; if the
    // database is unreachable, `BEGIN` fails next and the request gets its 503.
    for pragma in store::CONNECTION_PRAGMAS {
        if let Err(e) = when_unlocked(&conn, pragma).await {
            eprintln!("track-event: {pragma}: {e:?}");
        }
    }
    Ok(conn)
}

/// Keeps a connection (outside any transaction) for the next request.
fn release(conn: Connection) {
    IDLE.with_borrow_mut(|idle| {
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    });
}

async fn ensure_schema(conn: &Connection) -> Result<(), Failure> {
    // A remote libSQL database manages its own journal: a refused PRAGMA is not an error.
    if let Err(e) = when_unlocked(conn, store::JOURNAL_MODE_WAL).await {
        eprintln!("track-event: {}: {e:?}", store::JOURNAL_MODE_WAL);
    }
    for statement in store::SCHEMA_STATEMENTS {
        when_unlocked(conn, statement)
            .await
            .map_err(failure("schema"))?;
    }
    Ok(())
}

/// Runs a statement that needs the write lock, pausing (asynchronously, so no host thread
/// is blocked) and retrying while another connection holds it, for up to [`LOCK_WAIT`].
async fn when_unlocked(
    conn: &Connection,
    sql: &str,
) -> Result<Vec<spin_sdk::sqlite::RowResult>, Error> {
    let mut waited = Duration::ZERO;
    let mut pause = Duration::from_millis(1);
    loop {
        match run(conn, sql, Vec::new()).await {
            Err(Error::Io(message)) if store::is_locked(&message) && waited < LOCK_WAIT => {
                let jittered = pause.mul_f64(0.5 + jitter());
                spin_sdk::time::sleep(jittered).await;
                waited += jittered;
                pause = (pause * 2).min(MAX_PAUSE);
            }
            other => return other,
        }
    }
}

/// A pseudo-random number in [0, 1), so that waiting writers do not retry in step.
fn jitter() -> f64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut x = STATE.load(Ordering::Relaxed);
    if x == 0 {
        x = u64::from(chrono::Utc::now().timestamp_subsec_nanos()) | 1;
    }
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    STATE.store(x, Ordering::Relaxed);
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// Inserts the events chunk by chunk, then merges the traits of the `identify` calls whose
/// event was new; returns how many events were inserted.
async fn insert(
    conn: &Connection,
    batch: &ParsedBatch,
    received_at: DateTime<Utc>,
) -> Result<usize, Failure> {
    let mut inserted: HashSet<(String, String)> = HashSet::new();
    for chunk in batch.events.chunks(store::INSERT_CHUNK_ROWS) {
        let rows = run(
            conn,
            &store::insert_events_sql(chunk.len()),
            store::insert_chunk_params(chunk, received_at),
        )
        .await
        .map_err(failure("insert"))?;
        for row in rows {
            let source = row.get::<&str>(0).unwrap_or_default().to_owned();
            let event_id = row.get::<&str>(1).unwrap_or_default().to_owned();
            inserted.insert((source, event_id));
        }
    }
    for identify in &batch.identifies {
        if inserted.contains(&(String::new(), identify.message_id.clone())) {
            run(conn, store::UPSERT_TRAITS, store::trait_params(identify))
                .await
                .map_err(failure("traits"))?;
        }
    }
    Ok(inserted.len())
}

/// Runs one statement and returns its rows.
async fn run(
    conn: &Connection,
    sql: &str,
    params: Vec<SqlValue>,
) -> Result<Vec<spin_sdk::sqlite::RowResult>, Error> {
    let params = params.into_iter().map(|p| match p {
        SqlValue::Integer(i) => Value::Integer(i),
        SqlValue::Text(s) => Value::Text(s),
        SqlValue::Null => Value::Null,
    });
    conn.execute(sql, params).await?.collect().await
}

fn failure(step: &str) -> impl Fn(Error) -> Failure + '_ {
    move |e| Failure::Store(format!("{step}: {e:?}"))
}
