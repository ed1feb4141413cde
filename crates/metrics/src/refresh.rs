//! GenerateDashboardMetrics: one incremental refresh, in one transaction.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::catalog::{MetricKind, names_where};
use crate::error::{MetricsError, at};
use crate::groups::{self, DELETE};
use crate::newly_active::{self, NewActivity};
use crate::plan::{Cell, Touched, ZonePlan};
use crate::schema::{RESET_STATEMENTS, SCHEMA_STATEMENTS};
use crate::settings::Settings;
use crate::store::{Row, SqlStore, SqlValue};
use crate::time::{Bucket, Granularity, Zone};
use crate::{facts, tallies, windows};

/// What a refresh did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshReport {
    /// The last ingestion sequence number folded in before this run.
    pub from_seq: i64,
    /// The last one folded in by this run (equal to `from_seq` when nothing was new).
    pub to_seq: i64,
    /// Whether events are left for the next run (`max_events_per_run` was reached).
    pub more_pending: bool,
    /// Zones built in full by this run (newly configured, or the first run).
    pub zones_rebuilt: Vec<String>,
    /// How many buckets (and retention cells) were recomputed, over all zones.
    pub buckets_recomputed: usize,
}

impl RefreshReport {
    /// Whether the run may have changed the served metrics: it folded events in or built a
    /// zone. (A run with nothing new changes only `refreshedAt`.)
    pub fn changed(&self) -> bool {
        self.to_seq > self.from_seq || !self.zones_rebuilt.is_empty()
    }
}

/// Creates the engine's tables (and `analytics_events`, so a refresh before the first
/// ingestion works). Idempotent, and one read when the store already has this version of
/// them; run it once per component instance before reads.
pub async fn ensure_schema<S: SqlStore>(store: &mut S) -> Result<(), MetricsError> {
    let statements = events::store::SCHEMA_STATEMENTS
        .iter()
        .chain(SCHEMA_STATEMENTS)
        .copied();
    sql_store::ensure_schema(store, "metrics", statements)
        .await
        .map_err(at("schema"))?;
    Ok(())
}

/// Folds the events ingested since the last run into the dashboard metrics, recomputing only
/// the buckets they touch, in one `BEGIN IMMEDIATE` transaction: two refreshes at once run
/// one after the other, and the second finds nothing new. `now` is recorded as the
/// dashboards' `refreshedAt`.
pub async fn refresh<S: SqlStore>(
    store: &mut S,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<RefreshReport, MetricsError> {
    ensure_schema(store).await?;
    transaction(store, async |store: &mut S| run(store, settings, now).await).await
}

/// Deletes everything the engine derived and rebuilds it from all stored events (after a
/// change of metric definitions). The same transaction guarantees as [`refresh`].
pub async fn rebuild<S: SqlStore>(
    store: &mut S,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<RefreshReport, MetricsError> {
    ensure_schema(store).await?;
    transaction(store, async |store: &mut S| {
        for statement in RESET_STATEMENTS {
            store.execute(statement, &[]).await.map_err(at("reset"))?;
        }
        run(store, settings, now).await
    })
    .await
}

/// Runs `body` in a transaction ([`sql_store::transaction`]), naming the failed step.
async fn transaction<S: SqlStore, T>(
    store: &mut S,
    body: impl AsyncFnOnce(&mut S) -> Result<T, MetricsError>,
) -> Result<T, MetricsError> {
    sql_store::transaction(store, |step, e| at(step)(e), body).await
}

async fn run<S: SqlStore>(
    store: &mut S,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<RefreshReport, MetricsError> {
    let last = single_i64(
        store,
        "SELECT last_seq FROM metric_state WHERE id = 1",
        &[],
        "state",
    )
    .await?
    .unwrap_or(0);
    let newest = single_i64(
        store,
        "SELECT MAX(seq) FROM analytics_events",
        &[],
        "newest",
    )
    .await?
    .unwrap_or(0);
    let upto = match settings.max_events_per_run {
        Some(limit) => single_i64(
            store,
            "SELECT MAX(seq) FROM (SELECT seq FROM analytics_events WHERE seq > ?1 ORDER BY seq LIMIT ?2)",
            &[SqlValue::Integer(last), SqlValue::Integer(i64::try_from(limit).unwrap_or(i64::MAX))],
            "upto",
        )
        .await?
        .unwrap_or(last),
        None => newest.max(last),
    };
    let ready: Vec<String> = store
        .query("SELECT zone FROM metric_zones", &[])
        .await
        .map_err(at("zones"))?
        .iter()
        .filter_map(|row| row.first().and_then(SqlValue::as_str).map(str::to_owned))
        .collect();
    let mut touched = Touched {
        old_range: activity_range(store).await?,
        ..Touched::default()
    };
    if upto > last {
        // Tallies are updated from deltas only in zones already built.
        let deltas = settings
            .zones
            .iter()
            .any(|z| ready.iter().any(|r| r == z.name()));
        fold_events(store, last, upto, deltas).await?;
        touched.slots = column_i64(
            store,
            "SELECT DISTINCT slot_ms FROM metric_slot_deltas",
            "touched",
        )
        .await?;
        touched.event_slots = column_i64(
            store,
            "SELECT slot_ms FROM metric_touched WHERE kind = 'event'",
            "touched",
        )
        .await?;
        touched.member_slots = column_i64(
            store,
            "SELECT slot_ms FROM metric_touched_cohorts WHERE kind = 'members'",
            "cohorts",
        )
        .await?;
        touched.cohort_slots = column_i64(
            store,
            "SELECT slot_ms FROM metric_touched_cohorts",
            "cohorts",
        )
        .await?;
    }
    touched.new_range = activity_range(store).await?;

    let mut report = RefreshReport {
        from_seq: last,
        to_seq: upto,
        more_pending: newest > upto,
        zones_rebuilt: Vec::new(),
        buckets_recomputed: 0,
    };
    for zone in &settings.zones {
        let full = !ready.iter().any(|r| r == zone.name());
        if full {
            report.zones_rebuilt.push(zone.name().to_owned());
        }
        let plan = ZonePlan::new(*zone, &touched, full);
        report.buckets_recomputed += plan.size();
        recompute(store, *zone, &plan).await?;
    }
    let configured: Vec<&str> = settings.zones.iter().map(|z| z.name()).collect();
    let dropped = ready.iter().any(|r| !configured.contains(&r.as_str()));
    if dropped {
        let names = SqlValue::Text(json(&configured));
        for sql in [
            "DELETE FROM dashboard_metrics WHERE zone NOT IN (SELECT value FROM json_each(?1))",
            "DELETE FROM metric_tallies WHERE zone NOT IN (SELECT value FROM json_each(?1))",
            "DELETE FROM metric_zones WHERE zone NOT IN (SELECT value FROM json_each(?1))",
        ] {
            exec(store, sql, std::slice::from_ref(&names), "drop zones").await?;
        }
    }
    for zone in &report.zones_rebuilt {
        let sql = "INSERT OR IGNORE INTO metric_zones (zone) VALUES (?1)";
        exec(store, sql, &[SqlValue::Text(zone.clone())], "zones").await?;
    }
    for table in RUN_TABLES {
        exec(store, &format!("DELETE FROM {table}"), &[], "touched").await?;
    }
    let refreshed_at = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    if report.changed() || dropped {
        exec(
            store,
            "INSERT INTO metric_version (id, version) VALUES (1, ?1) \
             ON CONFLICT (id) DO UPDATE SET version = excluded.version",
            &[SqlValue::Text(format!("{upto}@{refreshed_at}"))],
            "version",
        )
        .await?;
    }
    exec(
        store,
        "INSERT INTO metric_state (id, last_seq, refreshed_at) VALUES (1, ?1, ?2) \
         ON CONFLICT (id) DO UPDATE SET last_seq = excluded.last_seq, refreshed_at = excluded.refreshed_at",
        &[SqlValue::Integer(upto), SqlValue::Text(refreshed_at)],
        "state",
    )
    .await?;
    Ok(report)
}

/// The tables of one run's changes, emptied before and after it.
const RUN_TABLES: [&str; 5] = [
    "metric_touched",
    "metric_touched_cohorts",
    "metric_slot_deltas",
    "metric_bucket_deltas",
    "metric_new_activity",
];

/// Folds the events `(last, upto]` into the facts, recording what they touch.
async fn fold_events<S: SqlStore>(
    store: &mut S,
    last: i64,
    upto: i64,
    deltas: bool,
) -> Result<(), MetricsError> {
    let range = [SqlValue::Integer(last), SqlValue::Integer(upto)];
    for table in RUN_TABLES {
        exec(store, &format!("DELETE FROM {table}"), &[], "touched").await?;
    }
    for sql in facts::touches() {
        exec(store, &sql, &range, "touch").await?;
    }
    if deltas {
        exec(
            store,
            &newly_active::record_new_activity(),
            &range,
            "new activity",
        )
        .await?;
    }
    let deltas_of = |sign| {
        if deltas {
            tallies::deltas(sign)
        } else {
            Vec::new()
        }
    };
    for sql in deltas_of(-1) {
        exec(store, &sql, &range, "deltas").await?;
    }
    if deltas {
        exec(store, newly_active::ADD_NEW_ACTIVITY, &[], "activity").await?;
    } else {
        exec(store, &facts::record_activity(), &range, "activity").await?;
    }
    for sql in facts::upserts() {
        exec(store, &sql, &range, "facts").await?;
    }
    for sql in deltas_of(1) {
        exec(store, &sql, &range, "deltas").await?;
    }
    exec(store, &facts::joined_cohorts(), &range, "cohorts").await
}

/// The first and last slot with activity. Two subqueries: SQLite reads a lone `MIN` or `MAX`
/// from one end of an index, but `MIN(x), MAX(x)` together scan all of it (a tenth of a
/// second at 1M events, every run).
async fn activity_range<S: SqlStore>(store: &mut S) -> Result<Option<(i64, i64)>, MetricsError> {
    let rows = store
        .query(
            "SELECT (SELECT MIN(slot_ms) FROM metric_activity), \
             (SELECT MAX(slot_ms) FROM metric_activity)",
            &[],
        )
        .await
        .map_err(at("activity range"))?;
    let row = rows.first().ok_or(MetricsError::BadRow {
        step: "activity range",
    })?;
    Ok(match (row.first(), row.get(1)) {
        (Some(SqlValue::Integer(min)), Some(SqlValue::Integer(max))) => Some((*min, *max)),
        _ => None,
    })
}

/// Recomputes the plan's buckets in one zone.
async fn recompute<S: SqlStore>(
    store: &mut S,
    zone: Zone,
    plan: &ZonePlan,
) -> Result<(), MetricsError> {
    let counted = tallies::counted();
    let counted_sql = tallies::counted_from_tallies();
    let derived = groups::derived();
    let zone_name = SqlValue::Text(zone.name().to_owned());
    exec(store, tallies::CLEAR_BUCKET_DELTAS, &[], "tallies").await?;
    for (i, g) in Granularity::ALL.into_iter().enumerate() {
        let buckets = &plan.buckets[i];
        if buckets.is_empty() {
            continue;
        }
        let params = |names: &[&str]| {
            vec![
                zone_name.clone(),
                SqlValue::Text(g.as_str().to_owned()),
                SqlValue::Text(bucket_json(buckets)),
                SqlValue::Text(json(names)),
            ]
        };
        // The served rows of sums and `paying_users` follow their tallies: written at once
        // when the zone is built in full, as the deltas change them otherwise.
        let p = params(&[]);
        if plan.full {
            exec(store, tallies::CLEAR, &p[..2], "clear tallies").await?;
            for sql in tallies::build_granularity(g) {
                exec(store, &sql, &p[..3], "build tallies").await?;
            }
            exec(store, DELETE, &params(&counted), "counted").await?;
            exec(store, &counted_sql, &p[..3], "counted").await?;
        } else {
            for (sql, n) in tallies::apply(g) {
                exec(store, &sql, &p[..n], "tallies").await?;
            }
        }
        let boards = tallies::leaderboards();
        let (sql, p) = (groups::insert(&boards.select), params(&boards.metrics));
        replace(store, plan.full, (&sql, &p[..3]), &p, "leaderboards").await?;
        for metric in &derived {
            let p = params(&[metric.name]);
            if plan.full {
                replace(store, true, (&metric.insert, &p[..3]), &p, "derived").await?;
                continue;
            }
            // Only the series whose inputs changed.
            let insert = (metric.insert_changed.as_str(), &p[..2]);
            let vanished = (metric.delete_vanished_changed.as_str(), &p[..2]);
            write_changed(store, insert, vanished, "derived").await?;
        }
    }
    let activity = match plan.rolling_updated {
        Some(_) => NewActivity::load(store, zone).await?,
        None => None,
    };
    recompute_rolling(store, zone, plan, activity.as_ref()).await?;
    recompute_cohorts(store, zone, plan, activity.as_ref()).await
}

/// Replaces the rows of the metrics `p[3]` in the buckets `p[2]` (zone `p[0]`, granularity
/// `p[1]`) with those `insert` writes (run with its parameters). A zone built in full deletes
/// them and inserts. Otherwise the rows are staged and only those that differ are written:
/// most rows of a touched month (every course's, every subject's) are as they were, and
/// deleting and inserting each one again rewrote it and its entry in the read path's index.
async fn replace<S: SqlStore>(
    store: &mut S,
    full: bool,
    (insert, insert_params): (&str, &[SqlValue]),
    p: &[SqlValue],
    step: &'static str,
) -> Result<(), MetricsError> {
    if full {
        exec(store, DELETE, p, step).await?;
        return exec(store, insert, insert_params, step).await;
    }
    let vanished = (groups::DELETE_VANISHED, p);
    write_changed(store, (insert, insert_params), vanished, step).await
}

/// Stages the rows `insert` writes (run with its parameters), deletes the served rows
/// `vanished` finds missing from them, and writes the staged rows that differ.
async fn write_changed<S: SqlStore>(
    store: &mut S,
    (insert, insert_params): (&str, &[SqlValue]),
    (vanished, vanished_params): (&str, &[SqlValue]),
    step: &'static str,
) -> Result<(), MetricsError> {
    exec(store, &groups::staged(insert), insert_params, step).await?;
    exec(store, vanished, vanished_params, step).await?;
    for sql in groups::WRITE_CHANGED {
        exec(store, sql, &[], step).await?;
    }
    Ok(())
}

async fn recompute_rolling<S: SqlStore>(
    store: &mut S,
    zone: Zone,
    plan: &ZonePlan,
    activity: Option<&NewActivity>,
) -> Result<(), MetricsError> {
    let zone_name = SqlValue::Text(zone.name().to_owned());
    let day = SqlValue::Text(Granularity::Day.as_str().to_owned());
    // First the days that have gauges, so a run of days gained after them carries on from
    // the last one's final gauges.
    if let (Some(days), Some(activity)) = (plan.rolling_updated, activity) {
        activity.add_to_gauges(store, days).await?;
    }
    for (from, to) in &plan.rolling_runs {
        let (start, end) = (
            zone.day_start(*from),
            zone.bucket(Granularity::Day, *to).end,
        );
        let range = [
            zone_name.clone(),
            SqlValue::Integer(start),
            SqlValue::Integer(end),
        ];
        exec(
            store,
            windows::DELETE_ROLLING_DAYS,
            &range,
            "delete rolling",
        )
        .await?;
        // Carried on from the day before when there is one with gauges, and the run is no
        // longer than the month window (a longer one reads less in one pass over all).
        let gained: Vec<NaiveDate> = crate::time::days_between(*from, *to).collect();
        let short = gained.len() <= CARRIED_DAYS;
        let before = from
            .pred_opt()
            .filter(|d| short && plan.rolling_updated.is_some_and(|(_, last)| last == *d));
        let carried = match before {
            Some(before) => day_windows(store, zone, before).await?,
            None => None,
        };
        if let Some((wau, mau)) = carried {
            let days: Vec<[i64; 8]> = gained.iter().map(|d| carried_day(zone, *d)).collect();
            let p = [
                zone_name.clone(),
                day.clone(),
                SqlValue::Text(json(&days)),
                wau,
                mau,
            ];
            exec(store, windows::ROLLING_CARRIED, &p, "rolling").await?;
            continue;
        }
        let lead = from
            .checked_sub_days(chrono::Days::new(27))
            .unwrap_or(*from);
        let days: Vec<Bucket> = crate::time::days_between(lead, *to)
            .map(|d| zone.bucket(Granularity::Day, d))
            .collect();
        let p = [
            zone_name.clone(),
            day.clone(),
            SqlValue::Text(bucket_json(&days)),
        ];
        exec(store, windows::ROLLING_DAYS, &p, "rolling").await?;
    }
    let rolling = names_where(|m| m.kind == MetricKind::Rolling);
    for (i, g) in Granularity::ALL.into_iter().enumerate() {
        let buckets = &plan.rolling_periods[i];
        if buckets.is_empty() {
            continue;
        }
        let p = [
            zone_name.clone(),
            SqlValue::Text(g.as_str().to_owned()),
            SqlValue::Text(bucket_json(buckets)),
            SqlValue::Text(json(&rolling)),
        ];
        let insert = (windows::ROLLING_PERIODS, &p[..3]);
        replace(store, plan.full, insert, &p, "rolling periods").await?;
    }
    Ok(())
}

async fn recompute_cohorts<S: SqlStore>(
    store: &mut S,
    zone: Zone,
    plan: &ZonePlan,
    activity: Option<&NewActivity>,
) -> Result<(), MetricsError> {
    let zone_name = SqlValue::Text(zone.name().to_owned());
    for (i, g) in Granularity::ALL.into_iter().enumerate() {
        let gran = SqlValue::Text(g.as_str().to_owned());
        // First the cells of the periods gained, empty; then what the newly active users
        // add to the cells; the cells the plan recomputes are then replaced whole.
        if !plan.new_cells[i].is_empty() {
            let p = [
                zone_name.clone(),
                gran.clone(),
                SqlValue::Text(json(&cell_rows(&plan.new_cells[i]))),
            ];
            let sql = windows::empty_retention(g.as_str());
            exec(store, &sql, &p, "retention").await?;
        }
        if let Some(activity) = activity {
            activity.add_to_retention(store, g).await?;
        }
        if !plan.cohorts[i].is_empty() {
            let p = [
                zone_name.clone(),
                gran.clone(),
                SqlValue::Text(bucket_json(&plan.cohorts[i])),
                SqlValue::Text(json(&["funnel_users", "funnel_conversion"])),
            ];
            exec(store, DELETE, &p, "delete funnel").await?;
            exec(store, &windows::funnel(), &p[..3], "funnel").await?;
        }
        if !plan.cells[i].is_empty() {
            let p = [
                zone_name.clone(),
                gran.clone(),
                SqlValue::Text(json(&cell_rows(&plan.cells[i]))),
            ];
            exec(
                store,
                &windows::delete_retention(g.as_str()),
                &p,
                "delete retention",
            )
            .await?;
            exec(store, &windows::retention(g.as_str()), &p, "retention").await?;
        }
    }
    Ok(())
}

/// Cells as the retention statements take them: `[cohort start, cohort end, offset,
/// period start, period end]`.
fn cell_rows(cells: &[Cell]) -> Vec<[i64; 5]> {
    cells
        .iter()
        .map(|c| {
            [
                c.cohort.start,
                c.cohort.end,
                i64::from(c.offset),
                c.period.start,
                c.period.end,
            ]
        })
        .collect()
}

/// The longest run of days whose gauges are carried on from the day before.
const CARRIED_DAYS: usize = 28;

/// The `wau` and `mau` stored for `date`, if it has both.
async fn day_windows<S: SqlStore>(
    store: &mut S,
    zone: Zone,
    date: NaiveDate,
) -> Result<Option<(SqlValue, SqlValue)>, MetricsError> {
    let params = [
        SqlValue::Text(zone.name().to_owned()),
        SqlValue::Integer(zone.day_start(date)),
    ];
    let rows = store
        .query(windows::DAY_WINDOWS, &params)
        .await
        .map_err(at("rolling"))?;
    Ok(match rows.first().map(Vec::as_slice) {
        Some([wau @ SqlValue::Integer(_), mau @ SqlValue::Integer(_)]) => {
            Some((wau.clone(), mau.clone()))
        }
        _ => None,
    })
}

/// A day's row of [`windows::ROLLING_CARRIED`]: its bounds, where its week and month windows
/// start, and the bounds of the days that leave them.
fn carried_day(zone: Zone, date: NaiveDate) -> [i64; 8] {
    let back = |n: u64| {
        date.checked_sub_days(chrono::Days::new(n))
            .map_or(i64::MIN, |d| zone.day_start(d))
    };
    let day = zone.bucket(Granularity::Day, date);
    [
        day.start,
        day.end,
        back(6),
        back(27),
        back(7),
        back(6),
        back(28),
        back(27),
    ]
}

fn bucket_json(buckets: &[Bucket]) -> String {
    let pairs: Vec<[i64; 2]> = buckets.iter().map(|b| [b.start, b.end]).collect();
    json(&pairs)
}

fn json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".to_owned())
}

async fn exec<S: SqlStore>(
    store: &mut S,
    sql: &str,
    params: &[SqlValue],
    step: &'static str,
) -> Result<(), MetricsError> {
    store.execute(sql, params).await.map_err(at(step))
}

async fn single_i64<S: SqlStore>(
    store: &mut S,
    sql: &str,
    params: &[SqlValue],
    step: &'static str,
) -> Result<Option<i64>, MetricsError> {
    let rows: Vec<Row> = store.query(sql, params).await.map_err(at(step))?;
    Ok(rows
        .first()
        .and_then(|r| r.first())
        .and_then(SqlValue::as_i64))
}

async fn column_i64<S: SqlStore>(
    store: &mut S,
    sql: &str,
    step: &'static str,
) -> Result<Vec<i64>, MetricsError> {
    let rows = store.query(sql, &[]).await.map_err(at(step))?;
    rows.iter()
        .map(|r| {
            r.first()
                .and_then(SqlValue::as_i64)
                .ok_or(MetricsError::BadRow { step })
        })
        .collect()
}
