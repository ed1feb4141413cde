//! The cron trigger's entry point: the background job ([`crate::job`]) on a schedule.
//!
//! `handle-cron-event` is a synchronous export (Spin's cron plugin declares it so), and a
//! synchronous task may not block on asynchronous imports. So the job runs on
//! [`SyncSpinStore`] (the synchronous functions of `spin:sqlite`) with the
//! [`SpinEmbedder`] (Spin's `generate-embeddings` is synchronous too): their futures never
//! wait, and [`sql_store::run_ready`] drives the job in one poll.

use chrono::Utc;
use sql_store::spin::SyncSpinStore;

use crate::cache::CacheGuard;
use crate::embedder::SpinEmbedder;
use crate::job::{self, JobReport};

wit_bindgen::generate!({
    world: "fermyon:spin-cron/spin-cron",
    path: "../../wit/spin/deps/spin-cron",
});

struct RecommendCron;

impl Guest for RecommendCron {
    fn handle_cron_event(_metadata: Metadata) -> Result<(), Error> {
        let report = run().map_err(|e| {
            eprintln!("recommend cron: {e}");
            Error::Other(e)
        })?;
        let rebuilt = report.indexes.iter().filter(|i| i.rebuilt).count();
        let refresh = &report.refresh;
        if refresh.to_seq > refresh.from_seq || rebuilt > 0 || report.regenerated > 0 {
            println!(
                "recommend cron: folded events {}..{}, rebuilt {rebuilt} indexes, regenerated {} recommendations",
                refresh.from_seq, refresh.to_seq, report.regenerated
            );
        }
        Ok(())
    }
}

fn run() -> Result<JobReport, String> {
    let mut store = SyncSpinStore::open("default", &[]).map_err(|e| e.to_string())?;
    let (mut cache, mut embedder) = (CacheGuard::take(), SpinEmbedder);
    let job = job::run(
        &mut store,
        &mut cache,
        &mut embedder,
        recommend::request::DEFAULT_REGENERATE,
        Utc::now(),
    );
    sql_store::run_ready(job)
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

export!(RecommendCron);
