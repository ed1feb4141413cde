//! The engine against a real SQLite: every metric's definition on a small, hand-checked
//! platform history, and the refresh's guarantees (incremental, idempotent, locked).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::refresh::refresh;
use crate::response::DashboardMetric;
use crate::settings::Settings;
use crate::test_support::{TestStore, block_on, event};

pub(crate) fn now() -> chrono::DateTime<chrono::Utc> {
    "2024-06-01T00:00:00Z".parse().expect("now")
}

pub(crate) fn ms(at: &str) -> i64 {
    at.parse::<chrono::DateTime<chrono::Utc>>()
        .expect("instant")
        .timestamp_millis()
}

/// The value of one stored row, as JSON (`None` when absent).
pub(crate) fn value(
    rows: &[DashboardMetric],
    metric: &str,
    start: &str,
    dims: &[(&str, &str)],
) -> Option<Value> {
    let dims: BTreeMap<String, String> = dims
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect();
    rows.iter()
        .find(|r| r.metric_name == metric && r.timestamp == ms(start) && r.dimensions == dims)
        .map(|r| Value::Number(r.value.clone()))
}

pub(crate) const D1: &str = "2024-05-01T00:00:00Z";
pub(crate) const D2: &str = "2024-05-02T00:00:00Z";
pub(crate) const D3: &str = "2024-05-03T00:00:00Z";
pub(crate) const D4: &str = "2024-05-04T00:00:00Z";
pub(crate) const D5: &str = "2024-05-05T00:00:00Z";
pub(crate) const WEEK: &str = "2024-04-29T00:00:00Z";
pub(crate) const MONTH: &str = "2024-05-01T00:00:00Z";

pub(crate) fn history() -> Vec<events::AnalyticsEvent> {
    vec![
        event(
            "r1",
            "u1",
            "user_registered",
            "2024-05-01T09:00:00Z",
            json!({"role": "student"}),
        ),
        event(
            "r2",
            "u2",
            "user_registered",
            "2024-05-02T08:00:00Z",
            json!({"role": "student"}),
        ),
        event(
            "r3",
            "t1",
            "user_registered",
            "2024-05-01T07:00:00Z",
            json!({"role": "tutor"}),
        ),
        event(
            "c1",
            "t1",
            "course_published",
            "2024-05-01T07:30:00Z",
            json!({"courseId": "alg", "subject": "math"}),
        ),
        event(
            "b1",
            "u1",
            "session_booked",
            "2024-05-01T10:00:00Z",
            json!({"sessionId": "s1", "tutorId": "t1", "subject": "math", "amount": 4500, "currency": "EUR", "durationMinutes": 90}),
        ),
        event(
            "p1",
            "u1",
            "payment_succeeded",
            "2024-05-01T10:01:00Z",
            json!({"paymentId": "p1", "amount": 4500, "currency": "EUR", "product": "session", "sessionId": "s1"}),
        ),
        // The same payment again under another event id: counted once.
        event(
            "p1-retry",
            "u1",
            "payment_succeeded",
            "2024-05-01T10:02:00Z",
            json!({"paymentId": "p1", "amount": 4500, "currency": "EUR", "product": "session", "sessionId": "s1"}),
        ),
        event(
            "b2",
            "u2",
            "session_booked",
            "2024-05-02T12:00:00Z",
            json!({"sessionId": "s2", "tutorId": "t2", "subject": "art", "amount": 3000, "currency": "USD"}),
        ),
        event(
            "p2",
            "u2",
            "payment_succeeded",
            "2024-05-02T12:01:00Z",
            json!({"paymentId": "p2", "amount": 3000, "currency": "USD", "sessionId": "s2"}),
        ),
        event(
            "x2",
            "u2",
            "session_cancelled",
            "2024-05-02T15:00:00Z",
            json!({"sessionId": "s2", "tutorId": "t2", "subject": "art"}),
        ),
        event(
            "d1",
            "u1",
            "session_completed",
            "2024-05-03T17:30:00Z",
            json!({"sessionId": "s1", "tutorId": "t1", "subject": "math"}),
        ),
        // A refund larger than the day's revenue in that currency: net goes negative.
        event(
            "f2",
            "u2",
            "payment_refunded",
            "2024-05-04T09:00:00Z",
            json!({"paymentId": "p2", "amount": 3000, "currency": "USD"}),
        ),
        // A refund of a payment the store never saw.
        event(
            "f9",
            "u2",
            "payment_refunded",
            "2024-05-04T10:00:00Z",
            json!({"paymentId": "p9", "amount": 100, "currency": "USD"}),
        ),
        event(
            "rv1",
            "u1",
            "review_submitted",
            "2024-05-04T11:00:00Z",
            json!({"rating": 5, "tutorId": "t1"}),
        ),
        event(
            "p3",
            "u1",
            "payment_succeeded",
            "2024-05-05T08:00:00Z",
            json!({"paymentId": "p3", "amount": 9900, "currency": "EUR", "product": "course", "courseId": "alg"}),
        ),
        event(
            "n1",
            "u1",
            "course_enrolled",
            "2024-05-05T08:01:00Z",
            json!({"courseId": "alg"}),
        ),
        event(
            "n2",
            "u2",
            "course_enrolled",
            "2024-05-05T09:00:00Z",
            json!({"courseId": "alg"}),
        ),
        event(
            "l1",
            "u1",
            "lesson_completed",
            "2024-05-05T10:00:00Z",
            json!({"courseId": "alg", "lessonId": "1"}),
        ),
        event(
            "l1-again",
            "u1",
            "lesson_completed",
            "2024-05-05T11:00:00Z",
            json!({"courseId": "alg", "lessonId": "1"}),
        ),
        event(
            "k1",
            "u1",
            "course_completed",
            "2024-05-05T12:00:00Z",
            json!({"courseId": "alg"}),
        ),
        event(
            "rv2",
            "u1",
            "review_submitted",
            "2024-05-05T13:00:00Z",
            json!({"rating": 4, "courseId": "alg"}),
        ),
        event(
            "id1",
            "u3",
            "user_identified",
            "2024-05-05T13:00:00Z",
            json!({"plan": "pro"}),
        ),
    ]
}

pub(crate) async fn refreshed(events: &[events::AnalyticsEvent], settings: &Settings) -> TestStore {
    let mut store = TestStore::new().await;
    store.ingest(events).await;
    refresh(&mut store, settings, now()).await.expect("refresh");
    store
}

#[test]
fn engagement_metrics() {
    block_on(async {
        let mut store = refreshed(&history(), &Settings::default()).await;
        let day = store.metrics("UTC", "day").await;
        let v = |m: &str, at: &str| value(&day, m, at, &[]);
        // u1, t1 on day 1; u2 on day 2; u1 on day 3; u2, u1 on day 4 and 5 (u3 only identified).
        assert_eq!(v("dau", D1), Some(json!(2)));
        assert_eq!(v("dau", D2), Some(json!(1)));
        assert_eq!(v("wau", D2), Some(json!(3)));
        assert_eq!(v("mau", D5), Some(json!(3)));
        assert_eq!(v("stickiness", D5), Some(json!(2.0 / 3.0)));
        assert_eq!(
            value(&day, "new_registrations", D1, &[("role", "tutor")]),
            Some(json!(1))
        );
        assert_eq!(value(&day, "new_registrations", D1, &[]), Some(json!(2)));
        let week = store.metrics("UTC", "week").await;
        // The week of 04-29 has data from 05-01 to 05-05: average dau over those 5 days.
        assert_eq!(value(&week, "dau", WEEK, &[]), Some(json!(8.0 / 5.0)));
        assert_eq!(value(&week, "wau", WEEK, &[]), Some(json!(3)));
        assert_eq!(
            value(&week, "stickiness", WEEK, &[]),
            Some(json!(8.0 / 5.0 / 3.0))
        );
        assert_eq!(value(&week, "new_registrations", WEEK, &[]), Some(json!(3)));
        // Funnel: u1 and u2 booked within 30 days, both paid; t1 did neither.
        assert_eq!(
            value(&week, "funnel_users", WEEK, &[("step", "registered")]),
            Some(json!(3))
        );
        assert_eq!(
            value(&week, "funnel_users", WEEK, &[("step", "paid")]),
            Some(json!(2))
        );
        assert_eq!(
            value(&week, "funnel_conversion", WEEK, &[("step", "engaged")]),
            Some(json!(2.0 / 3.0))
        );
        assert_eq!(
            value(&week, "retention_rate", WEEK, &[("week", "0")]),
            Some(json!(1.0))
        );
        assert_eq!(
            value(&day, "retention_users", D1, &[("day", "4")]),
            Some(json!(1))
        );
        assert_eq!(
            value(&day, "retention_rate", D1, &[("day", "1")]),
            Some(json!(0.0))
        );
    });
}

#[test]
fn tutoring_metrics() {
    block_on(async {
        let mut store = refreshed(&history(), &Settings::default()).await;
        let day = store.metrics("UTC", "day").await;
        assert_eq!(
            value(&day, "sessions_booked", D1, &[("subject", "math")]),
            Some(json!(1))
        );
        assert_eq!(value(&day, "booked_hours", D1, &[]), Some(json!(1.5)));
        assert_eq!(value(&day, "booked_hours", D2, &[]), Some(json!(1.0)));
        assert_eq!(
            value(&day, "sessions_cancelled", D2, &[("subject", "art")]),
            Some(json!(1))
        );
        assert_eq!(
            value(&day, "session_cancellation_rate", D2, &[]),
            Some(json!(1.0))
        );
        assert_eq!(
            value(&day, "session_completion_rate", D3, &[]),
            Some(json!(1.0))
        );
        let week = store.metrics("UTC", "week").await;
        assert_eq!(value(&week, "sessions_booked", WEEK, &[]), Some(json!(2)));
        assert_eq!(
            value(&week, "session_completion_rate", WEEK, &[]),
            Some(json!(0.5))
        );
        assert_eq!(
            value(&week, "booked_hours", WEEK, &[("subject", "math")]),
            Some(json!(1.5))
        );
        assert_eq!(
            value(
                &week,
                "top_tutors_by_bookings",
                WEEK,
                &[("rank", "1"), ("tutorId", "t1")]
            ),
            Some(json!(1))
        );
        assert_eq!(
            value(
                &week,
                "top_tutors_by_bookings",
                WEEK,
                &[("rank", "2"), ("tutorId", "t2")]
            ),
            Some(json!(1))
        );
        assert_eq!(
            value(
                &week,
                "top_tutors_by_completions",
                WEEK,
                &[("rank", "1"), ("tutorId", "t1")]
            ),
            Some(json!(1))
        );
        // Course revenue goes to the course's publisher.
        assert_eq!(
            value(
                &week,
                "top_tutors_by_revenue",
                WEEK,
                &[("currency", "EUR"), ("rank", "1"), ("tutorId", "t1")]
            ),
            Some(json!(14_400))
        );
    });
}

#[test]
fn revenue_metrics() {
    block_on(async {
        let mut store = refreshed(&history(), &Settings::default()).await;
        let day = store.metrics("UTC", "day").await;
        assert_eq!(
            value(&day, "revenue_gross", D1, &[("currency", "EUR")]),
            Some(json!(4500))
        );
        assert_eq!(
            value(
                &day,
                "revenue_gross",
                D2,
                &[("currency", "USD"), ("product", "session")]
            ),
            Some(json!(3000))
        );
        assert_eq!(
            value(&day, "revenue_refunds", D4, &[("currency", "USD")]),
            Some(json!(3100))
        );
        assert_eq!(
            value(&day, "revenue_net", D4, &[("currency", "USD")]),
            Some(json!(-3100))
        );
        assert_eq!(
            value(
                &day,
                "revenue_refunds",
                D4,
                &[("currency", "USD"), ("subject", "art")]
            ),
            Some(json!(3000))
        );
        assert_eq!(
            value(
                &day,
                "revenue_refunds",
                D4,
                &[("currency", "USD"), ("product", "unknown")]
            ),
            Some(json!(100))
        );
        assert_eq!(
            value(
                &day,
                "revenue_gross",
                D5,
                &[("currency", "EUR"), ("subject", "math")]
            ),
            Some(json!(9900))
        );
        let month = store.metrics("UTC", "month").await;
        assert_eq!(
            value(&month, "revenue_gross", MONTH, &[("currency", "EUR")]),
            Some(json!(14_400))
        );
        assert_eq!(
            value(&month, "revenue_net", MONTH, &[("currency", "USD")]),
            Some(json!(-100))
        );
        // u1 paid twice in EUR in May: one paying user, ARPPU is their whole spend.
        assert_eq!(
            value(&month, "paying_users", MONTH, &[("currency", "EUR")]),
            Some(json!(1))
        );
        assert_eq!(
            value(&month, "arppu", MONTH, &[("currency", "EUR")]),
            Some(json!(14_400.0))
        );
        assert_eq!(
            value(
                &month,
                "paying_users",
                MONTH,
                &[("currency", "EUR"), ("product", "course")]
            ),
            Some(json!(1))
        );
        assert_eq!(
            value(
                &month,
                "top_courses_by_revenue",
                MONTH,
                &[("courseId", "alg"), ("currency", "EUR"), ("rank", "1")]
            ),
            Some(json!(9900))
        );
        // Currencies are never summed together.
        assert!(month.iter().all(
            |r| !r.metric_name.starts_with("revenue") || r.dimensions.contains_key("currency")
        ));
    });
}

#[test]
fn learning_metrics() {
    block_on(async {
        let mut store = refreshed(&history(), &Settings::default()).await;
        let day = store.metrics("UTC", "day").await;
        assert_eq!(
            value(&day, "enrollments", D5, &[("subject", "math")]),
            Some(json!(2))
        );
        assert_eq!(
            value(&day, "enrollments", D5, &[("courseId", "alg")]),
            Some(json!(2))
        );
        assert_eq!(value(&day, "lesson_completions", D5, &[]), Some(json!(1)));
        assert_eq!(
            value(&day, "course_completions", D5, &[("courseId", "alg")]),
            Some(json!(1))
        );
        assert_eq!(
            value(&day, "course_completion_rate", D5, &[]),
            Some(json!(0.5))
        );
        assert_eq!(value(&day, "reviews", D4, &[]), Some(json!(1)));
        assert_eq!(
            value(&day, "average_rating", D4, &[("subject", "math")]),
            None
        );
        let week = store.metrics("UTC", "week").await;
        assert_eq!(value(&week, "average_rating", WEEK, &[]), Some(json!(4.5)));
        assert_eq!(
            value(&week, "average_rating", WEEK, &[("courseId", "alg")]),
            Some(json!(4.0))
        );
        assert_eq!(
            value(
                &week,
                "top_courses_by_enrollments",
                WEEK,
                &[("courseId", "alg"), ("rank", "1")]
            ),
            Some(json!(2))
        );
        assert_eq!(
            value(
                &week,
                "top_courses_by_completions",
                WEEK,
                &[("courseId", "alg"), ("rank", "1")]
            ),
            Some(json!(1))
        );
    });
}
