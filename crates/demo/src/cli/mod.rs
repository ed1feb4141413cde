//! The `demo-platform` command line: generate a history and POST it, in
//! batches rotating through the three body formats, to `{url}/events`; or,
//! with `--dry-run`, print it as NDJSON and count it.
//!
//! ```text
//! demo-platform --url http://127.0.0.1:3000 --key KEY --preset standard
//! demo-platform --preset small --dry-run > events.ndjson
//! demo-platform --scale 20 --batch-size 1000 --concurrency 8   # millions of events
//! ```
//!
//! Batches are sent `--concurrency` at a time, so they may arrive slightly
//! out of order; use `--concurrency 1` for strictly time-ordered delivery.

mod report;
#[cfg(test)]
mod tests;

use std::ffi::OsString;
use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Parser, ValueEnum};
use tokio::task::{JoinError, JoinSet};

pub use report::{MAX_REJECTIONS_SHOWN, Totals};

use crate::send::{Delivery, RetryPolicy, SendError, Sender};
use crate::{
    BodyFormat, DemoConfig, DemoEvent, EventCounts, encode_batch, envelope_time, generate,
    to_native,
};

/// Generate a believable tutoring-platform event history and send it to the
/// app's ingestion endpoint.
#[derive(Debug, Clone, Parser)]
#[command(name = "demo-platform", version)]
pub struct Args {
    /// Base URL of the app; batches are POSTed to `{url}/events`.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    pub url: String,
    /// Ingestion key, sent as `Authorization: Bearer KEY`.
    #[arg(long, env = "DEMO_INGEST_KEY", hide_env_values = true)]
    pub key: Option<String>,
    /// Seed of the generated history (same seed, same events and ids).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Size preset.
    #[arg(long, value_enum, default_value_t = Preset::Standard)]
    pub preset: Preset,
    /// Multiplies the preset's students, tutors and courses.
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Months of history [default: the preset's].
    #[arg(long)]
    pub months: Option<u32>,
    /// End of the history (exclusive): YYYY-MM-DD (midnight UTC) or an RFC 3339
    /// instant [default: today, midnight UTC].
    #[arg(long, value_parser = parse_end)]
    pub end: Option<DateTime<Utc>>,
    /// Events per request.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_size: u32,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub concurrency: u32,
    /// Body format; `mixed` rotates native, EventBridge and CloudEvents per batch.
    #[arg(long, value_enum, default_value_t = FormatChoice::Mixed)]
    pub format: FormatChoice,
    /// Retries per batch on connection errors, timeouts, 429 and 5xx.
    #[arg(long, default_value_t = 5)]
    pub retries: u32,
    /// Delay before the first retry, in milliseconds (doubles, capped at 8 s).
    #[arg(long, default_value_t = 250)]
    pub backoff_ms: u64,
    /// Send nothing: print the events as NDJSON (native shape) on stdout and
    /// the counts on stderr.
    #[arg(long)]
    pub dry_run: bool,
}

/// Size presets (see [`DemoConfig::small`] and [`DemoConfig::standard`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Preset {
    /// ~50 students, 10 tutors, 15 courses, 2 months.
    Small,
    /// ~2,000 students, 150 tutors, 80 courses, 6 months.
    Standard,
}

/// Which body format(s) to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatChoice {
    /// Rotate native, EventBridge, CloudEvents batch by batch.
    Mixed,
    /// Native JSON arrays only.
    Native,
    /// EventBridge envelopes only.
    Eventbridge,
    /// CloudEvents batches only.
    Cloudevents,
}

/// Parses `--end`: `YYYY-MM-DD` (midnight UTC) or an RFC 3339 instant.
pub fn parse_end(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("`{text}` is neither YYYY-MM-DD nor an RFC 3339 timestamp"))
}

/// Midnight UTC of the current day: the default `--end`.
pub fn today() -> DateTime<Utc> {
    Utc::now()
        .date_naive()
        .and_time(chrono::NaiveTime::MIN)
        .and_utc()
}

impl Args {
    /// The generator config these arguments describe (`today` is the default end).
    pub fn config(&self, today: DateTime<Utc>) -> anyhow::Result<DemoConfig> {
        if !(self.scale.is_finite() && self.scale > 0.0) {
            bail!("--scale must be a positive number, got {}", self.scale);
        }
        let preset = match self.preset {
            Preset::Small => DemoConfig::small(),
            Preset::Standard => DemoConfig::standard(),
        };
        let mut config = preset
            .scaled(self.scale)
            .with_seed(self.seed)
            .with_end(self.end.unwrap_or(today));
        match self.months {
            Some(0) => bail!("--months must be at least 1"),
            Some(months) => config.months = months,
            None => {}
        }
        Ok(config)
    }

    /// The body format of the `index`-th batch.
    pub fn format_for(&self, index: usize) -> BodyFormat {
        match self.format {
            FormatChoice::Mixed => BodyFormat::rotating(index),
            FormatChoice::Native => BodyFormat::Native,
            FormatChoice::Eventbridge => BodyFormat::EventBridge,
            FormatChoice::Cloudevents => BodyFormat::CloudEventsBatch,
        }
    }

    /// The sender's retry policy.
    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            attempts: self.retries.saturating_add(1),
            initial_backoff: Duration::from_millis(self.backoff_ms),
            ..RetryPolicy::default()
        }
    }

    fn authorization(&self) -> &'static str {
        if self.key.is_some() {
            "Authorization: Bearer ***"
        } else {
            "no Authorization header"
        }
    }
}

fn describe(config: &DemoConfig) -> String {
    format!(
        "history: seed {}, {} students, {} tutors, {} courses, {} months from {} to {}",
        config.seed,
        config.students,
        config.tutors,
        config.courses,
        config.months,
        envelope_time(&config.start()),
        envelope_time(&config.end),
    )
}

/// Runs the CLI with parsed arguments: NDJSON goes to `out`, progress and
/// reports to `err`. Fails on the first batch the server refuses.
pub async fn run(
    args: &Args,
    today: DateTime<Utc>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Totals> {
    let config = args.config(today)?;
    writeln!(err, "{}", describe(&config))?;
    if args.dry_run {
        dry_run(args, &config, out, err)
    } else {
        send_all(args, &config, err).await
    }
}

fn dry_run(
    args: &Args,
    config: &DemoConfig,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Totals> {
    let started = Instant::now();
    let mut counts = EventCounts::default();
    let mut out = BufWriter::with_capacity(1 << 16, out);
    for event in generate(config) {
        counts.add(&event);
        serde_json::to_writer(&mut out, &to_native(&event))?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    let batches = counts.total().div_ceil(u64::from(args.batch_size));
    writeln!(
        err,
        "dry run: generated {} events in {:.2?}; would POST {batches} batches to {}/events ({})\n{counts}",
        counts.total(),
        started.elapsed(),
        args.url.trim_end_matches('/'),
        args.authorization(),
    )?;
    Ok(Totals {
        generated: counts.total(),
        ..Totals::default()
    })
}

type Joined = Option<Result<(usize, Result<Delivery, SendError>), JoinError>>;

/// Folds one finished request into `totals`, or stops the run.
fn collect(joined: Joined, totals: &mut Totals, err: &mut dyn Write) -> anyhow::Result<()> {
    match joined {
        None => Ok(()),
        Some(Ok((events, Ok(delivery)))) => {
            totals.record(events, &delivery);
            if totals.batches.is_multiple_of(100) {
                writeln!(err, "  {} events delivered…", totals.sent)?;
            }
            Ok(())
        }
        Some(Ok((_, Err(error)))) => {
            writeln!(err, "{}", totals.report())?;
            Err(anyhow!(error)).context("stopped sending")
        }
        Some(Err(error)) => Err(anyhow!("sender task failed: {error}")),
    }
}

async fn send_all(args: &Args, config: &DemoConfig, err: &mut dyn Write) -> anyhow::Result<Totals> {
    let sender = Arc::new(Sender::new(
        &args.url,
        args.key.as_deref(),
        args.retry_policy(),
    )?);
    writeln!(
        err,
        "sending to {} in batches of {}, {} at a time ({})",
        sender.endpoint(),
        args.batch_size,
        args.concurrency,
        args.authorization(),
    )?;
    let started = Instant::now();
    let mut totals = Totals::default();
    let mut tasks = JoinSet::new();
    let mut events = generate(config);
    let mut index = 0;
    loop {
        let batch: Vec<DemoEvent> = events.by_ref().take(args.batch_size as usize).collect();
        if batch.is_empty() {
            break;
        }
        totals.generated += batch.len() as u64;
        let (content_type, body) = encode_batch(&batch, args.format_for(index));
        index += 1;
        while tasks.len() >= args.concurrency as usize {
            collect(tasks.join_next().await, &mut totals, err)?;
        }
        let sender = Arc::clone(&sender);
        let count = batch.len();
        tasks.spawn(async move { (count, sender.send(content_type, body).await) });
    }
    while !tasks.is_empty() {
        collect(tasks.join_next().await, &mut totals, err)?;
    }
    writeln!(err, "{} in {:.1?}", totals.report(), started.elapsed())?;
    Ok(totals)
}

/// Parses `argv` and runs the CLI on a fresh Tokio runtime; the process
/// exit code (2 for usage errors, 1 for failed runs).
pub fn run_from<I, T>(argv: I, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args = match Args::try_parse_from(argv) {
        Ok(args) => args,
        Err(error) if error.use_stderr() => {
            let _ = write!(err, "{error}");
            return ExitCode::from(2);
        }
        Err(help) => {
            let _ = write!(out, "{help}");
            return ExitCode::SUCCESS;
        }
    };
    let outcome = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
        .and_then(|runtime| runtime.block_on(run(&args, today(), out, err)));
    match outcome {
        Ok(_) => ExitCode::SUCCESS,
        Err(error) => {
            let _ = writeln!(err, "error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The binary's `main`: [`run_from`] with the process's arguments and streams.
pub fn main_entry() -> ExitCode {
    run_from(
        std::env::args_os(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr(),
    )
}
