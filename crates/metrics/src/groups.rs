//! The SQL that recomputes metrics for a list of buckets from the fact tables, from the day
//! rows (sums), or from other metrics of the same bucket (derived).
//!
//! Every statement takes `?1` zone, `?2` granularity and `?3` the buckets as a JSON array of
//! `[start_ms, end_ms]` pairs; the recomputed rows of those buckets are first deleted
//! ([`delete`]) and then inserted whole, so a dimension value that no longer applies (a
//! payment whose subject became known) disappears.

use crate::catalog::{Formula, METRICS, MetricKind};

/// The bucket list `b(start, stop)` from `?3`.
pub(crate) const BUCKETS: &str = "b AS MATERIALIZED (SELECT json_extract(value, '$[0]') AS start, \
     json_extract(value, '$[1]') AS stop FROM json_each(?3))";

/// A set of metrics computed together from the same facts.
pub(crate) struct FactGroup {
    /// The metrics it writes.
    pub metrics: Vec<&'static str>,
    /// Rows `(m, s, d, v)`: metric, bucket start, dimensions JSON, value.
    pub select: String,
}

/// A dimension: its key and the SQL expression of its value.
pub(crate) type Dim = (&'static str, &'static str);

pub(crate) fn dimensions_json(dims: &[(&str, &str)]) -> String {
    if dims.is_empty() {
        return "'{}'".to_owned();
    }
    let parts: Vec<String> = dims.iter().map(|(k, e)| format!("'{k}', {e}")).collect();
    format!("json_object({})", parts.join(", "))
}

/// The rows of `measures` (metric, `COUNT(*)` or `SUM(...)`) for every dimension set of
/// `sets`, from one pass over the facts `from`: they are grouped once by bucket and by every
/// dimension the sets use, and each set sums those groups. A pass per set read a touched
/// day's facts (and their lookups) once per set.
fn rollup(from: &str, measures: &[(&str, &str)], sets: &[&[Dim]]) -> String {
    let mut keys: Vec<&str> = Vec::new();
    for (_, expr) in sets.iter().copied().flatten() {
        if !keys.contains(expr) {
            keys.push(expr);
        }
    }
    let column = |expr: &str| format!("k{}", keys.iter().position(|k| *k == expr).unwrap_or(0));
    let grouped: String = keys.iter().map(|e| format!(", {e}")).collect();
    let key_columns: String = keys
        .iter()
        .map(|e| format!(", {e} AS {}", column(e)))
        .collect();
    let partials: String = measures
        .iter()
        .enumerate()
        .map(|(i, (_, aggregate))| format!(", {aggregate} AS a{i}"))
        .collect();
    let mut selects = Vec::new();
    for (i, (metric, _)) in measures.iter().enumerate() {
        for dims in sets {
            let columns: Vec<(&str, String)> = dims.iter().map(|(k, e)| (*k, column(e))).collect();
            let named: Vec<(&str, &str)> = columns.iter().map(|(k, c)| (*k, c.as_str())).collect();
            let group: String = named.iter().map(|(_, c)| format!(", {c}")).collect();
            selects.push(format!(
                "SELECT '{metric}' AS m, s, {d} AS d, SUM(a{i}) AS v FROM g GROUP BY s{group}",
                d = dimensions_json(&named)
            ));
        }
    }
    format!(
        "SELECT m, s, d, v FROM (WITH g AS MATERIALIZED (SELECT b.start AS s{key_columns}{partials} \
         {from} GROUP BY b.start{grouped}) {})",
        selects.join(" UNION ALL ")
    )
}

/// Facts of `table` (alias `f`) whose `column` instant falls in a bucket.
fn within(table: &str, column: &str) -> String {
    format!("FROM b CROSS JOIN {table} f ON f.{column} >= b.start AND f.{column} < b.stop")
}

pub(crate) const SUBJECT_OF_PAYMENT: &str = "COALESCE(s.subject, c.subject, 'unknown')";
pub(crate) const PAYMENT_LOOKUPS: &str = "LEFT JOIN metric_bookings s ON s.session_id = f.session_id \
     LEFT JOIN metric_courses c ON c.course_id = f.course_id";

fn group(metrics: &[&'static str], selects: &[String]) -> FactGroup {
    FactGroup {
        metrics: metrics.to_vec(),
        select: selects.join(" UNION ALL "),
    }
}

/// The day-level groups of [`MetricKind::Sum`] metrics.
pub(crate) fn sum_groups() -> Vec<FactGroup> {
    let subject: &[Dim] = &[("subject", "f.subject")];
    let totals: &[Dim] = &[];
    let bookings = within("metric_bookings", "at_ms");
    let completed = format!(
        "{} WHERE f.outcome = 'completed'",
        within("metric_outcomes", "at_ms")
    );
    let cancelled = format!(
        "{} WHERE f.outcome = 'cancelled'",
        within("metric_outcomes", "at_ms")
    );
    let payments = format!("{} {PAYMENT_LOOKUPS}", within("metric_payments", "at_ms"));
    let money: [&[Dim]; 3] = [
        &[("currency", "f.currency")],
        &[("currency", "f.currency"), ("product", "f.product")],
        &[("currency", "f.currency"), ("subject", SUBJECT_OF_PAYMENT)],
    ];
    let refunds = format!(
        "{} LEFT JOIN metric_payments p ON p.payment_id = f.payment_id \
         LEFT JOIN metric_bookings s ON s.session_id = p.session_id \
         LEFT JOIN metric_courses c ON c.course_id = p.course_id",
        within("metric_refunds", "at_ms")
    );
    let refund_money: [&[Dim]; 3] = [
        &[("currency", "f.currency")],
        &[
            ("currency", "f.currency"),
            ("product", "COALESCE(p.product, 'unknown')"),
        ],
        &[("currency", "f.currency"), ("subject", SUBJECT_OF_PAYMENT)],
    ];
    let course: [&[Dim]; 3] = [
        &[],
        &[("subject", "COALESCE(c.subject, 'unknown')")],
        &[("courseId", "f.course_id")],
    ];
    let course_lookup = "LEFT JOIN metric_courses c ON c.course_id = f.course_id";
    let enrolled = format!(
        "{} {course_lookup}",
        within("metric_enrollments", "enrolled_ms")
    );
    let finished = format!(
        "{} {course_lookup}",
        within("metric_enrollments", "completed_ms")
    );
    let lessons = format!("{} {course_lookup}", within("metric_lessons", "at_ms"));
    let reviews = within("metric_reviews", "at_ms");
    let course_reviews = format!("{reviews} {course_lookup} WHERE f.course_id IS NOT NULL");
    let both = [totals, subject];
    let reviewed = [("reviews", "COUNT(*)"), ("rating_sum", "SUM(f.rating)")];
    vec![
        group(
            &["new_registrations"],
            &[rollup(
                &within("metric_users", "registered_ms"),
                &[("new_registrations", "COUNT(*)")],
                &[totals, &[("role", "f.role")]],
            )],
        ),
        group(
            &["sessions_booked", "booked_minutes"],
            &[rollup(
                &bookings,
                &[
                    ("sessions_booked", "COUNT(*)"),
                    ("booked_minutes", "SUM(f.minutes)"),
                ],
                &both,
            )],
        ),
        group(
            &["sessions_completed", "sessions_cancelled"],
            &[
                rollup(&completed, &[("sessions_completed", "COUNT(*)")], &both),
                rollup(&cancelled, &[("sessions_cancelled", "COUNT(*)")], &both),
            ],
        ),
        group(
            &["revenue_gross"],
            &[rollup(
                &payments,
                &[("revenue_gross", "SUM(f.amount)")],
                &money,
            )],
        ),
        group(
            &["revenue_refunds"],
            &[rollup(
                &refunds,
                &[("revenue_refunds", "SUM(f.amount)")],
                &refund_money,
            )],
        ),
        group(
            &["enrollments", "enrollments_completed"],
            &[rollup(
                &enrolled,
                &[
                    ("enrollments", "COUNT(*)"),
                    ("enrollments_completed", "SUM(f.completed_ms IS NOT NULL)"),
                ],
                &course,
            )],
        ),
        group(
            &["course_completions"],
            &[rollup(
                &finished,
                &[("course_completions", "COUNT(*)")],
                &course,
            )],
        ),
        group(
            &["lesson_completions"],
            &[rollup(
                &lessons,
                &[("lesson_completions", "COUNT(*)")],
                &course,
            )],
        ),
        group(
            &["reviews", "rating_sum"],
            &[
                rollup(&reviews, &reviewed, &[totals]),
                rollup(&course_reviews, &reviewed, &course[1..]),
            ],
        ),
    ]
}

/// Deletes the rows of the metrics named in `?4` (a JSON array) in the buckets of `?3`.
pub(crate) const DELETE: &str = "DELETE FROM dashboard_metrics WHERE zone = ?1 AND granularity = ?2 \
     AND metric_name IN (SELECT value FROM json_each(?4)) \
     AND bucket_start IN (SELECT json_extract(value, '$[0]') FROM json_each(?3))";

/// What every statement writing served rows starts its insert with.
const SERVED: &str = "INSERT INTO dashboard_metrics (zone, granularity, metric_name, bucket_start, dimensions, value)";
const STAGED: &str =
    "INSERT INTO metric_fresh (zone, granularity, metric_name, bucket_start, dimensions, value)";

/// `insert` (a statement writing served rows) writing them to `metric_fresh` instead. Every
/// such statement is a constant of this crate (`staging_covers_every_replaced_statement`).
pub(crate) fn staged(insert: &str) -> String {
    assert!(
        insert.contains(SERVED),
        "not an insert of served rows: {insert}"
    );
    insert.replacen(SERVED, STAGED, 1)
}

/// Deletes the served rows of the metrics `?4` in the buckets `?3` that `metric_fresh` does
/// not hold.
pub(crate) const DELETE_VANISHED: &str = "DELETE FROM dashboard_metrics WHERE zone = ?1 AND granularity = ?2 \
     AND metric_name IN (SELECT value FROM json_each(?4)) \
     AND bucket_start IN (SELECT json_extract(value, '$[0]') FROM json_each(?3)) \
     AND NOT EXISTS (SELECT 1 FROM metric_fresh f WHERE f.zone = ?1 AND f.granularity = ?2 \
     AND f.metric_name = dashboard_metrics.metric_name \
     AND f.bucket_start = dashboard_metrics.bucket_start \
     AND f.dimensions = dashboard_metrics.dimensions)";

/// Writes the rows of `metric_fresh` that are new or whose value (or its type) changed, and
/// empties it.
pub(crate) const WRITE_CHANGED: [&str; 2] = [
    "INSERT INTO dashboard_metrics (zone, granularity, metric_name, bucket_start, dimensions, value) \
     SELECT zone, granularity, metric_name, bucket_start, dimensions, value FROM metric_fresh WHERE 1 \
     ON CONFLICT (zone, granularity, metric_name, bucket_start, dimensions) \
     DO UPDATE SET value = excluded.value \
     WHERE value IS NOT excluded.value OR typeof(value) <> typeof(excluded.value)",
    "DELETE FROM metric_fresh",
];

/// Inserts a group's rows for the buckets of `?3`.
pub(crate) fn insert(select: &str) -> String {
    format!(
        "WITH {BUCKETS} INSERT INTO dashboard_metrics \
         (zone, granularity, metric_name, bucket_start, dimensions, value) \
         SELECT ?1, ?2, m, s, d, v FROM ({select}) WHERE v IS NOT NULL"
    )
}

/// Inserts, for the week or month buckets of `?3`, the sums of the day rows of the metrics
/// named in `?4`.
pub(crate) const SUM_OF_DAYS: &str = "WITH b AS MATERIALIZED (SELECT json_extract(value, '$[0]') AS start, \
     json_extract(value, '$[1]') AS stop FROM json_each(?3)) \
     INSERT INTO dashboard_metrics (zone, granularity, metric_name, bucket_start, dimensions, value) \
     SELECT ?1, ?2, d.metric_name, b.start, d.dimensions, SUM(d.value) \
     FROM b CROSS JOIN dashboard_metrics d ON d.zone = ?1 AND d.granularity = 'day' \
     AND d.metric_name IN (SELECT value FROM json_each(?4)) \
     AND d.bucket_start >= b.start AND d.bucket_start < b.stop \
     GROUP BY b.start, d.metric_name, d.dimensions";

fn quoted(names: &[&str]) -> String {
    let q: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    q.join(", ")
}

/// The derived metrics and, for each, the statement inserting it for the buckets of `?3`
/// from the other metrics of the same bucket and dimensions.
pub(crate) fn derived() -> Vec<(&'static str, String)> {
    METRICS
        .iter()
        .filter_map(|spec| match spec.kind {
            MetricKind::Derived(formula) => Some((spec.name, derived_insert(spec.name, formula))),
            _ => None,
        })
        .collect()
}

fn derived_insert(name: &str, formula: Formula) -> String {
    let (inputs, value, having) = match formula {
        Formula::Difference(a, b) => (
            quoted(&[a, b]),
            format!("SUM(CASE WHEN d.metric_name = '{a}' THEN d.value ELSE -d.value END)"),
            "1".to_owned(),
        ),
        Formula::Ratio {
            numerator,
            denominator,
        } => {
            let below = format!(
                "SUM(CASE WHEN d.metric_name IN ({}) THEN d.value END)",
                quoted(denominator)
            );
            let all: Vec<&str> = numerator.iter().chain(denominator).copied().collect();
            (
                quoted(&all),
                format!(
                    "COALESCE(SUM(CASE WHEN d.metric_name IN ({}) THEN d.value END), 0) * 1.0 / {below}",
                    quoted(numerator)
                ),
                format!("{below} > 0"),
            )
        }
        Formula::Scale(a, divisor) => (
            quoted(&[a]),
            format!("SUM(d.value) * 1.0 / {divisor}"),
            "1".to_owned(),
        ),
    };
    format!(
        "WITH {BUCKETS} INSERT INTO dashboard_metrics \
         (zone, granularity, metric_name, bucket_start, dimensions, value) \
         SELECT ?1, ?2, '{name}', d.bucket_start, d.dimensions, {value} \
         FROM b CROSS JOIN dashboard_metrics d ON d.zone = ?1 AND d.granularity = ?2 \
         AND d.metric_name IN ({inputs}) AND d.bucket_start = b.start \
         GROUP BY d.bucket_start, d.dimensions HAVING {having}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::names_where;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn groups_cover_the_catalog() {
        let mut sums: Vec<&str> = sum_groups().into_iter().flat_map(|g| g.metrics).collect();
        sums.sort_unstable();
        let mut expected = names_where(|m| m.kind == MetricKind::Sum);
        expected.sort_unstable();
        assert_eq!(sums, expected);
        let mut per: Vec<&str> = crate::tallies::per_period_groups()
            .into_iter()
            .flat_map(|g| g.metrics)
            .collect();
        per.sort_unstable();
        let mut expected = names_where(|m| m.kind == MetricKind::PerPeriod);
        expected.sort_unstable();
        assert_eq!(per, expected);
        assert_eq!(
            derived().len(),
            names_where(|m| matches!(m.kind, MetricKind::Derived(_))).len()
        );
        for g in sum_groups()
            .iter()
            .chain(&crate::tallies::per_period_groups())
        {
            for m in &g.metrics {
                assert!(g.select.contains(&format!("'{m}' AS m")), "{m}");
            }
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn staging_covers_every_replaced_statement() {
        let mut inserts: Vec<String> = sum_groups()
            .iter()
            .chain(&crate::tallies::per_period_groups())
            .map(|g| insert(&g.select))
            .collect();
        inserts.extend(derived().into_iter().map(|(_, sql)| sql));
        inserts.push(SUM_OF_DAYS.to_owned());
        inserts.push(crate::windows::ROLLING_PERIODS.to_owned());
        for sql in &inserts {
            let staged = staged(sql);
            assert!(staged.contains(STAGED) && !staged.contains(SERVED), "{sql}");
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn dimension_keys_are_sorted() {
        assert_eq!(dimensions_json(&[]), "'{}'");
        assert_eq!(
            dimensions_json(&[("currency", "x"), ("subject", "y")]),
            "json_object('currency', x, 'subject', y)"
        );
        let boards = crate::tallies::per_period_groups()
            .into_iter()
            .map(|g| g.select)
            .collect::<String>();
        assert!(boards.contains(
            "json_object('courseId', k, 'currency', json_extract(p, '$.currency'), 'rank'"
        ));
        assert!(boards.contains(
            "json_object('currency', json_extract(p, '$.currency'), 'rank', CAST(r AS TEXT), 'tutorId', k)"
        ));
    }
}
