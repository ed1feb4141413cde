//! The baseline: the same daily numbers computed by one plain `GROUP BY` pass over the raw
//! events, with no pre-aggregation.
//!
//! Per UTC day (`timestamp_ms / 86400000`): `dau` (distinct users of every event but
//! `user_identified` / `user_aliased`), registrations, sessions booked, completed and
//! cancelled, gross revenue and refunds per currency (USD and EUR, the demo's currencies),
//! paying users, enrollments, lesson completions, course completions, reviews and their
//! rating sum. It counts events, not entities: it does not keep the earliest of duplicate
//! bookings or payments, attribute subjects, rank leaderboards or compute rolling windows and
//! cohorts, so it does less than the engine; it is the cheapest SQL that gives the headline
//! daily series from the raw events.

use metrics::Dashboard;

/// One column of the baseline: its SQL and the event types it reads (`None`: every type).
struct Column {
    sql: &'static str,
    types: Option<&'static [&'static str]>,
}

const DAU: Column = Column {
    sql: "COUNT(DISTINCT CASE WHEN event_type NOT IN ('user_identified', 'user_aliased') THEN user_id END)",
    types: None,
};
const REGISTRATIONS: Column = Column {
    sql: "SUM(event_type = 'user_registered')",
    types: Some(&["user_registered"]),
};
const BOOKED: Column = Column {
    sql: "SUM(event_type = 'session_booked')",
    types: Some(&["session_booked"]),
};
const COMPLETED: Column = Column {
    sql: "SUM(event_type = 'session_completed')",
    types: Some(&["session_completed"]),
};
const CANCELLED: Column = Column {
    sql: "SUM(event_type = 'session_cancelled')",
    types: Some(&["session_cancelled"]),
};
const GROSS: Column = Column {
    sql: "SUM(CASE WHEN event_type = 'payment_succeeded' AND json_extract(properties, '$.currency') = 'USD' \
          THEN json_extract(properties, '$.amount') END), \
          SUM(CASE WHEN event_type = 'payment_succeeded' AND json_extract(properties, '$.currency') = 'EUR' \
          THEN json_extract(properties, '$.amount') END)",
    types: Some(&["payment_succeeded"]),
};
const REFUNDS: Column = Column {
    sql: "SUM(CASE WHEN event_type = 'payment_refunded' AND json_extract(properties, '$.currency') = 'USD' \
          THEN json_extract(properties, '$.amount') END), \
          SUM(CASE WHEN event_type = 'payment_refunded' AND json_extract(properties, '$.currency') = 'EUR' \
          THEN json_extract(properties, '$.amount') END)",
    types: Some(&["payment_refunded"]),
};
const PAYERS: Column = Column {
    sql: "COUNT(DISTINCT CASE WHEN event_type = 'payment_succeeded' THEN user_id END)",
    types: Some(&["payment_succeeded"]),
};
const ENROLLMENTS: Column = Column {
    sql: "SUM(event_type = 'course_enrolled')",
    types: Some(&["course_enrolled"]),
};
const LESSONS: Column = Column {
    sql: "SUM(event_type = 'lesson_completed')",
    types: Some(&["lesson_completed"]),
};
const COURSES_DONE: Column = Column {
    sql: "SUM(event_type = 'course_completed')",
    types: Some(&["course_completed"]),
};
const REVIEWS: Column = Column {
    sql: "SUM(event_type = 'review_submitted'), \
          SUM(CASE WHEN event_type = 'review_submitted' THEN json_extract(properties, '$.rating') END)",
    types: Some(&["review_submitted"]),
};

const ALL: &[Column] = &[
    DAU,
    REGISTRATIONS,
    BOOKED,
    COMPLETED,
    CANCELLED,
    GROSS,
    REFUNDS,
    PAYERS,
    ENROLLMENTS,
    LESSONS,
    COURSES_DONE,
    REVIEWS,
];

/// The baseline's columns for a dashboard's daily series (`None`: every column).
fn columns(dashboard: Option<Dashboard>) -> &'static [Column] {
    match dashboard {
        None => ALL,
        Some(Dashboard::Overview) => &[
            DAU,
            REGISTRATIONS,
            BOOKED,
            COMPLETED,
            GROSS,
            REFUNDS,
            PAYERS,
            ENROLLMENTS,
            COURSES_DONE,
        ],
        Some(Dashboard::Engagement) => &[DAU, REGISTRATIONS],
        Some(Dashboard::Tutoring) => &[BOOKED, COMPLETED, CANCELLED],
        Some(Dashboard::Revenue) => &[GROSS, REFUNDS, PAYERS],
        Some(Dashboard::Learning) => &[ENROLLMENTS, LESSONS, COURSES_DONE, REVIEWS],
    }
}

/// The baseline query for a dashboard's daily series (or every series), over
/// `timestamp_ms` in `[?1, ?2)`. When no column needs every event type, only the types the
/// columns read are scanned (through the `(event_type, timestamp_ms)` index).
pub fn sql(dashboard: Option<Dashboard>) -> String {
    let columns = columns(dashboard);
    let selected: Vec<&str> = columns.iter().map(|c| c.sql).collect();
    let mut types: Vec<&str> = Vec::new();
    let mut every_type = false;
    for column in columns {
        match column.types {
            Some(t) => types.extend(t),
            None => every_type = true,
        }
    }
    let filter = if every_type {
        String::new()
    } else {
        let quoted: Vec<String> = types.iter().map(|t| format!("'{t}'")).collect();
        format!(" AND event_type IN ({})", quoted.join(", "))
    };
    format!(
        "SELECT timestamp_ms / 86400000 AS day, {} FROM analytics_events \
         WHERE timestamp_ms >= ?1 AND timestamp_ms < ?2{filter} GROUP BY day ORDER BY day",
        selected.join(", ")
    )
}
