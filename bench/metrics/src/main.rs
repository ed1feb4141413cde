//! `metrics-bench`: the dashboard metrics engine on a large demo platform, against plain
//! `GROUP BY` queries over the raw events, in one run.
//!
//! It stores the demo platform scaled to `--events` events (12 months) in an embedded
//! libSQL file as `track-event` does (its schema, its multi-row inserts, WAL), holding back
//! an increment: the newest events, some late ones from the days before them and a few old
//! ones from anywhere in the history. Then, on that file:
//!
//! 1. the full first `metrics::refresh`, against the baseline (`baseline.rs`: one `GROUP BY`
//!    day pass computing the headline daily series from the raw events);
//! 2. the increment inserted with ingestion's SQL, then an incremental refresh, against the
//!    baseline computed again (plain SQL has no incremental path), and a re-run with nothing
//!    new;
//! 3. dashboard reads (`DashboardQuery::parse` + `read_dashboard_json`, the route's JSON) of a
//!    year of daily series for every dashboard, p50 and p99, against the baseline query for
//!    the same series; then the same through the route's response cache
//!    (`read_dashboard_json_cached` over a key-value file laid out as Spin's): the first
//!    read, which renders and keeps the response, and the reads it serves; then what a run
//!    that changes the metrics adds to render the five dashboards just read again
//!    (`render_watched_dashboards`), and the first read of each after it.
//!
//! The generated base is cached in `--dir` (a pristine copy and the increment), so re-runs
//! skip the generation; `--no-cache` regenerates and keeps nothing.

mod baseline;
mod http;
mod platform;
mod responses;
mod timed;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bench_client::percentiles;
use chrono::{Days, Utc};
use clap::Parser;
use metrics::{Dashboard, DashboardQuery, Settings, SqlStore, SqlValue};
use platform::{Cache, IncrementShape};
use responses::Responses;
use timed::Timed;

/// Command-line options.
#[derive(Debug, Parser)]
struct Args {
    /// Events in the platform (about; the demo generator decides the exact count).
    #[arg(long, default_value_t = 10_000_000)]
    events: u64,
    /// Events in the increment of the incremental run.
    #[arg(long, default_value_t = 100_000)]
    increment: usize,
    /// Of the increment, events late by hours to days (held back from the days before).
    #[arg(long, default_value_t = 1_000)]
    late: usize,
    /// Of the increment, events late by weeks or months (held back from anywhere).
    #[arg(long, default_value_t = 20)]
    old: usize,
    /// Timed dashboard reads per dashboard.
    #[arg(long, default_value_t = 300)]
    reads: usize,
    /// Timed baseline queries per dashboard.
    #[arg(long, default_value_t = 5)]
    baseline_reads: usize,
    /// Where the databases go (under the worktree's `target/`).
    #[arg(long, default_value = "target/bench-metrics")]
    dir: PathBuf,
    /// Regenerate the platform, and cache nothing.
    #[arg(long)]
    no_cache: bool,
    /// Cache one file and run on it (the run uses it up, and deletes it unless `--keep`):
    /// for large platforms, half the disk of the default pristine copy.
    #[arg(long)]
    in_place: bool,
    /// Keep `work.db` (the refreshed database) after the run.
    #[arg(long)]
    keep: bool,
    /// `metrics_max_events_per_run` for the first run (it then takes several runs).
    #[arg(long)]
    max_events_per_run: Option<u64>,
    /// `metrics_time_zones`: zones kept besides UTC.
    #[arg(long)]
    zones: Option<String>,
    /// Print the slowest statements of the first and the incremental run.
    #[arg(long)]
    profile: bool,
    /// Only generate (and cache) the platform.
    #[arg(long)]
    prepare_only: bool,
    /// Also time the reads through HTTP: the release `metrics` component served on the
    /// bench's store by this host binary (`target/release/spin-local`).
    #[arg(long)]
    host: Option<PathBuf>,
    /// Only time the dashboard reads, on the `work.db` a run with `--keep` left in `--dir`.
    #[arg(long)]
    reads_only: bool,
    /// Start from the store as the first run left it, kept in `--dir` by the first run
    /// with this flag (`refreshed-<platform>.db`): for comparing changes to the incremental path
    /// that keep the store's tables as they are.
    #[arg(long, conflicts_with = "in_place")]
    from_refreshed: bool,
}

fn main() -> Result<()> {
    let args = Args::parse();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run(&args))
}

/// The full first run, against the baseline pass over every event.
async fn first_run(
    store: &mut Timed,
    settings: &Settings,
    platform: &platform::Platform,
    baseline_sql: &str,
    args: &Args,
    lines: &mut Vec<Line>,
) -> Result<()> {
    let (first, last) = bounds(store).await?;
    let everything = [SqlValue::Integer(first), SqlValue::Integer(last + 1)];
    let base_full = timed_query(store, baseline_sql, &everything).await?;
    let started = Instant::now();
    let mut runs = 0;
    loop {
        let report = metrics::refresh(store, settings, Utc::now()).await?;
        runs += 1;
        if !report.more_pending {
            break;
        }
    }
    let full = started.elapsed();
    store.report(args.profile, "first run");
    lines.push(Line::new(
        format!(
            "full first run, {} events{}",
            platform.base_events,
            if runs > 1 {
                format!(" ({runs} runs)")
            } else {
                String::new()
            }
        ),
        full,
        Some(base_full),
    ));
    Ok(())
}

/// One row of the results table.
struct Line {
    step: String,
    engine: String,
    baseline: String,
    ratio: String,
}

impl Line {
    fn new(step: impl Into<String>, engine: Duration, baseline: Option<Duration>) -> Line {
        Line {
            step: step.into(),
            engine: show(engine),
            baseline: baseline.map(show).unwrap_or_default(),
            ratio: baseline
                .map(|b| format!("{:.3}", engine.as_secs_f64() / b.as_secs_f64()))
                .unwrap_or_default(),
        }
    }
}

fn show(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.2} s")
    } else {
        format!("{:.2} ms", s * 1e3)
    }
}

async fn run(args: &Args) -> Result<()> {
    if args.reads_only {
        let mut store = Timed::new(platform::open(&args.dir.join("work.db")).await?);
        metrics::ensure_schema(&mut store).await?;
        let mut lines = Vec::new();
        read_every_dashboard(&mut store, &args.dir.join("work.db"), args, &mut lines).await?;
        print_lines(&lines);
        return Ok(());
    }
    let shape = IncrementShape {
        size: args.increment,
        late: args.late,
        old: args.old,
    };
    let cache = match (args.no_cache, args.in_place) {
        (true, _) => Cache::None,
        (false, true) => Cache::InPlace,
        (false, false) => Cache::Copy,
    };
    let platform = platform::prepare(&args.dir, args.events, shape, cache).await?;
    if args.prepare_only {
        return Ok(());
    }
    let settings = Settings::from_variables(
        args.zones.as_deref(),
        args.max_events_per_run.map(|n| n.to_string()).as_deref(),
    )?;
    let mut store = Timed::new(platform::open(&platform.db).await?);
    println!(
        "# metrics-bench {}: {} base events + {} new; zones {:?}; {}",
        Utc::now().format("%Y-%m-%d %H:%M UTC"),
        platform.base_events,
        platform.increment.len(),
        settings.zones.iter().map(|z| z.name()).collect::<Vec<_>>(),
        std::env::consts::ARCH,
    );
    let mut lines = Vec::new();

    let baseline_sql = baseline::sql(None);
    let refreshed = platform::refreshed(&args.dir, args.events, shape);
    if args.from_refreshed && refreshed.exists() {
        drop(store);
        platform::remove_db(&platform.db)?;
        std::fs::copy(&refreshed, &platform.db)?;
        eprintln!(
            "# starting from the refreshed store {}",
            refreshed.display()
        );
        store = Timed::new(platform::open(&platform.db).await?);
        // This build's schema, as a deployment applies it before its first run: a store
        // kept by an earlier build would otherwise time its migration in the run.
        metrics::ensure_schema(store.inner()).await?;
    } else {
        first_run(
            &mut store,
            &settings,
            &platform,
            &baseline_sql,
            args,
            &mut lines,
        )
        .await?;
        if args.from_refreshed {
            platform::checkpoint(store.inner()).await?;
            std::fs::copy(&platform.db, &refreshed)?;
        }
    }

    let before_ingest = rows_written(&mut store).await?;
    let started = Instant::now();
    platform::insert(store.inner(), &platform.increment).await?;
    let ingest = started.elapsed();
    let (first, last) = bounds(&mut store).await?;
    let everything = [SqlValue::Integer(first), SqlValue::Integer(last + 1)];
    let before_run = rows_written(&mut store).await?;
    // The bench's own queries: keep them out of the run's profile.
    store.clear();
    let started = Instant::now();
    let report = metrics::refresh(&mut store, &settings, Utc::now()).await?;
    let incremental = started.elapsed();
    store.report(args.profile, "incremental run");
    let after_run = rows_written(&mut store).await?;
    // What each wrote, for a cost per row: the ingestion writes one row per event. The
    // log holds the pages the run wrote (its commit checkpointed the ingestion's).
    let log = store
        .query("PRAGMA wal_checkpoint(PASSIVE)", &[])
        .await?
        .first()
        .and_then(|row| row.get(1))
        .and_then(SqlValue::as_i64)
        .unwrap_or(-1);
    eprintln!(
        "# rows written: the ingestion {} in {ingest:.2?}, the incremental run {} in \
         {incremental:.2?}; pages the run wrote to the log: {log}",
        before_run - before_ingest,
        after_run - before_run
    );
    let base_again = timed_query(&mut store, &baseline_sql, &everything).await?;
    lines.push(Line::new(
        format!(
            "incremental run, {} new events ({} buckets)",
            platform.increment.len(),
            report.buckets_recomputed
        ),
        incremental,
        Some(base_again),
    ));
    let started = Instant::now();
    let again = metrics::refresh(&mut store, &settings, Utc::now()).await?;
    anyhow::ensure!(again.from_seq == again.to_seq, "the re-run found events");
    lines.push(Line::new("re-run, nothing new", started.elapsed(), None));
    lines.push(Line::new(
        format!(
            "(ingesting the {} new events, not part of the run)",
            platform.increment.len()
        ),
        ingest,
        None,
    ));

    read_every_dashboard(&mut store, &platform.db, args, &mut lines).await?;
    print_lines(&lines);
    drop(store);
    if !args.keep {
        platform::remove_db(&platform.db)?;
        if cache == Cache::InPlace {
            std::fs::remove_dir_all(&args.dir)?;
        }
    }
    Ok(())
}

/// Times a year of daily series of every dashboard (to the last event's day), each against
/// the baseline pass over the same year, and checks the `dau` series. With `--host`, the
/// same reads through HTTP too, on `db` (the store's file).
async fn read_every_dashboard(
    store: &mut Timed,
    db: &Path,
    args: &Args,
    lines: &mut Vec<Line>,
) -> Result<()> {
    let (_, last) = bounds(store).await?;
    let to = metrics::Zone::UTC.date_of(last);
    let from = to.checked_sub_days(Days::new(364)).context("date")?;
    let year = [
        SqlValue::Integer(metrics::Zone::UTC.day_start(from)),
        SqlValue::Integer(metrics::Zone::UTC.day_start(to) + 86_400_000),
    ];
    let query_string = format!("from={from}&to={to}");
    let mut responses = Responses::open(&args.dir.join("responses.db")).await?;
    let mut over_http = Vec::new().into_iter();
    if let Some(host) = &args.host {
        let times = http::time_route(host, store, db, &args.dir, &query_string, args.reads).await?;
        lines.push(Line::new(
            "POST /metrics/refresh over HTTP after a change: renders the dashboards read (JSON and gzip)",
            times.refresh_rendering,
            None,
        ));
        over_http = times.dashboards.into_iter();
    }
    for dashboard in Dashboard::ALL {
        let times = reads(store, &mut responses, dashboard, &query_string, args.reads).await?;
        let sql = baseline::sql(Some(dashboard));
        let mut base = Vec::new();
        for _ in 0..args.baseline_reads.max(1) {
            base.push(timed_query(store, &sql, &year).await?);
        }
        let base = percentiles(&mut base);
        let name = dashboard.path();
        for (step, engine, base) in [
            (
                format!("read {name}, p50 ({} points)", times.points),
                times.rendered.0,
                base.0,
            ),
            (format!("read {name}, p99"), times.rendered.1, base.1),
            (
                format!("read {name} through the cache, first (renders and keeps it)"),
                times.first,
                base.0,
            ),
            (
                format!("read {name} through the cache, then p50"),
                times.cached.0,
                base.0,
            ),
            (
                format!("read {name} through the cache, then p99"),
                times.cached.1,
                base.1,
            ),
        ] {
            lines.push(Line::new(step, engine, Some(base)));
        }
        if let Some((_, route)) = over_http.next() {
            for (step, engine, base) in [
                (
                    format!("GET /metrics/{name} over HTTP, rendered, p50"),
                    route.rendered.0,
                    base.0,
                ),
                (
                    format!("GET /metrics/{name} over HTTP, rendered, p99"),
                    route.rendered.1,
                    base.1,
                ),
                (
                    format!("GET /metrics/{name} over HTTP through the cache, first"),
                    route.first,
                    base.0,
                ),
                (
                    format!("GET /metrics/{name} over HTTP through the cache, then p50"),
                    route.cached.0,
                    base.0,
                ),
                (
                    format!("GET /metrics/{name} over HTTP through the cache, then p99"),
                    route.cached.1,
                    base.1,
                ),
                (
                    format!(
                        "GET /metrics/{name} over HTTP, gzip ({} of {} bytes), first",
                        route.sizes.1, route.sizes.0
                    ),
                    route.gzip_first,
                    base.0,
                ),
                (
                    format!("GET /metrics/{name} over HTTP, gzip, then p50"),
                    route.gzip.0,
                    base.0,
                ),
                (
                    format!("GET /metrics/{name} over HTTP, gzip, then p99"),
                    route.gzip.1,
                    base.1,
                ),
                (
                    format!("GET /metrics/{name} over HTTP after that refresh, the first"),
                    route.after_change.0,
                    base.0,
                ),
                (
                    format!("GET /metrics/{name} over HTTP after that refresh, gzip, the first"),
                    route.after_change.1,
                    base.0,
                ),
            ] {
                lines.push(Line::new(step, engine, Some(base)));
            }
        }
    }
    watched_after_a_change(store, &mut responses, &query_string, lines).await?;
    check_dau(store, &query_string, &year).await?;
    store.clear();
    Ok(())
}

/// After the reads above, every dashboard is watched: times what a run that changes the
/// metrics adds to render them again (the version is bumped by hand, as such a run sets
/// it), and the first read of each after it, which the cache serves.
async fn watched_after_a_change(
    store: &mut Timed,
    responses: &mut Responses,
    query_string: &str,
    lines: &mut Vec<Line>,
) -> Result<()> {
    let settings = Settings::default();
    let bump = "UPDATE metric_version SET version = version || '+' WHERE id = 1";
    store.execute(bump, &[]).await?;
    let started = Instant::now();
    let report =
        metrics::render_watched_dashboards(store, responses, &settings, Utc::now()).await?;
    let rendering = started.elapsed();
    anyhow::ensure!(
        report.rendered == Dashboard::ALL.len(),
        "rendered {} watched dashboards, not {}",
        report.rendered,
        Dashboard::ALL.len()
    );
    lines.push(Line::new(
        format!(
            "rendering the {} watched dashboards, in a run that changed the metrics",
            report.rendered
        ),
        rendering,
        None,
    ));
    for dashboard in Dashboard::ALL {
        let query =
            DashboardQuery::parse(dashboard.path(), Some(query_string), Utc::now(), &settings)?;
        let started = Instant::now();
        let body =
            metrics::read_dashboard_json_cached(store, responses, &query, Utc::now()).await?;
        let first = started.elapsed();
        anyhow::ensure!(
            body == metrics::read_dashboard_json(store, &query).await?,
            "the first read after the run differs from the rendered one"
        );
        lines.push(Line::new(
            format!("read {} after that run, the first", dashboard.path()),
            first,
            None,
        ));
    }
    Ok(())
}

fn print_lines(lines: &[Line]) {
    println!("| step | engine | baseline | engine/baseline |");
    println!("|---|---:|---:|---:|");
    for line in lines {
        println!(
            "| {} | {} | {} | {} |",
            line.step, line.engine, line.baseline, line.ratio
        );
    }
}

/// The first and last event instant.
async fn bounds(store: &mut Timed) -> Result<(i64, i64)> {
    let rows = store
        .query(
            "SELECT MIN(timestamp_ms), MAX(timestamp_ms) FROM analytics_events",
            &[],
        )
        .await?;
    let row = rows.first().context("bounds")?;
    Ok((
        row[0].as_i64().context("no events")?,
        row[1].as_i64().context("no events")?,
    ))
}

/// Rows inserted, updated or deleted on this connection so far (SQLite's `total_changes()`).
async fn rows_written(store: &mut Timed) -> Result<i64> {
    let rows = store.query("SELECT total_changes()", &[]).await?;
    rows.first()
        .and_then(|row| row.first())
        .and_then(SqlValue::as_i64)
        .context("total_changes")
}

async fn timed_query(store: &mut Timed, sql: &str, params: &[SqlValue]) -> Result<Duration> {
    let started = Instant::now();
    let rows = store.query(sql, params).await?;
    let spent = started.elapsed();
    anyhow::ensure!(!rows.is_empty(), "the baseline found nothing");
    store.clear();
    Ok(spent)
}

/// How long reading a dashboard took.
struct ReadTimes {
    /// p50 and p99 of reads that render the response from the rows.
    rendered: (Duration, Duration),
    /// The first read through the cache: it renders the response and keeps it.
    first: Duration,
    /// p50 and p99 of the reads the cache then serves.
    cached: (Duration, Duration),
    /// Points in the response.
    points: usize,
}

/// Times `n` reads of a dashboard rendered from the rows, then `n` through the response
/// cache, after a first one that fills it. Also prints the p50 and p99 of the time spent in
/// SQL statements by the rendered reads (the rest is shaping the response) and how many
/// series the response has.
async fn reads(
    store: &mut Timed,
    responses: &mut Responses,
    dashboard: Dashboard,
    query_string: &str,
    n: usize,
) -> Result<ReadTimes> {
    let settings = Settings::default();
    let parse =
        || DashboardQuery::parse(dashboard.path(), Some(query_string), Utc::now(), &settings);
    let mut spent = Vec::with_capacity(n);
    let mut in_sql = Vec::with_capacity(n);
    let (mut points, mut series) = (0, 0);
    let mut body = String::new();
    store.clear();
    for i in 0..n.max(1) + 5 {
        let started = Instant::now();
        let query = parse()?;
        body = metrics::read_dashboard_json(store, &query).await?;
        let total = started.elapsed();
        let sql = store.take_total();
        if i >= 5 {
            spent.push(total);
            in_sql.push(sql);
        }
        let response: serde_json::Value = serde_json::from_str(&body)?;
        let all = response["series"].as_array().context("series")?;
        points = all
            .iter()
            .filter_map(|s| s["points"].as_array())
            .map(Vec::len)
            .sum();
        series = all.len();
    }
    let (sql50, sql99) = percentiles(&mut in_sql);
    println!(
        "# read {}: {series} series, {points} points, {} bytes; in SQL statements p50 {} / p99 {}",
        dashboard.path(),
        body.len(),
        show(sql50),
        show(sql99)
    );

    let started = Instant::now();
    let cached =
        metrics::read_dashboard_json_cached(store, responses, &parse()?, Utc::now()).await?;
    let first = started.elapsed();
    anyhow::ensure!(
        cached == body,
        "the cache's first read differs from the rendered one"
    );
    anyhow::ensure!(
        responses.len().await? > 0,
        "nothing was cached: the store has no metric_version (refresh it with new events)"
    );
    let mut served = Vec::with_capacity(n);
    for _ in 0..n.max(1) {
        let started = Instant::now();
        let cached =
            metrics::read_dashboard_json_cached(store, responses, &parse()?, Utc::now()).await?;
        served.push(started.elapsed());
        anyhow::ensure!(
            cached == body,
            "a cached read differs from the rendered one"
        );
    }
    store.clear();
    Ok(ReadTimes {
        rendered: percentiles(&mut spent),
        first,
        cached: percentiles(&mut served),
        points,
    })
}

/// Checks that the engine's `dau` series equals the baseline's over the year: the one
/// series whose definition both compute identically.
async fn check_dau(store: &mut Timed, query_string: &str, year: &[SqlValue]) -> Result<()> {
    let query = DashboardQuery::parse(
        "overview",
        Some(query_string),
        Utc::now(),
        &Settings::default(),
    )?;
    let response = metrics::read_dashboard(store, &query).await?;
    let series = response
        .series
        .iter()
        .find(|s| s.metric_name == "dau")
        .context("no dau series")?;
    let engine: Vec<i64> = series
        .points
        .iter()
        .map(|p| p.value.as_f64().unwrap_or(0.0) as i64)
        .collect();
    let rows = store.query(&baseline::sql(None), year).await?;
    let base: Vec<i64> = rows.iter().map(|r| r[1].as_i64().unwrap_or(0)).collect();
    let same = engine.iter().zip(&base).filter(|(a, b)| a == b).count();
    println!(
        "# dau: the engine's {} days and the baseline's {} agree on {same}",
        engine.len(),
        base.len()
    );
    Ok(())
}
