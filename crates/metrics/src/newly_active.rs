//! What the users the new events made active add to the rolling gauges (`dau`, `wau`,
//! `mau`, `stickiness`) of the days that have them, and to the retention cells that exist.
//!
//! New activity only adds users to windows and periods. A user newly active on day `d`
//! adds 1 to the `dau` of `d` and to the `wau` (`mau`) of every day of `[d, d + 6]` (`[d, d +
//! 27]`) whose window held none of the user's earlier activity; and, in each granularity,
//! 1 to the retention cell of their cohort in each period they are newly active in. So a run
//! reads the activity of the users it saw, around their new days, instead of every user's
//! activity in every window and period its late events reach. Days and periods the
//! activity range gains, and cohorts whose members change, are computed from all activity.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{Days, NaiveDate};

use crate::error::{MetricsError, at};
use crate::facts;
use crate::store::{SqlStore, SqlValue};
use crate::time::{Granularity, Zone};

/// Records, before the fold, the (user, slot) pairs of activity that the new events `(?1,
/// ?2]` add.
pub(crate) fn record_new_activity() -> String {
    format!(
        "INSERT OR IGNORE INTO metric_new_activity (user_id, slot_ms) {} \
         AND NOT EXISTS (SELECT 1 FROM metric_activity a WHERE a.user_id = e.user_id \
           AND a.slot_ms = {})",
        facts::activity_of_new_events(),
        facts::slot("e.timestamp_ms")
    )
}

/// Adds the new activity to all activity: the pairs [`record_new_activity`] found missing,
/// in key order, instead of probing every pair of the new events again.
pub(crate) const ADD_NEW_ACTIVITY: &str = "INSERT INTO metric_activity (user_id, slot_ms) SELECT user_id, slot_ms FROM metric_new_activity";

/// The new activity.
pub(crate) const NEW_ACTIVITY: &str = "SELECT user_id, slot_ms FROM metric_new_activity";

/// The earlier activity of the users and instant ranges of `?1` (`[[user, from, to], ...]`).
pub(crate) const EARLIER_ACTIVITY: &str = "SELECT a.user_id, a.slot_ms FROM json_each(?1) j \
     CROSS JOIN metric_activity a ON a.user_id = json_extract(j.value, '$[0]') \
     AND a.slot_ms >= json_extract(j.value, '$[1]') AND a.slot_ms < json_extract(j.value, '$[2]') \
     WHERE NOT EXISTS (SELECT 1 FROM metric_new_activity n \
       WHERE n.user_id = a.user_id AND n.slot_ms = a.slot_ms)";

/// Adds `?2`'s `[[day_start, dau, wau, mau], ...]` to the day gauges of zone `?1` (an
/// upsert driven by the list: every listed day has its gauges).
pub(crate) const ADD: &str = "INSERT INTO dashboard_metrics \
     (zone, granularity, metric_name, bucket_start, dimensions, value) \
     SELECT ?1, 'day', g.name, json_extract(j.value, '$[0]'), '{}', json_extract(j.value, '$[' || g.i || ']') \
     FROM json_each(?2) j CROSS JOIN (SELECT 'dau' AS name, 1 AS i UNION ALL SELECT 'wau', 2 \
       UNION ALL SELECT 'mau', 3) g WHERE json_extract(j.value, '$[' || g.i || ']') <> 0 \
     ON CONFLICT (zone, granularity, metric_name, bucket_start, dimensions) \
     DO UPDATE SET value = value + excluded.value";

/// Deletes the `stickiness` of the days of `?2`.
pub(crate) const DELETE_STICKINESS: &str = "DELETE FROM dashboard_metrics WHERE zone = ?1 \
     AND granularity = 'day' AND metric_name = 'stickiness' AND dimensions = '{}' \
     AND bucket_start IN (SELECT json_extract(value, '$[0]') FROM json_each(?2))";

/// Inserts the `stickiness` of the days of `?2` from their `dau` and `mau`.
pub(crate) const INSERT_STICKINESS: &str = "INSERT INTO dashboard_metrics \
     (zone, granularity, metric_name, bucket_start, dimensions, value) \
     SELECT ?1, 'day', 'stickiness', d.bucket_start, '{}', d.value * 1.0 / m.value FROM json_each(?2) j \
     CROSS JOIN dashboard_metrics d ON d.zone = ?1 AND d.granularity = 'day' AND d.metric_name = 'dau' \
       AND d.bucket_start = json_extract(j.value, '$[0]') AND d.dimensions = '{}' \
     CROSS JOIN dashboard_metrics m ON m.zone = ?1 AND m.granularity = 'day' AND m.metric_name = 'mau' \
       AND m.bucket_start = d.bucket_start AND m.dimensions = '{}' \
     WHERE m.value > 0";

/// The registration instants of the users of `?1` (a JSON array of ids).
pub(crate) const REGISTRATIONS: &str = "SELECT u.user_id, u.registered_ms FROM json_each(?1) j \
     CROSS JOIN metric_users u ON u.user_id = j.value WHERE u.registered_ms IS NOT NULL";

/// Adds `?3`'s `[[cohort_start, cohort_end, offset, users], ...]` to the `retention_users`
/// cells of zone `?1` and granularity `?2`, and sets their `retention_rate` again. `{key}`
/// is the granularity, the cells' dimension. Upserts driven by the list, so each cell is
/// found by its key.
pub(crate) fn add_retention(key: &str) -> [String; 2] {
    let cells = format!(
        "(SELECT json_extract(value, '$[0]') AS c, json_extract(value, '$[1]') AS c_stop, \
         json_object('{key}', CAST(json_extract(value, '$[2]') AS TEXT)) AS dims, \
         json_extract(value, '$[3]') AS users FROM json_each(?3)) j"
    );
    let upsert = "INSERT INTO dashboard_metrics \
         (zone, granularity, metric_name, bucket_start, dimensions, value)";
    let conflict =
        "ON CONFLICT (zone, granularity, metric_name, bucket_start, dimensions) DO UPDATE SET";
    [
        format!(
            "{upsert} SELECT ?1, ?2, 'retention_users', j.c, j.dims, j.users FROM {cells} WHERE 1 \
             {conflict} value = value + excluded.value"
        ),
        format!(
            "{upsert} SELECT ?1, ?2, 'retention_rate', j.c, j.dims, u.value * 1.0 / \
             (SELECT COUNT(*) FROM metric_users m WHERE m.registered_ms >= j.c AND m.registered_ms < j.c_stop) \
             FROM {cells} CROSS JOIN dashboard_metrics u ON u.zone = ?1 AND u.granularity = ?2 \
             AND u.metric_name = 'retention_users' AND u.bucket_start = j.c AND u.dimensions = j.dims \
             WHERE 1 {conflict} value = excluded.value"
        ),
    ]
}

/// The window of each gauge, in days: `dau`, `wau`, `mau`.
const WINDOWS: [u64; 3] = [1, 7, 28];

/// The local dates each user was newly active on, and those they were active on before,
/// from 27 days (or the month start) before their first new day to 27 days (or the month
/// end) after their last; and when those who registered did.
pub(crate) struct NewActivity {
    zone: Zone,
    new: BTreeMap<String, BTreeSet<NaiveDate>>,
    earlier: BTreeMap<String, BTreeSet<NaiveDate>>,
    registered: Vec<(String, i64)>,
}

impl NewActivity {
    /// Reads the run's new activity in `zone`; `None` when there is none.
    pub(crate) async fn load<S: SqlStore>(
        store: &mut S,
        zone: Zone,
    ) -> Result<Option<NewActivity>, MetricsError> {
        let new = by_user(store, zone, NEW_ACTIVITY, &[]).await?;
        if new.is_empty() {
            return Ok(None);
        }
        let lead = Days::new(WINDOWS[2] - 1);
        let ranges: Vec<(&str, i64, i64)> = new
            .iter()
            .filter_map(|(user, dates)| {
                let (first, last) = (*dates.first()?, *dates.last()?);
                let from = first.checked_sub_days(lead).unwrap_or(first);
                let from = from.min(Granularity::Month.period_start(first));
                let to = last.checked_add_days(Days::new(WINDOWS[2])).unwrap_or(last);
                let month_end =
                    Granularity::Month.next_start(Granularity::Month.period_start(last));
                Some((
                    user.as_str(),
                    zone.day_start(from),
                    zone.day_start(to.max(month_end)),
                ))
            })
            .collect();
        let ranges = SqlValue::Text(serde_json::to_string(&ranges).unwrap_or_default());
        let earlier = by_user(store, zone, EARLIER_ACTIVITY, &[ranges]).await?;
        let registered = registrations(store, new.keys()).await?;
        Ok(Some(NewActivity {
            zone,
            new,
            earlier,
            registered,
        }))
    }

    fn earlier(&self, user: &str) -> &BTreeSet<NaiveDate> {
        static EMPTY: BTreeSet<NaiveDate> = BTreeSet::new();
        self.earlier.get(user).unwrap_or(&EMPTY)
    }

    /// Adds to the gauges of the days in `days` (those that have them).
    pub(crate) async fn add_to_gauges<S: SqlStore>(
        &self,
        store: &mut S,
        days: (NaiveDate, NaiveDate),
    ) -> Result<(), MetricsError> {
        let mut deltas: BTreeMap<NaiveDate, [i64; 3]> = BTreeMap::new();
        for (user, dates) in &self.new {
            gauge_deltas(dates, self.earlier(user), &mut deltas);
        }
        let zone = self.zone;
        let rows: Vec<(i64, i64, i64, i64)> = deltas
            .range(days.0..=days.1)
            .map(|(day, [dau, wau, mau])| (zone.day_start(*day), *dau, *wau, *mau))
            .collect();
        if rows.is_empty() {
            return Ok(());
        }
        let params = [
            SqlValue::Text(zone.name().to_owned()),
            SqlValue::Text(serde_json::to_string(&rows).unwrap_or_default()),
        ];
        for sql in [ADD, DELETE_STICKINESS, INSERT_STICKINESS] {
            store
                .execute(sql, &params)
                .await
                .map_err(at("rolling deltas"))?;
        }
        Ok(())
    }

    /// Adds to the retention cells of granularity `g` (those that exist: cells of cohorts
    /// or periods that are recomputed after it are replaced anyway).
    pub(crate) async fn add_to_retention<S: SqlStore>(
        &self,
        store: &mut S,
        g: Granularity,
    ) -> Result<(), MetricsError> {
        let mut cells: BTreeMap<(NaiveDate, u32), i64> = BTreeMap::new();
        for (user, registered) in &self.registered {
            let Some(new) = self.new.get(user) else {
                continue;
            };
            let cohort = g.period_start(self.zone.date_of(*registered));
            let before: BTreeSet<NaiveDate> = self
                .earlier(user)
                .iter()
                .map(|d| g.period_start(*d))
                .collect();
            let periods: BTreeSet<NaiveDate> = new.iter().map(|d| g.period_start(*d)).collect();
            for period in periods.difference(&before) {
                if let Some(offset) =
                    (0..=g.retention_span()).find(|n| g.nth_start(cohort, *n) == *period)
                {
                    *cells.entry((cohort, offset)).or_default() += 1;
                }
            }
        }
        if cells.is_empty() {
            return Ok(());
        }
        let rows: Vec<(i64, i64, u32, i64)> = cells
            .iter()
            .map(|((cohort, offset), users)| {
                let bucket = self.zone.bucket(g, *cohort);
                (bucket.start, bucket.end, *offset, *users)
            })
            .collect();
        let params = [
            SqlValue::Text(self.zone.name().to_owned()),
            SqlValue::Text(g.as_str().to_owned()),
            SqlValue::Text(serde_json::to_string(&rows).unwrap_or_default()),
        ];
        for sql in add_retention(g.as_str()) {
            store
                .execute(&sql, &params)
                .await
                .map_err(at("retention deltas"))?;
        }
        Ok(())
    }
}

/// The registration instants of `users` (those who registered).
async fn registrations<S: SqlStore>(
    store: &mut S,
    users: impl Iterator<Item = &String>,
) -> Result<Vec<(String, i64)>, MetricsError> {
    let users: Vec<&String> = users.collect();
    let users = SqlValue::Text(serde_json::to_string(&users).unwrap_or_default());
    let rows = store
        .query(REGISTRATIONS, &[users])
        .await
        .map_err(at("retention deltas"))?;
    rows.iter()
        .map(|row| {
            let user = row.first().and_then(SqlValue::as_str);
            match (user, row.get(1).and_then(SqlValue::as_i64)) {
                (Some(user), Some(at)) => Ok((user.to_owned(), at)),
                _ => Err(MetricsError::BadRow {
                    step: "retention deltas",
                }),
            }
        })
        .collect()
}

/// Rows `(user, slot)` as each user's local dates.
async fn by_user<S: SqlStore>(
    store: &mut S,
    zone: Zone,
    sql: &str,
    params: &[SqlValue],
) -> Result<BTreeMap<String, BTreeSet<NaiveDate>>, MetricsError> {
    let rows = store
        .query(sql, params)
        .await
        .map_err(at("rolling activity"))?;
    let mut out: BTreeMap<String, BTreeSet<NaiveDate>> = BTreeMap::new();
    for row in rows {
        match (
            row.first().and_then(SqlValue::as_str),
            row.get(1).and_then(SqlValue::as_i64),
        ) {
            (Some(user), Some(slot)) => {
                out.entry(user.to_owned())
                    .or_default()
                    .insert(zone.date_of(slot));
            }
            _ => {
                return Err(MetricsError::BadRow {
                    step: "rolling activity",
                });
            }
        }
    }
    Ok(out)
}

/// Adds one user's contribution to the gauges: the days whose windows the `new` active days
/// reach and the `earlier` ones did not.
fn gauge_deltas(
    new: &BTreeSet<NaiveDate>,
    earlier: &BTreeSet<NaiveDate>,
    deltas: &mut BTreeMap<NaiveDate, [i64; 3]>,
) {
    for (gauge, window) in WINDOWS.into_iter().enumerate() {
        let mut counted: HashSet<NaiveDate> = HashSet::new();
        for day in new.difference(earlier) {
            for offset in 0..window {
                let Some(covered) = day.checked_add_days(Days::new(offset)) else {
                    break;
                };
                let since = covered
                    .checked_sub_days(Days::new(window - 1))
                    .unwrap_or(NaiveDate::MIN);
                let held = earlier.range(since..=covered).next().is_some();
                if !held && counted.insert(covered) {
                    deltas.entry(covered).or_default()[gauge] += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(day: &str) -> NaiveDate {
        day.parse().expect("date")
    }

    fn set(days: &[&str]) -> BTreeSet<NaiveDate> {
        days.iter().map(|d| date(d)).collect()
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_new_day_counts_where_no_earlier_day_did() {
        let mut deltas = BTreeMap::new();
        // Active on 03-01 before; now also on 03-05 and 03-06 (and 03-01 again).
        gauge_deltas(
            &set(&["2024-03-01", "2024-03-05", "2024-03-06"]),
            &set(&["2024-03-01"]),
            &mut deltas,
        );
        assert_eq!(deltas[&date("2024-03-05")], [1, 0, 0]);
        assert_eq!(deltas[&date("2024-03-06")], [1, 0, 0]);
        // The week of 03-01 covers up to 03-07; 03-05's and 03-06's reach 03-12.
        assert_eq!(deltas[&date("2024-03-08")], [0, 1, 0]);
        assert_eq!(deltas[&date("2024-03-12")], [0, 1, 0]);
        assert!(!deltas.contains_key(&date("2024-03-13")));
        // The month of 03-01 covers up to 03-28; 03-06's reaches 04-02.
        assert_eq!(deltas[&date("2024-03-29")], [0, 0, 1]);
        assert_eq!(deltas[&date("2024-04-02")], [0, 0, 1]);
        assert_eq!(deltas.len(), 2 + 5 + 5);
        // A first-ever day counts in all three.
        let mut first = BTreeMap::new();
        gauge_deltas(&set(&["2024-03-01"]), &BTreeSet::new(), &mut first);
        assert_eq!(first[&date("2024-03-01")], [1, 1, 1]);
        assert_eq!(first.values().map(|v| v[2]).sum::<i64>(), 28);
    }
}
