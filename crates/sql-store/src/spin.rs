//! [`SqlStore`]s over Spin's `spin:sqlite` interface.
//!
//! - [`SpinStore`], for HTTP handlers: the asynchronous functions, a pool of idle
//!   connections per instance (Spin reuses an instance for up to 128 requests), and waiting
//!   out another writer's lock with asynchronous pauses, so no host thread is held.
//! - [`SyncSpinStore`], for synchronous exports such as the cron trigger's, which may not
//!   block on asynchronous imports: the synchronous functions, relying on the database's
//!   own busy timeout, and a pool of idle connections per instance as well (a component
//!   composed into another one serves its importer's requests for as long as that instance
//!   lives). Drive computations over it with [`crate::run_ready`].

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use spin_sdk::sqlite::{Connection, Error, Value, wit};

use crate::{Row, SqlStore, SqlValue, StoreError, is_locked};

/// How long a statement waits for another writer's lock before failing.
const LOCK_WAIT: Duration = Duration::from_secs(10);
/// The longest single pause between two attempts to take the lock.
const MAX_PAUSE: Duration = Duration::from_millis(20);
/// At most this many idle connections are kept per instance (Spin runs up to 16 requests at
/// once in one instance).
const MAX_IDLE: usize = 16;

thread_local! {
    /// Connections this instance has open and is not using, by database. Keeping them across
    /// requests saves opening one per request and keeps a WAL database's log open: when the
    /// last connection closes, SQLite checkpoints the log and deletes it, syncing the file.
    static IDLE: RefCell<Vec<(String, Connection)>> = const { RefCell::new(Vec::new()) };
    /// The same for [`SyncSpinStore`]. A new connection starts with an empty page cache and
    /// parses the schema on its first statement, which costs more than a small read.
    static IDLE_SYNC: RefCell<Vec<(String, wit::sqlite::Connection)>> =
        const { RefCell::new(Vec::new()) };
}

/// An asynchronous store over one connection of a Spin SQLite database.
pub struct SpinStore {
    conn: Connection,
    database: String,
}

impl SpinStore {
    /// An idle connection of this instance to `database`, or a new one on which `pragmas`
    /// are run first. A refused PRAGMA is logged, not an error: a remote libSQL database may
    /// refuse them and manages its own durability.
    pub async fn open(database: &str, pragmas: &[&str]) -> Result<SpinStore, StoreError> {
        let idle = IDLE.with_borrow_mut(|idle| {
            let at = idle.iter().position(|(name, _)| name == database)?;
            Some(idle.swap_remove(at).1)
        });
        if let Some(conn) = idle {
            return Ok(SpinStore {
                conn,
                database: database.to_owned(),
            });
        }
        let conn = Connection::open(database).await.map_err(error("open"))?;
        let store = SpinStore {
            conn,
            database: database.to_owned(),
        };
        for pragma in pragmas {
            if let Err(e) = store.run(pragma, &[]).await {
                eprintln!("sqlite {database}: {pragma}: {e}");
            }
        }
        Ok(store)
    }

    /// Keeps the connection for a later request of this instance. Call it only outside a
    /// transaction; a store dropped without it closes its connection (rolling back any open
    /// transaction).
    pub fn release(self) {
        IDLE.with_borrow_mut(|idle| {
            if idle.len() < MAX_IDLE {
                idle.push((self.database, self.conn));
            }
        });
    }

    async fn run(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        let mut waited = Duration::ZERO;
        let mut pause = Duration::from_millis(1);
        loop {
            match self.attempt(sql, params).await {
                Err(Error::Io(message)) if is_locked(&message) && waited < LOCK_WAIT => {
                    let jittered = pause.mul_f64(0.5 + jitter());
                    spin_sdk::time::sleep(jittered).await;
                    waited += jittered;
                    pause = (pause * 2).min(MAX_PAUSE);
                }
                other => {
                    return other.map_err(|e| StoreError::new(format!("{}: {sql}", describe(&e))));
                }
            }
        }
    }

    async fn attempt(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, Error> {
        let params = params.iter().map(to_spin);
        let rows = self.conn.execute(sql, params).await?.collect().await?;
        Ok(rows
            .into_iter()
            .map(|r| r.values.into_iter().map(from_spin).collect())
            .collect())
    }
}

impl SqlStore for SpinStore {
    async fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<(), StoreError> {
        self.run(sql, params).await.map(|_| ())
    }

    async fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        self.run(sql, params).await
    }
}

/// A synchronous store over one connection of a Spin SQLite database.
pub struct SyncSpinStore {
    conn: wit::sqlite::Connection,
    database: String,
}

impl SyncSpinStore {
    /// An idle connection of this instance to `database`, or a new one opened with the
    /// synchronous `open` on which `pragmas` are run first (a refused one is logged, as in
    /// [`SpinStore::open`]).
    pub fn open(database: &str, pragmas: &[&str]) -> Result<SyncSpinStore, StoreError> {
        let idle = IDLE_SYNC.with_borrow_mut(|idle| {
            let at = idle.iter().position(|(name, _)| name == database)?;
            Some(idle.swap_remove(at).1)
        });
        if let Some(conn) = idle {
            return Ok(SyncSpinStore {
                conn,
                database: database.to_owned(),
            });
        }
        let store = SyncSpinStore {
            conn: wit::sqlite::Connection::open(database).map_err(error("open"))?,
            database: database.to_owned(),
        };
        for pragma in pragmas {
            if let Err(e) = store.run(pragma, &[]) {
                eprintln!("sqlite {database}: {pragma}: {e}");
            }
        }
        Ok(store)
    }

    /// Keeps the connection for a later call in this instance, as [`SpinStore::release`]:
    /// only outside a transaction; a store dropped without it closes its connection.
    pub fn release(self) {
        IDLE_SYNC.with_borrow_mut(|idle| {
            if idle.len() < MAX_IDLE {
                idle.push((self.database, self.conn));
            }
        });
    }

    fn run(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        let params: Vec<Value> = params.iter().map(to_spin).collect();
        let result = self
            .conn
            .execute(sql, &params)
            .map_err(|e| StoreError::new(format!("{}: {sql}", describe(&e))))?;
        Ok(result
            .rows
            .into_iter()
            .map(|r| r.values.into_iter().map(from_spin).collect())
            .collect())
    }
}

impl SqlStore for SyncSpinStore {
    async fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<(), StoreError> {
        self.run(sql, params).map(|_| ())
    }

    async fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        self.run(sql, params)
    }
}

fn to_spin(value: &SqlValue) -> Value {
    match value {
        SqlValue::Integer(i) => Value::Integer(*i),
        SqlValue::Real(f) => Value::Real(*f),
        SqlValue::Text(s) => Value::Text(s.clone()),
        SqlValue::Blob(b) => Value::Blob(b.clone()),
        SqlValue::Null => Value::Null,
    }
}

fn from_spin(value: Value) -> SqlValue {
    match value {
        Value::Integer(i) => SqlValue::Integer(i),
        Value::Real(f) => SqlValue::Real(f),
        Value::Text(s) => SqlValue::Text(s),
        Value::Blob(b) => SqlValue::Blob(b),
        Value::Null => SqlValue::Null,
    }
}

fn describe(e: &Error) -> String {
    match e {
        Error::Io(message) => message.clone(),
        other => format!("{other:?}"),
    }
}

fn error(step: &'static str) -> impl Fn(Error) -> StoreError {
    move |e| StoreError::new(format!("{step}: {}", describe(&e)))
}

/// A pseudo-random number in [0, 1), so that waiting writers do not retry in step.
fn jitter() -> f64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut x = STATE.load(Ordering::Relaxed);
    if x == 0 {
        x = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| u64::from(d.subsec_nanos()) | 1);
    }
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    STATE.store(x, Ordering::Relaxed);
    (x >> 11) as f64 / (1u64 << 53) as f64
}
