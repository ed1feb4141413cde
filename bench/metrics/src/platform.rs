//! The benchmark's platform: the demo history scaled to the wanted number of events, stored
//! as `track-event` stores it, with the newest events (and a few late ones) held back as the
//! increment that the incremental refresh folds in.

use std::collections::VecDeque;
use std::fs;
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use demo::{DemoConfig, DemoEvent};
use events::{AnalyticsEvent, IndexedEvent, store};
use sql_store::{LibsqlStore, SqlStore};

/// How the increment is made up.
#[derive(Debug, Clone, Copy)]
pub struct IncrementShape {
    /// Events in the increment, in all.
    pub size: usize,
    /// Of those, events held back from the days just before the newest ones (late by hours to
    /// days: a client that was offline).
    pub late: usize,
    /// Of those, events held back from anywhere in the history (late by weeks or months: a
    /// backfill).
    pub old: usize,
}

/// What was generated.
pub struct Platform {
    /// The database file with the base events (and nothing else).
    pub db: PathBuf,
    /// Events in the base.
    pub base_events: u64,
    /// The increment, in the order it is inserted.
    pub increment: Vec<AnalyticsEvent>,
}

/// The demo config whose history has about `events` events over 12 months: the standard
/// platform's 12-month volume, measured, scaled linearly.
pub fn config_for(events: u64) -> DemoConfig {
    let mut unit = DemoConfig::standard();
    unit.months = 12;
    let per_unit = demo::generate(&unit).count().max(1);
    unit.scaled(events as f64 / per_unit as f64)
}

/// The row `track-event` stores for a demo event.
pub fn analytics_event(e: DemoEvent) -> AnalyticsEvent {
    AnalyticsEvent {
        event_id: e.event_id,
        user_id: e.user_id,
        event_type: e.event_type.as_str().to_owned(),
        timestamp: e.timestamp,
        properties: e.properties,
        source: None,
    }
}

/// Opens a database file with `track-event`'s settings (WAL, its PRAGMAs) and its schema,
/// and the `metrics` component's PRAGMAs (the engine and the baseline run on it).
pub async fn open(path: &Path) -> Result<LibsqlStore> {
    let mut store = LibsqlStore::open(path).await?;
    store.query(store::JOURNAL_MODE_WAL, &[]).await?;
    for pragma in store::CONNECTION_PRAGMAS
        .into_iter()
        .chain(metrics::CONNECTION_PRAGMAS)
    {
        store.query(pragma, &[]).await?;
    }
    for statement in store::SCHEMA_STATEMENTS {
        store.execute(statement, &[]).await?;
    }
    Ok(store)
}

/// Inserts events with ingestion's SQL: 100-row statements, one transaction per call.
pub async fn insert(store: &mut LibsqlStore, events: &[AnalyticsEvent]) -> Result<()> {
    let received_at = Utc::now();
    store.execute(store::BEGIN, &[]).await?;
    for chunk in events.chunks(store::INSERT_CHUNK_ROWS) {
        let indexed: Vec<IndexedEvent> = chunk
            .iter()
            .enumerate()
            .map(|(index, event)| IndexedEvent {
                index,
                event: event.clone(),
            })
            .collect();
        let params = store::insert_chunk_params(&indexed, received_at);
        store
            .query(&store::insert_events_sql(chunk.len()), &params)
            .await?;
    }
    store.execute(store::COMMIT, &[]).await?;
    Ok(())
}

/// Events per transaction while loading the base.
const LOAD_BATCH: usize = 20_000;

/// How the generated platform is kept between runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cache {
    /// Generate into `work.db`, keep nothing.
    None,
    /// Keep a pristine copy and copy it to `work.db` for each run.
    Copy,
    /// Keep one file and run on it (the run uses it up): half the disk of [`Cache::Copy`].
    InPlace,
}

/// What names the files of one platform in the cache: its size and its increment's shape.
fn tag(events: u64, shape: IncrementShape) -> String {
    format!("{events}-{}-{}-{}", shape.size, shape.late, shape.old)
}

/// Where the store as the first run left it is kept for this platform (`--from-refreshed`).
pub fn refreshed(dir: &Path, events: u64, shape: IncrementShape) -> PathBuf {
    dir.join(format!("refreshed-{}.db", tag(events, shape)))
}

/// Builds (or takes from the cache in `dir`) the platform of about `events` events, and
/// returns the database file to run on.
pub async fn prepare(
    dir: &Path,
    events: u64,
    shape: IncrementShape,
    cache: Cache,
) -> Result<Platform> {
    fs::create_dir_all(dir)?;
    let tag = tag(events, shape);
    let pristine = dir.join(format!("platform-{tag}.db"));
    let increment_file = dir.join(format!("platform-{tag}.increment.jsonl"));
    if cache == Cache::InPlace {
        if !(pristine.exists() && increment_file.exists()) {
            remove_db(&pristine)?;
            let platform = generate(&pristine, events, shape).await?;
            write_increment(&increment_file, &platform.increment)?;
            return Ok(platform);
        }
        let increment = read_increment(&increment_file)?;
        let mut store = open(&pristine).await?;
        let base_events = count(&mut store).await?;
        return Ok(Platform {
            db: pristine,
            base_events,
            increment,
        });
    }
    let work = dir.join("work.db");
    remove_db(&work)?;
    if cache == Cache::Copy && pristine.exists() && increment_file.exists() {
        let started = Instant::now();
        fs::copy(&pristine, &work)?;
        let increment = read_increment(&increment_file)?;
        let mut store = open(&work).await?;
        let base_events = count(&mut store).await?;
        eprintln!(
            "# copied the cached platform {} in {:.1?}",
            pristine.display(),
            started.elapsed()
        );
        return Ok(Platform {
            db: work,
            base_events,
            increment,
        });
    }
    let platform = generate(&work, events, shape).await?;
    if cache == Cache::Copy {
        fs::copy(&work, &pristine)?;
        write_increment(&increment_file, &platform.increment)?;
    }
    Ok(platform)
}

async fn generate(work: &Path, events: u64, shape: IncrementShape) -> Result<Platform> {
    let started = Instant::now();
    let config = config_for(events);
    eprintln!(
        "# generating ~{events} events: {} students, {} tutors, {} courses, {} months to {}",
        config.students, config.tutors, config.courses, config.months, config.end
    );
    let mut store = open(work).await?;
    let fresh = shape.size.saturating_sub(shape.late + shape.old);
    // The newest `fresh` events and the `window` before them stay in memory; the late
    // events are drawn from that window, the old ones from the events that leave it.
    let window = (shape.late * 100).max(3 * shape.size);
    let stride = (events as usize / shape.old.max(1)).max(1);
    let mut pending: VecDeque<AnalyticsEvent> = VecDeque::with_capacity(window + fresh + 1);
    let (mut batch, mut old, mut base_events) = (Vec::with_capacity(LOAD_BATCH), Vec::new(), 0);
    for (i, event) in demo::generate(&config).enumerate() {
        pending.push_back(analytics_event(event));
        if pending.len() > window + fresh {
            let Some(event) = pending.pop_front() else {
                continue;
            };
            if i % stride == stride / 2 && old.len() < shape.old {
                old.push(event);
            } else {
                batch.push(event);
            }
            if batch.len() == LOAD_BATCH {
                insert(&mut store, &batch).await?;
                base_events += batch.len() as u64;
                batch.clear();
                if base_events % 1_000_000 == 0 {
                    eprintln!("#   {base_events} events stored, {:.0?}", started.elapsed());
                }
            }
        }
    }
    let tail: Vec<AnalyticsEvent> = pending
        .split_off(pending.len().saturating_sub(fresh))
        .into();
    // Late events: every k-th event of the window, so they spread over its days.
    let step = (pending.len() / shape.late.max(1)).max(1);
    let mut late = Vec::new();
    for (i, event) in pending.into_iter().enumerate() {
        if i % step == step / 2 && late.len() < shape.late {
            late.push(event);
        } else {
            batch.push(event);
        }
    }
    insert(&mut store, &batch).await?;
    base_events += batch.len() as u64;
    checkpoint(&mut store).await?;
    eprintln!(
        "# stored {base_events} base events in {:.0?}; increment {} new, {} late (from {} to {}), {} old",
        started.elapsed(),
        tail.len(),
        late.len(),
        span(&late).0,
        span(&late).1,
        old.len()
    );
    // The increment arrives in ingestion order: the old and late events among the new ones.
    let mut increment = tail;
    let gaps = (increment.len() / (late.len() + old.len()).max(1)).max(1);
    for (k, event) in late.into_iter().chain(old).enumerate() {
        increment.insert(((k + 1) * gaps).min(increment.len()), event);
    }
    Ok(Platform {
        db: work.to_owned(),
        base_events,
        increment,
    })
}

/// The earliest and latest timestamp of some events.
pub fn span(events: &[AnalyticsEvent]) -> (DateTime<Utc>, DateTime<Utc>) {
    let min = events.iter().map(|e| e.timestamp).min();
    let max = events.iter().map(|e| e.timestamp).max();
    (
        min.unwrap_or(DateTime::UNIX_EPOCH),
        max.unwrap_or(DateTime::UNIX_EPOCH),
    )
}

/// Moves the WAL into the database file, so a copy of the file alone is the whole store.
pub async fn checkpoint(store: &mut LibsqlStore) -> Result<()> {
    store
        .query("PRAGMA wal_checkpoint(TRUNCATE)", &[])
        .await
        .context("checkpoint")?;
    Ok(())
}

/// How many events a store holds.
pub async fn count(store: &mut LibsqlStore) -> Result<u64> {
    let rows = store
        .query("SELECT count(*) FROM analytics_events", &[])
        .await?;
    let n = rows
        .first()
        .and_then(|r| r.first())
        .and_then(|v| v.as_i64())
        .context("count")?;
    Ok(u64::try_from(n)?)
}

/// Deletes a database file and its WAL files.
pub fn remove_db(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        if file.exists() {
            fs::remove_file(&file).with_context(|| format!("removing {}", file.display()))?;
        }
    }
    Ok(())
}

fn write_increment(path: &Path, events: &[AnalyticsEvent]) -> Result<()> {
    let mut out = BufWriter::new(fs::File::create(path)?);
    for e in events {
        let demo = DemoEvent {
            event_id: e.event_id.clone(),
            user_id: e.user_id.clone(),
            event_type: demo::EventType::parse(&e.event_type).context("event type")?,
            timestamp: e.timestamp,
            properties: e.properties.clone(),
        };
        writeln!(out, "{}", demo::to_native(&demo))?;
    }
    out.flush()?;
    Ok(())
}

fn read_increment(path: &Path) -> Result<Vec<AnalyticsEvent>> {
    let file = std::io::BufReader::new(fs::File::open(path)?);
    file.lines()
        .map(|line| {
            let value = serde_json_value(&line?)?;
            Ok(analytics_event(demo::from_native(&value)?))
        })
        .collect()
}

fn serde_json_value(line: &str) -> Result<serde_json::Value> {
    Ok(serde_json::from_str(line)?)
}
