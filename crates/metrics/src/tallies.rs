//! Per-period metrics (distinct paying users, leaderboards) kept as tallies: per zone,
//! granularity and bucket, each member's (tutor's, course's, paying user's) count of facts
//! and sum of values, in `metric_tallies`.
//!
//! A refresh does not re-read a touched month's facts to re-rank it. While it folds the new
//! events, it records the contributions of the facts they may change twice in
//! `metric_deltas`: negated before the fold and as they are after it. Each zone adds the
//! deltas to the tallies of their buckets, and the touched buckets' rows are then ranked (or
//! counted) from their tallies. The facts a run reads are those its new events name, so a
//! late event costs its own facts, not its month's.
//!
//! A zone built in full (first run, newly configured) builds its tallies from all facts.

use events::KnownType;

use crate::catalog::{LEADERBOARD_SIZE, LEADERBOARDS};
use crate::groups::{Dim, FactGroup, PAYMENT_LOOKUPS, SUBJECT_OF_PAYMENT, dimensions_json};

/// Which facts the new events (`seq` in `(?1, ?2]`) may change, for a fact table `f`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Affected {
    /// Bookings of the sessions newly booked.
    Bookings,
    /// Outcomes of the sessions newly completed.
    Completions,
    /// Payments newly seen, and those of sessions newly booked or courses newly published
    /// (their tutor and subject).
    Payments,
    /// Enrollments of the (student, course) pairs newly enrolled or completed.
    Enrollments,
}

/// One kind of contribution: a fact adds 1 to its member's count and `value` to its sum in
/// the bucket of its instant `at`, within the series `part` (the dimensions other than the
/// member and the rank).
struct Tally {
    metric: &'static str,
    facts: &'static str,
    lookups: &'static str,
    at: &'static str,
    condition: &'static str,
    part: String,
    member: &'static str,
    value: &'static str,
    affected: Affected,
}

impl Tally {
    /// `template` with `{metric}`, `{at}`, `{part}`, `{member}`, `{value}`, `{facts}`,
    /// `{lookups}` and `{condition}` replaced by this tally's SQL.
    fn render(&self, template: &str) -> String {
        [
            ("{metric}", self.metric),
            ("{at}", self.at),
            ("{part}", self.part.as_str()),
            ("{member}", self.member),
            ("{value}", self.value),
            ("{facts}", self.facts),
            ("{lookups}", self.lookups),
            ("{condition}", self.condition),
        ]
        .iter()
        .fold(template.to_owned(), |sql, (name, value)| {
            sql.replace(name, value)
        })
    }
}

const TUTOR_OF_PAYMENT: &str = "COALESCE(s.tutor_id, c.tutor_id)";

/// The series of `paying_users`: per currency, and per currency and product or subject.
const PAYER_BREAKDOWNS: [&[Dim]; 3] = [
    &[("currency", "f.currency")],
    &[("currency", "f.currency"), ("product", "f.product")],
    &[("currency", "f.currency"), ("subject", SUBJECT_OF_PAYMENT)],
];

fn tallies() -> Vec<Tally> {
    let currency: &[Dim] = &[("currency", "f.currency")];
    let payment = |metric, part: &[Dim], member, value| Tally {
        metric,
        facts: "metric_payments f",
        lookups: PAYMENT_LOOKUPS,
        at: "f.at_ms",
        condition: "1",
        part: dimensions_json(part),
        member,
        value,
        affected: Affected::Payments,
    };
    let enrollment = |metric, at, condition| Tally {
        metric,
        facts: "metric_enrollments f",
        lookups: "",
        at,
        condition,
        part: dimensions_json(&[]),
        member: "f.course_id",
        value: "1",
        affected: Affected::Enrollments,
    };
    // One tally per payer and breakdown: `paying_users` of a series is the number of its
    // tallies, counted along the key without reading a value.
    let mut all: Vec<Tally> = PAYER_BREAKDOWNS
        .iter()
        .map(|part| payment("paying_users", part, "f.user_id", "1"))
        .collect();
    all.extend([
        payment(
            "top_tutors_by_revenue",
            currency,
            TUTOR_OF_PAYMENT,
            "f.amount",
        ),
        payment(
            "top_courses_by_revenue",
            currency,
            "f.course_id",
            "f.amount",
        ),
        Tally {
            metric: "top_tutors_by_bookings",
            facts: "metric_bookings f",
            lookups: "",
            at: "f.at_ms",
            condition: "1",
            part: dimensions_json(&[]),
            member: "f.tutor_id",
            value: "1",
            affected: Affected::Bookings,
        },
        Tally {
            metric: "top_tutors_by_completions",
            facts: "metric_outcomes f",
            lookups: "",
            at: "f.at_ms",
            condition: "f.outcome = 'completed'",
            part: dimensions_json(&[]),
            member: "f.tutor_id",
            value: "1",
            affected: Affected::Completions,
        },
        enrollment(
            "top_courses_by_enrollments",
            "f.enrolled_ms",
            "f.enrolled_ms IS NOT NULL",
        ),
        enrollment(
            "top_courses_by_completions",
            "f.completed_ms",
            "f.completed_ms IS NOT NULL",
        ),
    ]);
    all
}

/// The key of the new events of `kinds`.
fn new_keys(key: &str, kinds: &[KnownType]) -> String {
    let names: Vec<String> = kinds.iter().map(|k| format!("'{}'", k.as_str())).collect();
    format!(
        "SELECT {key} FROM analytics_events e WHERE e.seq > ?1 AND e.seq <= ?2 AND e.event_type IN ({})",
        names.join(", ")
    )
}

/// The key columns of `f` that the new events name, and the `SELECT` of their values.
fn affected(which: Affected) -> (&'static str, String) {
    use KnownType::{
        CourseCompleted, CourseEnrolled, CoursePublished, PaymentSucceeded, SessionBooked,
        SessionCompleted,
    };
    let booked = new_keys(
        "json_extract(e.properties, '$.sessionId')",
        &[SessionBooked],
    );
    match which {
        Affected::Bookings => ("f.session_id", booked),
        Affected::Completions => (
            "f.session_id",
            new_keys(
                "json_extract(e.properties, '$.sessionId')",
                &[SessionCompleted],
            ),
        ),
        Affected::Payments => (
            "f.payment_id",
            format!(
                "{} UNION SELECT payment_id FROM metric_payments WHERE session_id IN ({booked}) \
                 UNION SELECT payment_id FROM metric_payments WHERE course_id IN ({})",
                new_keys(
                    "json_extract(e.properties, '$.paymentId')",
                    &[PaymentSucceeded]
                ),
                new_keys(
                    "json_extract(e.properties, '$.courseId')",
                    &[CoursePublished]
                ),
            ),
        ),
        Affected::Enrollments => (
            "(f.user_id, f.course_id)",
            new_keys(
                "e.user_id, json_extract(e.properties, '$.courseId')",
                &[CourseEnrolled, CourseCompleted],
            ),
        ),
    }
}

/// Statements recording the contributions of the facts the new events may change, with
/// `sign` -1 before the fold and 1 after it: one per fact set, whose keys are read once.
pub(crate) fn deltas(sign: i8) -> Vec<String> {
    let all = tallies();
    [
        Affected::Payments,
        Affected::Bookings,
        Affected::Completions,
        Affected::Enrollments,
    ]
    .into_iter()
    .map(|which| {
        let (key, keys) = affected(which);
        let selects: Vec<String> = all
            .iter()
            .filter(|t| t.affected == which)
            .map(|t| {
                t.render(&format!(
                    "SELECT '{{metric}}', {{at}}, {{part}}, {{member}}, {sign}, {sign} * ({{value}}) \
                     FROM {{facts}} {{lookups}} WHERE {{condition}} AND {{member}} IS NOT NULL \
                     AND {key} IN (SELECT * FROM k)"
                ))
            })
            .collect();
        format!(
            "WITH k AS MATERIALIZED ({keys}) \
             INSERT INTO metric_deltas (metric_name, at_ms, part, member, n, v) {}",
            selects.join(" UNION ALL ")
        )
    })
    .collect()
}

/// Statements building the tallies of the buckets `?3` (zone `?1`, granularity `?2`) from
/// all facts: one per fact set, which is read once (with its lookups) for all its tallies.
/// A statement per tally read every payment five times at 10M, 400 s or more each.
pub(crate) fn build() -> Vec<String> {
    let all = tallies();
    let mut sets: Vec<Vec<&Tally>> = Vec::new();
    for t in &all {
        let same = |u: &&Tally| {
            (u.facts, u.lookups, u.at, u.condition) == (t.facts, t.lookups, t.at, t.condition)
        };
        match sets.iter_mut().find(|set| set.first().is_some_and(same)) {
            Some(set) => set.push(t),
            None => sets.push(vec![t]),
        }
    }
    sets.iter()
        .map(|set| {
            let columns: String = set
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    t.render(&format!(
                        ", {{part}} AS p{i}, {{member}} AS m{i}, {{value}} AS v{i}"
                    ))
                })
                .collect();
            let first = set[0];
            let read = first.render(&format!(
                "p AS MATERIALIZED (SELECT b.start AS s{columns} FROM b CROSS JOIN {{facts}} \
                 ON {{at}} >= b.start AND {{at}} < b.stop {{lookups}} WHERE {{condition}})"
            ));
            let selects: Vec<String> = set
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    format!(
                        "SELECT ?1, ?2, '{metric}', s, p{i}, m{i}, COUNT(*), SUM(v{i}) FROM p \
                         WHERE m{i} IS NOT NULL GROUP BY s, p{i}, m{i}",
                        metric = t.metric
                    )
                })
                .collect();
            format!(
                "WITH {buckets}, {read} INSERT INTO metric_tallies \
                 (zone, granularity, metric_name, bucket_start, part, member, n, v) {}",
                selects.join(" UNION ALL "),
                buckets = crate::groups::BUCKETS,
            )
        })
        .collect()
}

/// Deletes every tally of zone `?1` and granularity `?2`, before [`build`].
pub(crate) const CLEAR: &str = "DELETE FROM metric_tallies WHERE zone = ?1 AND granularity = ?2";

/// Adds the recorded deltas to the tallies of the buckets `?3`.
pub(crate) const APPLY: &str = "WITH b AS MATERIALIZED (SELECT json_extract(value, '$[0]') AS start, \
     json_extract(value, '$[1]') AS stop FROM json_each(?3)) \
     INSERT INTO metric_tallies (zone, granularity, metric_name, bucket_start, part, member, n, v) \
     SELECT ?1, ?2, d.metric_name, b.start, d.part, d.member, SUM(d.n), SUM(d.v) \
     FROM b CROSS JOIN metric_deltas d ON d.at_ms >= b.start AND d.at_ms < b.stop WHERE 1 \
     GROUP BY d.metric_name, b.start, d.part, d.member HAVING SUM(d.n) <> 0 OR SUM(d.v) <> 0 \
     ON CONFLICT (zone, granularity, metric_name, bucket_start, part, member) \
     DO UPDATE SET n = n + excluded.n, v = v + excluded.v";

/// Deletes the tallies the deltas of the buckets `?3` brought to no fact (only those the
/// deltas took facts from can be).
pub(crate) const PRUNE: &str = "WITH b AS MATERIALIZED (SELECT json_extract(value, '$[0]') AS start, \
     json_extract(value, '$[1]') AS stop FROM json_each(?3)) \
     DELETE FROM metric_tallies WHERE n = 0 \
     AND (zone, granularity, metric_name, bucket_start, part, member) IN \
     (SELECT ?1, ?2, d.metric_name, b.start, d.part, d.member \
     FROM b CROSS JOIN metric_deltas d ON d.at_ms >= b.start AND d.at_ms < b.stop WHERE d.n < 0)";

/// The per-period metrics of the buckets `?3`, from their tallies: distinct paying users
/// counted, leaderboards ranked (top [`LEADERBOARD_SIZE`] by value, then member).
pub(crate) fn per_period_groups() -> Vec<FactGroup> {
    let of = |metric: &str| {
        format!(
            "FROM b CROSS JOIN metric_tallies t ON t.zone = ?1 AND t.granularity = ?2 \
             AND t.metric_name = '{metric}' AND t.bucket_start = b.start"
        )
    };
    // A tally's part is its series' dimensions.
    let payers = format!(
        "SELECT 'paying_users' AS m, t.bucket_start AS s, t.part AS d, COUNT(*) AS v {} \
         GROUP BY t.bucket_start, t.part",
        of("paying_users")
    );
    let ranked: Vec<String> = LEADERBOARDS
        .iter()
        .map(|board| {
            let (metric, key) = (board.metric, board.ranked_key);
            let currency = if board.per_currency {
                "'currency', json_extract(p, '$.currency'), "
            } else {
                ""
            };
            // Keys in the order `dimensions_json` sorts them.
            let dims = if key < "currency" {
                format!("json_object('{key}', k, {currency}'rank', CAST(r AS TEXT))")
            } else {
                format!("json_object({currency}'rank', CAST(r AS TEXT), '{key}', k)")
            };
            // The terms `metric_tallies_ranked` (partial) is used under.
            let board = format!(
                "t.zone = ?1 AND t.granularity = ?2 AND t.metric_name = '{metric}' \
                 AND t.metric_name <> 'paying_users'"
            );
            // Each bucket's series (`part`s) one index seek each, then each series' top
            // entries read in order from the index: a bucket costs its top entries, not
            // every member it tallies.
            format!(
                "SELECT '{metric}' AS m, s, {dims} AS d, v FROM (SELECT s, p, k, v, \
                 ROW_NUMBER() OVER (PARTITION BY s, p ORDER BY v DESC, k) AS r FROM (\
                 WITH RECURSIVE parts (s, part) AS (\
                 SELECT b.start, (SELECT MIN(t.part) FROM metric_tallies t \
                 WHERE {board} AND t.bucket_start = b.start) FROM b \
                 UNION ALL SELECT s, (SELECT MIN(t.part) FROM metric_tallies t \
                 WHERE {board} AND t.bucket_start = parts.s AND t.part > parts.part) \
                 FROM parts WHERE parts.part IS NOT NULL) \
                 SELECT p.s AS s, p.part AS p, t.member AS k, t.v AS v \
                 FROM parts p CROSS JOIN metric_tallies t ON {board} \
                 AND t.bucket_start = p.s AND t.part = p.part AND t.member IN \
                 (SELECT t.member FROM metric_tallies t WHERE {board} \
                 AND t.bucket_start = p.s AND t.part = p.part \
                 ORDER BY t.v DESC, t.member LIMIT {LEADERBOARD_SIZE}) \
                 WHERE p.part IS NOT NULL))"
            )
        })
        .collect();
    vec![
        FactGroup {
            metrics: vec!["paying_users"],
            select: payers,
        },
        FactGroup {
            metrics: LEADERBOARDS.iter().map(|b| b.metric).collect(),
            select: ranked.join(" UNION ALL "),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn deltas_read_only_the_facts_new_events_name() {
        for sql in deltas(-1).iter().chain(&deltas(1)) {
            assert!(sql.contains("e.seq > ?1 AND e.seq <= ?2"), "{sql}");
        }
        assert!(deltas(-1)[0].contains("-1 * (f.amount)"));
        // Every tally is built and gets deltas.
        let all = deltas(1).concat();
        for t in tallies() {
            assert!(
                all.contains(&format!("'{}', {}", t.metric, t.at)),
                "{}",
                t.metric
            );
        }
        let built = build().concat();
        for t in tallies() {
            assert!(
                built.contains(&format!("'{}', s, p", t.metric)),
                "{}",
                t.metric
            );
        }
        // Payments, bookings, completions, enrollments and completed enrollments.
        assert_eq!(build().len(), 5);
        assert!(build().iter().all(|sql| sql.contains("json_each(?3)")));
    }
}
