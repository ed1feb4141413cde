//! The dashboard metrics of the tutoring platform: the metric catalog, the incremental
//! aggregation engine that turns `analytics_events` into pre-aggregated [`DashboardMetric`]
//! rows, and the dashboard read path.
//!
//! This crate is for *what* is computed and *how*: it plans and runs SQL over a
//! [`SqlStore`] (a trait with `execute` and `query`), and shapes the rows into the
//! response of `GET /metrics/{dashboard}`. It is *not* for I/O: it opens no database, reads
//! no clock (callers pass `now`), and checks no credentials (the `auth` crate does). The
//! `metrics` Spin component implements [`SqlStore`] over Spin's SQLite interface and calls:
//!
//! - on `POST /metrics/refresh` and on its cron schedule: [`refresh`];
//! - on `GET /metrics/{dashboard}`: [`DashboardQuery::parse`], then [`read_dashboard_json`]
//!   (after [`ensure_schema`] once per instance); its typed export, [`read_dashboard`].
//!
//! See `docs/METRICS.md` for every metric's definition and for why the incremental refresh
//! gives exactly what a full recomputation would.
//!
//! ```no_run
//! # async fn demo(store: &mut impl metrics::SqlStore) -> Result<(), Box<dyn std::error::Error>> {
//! let settings = metrics::Settings::from_variables(Some("Europe/Paris"), None)?;
//! let now = chrono::Utc::now();
//! let report = metrics::refresh(store, &settings, now).await?;
//! println!("folded events {}..{}", report.from_seq, report.to_seq);
//! let query = metrics::DashboardQuery::parse("overview", Some("tz=Europe/Paris"), now, &settings)?;
//! let body: String = metrics::read_dashboard_json(store, &query).await?;
//! # let _ = body; Ok(()) }
//! ```

mod cache;
pub mod catalog;
mod error;
mod facts;
mod groups;
mod gzip;
mod newly_active;
mod plan;
mod read;
mod refresh;
mod response;
pub mod schema;
mod settings;
mod store;
mod tallies;
pub mod time;
mod watch;
mod windows;

#[cfg(test)]
mod read_tests;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod test_support;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod engine_tests;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod refresh_tests;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod reference;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod proptests;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod demo_tests;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod read_store_tests;

pub use cache::{
    BodyEncoding, CACHE_KEY_PREFIX, ResponseCache, cache_key, read_dashboard_cached,
    read_dashboard_json_cached, read_dashboard_typed_cached,
};
pub use catalog::{Dashboard, METRICS, MetricKind, MetricSpec};
pub use error::{ConfigError, MetricsError, RequestError};
pub use read::{DashboardQuery, MAX_BUCKETS};
pub use refresh::{RefreshReport, ensure_schema, rebuild, refresh};
pub use response::{
    DashboardMetric, DashboardResponse, Point, Series, read_dashboard, read_dashboard_json,
    shape_response, write_response,
};
pub use settings::Settings;
pub use store::{CONNECTION_PRAGMAS, Row, SqlStore, SqlValue, StoreError};
pub use time::{Granularity, Zone};
pub use watch::{MAX_WATCHED, WATCH_FOR, WATCH_KEY_PREFIX, WatchReport, render_watched_dashboards};
pub use windows::FUNNEL_WINDOW_MS;
