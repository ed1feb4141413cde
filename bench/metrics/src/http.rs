//! The dashboard route through the host over HTTP, as an admin's client reads it: the
//! release `metrics` component served by `spin-local` on the bench's store, once with every
//! response rendered from the rows (`spin-rendered.toml`: no key-value store) and once with
//! the response cache (`spin.toml`, as the root manifest), as JSON and as gzip.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use bench_client::{Host, percentiles};
use metrics::{Dashboard, SqlStore};

/// One dashboard's reads over HTTP.
pub struct RouteTimes {
    /// p50 and p99 of rendered reads.
    pub rendered: (Duration, Duration),
    /// The first read through the cache (it renders and keeps the response).
    pub first: Duration,
    /// p50 and p99 of the reads the cache then serves.
    pub cached: (Duration, Duration),
    /// The first read accepting gzip (it compresses the kept response and keeps that).
    pub gzip_first: Duration,
    /// p50 and p99 of the gzip reads the cache then serves (the time to the compressed
    /// bytes; the client's decompression is not in it).
    pub gzip: (Duration, Duration),
    /// The JSON's size and its gzip's, in bytes.
    pub sizes: (usize, usize),
    /// The first read after a run that changed the metrics, as JSON and as gzip.
    pub after_change: (Duration, Duration),
}

/// What the route did over HTTP.
pub struct HttpTimes {
    pub dashboards: Vec<(Dashboard, RouteTimes)>,
    /// `POST /metrics/refresh` after the metrics' version changed: a run that renders every
    /// dashboard read above, as JSON and as gzip.
    pub refresh_rendering: Duration,
}

/// Times `n` reads of every dashboard (after 5 untimed ones) with `query_string`, on the
/// store at `db` (open as `store`), with the host binary `host`. The host's state goes to
/// `dir/http`. Then bumps the metrics' version, as a run that changes them does, and times
/// the refresh that renders the dashboards read and the first read of each after it.
pub async fn time_route(
    host: &Path,
    store: &mut impl SqlStore,
    db: &Path,
    dir: &Path,
    query_string: &str,
    n: usize,
) -> Result<HttpTimes> {
    let state = dir.join("http");
    if state.exists() {
        std::fs::remove_dir_all(&state)?;
    }
    std::fs::create_dir_all(&state)?;
    let db = db
        .canonicalize()
        .with_context(|| db.display().to_string())?;
    let runtime_config = state.join("runtime-config.toml");
    std::fs::write(
        &runtime_config,
        format!(
            "[sqlite_database.default]\ntype = \"spin\"\npath = {:?}\n",
            db.display().to_string()
        ),
    )?;
    let extra = [
        "--runtime-config-file".to_owned(),
        runtime_config.display().to_string(),
    ];
    let manifests = Path::new(env!("CARGO_MANIFEST_DIR"));
    let secret = "metrics-bench-secret-of-at-least-32-bytes";
    let port = free_port()?;

    let start = |manifest: &str| {
        Host::start(
            host,
            &manifests.join(manifest),
            &state,
            port,
            secret,
            &extra,
        )
    };

    let mut rendered = Vec::new();
    {
        let app = start("spin-rendered.toml")?;
        let token = app.token("bench-admin", "admin")?;
        for dashboard in Dashboard::ALL {
            let path = format!("/metrics/{}?{query_string}", dashboard.path());
            let mut times = Vec::with_capacity(n);
            let mut body = String::new();
            for i in 0..n.max(1) + 5 {
                let (spent, text) = app.call_text("GET", &path, &token)?;
                if i >= 5 {
                    times.push(spent);
                }
                body = text;
            }
            rendered.push((dashboard, percentiles(&mut times), body));
        }
    }

    let app = start("spin.toml")?;
    let token = app.token("bench-admin", "admin")?;
    let mut out = Vec::new();
    for (dashboard, rendered, body) in rendered {
        let path = format!("/metrics/{}?{query_string}", dashboard.path());
        let (first, text) = app.call_text("GET", &path, &token)?;
        ensure!(
            text == body,
            "{path}: the cache's first read differs from a rendered one"
        );
        let mut times = Vec::with_capacity(n);
        for _ in 0..n.max(1) {
            let (spent, text) = app.call_text("GET", &path, &token)?;
            ensure!(
                text == body,
                "{path}: a cached read differs from a rendered one"
            );
            times.push(spent);
        }
        let cached = percentiles(&mut times);
        let (gzip_first, compressed) = app.get_gzip(&path, &token)?;
        let mut unzipped = String::new();
        flate2::read::GzDecoder::new(&compressed[..]).read_to_string(&mut unzipped)?;
        ensure!(unzipped == body, "{path}: the gzip body is not the JSON");
        let mut times = Vec::with_capacity(n);
        for _ in 0..n.max(1) {
            let (spent, bytes) = app.get_gzip(&path, &token)?;
            ensure!(bytes.len() == compressed.len(), "{path}: another gzip body");
            times.push(spent);
        }
        out.push((
            dashboard,
            RouteTimes {
                rendered,
                first,
                cached,
                gzip_first,
                gzip: percentiles(&mut times),
                sizes: (body.len(), compressed.len()),
                after_change: (Duration::ZERO, Duration::ZERO),
            },
        ));
    }

    let bump = "UPDATE metric_version SET version = version || '+' WHERE id = 1";
    store.execute(bump, &[]).await?;
    let (refresh_rendering, _) = app.call_text("POST", "/metrics/refresh", &token)?;
    for (dashboard, times) in &mut out {
        let path = format!("/metrics/{}?{query_string}", dashboard.path());
        let (json, text) = app.call_text("GET", &path, &token)?;
        let (gzip, bytes) = app.get_gzip(&path, &token)?;
        // The JSON's size is the same after the change (its `refreshedAt` is as long).
        ensure!(
            text.len() == times.sizes.0 && !bytes.is_empty(),
            "{path}: another body"
        );
        times.after_change = (json, gzip);
    }
    Ok(HttpTimes {
        dashboards: out,
        refresh_rendering,
    })
}

/// A port that was free a moment ago.
fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}
