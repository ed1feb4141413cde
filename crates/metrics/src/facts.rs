//! Folding new events into the fact tables, and recording which instants that touches.
//!
//! Every statement reads only the new events, `analytics_events.seq` in `(?1, ?2]` (a range
//! of the primary key), plus fact rows found by key: the cost follows the new events.
//!
//! A fact keeps the earliest event of its entity (by timestamp, then `seq`), so folding the
//! same events twice, or in another order, gives the same facts. What a fact's change does to
//! the metrics is recorded around the fold as deltas (`tallies::deltas`): the fact's old
//! contribution and the facts it describes (a late `session_booked` changes the subject of
//! its payments and of their refunds; a late `course_published` changes the subject of
//! everything about the course; a payment, the attribution of its refunds; a completion,
//! the enrollment it completes).

use events::KnownType;

use crate::time::SLOT_MS;

/// The new events of one type.
fn new_events(kind: KnownType) -> String {
    format!(
        "FROM analytics_events e WHERE e.seq > ?1 AND e.seq <= ?2 AND e.event_type = '{}'",
        kind.as_str()
    )
}

/// The new events of several types.
fn new_events_in(kinds: &[KnownType]) -> String {
    let names: Vec<String> = kinds.iter().map(|k| format!("'{}'", k.as_str())).collect();
    format!(
        "FROM analytics_events e WHERE e.seq > ?1 AND e.seq <= ?2 AND e.event_type IN ({})",
        names.join(", ")
    )
}

/// The event property `name` of `e`.
pub(crate) fn prop(name: &str) -> String {
    format!("json_extract(e.properties, '$.{name}')")
}

/// The start of the activity slot of the instant `expr` (in ms).
pub(crate) fn slot(expr: &str) -> String {
    format!("({expr}) / {SLOT_MS} * {SLOT_MS}")
}

/// The (user, slot) pairs of activity of the events `(?1, ?2]` (as `e.user_id, slot`):
/// every event but identity links counts.
pub(crate) fn activity_of_new_events() -> String {
    format!(
        "SELECT DISTINCT e.user_id, {s} AS slot FROM analytics_events e \
         WHERE e.seq > ?1 AND e.seq <= ?2 AND e.event_type NOT IN ('{}', '{}')",
        UserIdentified.as_str(),
        UserAliased.as_str(),
        s = slot("e.timestamp_ms"),
    )
}

/// Records the activity of the new events, read from the events. (A run that has recorded
/// its new activity first adds that instead: `newly_active::ADD_NEW_ACTIVITY`.)
pub(crate) fn record_activity() -> String {
    format!(
        "INSERT OR IGNORE INTO metric_activity (user_id, slot_ms) {}",
        activity_of_new_events()
    )
}

use KnownType::{
    CourseCompleted, CourseEnrolled, CoursePublished, LessonCompleted, PaymentRefunded,
    PaymentSucceeded, ReviewSubmitted, SessionBooked, SessionCancelled, SessionCompleted,
    UserAliased, UserIdentified, UserRegistered,
};

/// The event types that place a user in, or move them through, the signup funnel.
const FUNNEL_TYPES: [KnownType; 4] = [
    UserRegistered,
    SessionBooked,
    CourseEnrolled,
    PaymentSucceeded,
];

/// Statements run before [`upserts`]: the first records the new events' instants
/// (`metric_touched`, where activity can change), the second the cohorts they may change.
///
/// The buckets whose tallies change are not recorded here: the deltas hold them
/// (`metric_slot_deltas`), including those of the facts a late event re-attributes.
pub(crate) fn touches() -> [String; 2] {
    [
        format!(
            "INSERT OR IGNORE INTO metric_touched (kind, slot_ms) \
             SELECT DISTINCT 'event', {} FROM analytics_events e WHERE e.seq > ?1 AND e.seq <= ?2",
            slot("e.timestamp_ms")
        ),
        cohort_touches(),
    ]
}

/// Records, before [`upserts`], the cohorts the new events may change: the registration
/// instant of users who register again (`members`: they may leave the cohort), and of users
/// whose first booking, enrollment or payment moves earlier (`funnel`).
pub(crate) fn cohort_touches() -> String {
    format!(
        "INSERT OR IGNORE INTO metric_touched_cohorts (kind, slot_ms) \
         SELECT CASE WHEN k.registers THEN 'members' ELSE 'funnel' END, {s} \
         FROM metric_users u JOIN (SELECT e.user_id, MAX(e.event_type = '{reg}') AS registers, \
           MIN(CASE WHEN e.event_type IN ('{book}', '{enroll}') THEN e.timestamp_ms END) AS engaged, \
           MIN(CASE WHEN e.event_type = '{pay}' THEN e.timestamp_ms END) AS paid \
           {new} GROUP BY e.user_id) k ON k.user_id = u.user_id \
         WHERE u.registered_ms IS NOT NULL AND (k.registers \
           OR (k.engaged IS NOT NULL AND (u.first_engaged_ms IS NULL OR k.engaged < u.first_engaged_ms)) \
           OR (k.paid IS NOT NULL AND (u.first_paid_ms IS NULL OR k.paid < u.first_paid_ms)))",
        s = slot("u.registered_ms"),
        reg = UserRegistered.as_str(),
        book = SessionBooked.as_str(),
        enroll = CourseEnrolled.as_str(),
        pay = PaymentSucceeded.as_str(),
        new = new_events_in(&FUNNEL_TYPES),
    )
}

/// Records, after [`upserts`], the cohort that users who registered now belong to.
pub(crate) fn joined_cohorts() -> String {
    format!(
        "INSERT OR IGNORE INTO metric_touched_cohorts (kind, slot_ms) SELECT 'members', {s} \
         FROM metric_users WHERE registered_ms IS NOT NULL AND user_id IN (SELECT e.user_id {new})",
        s = slot("registered_ms"),
        new = new_events(UserRegistered),
    )
}

/// An upsert that keeps the earliest event per key: `(at_ms, seq)` decides.
fn keep_earliest(table: &str, key: &str, columns: &[&str], select: &str) -> String {
    let sets: Vec<String> = columns
        .iter()
        .filter(|c| !key.split(", ").any(|k| k == **c))
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    format!(
        "INSERT INTO {table} ({cols}) {select} ORDER BY e.seq \
         ON CONFLICT ({key}) DO UPDATE SET {sets} \
         WHERE (excluded.at_ms, excluded.seq) < ({table}.at_ms, {table}.seq)",
        cols = columns.join(", "),
        sets = sets.join(", "),
    )
}

/// An upsert that keeps the earliest instant in one column.
fn keep_min(table: &str, key: &str, column: &str, select: &str) -> String {
    format!(
        "INSERT INTO {table} ({key}, {column}) {select} GROUP BY {key} \
         ON CONFLICT ({key}) DO UPDATE SET {column} = \
         MIN(COALESCE({table}.{column}, excluded.{column}), excluded.{column})"
    )
}

/// Statements folding the new events into the fact tables.
pub(crate) fn upserts() -> Vec<String> {
    let text = |name: &str| format!("{p} IS NOT NULL", p = prop(name));
    let minutes = format!(
        "CASE WHEN json_type(e.properties, '$.durationMinutes') = 'integer' AND {d} > 0 THEN {d} ELSE 60 END",
        d = prop("durationMinutes")
    );
    let product = format!(
        "COALESCE({p}, CASE WHEN {s} IS NOT NULL THEN 'session' WHEN {c} IS NOT NULL THEN 'course' ELSE 'other' END)",
        p = prop("product"),
        s = prop("sessionId"),
        c = prop("courseId"),
    );
    let amount = |name: &str| format!("json_type(e.properties, '$.{name}') = 'integer'");
    vec![
        format!(
            "INSERT INTO metric_users (user_id, registered_ms, registered_seq, role) \
             SELECT e.user_id, e.timestamp_ms, e.seq, {role} {new} AND {has_role} ORDER BY e.seq \
             ON CONFLICT (user_id) DO UPDATE SET registered_ms = excluded.registered_ms, \
             registered_seq = excluded.registered_seq, role = excluded.role \
             WHERE metric_users.registered_ms IS NULL OR (excluded.registered_ms, excluded.registered_seq) \
             < (metric_users.registered_ms, metric_users.registered_seq)",
            role = prop("role"),
            has_role = text("role"),
            new = new_events(UserRegistered),
        ),
        keep_min(
            "metric_users",
            "user_id",
            "first_engaged_ms",
            &format!(
                "SELECT e.user_id, MIN(e.timestamp_ms) {}",
                new_events_in(&[SessionBooked, CourseEnrolled])
            ),
        ),
        keep_min(
            "metric_users",
            "user_id",
            "first_paid_ms",
            &format!(
                "SELECT e.user_id, MIN(e.timestamp_ms) {}",
                new_events(PaymentSucceeded)
            ),
        ),
        keep_earliest(
            "metric_bookings",
            "session_id",
            &[
                "session_id",
                "at_ms",
                "seq",
                "user_id",
                "tutor_id",
                "subject",
                "minutes",
            ],
            &format!(
                "SELECT {}, e.timestamp_ms, e.seq, e.user_id, {}, {}, {minutes} {} AND {} AND {} AND {}",
                prop("sessionId"),
                prop("tutorId"),
                prop("subject"),
                new_events(SessionBooked),
                text("sessionId"),
                text("tutorId"),
                text("subject"),
            ),
        ),
        keep_earliest(
            "metric_outcomes",
            "session_id, outcome",
            &[
                "session_id",
                "outcome",
                "at_ms",
                "seq",
                "tutor_id",
                "subject",
            ],
            &format!(
                "SELECT {}, CASE e.event_type WHEN '{}' THEN 'completed' ELSE 'cancelled' END, \
                 e.timestamp_ms, e.seq, {}, {} {} AND {} AND {} AND {}",
                prop("sessionId"),
                SessionCompleted.as_str(),
                prop("tutorId"),
                prop("subject"),
                new_events_in(&[SessionCompleted, SessionCancelled]),
                text("sessionId"),
                text("tutorId"),
                text("subject"),
            ),
        ),
        keep_earliest(
            "metric_courses",
            "course_id",
            &["course_id", "at_ms", "seq", "tutor_id", "subject"],
            &format!(
                "SELECT {}, e.timestamp_ms, e.seq, e.user_id, {} {} AND {} AND {}",
                prop("courseId"),
                prop("subject"),
                new_events(CoursePublished),
                text("courseId"),
                text("subject"),
            ),
        ),
        keep_earliest(
            "metric_payments",
            "payment_id",
            &[
                "payment_id",
                "at_ms",
                "seq",
                "user_id",
                "amount",
                "currency",
                "product",
                "session_id",
                "course_id",
            ],
            &format!(
                "SELECT {}, e.timestamp_ms, e.seq, e.user_id, {}, {}, {product}, {}, {} {} AND {} AND {} AND {}",
                prop("paymentId"),
                prop("amount"),
                prop("currency"),
                prop("sessionId"),
                prop("courseId"),
                new_events(PaymentSucceeded),
                text("paymentId"),
                amount("amount"),
                text("currency"),
            ),
        ),
        format!(
            "INSERT OR IGNORE INTO metric_refunds (seq, at_ms, payment_id, amount, currency) \
             SELECT e.seq, e.timestamp_ms, {}, {}, {} {} AND {} AND {} AND {}",
            prop("paymentId"),
            prop("amount"),
            prop("currency"),
            new_events(PaymentRefunded),
            text("paymentId"),
            amount("amount"),
            text("currency"),
        ),
        keep_min(
            "metric_enrollments",
            "user_id, course_id",
            "enrolled_ms",
            &format!(
                "SELECT e.user_id, {} AS course_id, MIN(e.timestamp_ms) {} AND {}",
                prop("courseId"),
                new_events(CourseEnrolled),
                text("courseId"),
            ),
        ),
        keep_min(
            "metric_enrollments",
            "user_id, course_id",
            "completed_ms",
            &format!(
                "SELECT e.user_id, {} AS course_id, MIN(e.timestamp_ms) {} AND {}",
                prop("courseId"),
                new_events(CourseCompleted),
                text("courseId"),
            ),
        ),
        keep_min(
            "metric_lessons",
            "user_id, course_id, lesson_id",
            "at_ms",
            &format!(
                "SELECT e.user_id, {} AS course_id, {} AS lesson_id, MIN(e.timestamp_ms) {} AND {} AND {}",
                prop("courseId"),
                prop("lessonId"),
                new_events(LessonCompleted),
                text("courseId"),
                text("lessonId"),
            ),
        ),
        format!(
            "INSERT OR IGNORE INTO metric_reviews (seq, at_ms, rating, tutor_id, course_id) \
             SELECT e.seq, e.timestamp_ms, {}, {}, {} {} AND {}",
            prop("rating"),
            prop("tutorId"),
            prop("courseId"),
            new_events(ReviewSubmitted),
            amount("rating"),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn statements_read_only_new_events() {
        for statement in touches()
            .iter()
            .chain(&upserts())
            .chain([&record_activity()])
        {
            assert!(
                statement.contains("e.seq > ?1 AND e.seq <= ?2"),
                "{statement}"
            );
            assert!(!statement.contains("?3"), "{statement}");
        }
        let bookings = keep_earliest("t", "k", &["k", "at_ms", "seq", "v"], "SELECT 1 WHERE 1");
        assert!(
            bookings.contains("SET at_ms = excluded.at_ms, seq = excluded.seq, v = excluded.v")
        );
        assert!(bookings.contains("(excluded.at_ms, excluded.seq) < (t.at_ms, t.seq)"));
    }
}
