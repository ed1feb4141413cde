//! The SQL of the rolling active-user gauges and of the signup cohorts.
//!
//! Rolling windows: for a run of consecutive days, each user's active days are turned into
//! the intervals they keep the user counted (a day of activity counts for that day in
//! `dau`, the next 7 in `wau`, the next 28 in `mau`; overlapping intervals merge), and a
//! running sum of the interval starts and ends gives every day's count in one pass: the
//! cost is the activity of the run plus 27 days, not 28 times it.

/// The days of `?3` (a JSON array of `[start_ms, end_ms]`, consecutive, the first 27 only
/// feeding the windows of the later ones) get their `dau`, `wau`, `mau` and `stickiness`
/// rows; `?1` zone, `?2` `day`.
pub(crate) const ROLLING_DAYS: &str = "WITH b AS MATERIALIZED (SELECT key AS i, \
     json_extract(value, '$[0]') AS start, json_extract(value, '$[1]') AS stop FROM json_each(?3)), \
     ud AS MATERIALIZED (SELECT DISTINCT a.user_id, b.i FROM b CROSS JOIN metric_activity a \
       ON a.slot_ms >= b.start AND a.slot_ms < b.stop), \
     runs AS (SELECT i, i - LAG(i) OVER w AS gap_before, LEAD(i) OVER w - i AS gap_after \
       FROM ud WINDOW w AS (PARTITION BY user_id ORDER BY i)), \
     deltas AS ( \
       SELECT i AS d, 1 AS dau, (gap_before IS NULL OR gap_before > 7) AS wau, \
         (gap_before IS NULL OR gap_before > 28) AS mau FROM runs \
       UNION ALL SELECT i + 1, -1, 0, 0 FROM runs \
       UNION ALL SELECT i + 7, 0, -1, 0 FROM runs WHERE gap_after IS NULL OR gap_after > 7 \
       UNION ALL SELECT i + 28, 0, 0, -1 FROM runs WHERE gap_after IS NULL OR gap_after > 28), \
     per_day AS (SELECT d, SUM(dau) AS dau, SUM(wau) AS wau, SUM(mau) AS mau FROM deltas GROUP BY d), \
     t AS MATERIALIZED (SELECT b.i, b.start, \
       SUM(COALESCE(p.dau, 0)) OVER o AS dau, SUM(COALESCE(p.wau, 0)) OVER o AS wau, \
       SUM(COALESCE(p.mau, 0)) OVER o AS mau \
       FROM b LEFT JOIN per_day p ON p.d = b.i WINDOW o AS (ORDER BY b.i ROWS UNBOUNDED PRECEDING)) \
     INSERT INTO dashboard_metrics (zone, granularity, metric_name, bucket_start, dimensions, value) \
     SELECT ?1, ?2, 'dau', start, '{}', dau FROM t WHERE i >= 27 \
     UNION ALL SELECT ?1, ?2, 'wau', start, '{}', wau FROM t WHERE i >= 27 \
     UNION ALL SELECT ?1, ?2, 'mau', start, '{}', mau FROM t WHERE i >= 27 \
     UNION ALL SELECT ?1, ?2, 'stickiness', start, '{}', dau * 1.0 / mau FROM t WHERE i >= 27 AND mau > 0";

/// The days of `?3` (a JSON array of `[start, stop, week_from, month_from, week_left_start,
/// week_left_stop, month_left_start, month_left_stop]`, consecutive, ms) get their `dau`,
/// `wau`, `mau` and `stickiness` rows, carried on from the day before them, whose `wau` is
/// `?4` and `mau` `?5`; `?1` zone, `?2` `day`. With `X` the activity of the days of a
/// window but its last: `wau(d) = wau(d - 1) + |A(d) \ X| - |A(d - 7) \ X|` (`mau` with 28
/// days). So a day reads the users of itself and of the two days leaving the windows, and
/// probes each one's activity, instead of reading 28 days of everyone's.
pub(crate) const ROLLING_CARRIED: &str = "WITH b AS MATERIALIZED (SELECT key AS i, \
     json_extract(value, '$[0]') AS start, json_extract(value, '$[1]') AS stop, \
     json_extract(value, '$[2]') AS w_from, json_extract(value, '$[3]') AS m_from, \
     json_extract(value, '$[4]') AS w_left, json_extract(value, '$[5]') AS w_left_stop, \
     json_extract(value, '$[6]') AS m_left, json_extract(value, '$[7]') AS m_left_stop \
     FROM json_each(?3)), \
     users AS MATERIALIZED (SELECT DISTINCT b.i, 0 AS leaves, a.user_id, b.start, b.w_from, b.m_from \
       FROM b CROSS JOIN metric_activity a ON a.slot_ms >= b.start AND a.slot_ms < b.stop \
       UNION SELECT b.i, 7, a.user_id, b.start, b.w_from, b.m_from FROM b \
       CROSS JOIN metric_activity a ON a.slot_ms >= b.w_left AND a.slot_ms < b.w_left_stop \
       UNION SELECT b.i, 28, a.user_id, b.start, b.w_from, b.m_from FROM b \
       CROSS JOIN metric_activity a ON a.slot_ms >= b.m_left AND a.slot_ms < b.m_left_stop), \
     seen AS MATERIALIZED (SELECT u.i, u.start, u.leaves, \
       CASE WHEN u.leaves <> 28 THEN EXISTS (SELECT 1 FROM metric_activity x \
         WHERE x.user_id = u.user_id AND x.slot_ms >= u.w_from AND x.slot_ms < u.start) END AS in_week, \
       CASE WHEN u.leaves <> 7 THEN EXISTS (SELECT 1 FROM metric_activity x \
         WHERE x.user_id = u.user_id AND x.slot_ms >= u.m_from AND x.slot_ms < u.start) END AS in_month \
       FROM users u UNION ALL SELECT b.i, b.start, -1, NULL, NULL FROM b), \
     changes AS MATERIALIZED (SELECT i, start, SUM(leaves = 0) AS dau, \
       COALESCE(SUM((leaves = 0) - (leaves = 7)) FILTER (WHERE NOT in_week), 0) AS wau, \
       COALESCE(SUM((leaves = 0) - (leaves = 28)) FILTER (WHERE NOT in_month), 0) AS mau \
       FROM seen GROUP BY i), \
     t AS MATERIALIZED (SELECT i, start, dau, ?4 + SUM(wau) OVER o AS wau, ?5 + SUM(mau) OVER o AS mau \
       FROM changes WINDOW o AS (ORDER BY i ROWS UNBOUNDED PRECEDING)) \
     INSERT INTO dashboard_metrics (zone, granularity, metric_name, bucket_start, dimensions, value) \
     SELECT ?1, ?2, 'dau', start, '{}', dau FROM t \
     UNION ALL SELECT ?1, ?2, 'wau', start, '{}', wau FROM t \
     UNION ALL SELECT ?1, ?2, 'mau', start, '{}', mau FROM t \
     UNION ALL SELECT ?1, ?2, 'stickiness', start, '{}', dau * 1.0 / mau FROM t WHERE mau > 0";

/// The `wau` and `mau` of the day starting at `?2` in zone `?1`.
pub(crate) const DAY_WINDOWS: &str = "SELECT \
     (SELECT value FROM dashboard_metrics WHERE zone = ?1 AND granularity = 'day' \
       AND metric_name = 'wau' AND bucket_start = ?2 AND dimensions = '{}'), \
     (SELECT value FROM dashboard_metrics WHERE zone = ?1 AND granularity = 'day' \
       AND metric_name = 'mau' AND bucket_start = ?2 AND dimensions = '{}')";

/// Deletes the rolling rows of the days in `[?2, ?3)`.
pub(crate) const DELETE_ROLLING_DAYS: &str = "DELETE FROM dashboard_metrics WHERE zone = ?1 \
     AND granularity = 'day' AND metric_name IN ('dau', 'wau', 'mau', 'stickiness') \
     AND bucket_start >= ?2 AND bucket_start < ?3";

/// The week or month buckets of `?3` get `dau` (the average over their days), `wau` and
/// `mau` (their last day's value) and `stickiness` (average `dau` over the last `mau`).
pub(crate) const ROLLING_PERIODS: &str = "WITH b AS MATERIALIZED (SELECT json_extract(value, '$[0]') AS start, \
     json_extract(value, '$[1]') AS stop FROM json_each(?3)), \
     agg AS MATERIALIZED (SELECT b.start, \
       (SELECT SUM(d.value) FROM dashboard_metrics d WHERE d.zone = ?1 AND d.granularity = 'day' \
         AND d.metric_name = 'dau' AND d.bucket_start >= b.start AND d.bucket_start < b.stop) AS dau_sum, \
       (SELECT COUNT(*) FROM dashboard_metrics d WHERE d.zone = ?1 AND d.granularity = 'day' \
         AND d.metric_name = 'dau' AND d.bucket_start >= b.start AND d.bucket_start < b.stop) AS days, \
       (SELECT d.value FROM dashboard_metrics d WHERE d.zone = ?1 AND d.granularity = 'day' \
         AND d.metric_name = 'wau' AND d.bucket_start >= b.start AND d.bucket_start < b.stop \
         ORDER BY d.bucket_start DESC LIMIT 1) AS wau, \
       (SELECT d.value FROM dashboard_metrics d WHERE d.zone = ?1 AND d.granularity = 'day' \
         AND d.metric_name = 'mau' AND d.bucket_start >= b.start AND d.bucket_start < b.stop \
         ORDER BY d.bucket_start DESC LIMIT 1) AS mau \
       FROM b) \
     INSERT INTO dashboard_metrics (zone, granularity, metric_name, bucket_start, dimensions, value) \
     SELECT ?1, ?2, 'dau', start, '{}', dau_sum * 1.0 / days FROM agg WHERE days > 0 \
     UNION ALL SELECT ?1, ?2, 'wau', start, '{}', wau FROM agg WHERE wau IS NOT NULL \
     UNION ALL SELECT ?1, ?2, 'mau', start, '{}', mau FROM agg WHERE mau IS NOT NULL \
     UNION ALL SELECT ?1, ?2, 'stickiness', start, '{}', dau_sum * 1.0 / days / mau FROM agg \
       WHERE days > 0 AND mau > 0";

/// How long after registration the funnel's later steps count: 30 days.
pub const FUNNEL_WINDOW_MS: i64 = 30 * 86_400_000;

/// The cohort buckets of `?3` get their funnel rows.
pub(crate) fn funnel() -> String {
    let engaged = format!(
        "u.first_engaged_ms IS NOT NULL AND u.first_engaged_ms <= u.registered_ms + {FUNNEL_WINDOW_MS}"
    );
    let paid = format!(
        "{engaged} AND u.first_paid_ms IS NOT NULL AND u.first_paid_ms <= u.registered_ms + {FUNNEL_WINDOW_MS}"
    );
    format!(
        "WITH b AS MATERIALIZED (SELECT json_extract(value, '$[0]') AS start, \
         json_extract(value, '$[1]') AS stop FROM json_each(?3)), \
         f AS MATERIALIZED (SELECT b.start AS s, COUNT(*) AS registered, SUM({engaged}) AS engaged, \
           SUM({paid}) AS paid FROM b CROSS JOIN metric_users u \
           ON u.registered_ms >= b.start AND u.registered_ms < b.stop GROUP BY b.start) \
         INSERT INTO dashboard_metrics (zone, granularity, metric_name, bucket_start, dimensions, value) \
         SELECT ?1, ?2, 'funnel_users', s, '{{\"step\":\"registered\"}}', registered FROM f \
         UNION ALL SELECT ?1, ?2, 'funnel_users', s, '{{\"step\":\"engaged\"}}', engaged FROM f \
         UNION ALL SELECT ?1, ?2, 'funnel_users', s, '{{\"step\":\"paid\"}}', paid FROM f \
         UNION ALL SELECT ?1, ?2, 'funnel_conversion', s, '{{\"step\":\"engaged\"}}', engaged * 1.0 / registered FROM f \
         UNION ALL SELECT ?1, ?2, 'funnel_conversion', s, '{{\"step\":\"paid\"}}', paid * 1.0 / registered FROM f"
    )
}

/// The retention cells of `?3` (a JSON array of `[cohort_start, cohort_end, n, period_start,
/// period_end]`) get `retention_users` and `retention_rate`, with `n` under the
/// granularity's key (`{"week": "3"}`).
pub(crate) fn retention(key: &str) -> String {
    format!(
        "WITH cells AS MATERIALIZED (SELECT json_extract(value, '$[0]') AS c, \
         json_extract(value, '$[1]') AS c_stop, json_extract(value, '$[2]') AS n, \
         json_extract(value, '$[3]') AS t, json_extract(value, '$[4]') AS t_stop FROM json_each(?3)), \
         r AS MATERIALIZED (SELECT cells.c, cells.n, COUNT(*) AS cohort, \
           SUM(EXISTS (SELECT 1 FROM metric_activity a WHERE a.user_id = u.user_id \
             AND a.slot_ms >= cells.t AND a.slot_ms < cells.t_stop)) AS active \
           FROM cells CROSS JOIN metric_users u ON u.registered_ms >= cells.c AND u.registered_ms < cells.c_stop \
           GROUP BY cells.c, cells.n) \
         INSERT INTO dashboard_metrics (zone, granularity, metric_name, bucket_start, dimensions, value) \
         SELECT ?1, ?2, 'retention_users', c, json_object('{key}', CAST(n AS TEXT)), active FROM r \
         UNION ALL SELECT ?1, ?2, 'retention_rate', c, json_object('{key}', CAST(n AS TEXT)), \
           active * 1.0 / cohort FROM r"
    )
}

/// Inserts the cells of `?3` (as [`retention`] takes them) that are missing, empty: no
/// user active, rate 0 (those of cohorts with members, as [`retention`] writes them).
pub(crate) fn empty_retention(key: &str) -> String {
    format!(
        "INSERT OR IGNORE INTO dashboard_metrics (zone, granularity, metric_name, bucket_start, dimensions, value) \
         SELECT ?1, ?2, m.name, j.c, json_object('{key}', CAST(j.n AS TEXT)), m.value \
         FROM (SELECT json_extract(value, '$[0]') AS c, json_extract(value, '$[1]') AS c_stop, \
           json_extract(value, '$[2]') AS n FROM json_each(?3)) j \
         CROSS JOIN (SELECT 'retention_users' AS name, 0 AS value UNION ALL SELECT 'retention_rate', 0.0) m \
         WHERE EXISTS (SELECT 1 FROM metric_users u WHERE u.registered_ms >= j.c AND u.registered_ms < j.c_stop)"
    )
}

/// Deletes the retention rows of the cells of `?3`.
pub(crate) fn delete_retention(key: &str) -> String {
    format!(
        "DELETE FROM dashboard_metrics WHERE zone = ?1 AND granularity = ?2 \
         AND metric_name IN ('retention_users', 'retention_rate') \
         AND (bucket_start, dimensions) IN (SELECT json_extract(value, '$[0]'), \
           json_object('{key}', CAST(json_extract(value, '$[2]') AS TEXT)) FROM json_each(?3))"
    )
}
