//! A cron-triggered test component: each tick records its timestamp in SQLite.
//!
//! `handle-cron-event` is a synchronous export (Spin's cron plugin declares it so), and a
//! synchronous task may not block on WASI 0.3 async calls: it uses the synchronous functions of
//! `spin:sqlite`, which the SDK exposes as `sqlite::wit`.

use spin_sdk::sqlite::wit::sqlite::{Connection, Value};

wit_bindgen::generate!({
    world: "fermyon:spin-cron/spin-cron",
    path: "../../../wit/spin/deps/spin-cron",
});

struct CronProbe;

impl Guest for CronProbe {
    fn handle_cron_event(metadata: Metadata) -> Result<(), Error> {
        record(metadata.timestamp).map_err(|e| Error::Other(format!("{e:?}")))
    }
}

fn record(timestamp: u64) -> Result<(), spin_sdk::sqlite::Error> {
    let db = Connection::open("default")?;
    db.execute(
        "CREATE TABLE IF NOT EXISTS cron_runs (ts INTEGER NOT NULL)",
        &[],
    )?;
    db.execute(
        "INSERT INTO cron_runs (ts) VALUES (?)",
        &[Value::Integer(timestamp as i64)],
    )?;
    Ok(())
}

export!(CronProbe);
