//! The `tutoring:metrics/dashboards` export (`wit/metrics/metrics.wit`): the dashboard read
//! and the refresh of the HTTP routes, typed, for another component of the app (the GraphQL
//! subgraph) that imports it as a Spin component dependency. No authentication here: the
//! importing component verifies that its caller is an admin.
//!
//! The functions are synchronous, as the interface declares them, so they run on
//! [`SyncSpinStore`], driven by [`sql_store::run_ready`], as the cron export does. The read
//! goes through the route's kept responses ([`SyncKvCache`], `wasi:keyvalue`).

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use chrono::Utc;
use metrics::{DashboardQuery, MetricsError, RequestError, Settings};
use sql_store::spin::SyncSpinStore;

use crate::SCHEMA_READY;
use crate::cache::{SyncKvCache, render_watched};
use crate::config::Config;

wit_bindgen::generate!({
    world: "metrics-provider",
    path: "../../wit/metrics",
});

use exports::tutoring::metrics::dashboards::{
    Dashboard, DashboardQuery as WitQuery, DashboardType, Error, Granularity, Guest, Point,
    RefreshReport, Series,
};

struct Dashboards;

impl Guest for Dashboards {
    fn get_dashboard(query: WitQuery) -> Result<Dashboard, Error> {
        let settings = settings()?;
        let query = dashboard_query(query, &settings).map_err(invalid)?;
        let response = with_store(async |store| {
            if !SCHEMA_READY.load(Ordering::Acquire) {
                metrics::ensure_schema(store).await?;
                SCHEMA_READY.store(true, Ordering::Release);
            }
            let mut cache = SyncKvCache::open();
            metrics::read_dashboard_typed_cached(store, &mut cache, &query, Utc::now()).await
        })?;
        Ok(Dashboard {
            dashboard: dashboard_type(response.dashboard),
            refreshed_at: response.refreshed_at,
            time_zone: response.time_zone,
            granularity: match query.granularity {
                metrics::Granularity::Day => Granularity::Day,
                metrics::Granularity::Week => Granularity::Week,
                metrics::Granularity::Month => Granularity::Month,
            },
            series: response
                .series
                .into_iter()
                .map(|s| Series {
                    metric_name: s.metric_name,
                    dimensions: s.dimensions.into_iter().collect(),
                    points: s
                        .points
                        .into_iter()
                        .map(|p| Point {
                            timestamp: p.timestamp,
                            value: p.value.as_f64().unwrap_or(f64::NAN),
                        })
                        .collect(),
                })
                .collect(),
        })
    }

    fn refresh() -> Result<RefreshReport, Error> {
        let settings = settings()?;
        let report = with_store(async |store| {
            let now = Utc::now();
            let report = metrics::refresh(store, &settings, now).await?;
            let mut cache = SyncKvCache::open();
            render_watched(&report, store, &mut cache, &settings, now).await;
            Ok(report)
        })?;
        Ok(RefreshReport {
            from_seq: report.from_seq,
            to_seq: report.to_seq,
            more_pending: report.more_pending,
            zones_rebuilt: report.zones_rebuilt,
            buckets_recomputed: report.buckets_recomputed as u64,
        })
    }
}

/// The route's query parameters from the typed query, checked by the route's own rules.
fn dashboard_query(q: WitQuery, settings: &Settings) -> Result<DashboardQuery, RequestError> {
    let mut params = BTreeMap::new();
    let given = [
        ("from", q.from),
        ("to", q.to),
        ("granularity", q.granularity.map(|g| granularity(g).into())),
        ("tz", q.time_zone),
        ("breakdown", q.breakdown),
    ];
    for (name, value) in given {
        if let Some(value) = value {
            params.insert(name.to_owned(), value);
        }
    }
    for (name, value) in q.filters {
        if DashboardQuery::PARAMETERS.contains(&name.as_str()) {
            return Err(RequestError::UnknownParameter(name));
        }
        if params.insert(name.clone(), value).is_some() {
            return Err(RequestError::invalid(&name, "given more than once"));
        }
    }
    let path = match q.dashboard {
        DashboardType::Overview => "overview",
        DashboardType::Engagement => "engagement",
        DashboardType::Tutoring => "tutoring",
        DashboardType::Revenue => "revenue",
        DashboardType::Learning => "learning",
    };
    DashboardQuery::from_params(path, params, Utc::now(), settings)
}

fn granularity(g: Granularity) -> &'static str {
    match g {
        Granularity::Day => "day",
        Granularity::Week => "week",
        Granularity::Month => "month",
    }
}

fn dashboard_type(d: metrics::Dashboard) -> DashboardType {
    match d {
        metrics::Dashboard::Overview => DashboardType::Overview,
        metrics::Dashboard::Engagement => DashboardType::Engagement,
        metrics::Dashboard::Tutoring => DashboardType::Tutoring,
        metrics::Dashboard::Revenue => DashboardType::Revenue,
        metrics::Dashboard::Learning => DashboardType::Learning,
    }
}

/// The settings; reading a variable answers in the same poll (see [`crate::cron`]).
fn settings() -> Result<Settings, Error> {
    sql_store::run_ready(Config::load_settings())
        .map_err(|e| Error::Internal(e.to_string()))?
        .map_err(|e| {
            eprintln!("metrics interface: {e:?}");
            Error::Internal("the metrics service is misconfigured".into())
        })
}

/// Runs `f` on the database in one poll, on a connection kept between calls.
fn with_store<T>(
    f: impl AsyncFnOnce(&mut SyncSpinStore) -> Result<T, MetricsError>,
) -> Result<T, Error> {
    let mut store = SyncSpinStore::open("default", &metrics::CONNECTION_PRAGMAS).map_err(|e| {
        eprintln!("metrics interface: {e}");
        Error::Unavailable("the metrics store is unavailable; retry".into())
    })?;
    let value = sql_store::run_ready(f(&mut store))
        .map_err(|e| Error::Internal(e.to_string()))?
        .map_err(|e| {
            eprintln!("metrics interface: {e}");
            match &e {
                MetricsError::Store { source, .. } if source.is_locked() => {
                    Error::Unavailable("the metrics store is busy; retry".into())
                }
                _ => Error::Internal("the metrics could not be computed".into()),
            }
        })?;
    // Done, outside any transaction: the next call reuses the connection and its page cache.
    store.release();
    Ok(value)
}

fn invalid(e: RequestError) -> Error {
    Error::InvalidInput(e.to_string())
}

export!(Dashboards);
