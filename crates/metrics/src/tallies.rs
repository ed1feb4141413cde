//! Sums and per-period metrics (distinct paying users, leaderboards) kept as tallies: per
//! zone, granularity and bucket, each member's (tutor's, course's, paying user's) count of
//! facts and sum of values, in `metric_tallies`. A sum metric's series is a tally with no
//! member (`''`): its count says whether the bucket has facts, its sum is the served value.
//!
//! A refresh does not re-read a touched bucket's facts. While it folds the new events, it
//! records the contributions of the facts they may change twice in `metric_slot_deltas`:
//! negated before the fold and as they are after it, summed per slot. Each zone adds the
//! deltas, summed per bucket, to the tallies of their buckets and writes the served rows of
//! the sums and of `paying_users` whose tallies they change ([`apply`]); the touched
//! buckets' leaderboards are ranked from their tallies. The facts a run reads are those its new
//! events name, so a late event costs its own facts, not its month's.
//!
//! A zone built in full (first run, newly configured) builds its tallies from all facts.

use events::KnownType;

use crate::catalog::{LEADERBOARD_SIZE, LEADERBOARDS};
use crate::groups::{Dim, FactGroup, PAYMENT_LOOKUPS, SUBJECT_OF_PAYMENT, dimensions_json};
use crate::time::Granularity;

/// Which facts the new events (`seq` in `(?1, ?2]`) may change, for a fact table `f`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Affected {
    /// Registrations of the users who newly registered.
    Users,
    /// Bookings of the sessions newly booked.
    Bookings,
    /// Outcomes of the sessions newly completed or cancelled.
    Outcomes,
    /// Payments newly seen, and those of sessions newly booked or courses newly published
    /// (their tutor and subject).
    Payments,
    /// Refunds newly seen, and those of the payments above (their product and subject).
    Refunds,
    /// Enrollments of the (student, course) pairs newly enrolled or completed, and of the
    /// courses newly published (their subject).
    Enrollments,
    /// Lesson completions newly seen, and those of courses newly published.
    Lessons,
    /// Reviews newly seen, and those of courses newly published.
    Reviews,
}

/// Every kind of affected facts, one delta statement each.
const AFFECTED: [Affected; 8] = [
    Affected::Users,
    Affected::Bookings,
    Affected::Outcomes,
    Affected::Payments,
    Affected::Refunds,
    Affected::Enrollments,
    Affected::Lessons,
    Affected::Reviews,
];

/// The member of a sum metric's tally.
const NO_MEMBER: &str = "''";

/// One kind of contribution: a fact of `set` adds 1 to its member's count and `value` to its
/// sum in the bucket of its instant, within the series `part` (the dimensions other than
/// the member and the rank).
struct Tally {
    metric: &'static str,
    set: FactSet,
    part: String,
    member: &'static str,
    value: &'static str,
}

impl Tally {
    /// `template` with `{metric}`, `{at}`, `{part}`, `{member}`, `{value}`, `{facts}`,
    /// `{lookups}` and `{condition}` replaced by this tally's SQL.
    fn render(&self, template: &str) -> String {
        [
            ("{metric}", self.metric),
            ("{at}", self.set.at),
            ("{part}", self.part.as_str()),
            ("{member}", self.member),
            ("{value}", self.value),
            ("{facts}", self.set.facts),
            ("{lookups}", self.set.lookups),
            ("{condition}", self.set.condition),
        ]
        .iter()
        .fold(template.to_owned(), |sql, (name, value)| {
            sql.replace(name, value)
        })
    }
}

/// Facts that tallies count: a table, its lookups, the instant that places a fact in a
/// bucket, which facts count, and which new events may change them.
#[derive(Clone, Copy, PartialEq, Eq)]
struct FactSet {
    facts: &'static str,
    lookups: &'static str,
    at: &'static str,
    condition: &'static str,
    affected: Affected,
}

impl FactSet {
    /// The tally of `metric` over these facts, per `part`, for `member`, of `value`.
    fn tally(
        self,
        metric: &'static str,
        part: &[Dim],
        member: &'static str,
        value: &'static str,
    ) -> Tally {
        Tally {
            metric,
            set: self,
            part: dimensions_json(part),
            member,
            value,
        }
    }

    /// A sum metric's tally per measure (`(metric, value)`) and breakdown.
    fn sums(self, measures: &[(&'static str, &'static str)], parts: &[&[Dim]]) -> Vec<Tally> {
        let mut tallies = Vec::new();
        for (metric, value) in measures {
            for part in parts {
                tallies.push(self.tally(metric, part, NO_MEMBER, value));
            }
        }
        tallies
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
    let mut all = member_tallies();
    all.extend(sum_tallies());
    all
}

const COURSE_LOOKUP: &str = "LEFT JOIN metric_courses c ON c.course_id = f.course_id";

/// A fact set with no lookups, counting every fact.
const fn every(facts: &'static str, at: &'static str, affected: Affected) -> FactSet {
    FactSet {
        facts,
        lookups: "",
        at,
        condition: "1",
        affected,
    }
}

const REGISTRATIONS: FactSet = FactSet {
    condition: "f.registered_ms IS NOT NULL",
    ..every("metric_users f", "f.registered_ms", Affected::Users)
};
const BOOKINGS: FactSet = every("metric_bookings f", "f.at_ms", Affected::Bookings);
const COMPLETED_SESSIONS: FactSet = FactSet {
    condition: "f.outcome = 'completed'",
    ..every("metric_outcomes f", "f.at_ms", Affected::Outcomes)
};
const CANCELLED_SESSIONS: FactSet = FactSet {
    condition: "f.outcome = 'cancelled'",
    ..COMPLETED_SESSIONS
};
const PAYMENTS: FactSet = FactSet {
    lookups: PAYMENT_LOOKUPS,
    ..every("metric_payments f", "f.at_ms", Affected::Payments)
};
const REFUNDS: FactSet = FactSet {
    lookups: "LEFT JOIN metric_payments p ON p.payment_id = f.payment_id \
         LEFT JOIN metric_bookings s ON s.session_id = p.session_id \
         LEFT JOIN metric_courses c ON c.course_id = p.course_id",
    ..every("metric_refunds f", "f.at_ms", Affected::Refunds)
};
// With the course lookup the sums of enrollments need, so the leaderboards' and the sums'
// tallies are built in one pass.
const ENROLLMENTS: FactSet = FactSet {
    lookups: COURSE_LOOKUP,
    condition: "f.enrolled_ms IS NOT NULL",
    ..every(
        "metric_enrollments f",
        "f.enrolled_ms",
        Affected::Enrollments,
    )
};
const COURSE_COMPLETIONS: FactSet = FactSet {
    at: "f.completed_ms",
    condition: "f.completed_ms IS NOT NULL",
    ..ENROLLMENTS
};
const LESSONS: FactSet = FactSet {
    lookups: COURSE_LOOKUP,
    ..every("metric_lessons f", "f.at_ms", Affected::Lessons)
};
const REVIEWS: FactSet = every("metric_reviews f", "f.at_ms", Affected::Reviews);
const COURSE_REVIEWS: FactSet = FactSet {
    lookups: COURSE_LOOKUP,
    condition: "f.course_id IS NOT NULL",
    ..REVIEWS
};

/// The tallies of per-period metrics: one per member.
fn member_tallies() -> Vec<Tally> {
    let (currency, all_facts): (&[Dim], &[Dim]) = (&[("currency", "f.currency")], &[]);
    // One tally per payer and breakdown: `paying_users` of a series is the number of its
    // tallies, counted along the key without reading a value.
    let mut all: Vec<Tally> = PAYER_BREAKDOWNS
        .iter()
        .map(|part| PAYMENTS.tally("paying_users", part, "f.user_id", "1"))
        .collect();
    all.extend([
        PAYMENTS.tally(
            "top_tutors_by_revenue",
            currency,
            TUTOR_OF_PAYMENT,
            "f.amount",
        ),
        PAYMENTS.tally(
            "top_courses_by_revenue",
            currency,
            "f.course_id",
            "f.amount",
        ),
        BOOKINGS.tally("top_tutors_by_bookings", all_facts, "f.tutor_id", "1"),
        COMPLETED_SESSIONS.tally("top_tutors_by_completions", all_facts, "f.tutor_id", "1"),
        ENROLLMENTS.tally("top_courses_by_enrollments", all_facts, "f.course_id", "1"),
        COURSE_COMPLETIONS.tally("top_courses_by_completions", all_facts, "f.course_id", "1"),
    ]);
    all
}

/// The tallies of [`MetricKind::Sum`](crate::catalog::MetricKind::Sum) metrics: one per
/// series, with no member.
fn sum_tallies() -> Vec<Tally> {
    let totals: &[Dim] = &[];
    let subject: &[Dim] = &[("subject", "f.subject")];
    let course_subject: &[Dim] = &[("subject", "COALESCE(c.subject, 'unknown')")];
    let course: &[Dim] = &[("courseId", "f.course_id")];
    let per_course = [totals, course_subject, course];
    let reviewed = [("reviews", "1"), ("rating_sum", "f.rating")];
    let refund_breakdowns: [&[Dim]; 3] = [
        &[("currency", "f.currency")],
        &[
            ("currency", "f.currency"),
            ("product", "COALESCE(p.product, 'unknown')"),
        ],
        &[("currency", "f.currency"), ("subject", SUBJECT_OF_PAYMENT)],
    ];
    [
        REGISTRATIONS.sums(
            &[("new_registrations", "1")],
            &[totals, &[("role", "f.role")]],
        ),
        BOOKINGS.sums(
            &[("sessions_booked", "1"), ("booked_minutes", "f.minutes")],
            &[totals, subject],
        ),
        COMPLETED_SESSIONS.sums(&[("sessions_completed", "1")], &[totals, subject]),
        CANCELLED_SESSIONS.sums(&[("sessions_cancelled", "1")], &[totals, subject]),
        PAYMENTS.sums(&[("revenue_gross", "f.amount")], &PAYER_BREAKDOWNS),
        REFUNDS.sums(&[("revenue_refunds", "f.amount")], &refund_breakdowns),
        ENROLLMENTS.sums(
            &[
                ("enrollments", "1"),
                ("enrollments_completed", "(f.completed_ms IS NOT NULL)"),
            ],
            &per_course,
        ),
        COURSE_COMPLETIONS.sums(&[("course_completions", "1")], &per_course),
        LESSONS.sums(&[("lesson_completions", "1")], &per_course),
        REVIEWS.sums(&reviewed, &[totals]),
        COURSE_REVIEWS.sums(&reviewed, &per_course[1..]),
    ]
    .into_iter()
    .flatten()
    .collect()
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
    use crate::facts::prop;
    use KnownType::{
        CourseCompleted, CourseEnrolled, CoursePublished, LessonCompleted, PaymentRefunded,
        PaymentSucceeded, ReviewSubmitted, SessionBooked, SessionCancelled, SessionCompleted,
        UserRegistered,
    };
    let booked = new_keys(&prop("sessionId"), &[SessionBooked]);
    let published = new_keys(&prop("courseId"), &[CoursePublished]);
    let payments = format!(
        "{} UNION SELECT payment_id FROM metric_payments WHERE session_id IN ({booked}) \
         UNION SELECT payment_id FROM metric_payments WHERE course_id IN ({published})",
        new_keys(&prop("paymentId"), &[PaymentSucceeded]),
    );
    match which {
        Affected::Users => ("f.user_id", new_keys("e.user_id", &[UserRegistered])),
        Affected::Bookings => ("f.session_id", booked),
        Affected::Outcomes => (
            "f.session_id",
            new_keys(&prop("sessionId"), &[SessionCompleted, SessionCancelled]),
        ),
        Affected::Refunds => (
            "f.seq",
            format!(
                "{} UNION SELECT seq FROM metric_refunds WHERE payment_id IN ({payments})",
                new_keys("e.seq", &[PaymentRefunded]),
            ),
        ),
        Affected::Payments => ("f.payment_id", payments),
        Affected::Enrollments => (
            "(f.user_id, f.course_id)",
            format!(
                "{} UNION SELECT user_id, course_id FROM metric_enrollments \
                 WHERE course_id IN ({published})",
                new_keys(
                    &format!("e.user_id, {}", prop("courseId")),
                    &[CourseEnrolled, CourseCompleted],
                ),
            ),
        ),
        Affected::Lessons => (
            "(f.user_id, f.course_id, f.lesson_id)",
            format!(
                "{} UNION SELECT user_id, course_id, lesson_id FROM metric_lessons \
                 WHERE course_id IN ({published})",
                new_keys(
                    &format!("e.user_id, {}, {}", prop("courseId"), prop("lessonId")),
                    &[LessonCompleted],
                ),
            ),
        ),
        Affected::Reviews => (
            "f.seq",
            format!(
                "{} UNION SELECT seq FROM metric_reviews WHERE course_id IN ({published})",
                new_keys("e.seq", &[ReviewSubmitted]),
            ),
        ),
    }
}

/// Statements recording the contributions of the facts the new events may change, with
/// `sign` -1 before the fold and 1 after it: one per kind of affected facts, whose keys are
/// read once, and whose facts are read once per fact set for all its tallies.
pub(crate) fn deltas(sign: i8) -> Vec<String> {
    let all = tallies();
    AFFECTED
        .into_iter()
        .map(|which| {
            let (key, keys) = affected(which);
            let mine: Vec<&Tally> = all.iter().filter(|t| t.set.affected == which).collect();
            let sets = fact_sets(&mine);
            let mut reads = Vec::new();
            let mut selects = Vec::new();
            for (j, set) in sets.iter().enumerate() {
                let first = set[0];
                reads.push(first.render(&format!(
                    "r{j} AS MATERIALIZED (SELECT {} AS slot{} FROM {{facts}} {{lookups}} \
                     WHERE {{condition}} AND {key} IN (SELECT * FROM k))",
                    crate::facts::slot(first.set.at),
                    columns(set)
                )));
                for (i, t) in set.iter().enumerate() {
                    selects.push(format!(
                        "SELECT slot, '{metric}' AS metric, p{i} AS part, m{i} AS member, \
                         COUNT(*) AS n, SUM(v{i}) AS v FROM r{j} WHERE m{i} IS NOT NULL \
                         GROUP BY slot, part, member",
                        metric = t.metric
                    ));
                }
            }
            format!(
                "WITH k AS MATERIALIZED ({keys}), {} \
                 INSERT INTO metric_slot_deltas (slot_ms, metric_name, part, member, n, v) \
                 SELECT slot, metric, part, member, {sign} * n, {sign} * v FROM ({}) WHERE 1 \
                 ON CONFLICT (slot_ms, metric_name, part, member) \
                 DO UPDATE SET n = n + excluded.n, v = v + excluded.v",
                reads.join(", "),
                selects.join(" UNION ALL ")
            )
        })
        .collect()
}

/// `tallies` grouped by the facts they read: the same table, lookups, instant and condition.
fn fact_sets<'a>(tallies: &[&'a Tally]) -> Vec<Vec<&'a Tally>> {
    let mut sets: Vec<Vec<&Tally>> = Vec::new();
    for t in tallies {
        let same = |u: &&Tally| u.set == t.set;
        match sets.iter_mut().find(|set| set.first().is_some_and(same)) {
            Some(set) => set.push(t),
            None => sets.push(vec![t]),
        }
    }
    sets
}

/// The columns `p{i}`, `m{i}`, `v{i}` of each tally of a fact set: its part, member, value.
fn columns(set: &[&Tally]) -> String {
    set.iter()
        .enumerate()
        .map(|(i, t)| {
            t.render(&format!(
                ", {{part}} AS p{i}, {{member}} AS m{i}, {{value}} AS v{i}"
            ))
        })
        .collect()
}

/// Statements building the tallies of the buckets `?3` (zone `?1`, granularity `?2`) from
/// all facts: one per fact set, which is read once (with its lookups) for all its tallies.
/// A statement per tally read every payment five times at 10M, 400 s or more each.
pub(crate) fn build() -> Vec<String> {
    let all = tallies();
    let refs: Vec<&Tally> = all.iter().collect();
    fact_sets(&refs)
        .iter()
        .map(|set| {
            let first = set[0];
            let read = first.render(&format!(
                "p AS MATERIALIZED (SELECT b.start AS s{} FROM b CROSS JOIN {{facts}} \
                 ON {{at}} >= b.start AND {{at}} < b.stop {{lookups}} WHERE {{condition}})",
                columns(set)
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

/// Statements building the tallies of the buckets `?3` (zone `?1`, granularity `?2`) in a
/// zone built in full: days from all facts ([`build`]); weeks and months added up from the
/// days, in one pass over the day tallies instead of one over every fact set (the buckets
/// of every granularity are the periods of the same days, and every fact's instant is
/// activity, so within them).
pub(crate) fn build_granularity(granularity: Granularity) -> Vec<String> {
    if granularity == Granularity::Day {
        return build();
    }
    let mut names: Vec<&str> = tallies().iter().map(|t| t.metric).collect();
    names.sort_unstable();
    names.dedup();
    // Joined in this order, each (bucket, metric) is one range of the tallies' key.
    vec![format!(
        "WITH {buckets}, m AS MATERIALIZED (SELECT column1 AS name FROM (VALUES ('{names}'))) \
         INSERT INTO metric_tallies (zone, granularity, metric_name, bucket_start, part, member, n, v) \
         SELECT ?1, ?2, t.metric_name, b.start, t.part, t.member, SUM(t.n), SUM(t.v) \
         FROM b CROSS JOIN m CROSS JOIN metric_tallies t ON t.zone = ?1 AND t.granularity = 'day' \
         AND t.metric_name = m.name AND t.bucket_start >= b.start AND t.bucket_start < b.stop \
         WHERE 1 GROUP BY b.start, t.metric_name, t.part, t.member",
        buckets = crate::groups::BUCKETS,
        names = names.join("'), ('"),
    )]
}

/// Deletes every tally of zone `?1` and granularity `?2`, before [`build_granularity`].
pub(crate) const CLEAR: &str = "DELETE FROM metric_tallies WHERE zone = ?1 AND granularity = ?2";

/// The deltas of the buckets `?3` of granularity `?2`, summed per bucket, series and member:
/// days from the slots, weeks and months from the days (half the rows; the buckets of every
/// granularity are the periods of the same touched days).
fn sum_per_bucket(granularity: Granularity) -> String {
    let from = match granularity {
        Granularity::Day => "metric_slot_deltas d ON d.slot_ms >= b.start AND d.slot_ms < b.stop",
        _ => {
            "metric_bucket_deltas d ON d.granularity = 'day' \
             AND d.bucket_start >= b.start AND d.bucket_start < b.stop"
        }
    };
    format!(
        "WITH {buckets} \
         INSERT INTO metric_bucket_deltas (granularity, bucket_start, metric_name, part, member, n, v) \
         SELECT ?2, b.start, d.metric_name, d.part, d.member, SUM(d.n), SUM(d.v) \
         FROM b CROSS JOIN {from} WHERE 1 GROUP BY b.start, d.metric_name, d.part, d.member \
         HAVING SUM(d.n) <> 0 OR SUM(d.v) <> 0",
        buckets = crate::groups::BUCKETS,
    )
}

/// The statements that add the recorded deltas to the tallies of the buckets `?3` (zone
/// `?1`, granularity `?2`) and write the served rows that follow them, in order, each with
/// how many of those parameters it takes. Set-based: per-row triggers cost twice as much.
/// The zone's granularities in order, after [`CLEAR_BUCKET_DELTAS`].
pub(crate) fn apply(granularity: Granularity) -> Vec<(String, usize)> {
    let mut statements = vec![(sum_per_bucket(granularity), 3)];
    statements.extend(APPLY_SUMMED.iter().map(|sql| ((*sql).to_owned(), 2)));
    statements
}

/// [`apply`] once the deltas are summed per bucket: statements taking `?1` and `?2`.
const APPLY_SUMMED: [&str; 6] = [
    // `paying_users` of a series counts its payers' tallies that count a payment: add those
    // that start to, take those that stop (read before the tallies change).
    "INSERT INTO dashboard_metrics (zone, granularity, metric_name, bucket_start, dimensions, value) \
     SELECT ?1, ?2, 'paying_users', d.bucket_start, d.part, \
     SUM((COALESCE(t.n, 0) = 0 AND d.n > 0) - (COALESCE(t.n, 0) > 0 AND COALESCE(t.n, 0) + d.n = 0)) AS change \
     FROM metric_bucket_deltas d LEFT JOIN metric_tallies t ON t.zone = ?1 AND t.granularity = ?2 \
     AND t.metric_name = d.metric_name AND t.bucket_start = d.bucket_start \
     AND t.part = d.part AND t.member = d.member \
     WHERE d.granularity = ?2 AND d.metric_name = 'paying_users' GROUP BY d.bucket_start, d.part \
     HAVING change <> 0 \
     ON CONFLICT (zone, granularity, metric_name, bucket_start, dimensions) \
     DO UPDATE SET value = value + excluded.value",
    "DELETE FROM dashboard_metrics WHERE zone = ?1 AND granularity = ?2 \
     AND metric_name = 'paying_users' AND value = 0 AND (bucket_start, dimensions) IN \
     (SELECT bucket_start, part FROM metric_bucket_deltas \
     WHERE granularity = ?2 AND metric_name = 'paying_users' AND n < 0)",
    "INSERT INTO metric_tallies (zone, granularity, metric_name, bucket_start, part, member, n, v) \
     SELECT ?1, ?2, metric_name, bucket_start, part, member, n, v FROM metric_bucket_deltas \
     WHERE granularity = ?2 \
     ON CONFLICT (zone, granularity, metric_name, bucket_start, part, member) \
     DO UPDATE SET n = n + excluded.n, v = v + excluded.v",
    // A sum metric's served row is its tally's sum while the tally counts a fact.
    "INSERT INTO dashboard_metrics (zone, granularity, metric_name, bucket_start, dimensions, value) \
     SELECT ?1, ?2, t.metric_name, t.bucket_start, t.part, t.v FROM metric_bucket_deltas d \
     CROSS JOIN metric_tallies t ON t.zone = ?1 AND t.granularity = ?2 \
     AND t.metric_name = d.metric_name AND t.bucket_start = d.bucket_start \
     AND t.part = d.part AND t.member = d.member \
     WHERE d.granularity = ?2 AND d.member = '' AND t.n > 0 \
     ON CONFLICT (zone, granularity, metric_name, bucket_start, dimensions) \
     DO UPDATE SET value = excluded.value \
     WHERE value IS NOT excluded.value OR typeof(value) <> typeof(excluded.value)",
    // The tallies the deltas brought to no fact (only those they took facts from can be),
    // and the served rows of those of sums.
    "DELETE FROM dashboard_metrics WHERE zone = ?1 AND granularity = ?2 \
     AND (metric_name, bucket_start, dimensions) IN (SELECT d.metric_name, d.bucket_start, d.part \
     FROM metric_bucket_deltas d CROSS JOIN metric_tallies t ON t.zone = ?1 AND t.granularity = ?2 \
     AND t.metric_name = d.metric_name AND t.bucket_start = d.bucket_start \
     AND t.part = d.part AND t.member = d.member \
     WHERE d.granularity = ?2 AND d.member = '' AND d.n < 0 AND t.n = 0)",
    "DELETE FROM metric_tallies WHERE zone = ?1 AND granularity = ?2 AND n = 0 \
     AND (metric_name, bucket_start, part, member) IN (SELECT metric_name, bucket_start, part, \
     member FROM metric_bucket_deltas WHERE granularity = ?2 AND n < 0)",
];

/// Empties the per-bucket deltas, before a zone's first [`apply`].
pub(crate) const CLEAR_BUCKET_DELTAS: &str = "DELETE FROM metric_bucket_deltas";

/// Inserts the served rows of the sum metrics in the buckets `?3` from their tallies, and
/// the `paying_users` rows counted from theirs: what [`apply`] keeps in a built zone, for a
/// zone being built in full.
pub(crate) fn counted_from_tallies() -> String {
    let sums: Vec<String> = sum_metrics()
        .iter()
        .map(|name| format!("'{name}'"))
        .collect();
    // Joined in this order, each (bucket, metric) is one seek of the tallies' key.
    format!(
        "WITH {buckets}, m AS MATERIALIZED (SELECT column1 AS name FROM (VALUES ({names}))) \
         INSERT INTO dashboard_metrics (zone, granularity, metric_name, bucket_start, dimensions, value) \
         SELECT ?1, ?2, t.metric_name, t.bucket_start, t.part, t.v FROM b CROSS JOIN m \
         CROSS JOIN metric_tallies t ON t.zone = ?1 AND t.granularity = ?2 \
         AND t.metric_name = m.name AND t.bucket_start = b.start WHERE t.member = '' AND t.n > 0 \
         UNION ALL SELECT ?1, ?2, 'paying_users', t.bucket_start, t.part, COUNT(*) \
         FROM b CROSS JOIN metric_tallies t ON t.zone = ?1 AND t.granularity = ?2 \
         AND t.metric_name = 'paying_users' AND t.bucket_start = b.start \
         GROUP BY t.bucket_start, t.part",
        buckets = crate::groups::BUCKETS,
        names = sums.join("), ("),
    )
}

/// The metrics whose served rows follow their tallies: the sums and `paying_users`
/// ([`apply`], and [`counted_from_tallies`]).
pub(crate) fn counted() -> Vec<&'static str> {
    let mut names = sum_metrics();
    names.push("paying_users");
    names
}

/// The sum metrics, whose every series is a tally.
fn sum_metrics() -> Vec<&'static str> {
    crate::catalog::names_where(|m| m.kind == crate::catalog::MetricKind::Sum)
}

/// The leaderboards of the buckets `?3`, ranked from their tallies (top
/// [`LEADERBOARD_SIZE`] by value, then member).
pub(crate) fn leaderboards() -> FactGroup {
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
            // The terms `metric_tallies_top` (partial) is used under.
            let board = format!(
                "t.zone = ?1 AND t.granularity = ?2 AND t.metric_name = '{metric}' \
                 AND t.metric_name <> 'paying_users' AND t.member <> ''"
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
    FactGroup {
        metrics: LEADERBOARDS.iter().map(|b| b.metric).collect(),
        select: ranked.join(" UNION ALL "),
    }
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
        let payments = &deltas(-1)[3];
        assert!(payments.contains("f.amount AS v") && payments.contains("-1 * n, -1 * v"));
        // Every tally is built and gets deltas.
        let all = deltas(1).concat();
        for t in tallies() {
            assert!(
                all.contains(&format!("'{}' AS metric", t.metric)),
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
        // Every sum metric of the catalog is tallied.
        let mut summed: Vec<&str> = sum_tallies().iter().map(|t| t.metric).collect();
        summed.sort_unstable();
        summed.dedup();
        let mut expected = sum_metrics();
        expected.sort_unstable();
        assert_eq!(summed, expected);
        // One pass per fact set: registrations; bookings; completed sessions; cancelled ones;
        // payments; refunds; enrollments; completed ones; lessons; reviews; course reviews.
        assert_eq!(build().len(), 11);
        assert!(build().iter().all(|sql| sql.contains("json_each(?3)")));
    }
}
