//! `ingest-bench`: full-path ingestion throughput against the native ceiling, in one run.
//!
//! For each batch size it takes the same demo-platform events and measures, each on a fresh
//! database file:
//!
//! - **native**: this process inserts the rows `track-event` would store into a libSQL file,
//!   with the same PRAGMAs, the same SQL (`events::store`) and one transaction per batch,
//!   rows prepared before the clock starts: the ceiling for the store alone;
//! - **full path**: the same batches POSTed as native JSON to `/events` on a running
//!   `spin-local up` (HTTP, host, component, parsing and validation, libSQL), one request at a
//!   time over one keep-alive connection, each answered only after its commit.
//!
//! Each measurement is repeated (`--rounds`, native and full path alternating, so both see
//! the same machine) and the medians are reported as a Markdown table of events/s and the
//! ratio. It is not a load test: one client,
//! sequential requests, so both sides run the same transactions one after another.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use clap::Parser;
use events::store::{self, SqlValue};
use events::{IncomingBody, Limits, ParsedBatch, Route, parse_request};

/// Command-line options.
#[derive(Debug, Parser)]
struct Args {
    /// The host binary (build it with `cargo build --release -p host`).
    #[arg(long, default_value = "target/release/spin-local")]
    host: PathBuf,
    /// The app manifest.
    #[arg(long, default_value = "spin.toml")]
    manifest: PathBuf,
    /// Batch sizes to measure.
    #[arg(long, value_delimiter = ',', default_value = "1,100,1000")]
    batches: Vec<usize>,
    /// Events measured per batch size (at least one batch); the largest size is capped by
    /// the demo history's length.
    #[arg(long, value_delimiter = ',', default_value = "2000,30000,60000")]
    events: Vec<usize>,
    /// Warm-up batches sent (and inserted natively) before the clock starts.
    #[arg(long, default_value_t = 5)]
    warmup: usize,
    /// Rounds per batch size, native and full path alternating; the medians are reported.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Loopback port for the host.
    #[arg(long, default_value_t = 3190)]
    port: u16,
}

const KEY: &str = "bench-ingest-key";

fn main() -> Result<()> {
    let args = Args::parse();
    let config = demo::DemoConfig::standard().scaled(2.0);
    let history: Vec<serde_json::Value> = demo::generate(&config)
        .map(|e| demo::to_native(&e))
        .collect();
    println!(
        "# {} demo events; host {}; {}",
        history.len(),
        args.host.display(),
        Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    println!(
        "| batch | events | native events/s | full path events/s | full/native | full path ms/request |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for (i, &size) in args.batches.iter().enumerate() {
        let wanted = args.events.get(i).copied().unwrap_or(10_000).max(size);
        let needed = (wanted / size + args.warmup) * size;
        if needed > history.len() {
            bail!(
                "{needed} events needed for batches of {size}, the history has {}",
                history.len()
            );
        }
        let batches: Vec<Vec<u8>> = history[..needed]
            .chunks(size)
            .map(|c| serde_json::to_vec(c).unwrap_or_default())
            .collect();
        let (warm, timed) = batches.split_at(args.warmup);
        let measured = timed.len() * size;
        let (mut native, mut full, mut per_request) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..args.rounds.max(1) {
            native.push(native_rate(warm, timed, measured)?);
            let (rate, latency) = full_path_rate(&args, warm, timed, measured)?;
            full.push(rate);
            per_request.push(latency.as_secs_f64() * 1e3);
        }
        let (native, full) = (median(&mut native), median(&mut full));
        println!(
            "| {size} | {measured} | {native:.0} | {full:.0} | {:.0}% | {:.2} |",
            100.0 * full / native,
            median(&mut per_request)
        );
    }
    Ok(())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The rows `track-event` stores for a body: parsed and validated as the component does.
fn parse(body: &[u8], received_at: DateTime<Utc>) -> Result<ParsedBatch> {
    let request =
        IncomingBody::new(Route::Events, body, received_at).with_content_type("application/json");
    let batch = parse_request(&request, &Limits::default())?;
    if !batch.rejected.is_empty() {
        bail!("the demo history has invalid events: {:?}", batch.rejected);
    }
    Ok(batch)
}

/// One batch's statements, SQL and parameters, run in one transaction.
type Transaction = Vec<(String, Vec<libsql::Value>)>;

fn native_rate(warm: &[Vec<u8>], timed: &[Vec<u8>], events: usize) -> Result<f64> {
    let received_at = Utc::now();
    let prepared = |bodies: &[Vec<u8>]| -> Result<Vec<Transaction>> {
        bodies
            .iter()
            .map(|b| {
                let batch = parse(b, received_at)?;
                Ok(batch
                    .events
                    .chunks(store::INSERT_CHUNK_ROWS)
                    .map(|c| {
                        let params = store::insert_chunk_params(c, received_at);
                        (
                            store::insert_events_sql(c.len()),
                            params.into_iter().map(to_libsql).collect(),
                        )
                    })
                    .collect())
            })
            .collect()
    };
    let warm = prepared(warm)?;
    let timed = prepared(timed)?;
    let dir = tempfile::tempdir()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let db = libsql::Builder::new_local(dir.path().join("sqlite_db.db"))
            .build()
            .await?;
        let conn = db.connect()?;
        conn.query(store::JOURNAL_MODE_WAL, ()).await?;
        for pragma in store::CONNECTION_PRAGMAS {
            conn.query(pragma, ()).await?;
        }
        conn.execute_batch(store::SCHEMA).await?;
        let insert = |statements: Transaction| {
            let conn = &conn;
            async move {
                conn.execute(store::BEGIN, ()).await?;
                for (sql, params) in statements {
                    let mut rows = conn.query(&sql, params).await?;
                    while rows.next().await?.is_some() {}
                }
                conn.execute(store::COMMIT, ()).await?;
                anyhow::Ok(())
            }
        };
        for batch in warm {
            insert(batch).await?;
        }
        let start = Instant::now();
        for batch in timed {
            insert(batch).await?;
        }
        let elapsed = start.elapsed();
        let stored: i64 = conn
            .query("SELECT count(*) FROM analytics_events", ())
            .await?
            .next()
            .await?
            .context("no count")?
            .get(0)?;
        anyhow::ensure!(stored as usize >= events, "native stored {stored} rows");
        Ok(events as f64 / elapsed.as_secs_f64())
    })
}

fn to_libsql(value: SqlValue) -> libsql::Value {
    match value {
        SqlValue::Integer(i) => libsql::Value::Integer(i),
        SqlValue::Real(f) => libsql::Value::Real(f),
        SqlValue::Text(s) => libsql::Value::Text(s),
        SqlValue::Blob(b) => libsql::Value::Blob(b),
        SqlValue::Null => libsql::Value::Null,
    }
}

/// A running `spin-local up`, stopped on drop.
struct HostProcess(Child);

impl Drop for HostProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_host(args: &Args, state_dir: &Path) -> Result<HostProcess> {
    let child = Command::new(&args.host)
        .args(["up", "-f"])
        .arg(&args.manifest)
        .args([
            "--listen",
            &format!("127.0.0.1:{}", args.port),
            "--state-dir",
        ])
        .arg(state_dir)
        .args(["--variable", &format!("ingest_api_key={KEY}")])
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", args.host.display()))?;
    let host = HostProcess(child);
    let deadline = Instant::now() + Duration::from_secs(120);
    while std::net::TcpStream::connect(("127.0.0.1", args.port)).is_err() {
        if Instant::now() > deadline {
            bail!("the host did not start listening on port {}", args.port);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(host)
}

fn full_path_rate(
    args: &Args,
    warm: &[Vec<u8>],
    timed: &[Vec<u8>],
    events: usize,
) -> Result<(f64, Duration)> {
    let dir = tempfile::tempdir()?;
    let _host = start_host(args, dir.path())?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let url = format!("http://127.0.0.1:{}/events", args.port);
    let bearer = format!("Bearer {KEY}");
    let post = |body: &[u8]| -> Result<usize> {
        let mut response = agent
            .post(&url)
            .header("authorization", &bearer)
            .header("content-type", "application/json")
            .send(body)?;
        let text = response.body_mut().read_to_string()?;
        if response.status() != 202 {
            bail!("{}: {text}", response.status());
        }
        let report: serde_json::Value = serde_json::from_str(&text)?;
        Ok(report["accepted"].as_u64().unwrap_or(0) as usize)
    };
    for body in warm {
        post(body)?;
    }
    let start = Instant::now();
    let mut accepted = 0;
    for body in timed {
        accepted += post(body)?;
    }
    let elapsed = start.elapsed();
    anyhow::ensure!(
        accepted == events,
        "the host accepted {accepted} of {events} events"
    );
    Ok((
        events as f64 / elapsed.as_secs_f64(),
        elapsed / timed.len() as u32,
    ))
}
