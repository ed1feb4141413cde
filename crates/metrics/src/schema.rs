//! The tables the engine maintains beside `analytics_events`: its state, the facts derived
//! from the events (one row per business entity, keeping the earliest event of each), the
//! touched instants of the current run, and the served `dashboard_metrics`.
//!
//! Times are milliseconds since the epoch (`*_ms`); `slot_ms` values are rounded down to
//! [`crate::time::SLOT_MS`].

use crate::catalog::{breakdown_sql, chunk_sql, point_sql};

/// Every `CREATE` (and `DROP` of a replaced index, and migration) statement, idempotent, in
/// order.
pub const SCHEMA_STATEMENTS: &[&str] = &[
    // The run state: the last ingestion sequence number folded in, and when.
    "CREATE TABLE IF NOT EXISTS metric_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq INTEGER NOT NULL,
    refreshed_at TEXT
)",
    // The version of `dashboard_metrics`: `{last_seq}@{refreshed_at}` of the last run that
    // changed it. A cached rendered response is served only for the version it was read at.
    "CREATE TABLE IF NOT EXISTS metric_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version TEXT NOT NULL
)",
    // Zones whose dashboards are complete; a configured zone missing here is built in full.
    "CREATE TABLE IF NOT EXISTS metric_zones (zone TEXT PRIMARY KEY)",
    // Who was active in which quarter hour (every event but identify/alias).
    "CREATE TABLE IF NOT EXISTS metric_activity (
    user_id TEXT NOT NULL,
    slot_ms INTEGER NOT NULL,
    PRIMARY KEY (user_id, slot_ms)
) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS metric_activity_slot ON metric_activity (slot_ms, user_id)",
    // The (user, slot) pairs of activity the current run adds (cleared by every run).
    "CREATE TABLE IF NOT EXISTS metric_new_activity (
    user_id TEXT NOT NULL,
    slot_ms INTEGER NOT NULL,
    PRIMARY KEY (user_id, slot_ms)
) WITHOUT ROWID",
    // Per user: the earliest registration, first booking or enrollment, first payment.
    "CREATE TABLE IF NOT EXISTS metric_users (
    user_id TEXT PRIMARY KEY,
    registered_ms INTEGER,
    registered_seq INTEGER,
    role TEXT,
    first_engaged_ms INTEGER,
    first_paid_ms INTEGER
)",
    "CREATE INDEX IF NOT EXISTS metric_users_registered ON metric_users (registered_ms)",
    // Per session: its earliest booking.
    "CREATE TABLE IF NOT EXISTS metric_bookings (
    session_id TEXT PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    tutor_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    minutes INTEGER NOT NULL
)",
    "CREATE INDEX IF NOT EXISTS metric_bookings_at ON metric_bookings (at_ms)",
    // Per session and outcome (`completed`, `cancelled`): its earliest event.
    "CREATE TABLE IF NOT EXISTS metric_outcomes (
    session_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    tutor_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    PRIMARY KEY (session_id, outcome)
)",
    "CREATE INDEX IF NOT EXISTS metric_outcomes_at ON metric_outcomes (outcome, at_ms)",
    // Per course: its earliest publication (publisher and subject).
    "CREATE TABLE IF NOT EXISTS metric_courses (
    course_id TEXT PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    tutor_id TEXT NOT NULL,
    subject TEXT NOT NULL
)",
    // Per payment id: its earliest `payment_succeeded`.
    "CREATE TABLE IF NOT EXISTS metric_payments (
    payment_id TEXT PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    product TEXT NOT NULL,
    session_id TEXT,
    course_id TEXT
)",
    "CREATE INDEX IF NOT EXISTS metric_payments_at ON metric_payments (at_ms)",
    "CREATE INDEX IF NOT EXISTS metric_payments_session ON metric_payments (session_id)",
    "CREATE INDEX IF NOT EXISTS metric_payments_course ON metric_payments (course_id)",
    // Every refund event (partial refunds add up).
    "CREATE TABLE IF NOT EXISTS metric_refunds (
    seq INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    payment_id TEXT NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL
)",
    "CREATE INDEX IF NOT EXISTS metric_refunds_at ON metric_refunds (at_ms)",
    "CREATE INDEX IF NOT EXISTS metric_refunds_payment ON metric_refunds (payment_id)",
    // Per student and course: the earliest enrollment and the earliest completion.
    "CREATE TABLE IF NOT EXISTS metric_enrollments (
    user_id TEXT NOT NULL,
    course_id TEXT NOT NULL,
    enrolled_ms INTEGER,
    completed_ms INTEGER,
    PRIMARY KEY (user_id, course_id)
)",
    "CREATE INDEX IF NOT EXISTS metric_enrollments_enrolled ON metric_enrollments (enrolled_ms)",
    "CREATE INDEX IF NOT EXISTS metric_enrollments_completed ON metric_enrollments (completed_ms)",
    "CREATE INDEX IF NOT EXISTS metric_enrollments_course ON metric_enrollments (course_id)",
    // Per student, course and lesson: the earliest completion.
    "CREATE TABLE IF NOT EXISTS metric_lessons (
    user_id TEXT NOT NULL,
    course_id TEXT NOT NULL,
    lesson_id TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (user_id, course_id, lesson_id)
)",
    "CREATE INDEX IF NOT EXISTS metric_lessons_at ON metric_lessons (at_ms)",
    "CREATE INDEX IF NOT EXISTS metric_lessons_course ON metric_lessons (course_id)",
    // Every review event.
    "CREATE TABLE IF NOT EXISTS metric_reviews (
    seq INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    rating INTEGER NOT NULL,
    tutor_id TEXT,
    course_id TEXT
)",
    "CREATE INDEX IF NOT EXISTS metric_reviews_at ON metric_reviews (at_ms)",
    "CREATE INDEX IF NOT EXISTS metric_reviews_course ON metric_reviews (course_id)",
    // The new events' instants (kind `event`), where activity can change (cleared by
    // every run).
    "CREATE TABLE IF NOT EXISTS metric_touched (
    kind TEXT NOT NULL,
    slot_ms INTEGER NOT NULL,
    PRIMARY KEY (kind, slot_ms)
) WITHOUT ROWID",
    // Registration instants whose signup cohorts the current run recomputes: `members`
    // when a user joins or leaves the cohort (funnel and retention), `funnel` when a user's
    // first booking or payment moves (funnel only).
    "CREATE TABLE IF NOT EXISTS metric_touched_cohorts (
    kind TEXT NOT NULL,
    slot_ms INTEGER NOT NULL,
    PRIMARY KEY (kind, slot_ms)
) WITHOUT ROWID",
    // A store from before the tallies has per-period metrics they do not account for: its
    // next run builds every zone in full. Before the tallies' table, which it looks for.
    "DELETE FROM metric_zones WHERE NOT EXISTS \
     (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'metric_tallies')",
    // Tallies: per bucket, series (`part`: the dimensions but the member and the rank)
    // and member (tutor, course, paying user; `''` for a sum metric's series), the count of
    // facts and the sum of their values (see `tallies`).
    "CREATE TABLE IF NOT EXISTS metric_tallies (
    zone TEXT NOT NULL,
    granularity TEXT NOT NULL,
    metric_name TEXT NOT NULL,
    bucket_start INTEGER NOT NULL,
    part TEXT NOT NULL,
    member TEXT NOT NULL,
    n INTEGER NOT NULL,
    v NOT NULL,
    PRIMARY KEY (zone, granularity, metric_name, bucket_start, part, member)
) WITHOUT ROWID",
    // Sum metrics are tallied too (with no member) since this index replaced
    // `metric_tallies_ranked`: a store from before rebuilds its zones once.
    "DELETE FROM metric_zones WHERE NOT EXISTS \
     (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'metric_tallies_top')",
    "DROP INDEX IF EXISTS metric_tallies_ranked",
    // The served rows of sums and `paying_users` were written by triggers on the tallies
    // (one program per changed tally); `tallies::apply` writes them set-based now.
    "DROP TRIGGER IF EXISTS metric_sum_inserted",
    "DROP TRIGGER IF EXISTS metric_sum_changed",
    "DROP TRIGGER IF EXISTS metric_sum_emptied",
    "DROP TRIGGER IF EXISTS metric_payer_inserted",
    "DROP TRIGGER IF EXISTS metric_payer_returned",
    "DROP TRIGGER IF EXISTS metric_payer_left",
    // Leaderboards read each series' top entries from here, in rank order.
    "CREATE INDEX IF NOT EXISTS metric_tallies_top ON metric_tallies \
     (zone, granularity, metric_name, bucket_start, part, v DESC, member) \
     WHERE metric_name <> 'paying_users' AND member <> ''",
    // Payers were tallied once per (currency, product, subject) before they were tallied per
    // series: a zone with such tallies is rebuilt once. All its payer tallies had that form,
    // so its first day's first one tells (one seek: a scan of them took 4 s at 10M events,
    // at every change of the schema).
    "DELETE FROM metric_zones WHERE (SELECT json_extract(t.part, '$.product') IS NOT NULL \
     AND json_extract(t.part, '$.subject') IS NOT NULL FROM metric_tallies t \
     WHERE t.zone = metric_zones.zone AND t.granularity = 'day' \
     AND t.metric_name = 'paying_users' LIMIT 1)",
    // The current run's changes to the tallies, summed per activity slot (cleared by every
    // run). Slots, not instants: a slot lies within one bucket of every zone, and a
    // slot's changes to one series (most of a run's, for sum metrics) are one row.
    "DROP TABLE IF EXISTS metric_deltas",
    "CREATE TABLE IF NOT EXISTS metric_slot_deltas (
    slot_ms INTEGER NOT NULL,
    metric_name TEXT NOT NULL,
    part TEXT NOT NULL,
    member TEXT NOT NULL,
    n INTEGER NOT NULL,
    v NOT NULL,
    PRIMARY KEY (slot_ms, metric_name, part, member)
) WITHOUT ROWID",
    // The current run's deltas in one zone, summed per bucket (emptied by every zone).
    "CREATE TABLE IF NOT EXISTS metric_bucket_deltas (
    granularity TEXT NOT NULL,
    bucket_start INTEGER NOT NULL,
    metric_name TEXT NOT NULL,
    part TEXT NOT NULL,
    member TEXT NOT NULL,
    n INTEGER NOT NULL,
    v NOT NULL,
    PRIMARY KEY (granularity, bucket_start, metric_name, part, member)
) WITHOUT ROWID",
    // The rows a run computed for some metrics and buckets, before only those that differ
    // from the served ones are written (empty between statements of a run).
    "CREATE TABLE IF NOT EXISTS metric_fresh (
    zone TEXT NOT NULL,
    granularity TEXT NOT NULL,
    metric_name TEXT NOT NULL,
    bucket_start INTEGER NOT NULL,
    dimensions TEXT NOT NULL,
    value NOT NULL,
    PRIMARY KEY (zone, granularity, metric_name, bucket_start, dimensions)
) WITHOUT ROWID",
    // The served, pre-aggregated metrics.
    "CREATE TABLE IF NOT EXISTS dashboard_metrics (
    zone TEXT NOT NULL, -- IANA time zone of the buckets
    granularity TEXT NOT NULL, -- day, week or month
    metric_name TEXT NOT NULL,
    bucket_start INTEGER NOT NULL, -- first instant of the local period, ms since the epoch
    dimensions TEXT NOT NULL, -- JSON object, keys sorted, string values
    value NOT NULL, -- INTEGER for counts and money, REAL for rates and averages
    PRIMARY KEY (zone, granularity, metric_name, bucket_start, dimensions)
) WITHOUT ROWID",
    // The read path: one breakdown of a metric, 90-day chunk by chunk and, in a chunk,
    // series by series (dimensions, then buckets), covering (no lookup into the table), so a
    // read groups each series' points without a sort, and finds each point already
    // rendered. The expressions must be `catalog::BREAKDOWN_SQL`, `catalog::CHUNK_SQL` and
    // `catalog::POINT_SQL` verbatim.
    concat!(
        "CREATE INDEX IF NOT EXISTS dashboard_metrics_by_series ON dashboard_metrics \
         (zone, granularity, metric_name, ",
        breakdown_sql!(),
        ", ",
        chunk_sql!(),
        ", dimensions, bucket_start, value, ",
        point_sql!(),
        ")"
    ),
    // Its predecessor, bucket before dimensions.
    "DROP INDEX IF EXISTS dashboard_metrics_by_breakdown",
];

/// Deletes everything the engine derived, so the next refresh rebuilds it from all events.
pub const RESET_STATEMENTS: &[&str] = &[
    "DELETE FROM metric_state",
    "DELETE FROM metric_version",
    "DELETE FROM metric_zones",
    "DELETE FROM metric_activity",
    "DELETE FROM metric_new_activity",
    "DELETE FROM metric_users",
    "DELETE FROM metric_bookings",
    "DELETE FROM metric_outcomes",
    "DELETE FROM metric_courses",
    "DELETE FROM metric_payments",
    "DELETE FROM metric_refunds",
    "DELETE FROM metric_enrollments",
    "DELETE FROM metric_lessons",
    "DELETE FROM metric_reviews",
    "DELETE FROM metric_touched",
    "DELETE FROM metric_touched_cohorts",
    "DELETE FROM metric_tallies",
    "DELETE FROM metric_slot_deltas",
    "DELETE FROM metric_bucket_deltas",
    "DELETE FROM metric_fresh",
    "DELETE FROM dashboard_metrics",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn every_table_is_reset() {
        for statement in SCHEMA_STATEMENTS {
            // Each is idempotent: it creates if missing, or marks zones to be rebuilt.
            assert!(
                statement.contains(" IF ")
                    || statement.starts_with("DELETE FROM metric_zones WHERE "),
                "{statement}"
            );
            if let Some(rest) = statement.strip_prefix("CREATE TABLE IF NOT EXISTS ") {
                let table = rest.split([' ', '(']).next().unwrap_or_default();
                let delete = format!("DELETE FROM {table}");
                assert!(RESET_STATEMENTS.contains(&delete.as_str()), "{table}");
            }
        }
    }
}
