//! The cron trigger's entry point: GenerateDashboardMetrics on a schedule.
//!
//! `handle-cron-event` is a synchronous export (Spin's cron plugin declares it so), and a
//! synchronous task may not block on asynchronous imports. So the refresh runs on
//! [`SyncSpinStore`] (the synchronous functions of `spin:sqlite`), whose futures never
//! wait, driven by [`sql_store::run_ready`]. Reading a variable is asynchronous in Spin's
//! interface; the values come from the manifest and answer at once, so it completes in the
//! same poll (and an error, not a trap, if a provider ever made it wait).

use chrono::Utc;
use sql_store::spin::SyncSpinStore;

use crate::cache::{SyncKvCache, render_watched};
use crate::config::Config;

wit_bindgen::generate!({
    world: "fermyon:spin-cron/spin-cron",
    path: "../../wit/spin/deps/spin-cron",
});

struct MetricsCron;

impl Guest for MetricsCron {
    fn handle_cron_event(_metadata: Metadata) -> Result<(), Error> {
        let report = refresh().map_err(|e| {
            eprintln!("metrics cron: {e}");
            Error::Other(e)
        })?;
        if report.to_seq > report.from_seq {
            println!(
                "metrics cron: folded events {}..{}{}",
                report.from_seq,
                report.to_seq,
                if report.more_pending {
                    " (more pending)"
                } else {
                    ""
                }
            );
        }
        Ok(())
    }
}

/// One run, then the watched dashboards rendered ([`render_watched`]).
fn refresh() -> Result<metrics::RefreshReport, String> {
    let settings = sql_store::run_ready(Config::load_settings())
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{e:?}"))?;
    let mut store =
        SyncSpinStore::open("default", &metrics::CONNECTION_PRAGMAS).map_err(|e| e.to_string())?;
    let now = Utc::now();
    let report = sql_store::run_ready(metrics::refresh(&mut store, &settings, now))
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let mut cache = SyncKvCache::open();
    let render = render_watched(&report, &mut store, &mut cache, &settings, now);
    if let Err(e) = sql_store::run_ready(render) {
        eprintln!("metrics cron: rendering the watched dashboards: {e}");
    }
    store.release();
    Ok(report)
}

export!(MetricsCron);
