//! The SQL that recomputes metrics for a list of buckets: the per-period metrics from their
//! tallies (`tallies`) and the derived metrics from other metrics of the same bucket, and
//! the shared pieces of the statements that tally facts.
//!
//! Every statement takes `?1` zone, `?2` granularity and `?3` the buckets as a JSON array of
//! `[start_ms, end_ms]` pairs; the recomputed rows of those buckets are first deleted
//! ([`DELETE`]) and then inserted whole, so a dimension value that no longer applies
//! disappears.

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

pub(crate) const SUBJECT_OF_PAYMENT: &str = "COALESCE(s.subject, c.subject, 'unknown')";
pub(crate) const PAYMENT_LOOKUPS: &str = "LEFT JOIN metric_bookings s ON s.session_id = f.session_id \
     LEFT JOIN metric_courses c ON c.course_id = f.course_id";

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

fn quoted(names: &[&str]) -> String {
    let q: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    q.join(", ")
}

/// A derived metric and the statements that recompute it.
pub(crate) struct Derived {
    pub name: &'static str,
    /// Inserts it for the buckets of `?3`, from the other metrics of the same bucket and
    /// dimensions.
    pub insert: String,
    /// Inserts it for the series (bucket and dimensions) of granularity `?2` whose inputs
    /// the run's deltas change (`metric_bucket_deltas`): in a touched month most series
    /// (every course's rates) are as they were.
    pub insert_changed: String,
    /// Deletes its served rows in those series that `metric_fresh` does not hold.
    pub delete_vanished_changed: String,
}

/// The derived metrics.
pub(crate) fn derived() -> Vec<Derived> {
    METRICS
        .iter()
        .filter_map(|spec| match spec.kind {
            MetricKind::Derived(formula) => Some(derived_statements(spec.name, formula)),
            _ => None,
        })
        .collect()
}

fn derived_statements(name: &'static str, formula: Formula) -> Derived {
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
    let inputs_of = |bucket: &str, dimensions: &str| {
        format!(
            "CROSS JOIN dashboard_metrics d ON d.zone = ?1 AND d.granularity = ?2 \
             AND d.metric_name IN ({inputs}) AND d.bucket_start = {bucket}{dimensions}"
        )
    };
    // Every input's served row has its tally's part as dimensions.
    let changed = format!(
        "c AS MATERIALIZED (SELECT DISTINCT bucket_start AS s, part AS p FROM metric_bucket_deltas \
         WHERE granularity = ?2 AND metric_name IN ({inputs}))"
    );
    Derived {
        name,
        insert: format!(
            "WITH {BUCKETS} {SERVED} SELECT ?1, ?2, '{name}', d.bucket_start, d.dimensions, {value} \
             FROM b {} GROUP BY d.bucket_start, d.dimensions HAVING {having}",
            inputs_of("b.start", "")
        ),
        insert_changed: format!(
            "WITH {changed} {SERVED} SELECT ?1, ?2, '{name}', c.s, c.p, {value} \
             FROM c {} GROUP BY c.s, c.p HAVING {having}",
            inputs_of("c.s", " AND d.dimensions = c.p")
        ),
        // The series that vanished are listed first: most runs have none, and the delete
        // then seeks nothing.
        delete_vanished_changed: format!(
            "WITH {changed} DELETE FROM dashboard_metrics WHERE zone = ?1 AND granularity = ?2 \
             AND metric_name = '{name}' AND (bucket_start, dimensions) IN (SELECT s, p FROM c \
             WHERE NOT EXISTS (SELECT 1 FROM metric_fresh f WHERE f.zone = ?1 AND f.granularity = ?2 \
             AND f.metric_name = '{name}' AND f.bucket_start = c.s AND f.dimensions = c.p))"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::names_where;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn groups_cover_the_catalog() {
        let mut per = crate::tallies::leaderboards().metrics;
        per.push("paying_users");
        per.sort_unstable();
        let mut expected = names_where(|m| m.kind == MetricKind::PerPeriod);
        expected.sort_unstable();
        assert_eq!(per, expected);
        assert_eq!(
            derived().len(),
            names_where(|m| matches!(m.kind, MetricKind::Derived(_))).len()
        );
        let boards = crate::tallies::leaderboards();
        for m in &boards.metrics {
            assert!(boards.select.contains(&format!("'{m}' AS m")), "{m}");
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn staging_covers_every_replaced_statement() {
        let mut inserts = vec![insert(&crate::tallies::leaderboards().select)];
        for d in derived() {
            inserts.extend([d.insert, d.insert_changed]);
        }
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
        let boards = crate::tallies::leaderboards().select;
        assert!(boards.contains(
            "json_object('courseId', k, 'currency', json_extract(p, '$.currency'), 'rank'"
        ));
        assert!(boards.contains(
            "json_object('currency', json_extract(p, '$.currency'), 'rank', CAST(r AS TEXT), 'tutorId', k)"
        ));
    }
}
