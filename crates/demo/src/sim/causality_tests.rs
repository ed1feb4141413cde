//! Catalog conformance (every property present with the right JSON type,
//! nothing extra) and causality across whole generated histories.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::tests::{medium, small};
use crate::world::lesson_count;
use crate::{DemoEvent, EventType};

type Props = Vec<(&'static str, Kind)>;

#[derive(Clone, Copy)]
enum Kind {
    Str,
    Int,
    PositiveNumber,
    Strings,
    Time,
    Currency,
}

fn conforms(value: &Value, kind: Kind) -> bool {
    match kind {
        Kind::Str => value.as_str().is_some_and(|s| !s.is_empty()),
        Kind::Int => value.as_i64().is_some_and(|n| n >= 0),
        Kind::PositiveNumber => value.as_f64().is_some_and(|n| n > 0.0),
        Kind::Strings => value
            .as_array()
            .is_some_and(|a| a.iter().all(Value::is_string)),
        Kind::Time => value
            .as_str()
            .is_some_and(|s| DateTime::parse_from_rfc3339(s).is_ok()),
        Kind::Currency => value
            .as_str()
            .is_some_and(|s| ["USD", "EUR", "GBP"].contains(&s)),
    }
}

/// `(required, optional)` properties of each type, as the catalog states them.
fn schema(t: EventType) -> (Props, Props) {
    use Kind::*;
    let session = vec![("sessionId", Str), ("tutorId", Str), ("subject", Str)];
    match t {
        EventType::UserRegistered => (
            vec![("role", Str)],
            vec![("country", Str), ("signupChannel", Str)],
        ),
        EventType::StudentGoalSet => (
            vec![("goal", Str)],
            vec![("subjects", Strings), ("level", Str)],
        ),
        EventType::TutorProfileUpdated => (
            vec![
                ("name", Str),
                ("subjects", Strings),
                ("bio", Str),
                ("languages", Strings),
                ("hourlyRate", Int),
                ("currency", Currency),
            ],
            vec![],
        ),
        EventType::CoursePublished => (
            vec![
                ("courseId", Str),
                ("title", Str),
                ("description", Str),
                ("subject", Str),
                ("level", Str),
                ("hours", PositiveNumber),
                ("price", Int),
                ("currency", Currency),
            ],
            vec![("prerequisites", Strings)],
        ),
        EventType::SessionBooked => {
            let mut required = session;
            required.extend([("startsAt", Time), ("amount", Int), ("currency", Currency)]);
            (required, vec![])
        }
        EventType::SessionCompleted | EventType::SessionCancelled => (session, vec![]),
        EventType::PaymentSucceeded => (
            vec![("paymentId", Str), ("amount", Int), ("currency", Currency)],
            vec![("product", Str), ("sessionId", Str), ("courseId", Str)],
        ),
        EventType::PaymentRefunded => (
            vec![("paymentId", Str), ("amount", Int), ("currency", Currency)],
            vec![],
        ),
        EventType::CourseEnrolled | EventType::CourseCompleted => (vec![("courseId", Str)], vec![]),
        EventType::LessonCompleted => (vec![("courseId", Str), ("lessonId", Str)], vec![]),
        EventType::ReviewSubmitted => (
            vec![("rating", Int)],
            vec![("tutorId", Str), ("courseId", Str)],
        ),
    }
}

#[test]
fn properties_match_the_catalog_exactly() {
    for e in small().iter().chain(medium()) {
        let (required, optional) = schema(e.event_type);
        for (key, kind) in &required {
            let value = e.properties.get(*key);
            assert!(
                value.is_some_and(|v| conforms(v, *kind)),
                "{} {key}: {e:?}",
                e.event_type
            );
        }
        for (key, value) in &e.properties {
            let known = required.iter().chain(&optional).find(|(k, _)| k == key);
            assert!(
                known.is_some_and(|(_, kind)| conforms(value, *kind)),
                "{key} in {e:?}"
            );
        }
        let role = e.prop_str("role");
        assert!(role.is_none() || matches!(role, Some("student" | "tutor")));
        let level = e.prop_str("level");
        assert!(level.is_none() || matches!(level, Some("beginner" | "intermediate" | "advanced")));
        if e.event_type == EventType::ReviewSubmitted {
            assert!((1..=5).contains(&e.prop_i64("rating").unwrap_or(0)));
            assert!(e.prop_str("tutorId").is_some() != e.prop_str("courseId").is_some());
        }
        if e.event_type == EventType::PaymentSucceeded {
            match e.prop_str("product") {
                Some("session") => assert!(e.prop_str("sessionId").is_some()),
                Some("course") => assert!(e.prop_str("courseId").is_some()),
                other => panic!("product {other:?}"),
            }
        }
        assert!(e.user_id.starts_with("usr_") || e.user_id.starts_with("tut_"));
    }
}

#[derive(Default)]
struct History<'a> {
    roles: HashMap<&'a str, &'a str>,
    profiled: HashSet<&'a str>,
    courses: HashMap<&'a str, (Vec<&'a str>, f64)>,
    /// session -> (student, tutor, starts at, amount, finished)
    sessions: HashMap<&'a str, (&'a str, &'a str, DateTime<Utc>, i64, bool)>,
    /// payment -> (payer, amount, currency, refunded so far)
    payments: HashMap<&'a str, (&'a str, i64, &'a str, i64)>,
    course_paid: HashSet<(&'a str, &'a str)>,
    lessons: HashMap<(&'a str, &'a str), u32>,
    completed_courses: HashSet<(&'a str, &'a str)>,
    taught: HashSet<(&'a str, &'a str)>,
}

fn lesson_number(id: &str) -> u32 {
    id.rsplit('_')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("lesson number")
}

/// Panics unless every causal rule of the platform holds, in stream order.
pub(super) fn check_causality(events: &[DemoEvent]) {
    let mut h = History::default();
    for e in events {
        let user = e.user_id.as_str();
        let p = |key: &str| e.prop_str(key).unwrap_or_default();
        if e.event_type == EventType::UserRegistered {
            assert!(
                h.roles.insert(user, p("role")).is_none(),
                "registered twice: {e:?}"
            );
            continue;
        }
        let role = *h
            .roles
            .get(user)
            .unwrap_or_else(|| panic!("acts before registering: {e:?}"));
        match e.event_type {
            EventType::UserRegistered => unreachable!(),
            EventType::StudentGoalSet => assert_eq!(role, "student"),
            EventType::TutorProfileUpdated => {
                assert_eq!(role, "tutor");
                h.profiled.insert(user);
            }
            EventType::CoursePublished => {
                assert!(h.profiled.contains(user), "publishes before profile: {e:?}");
                let prereqs: Vec<&str> = e.properties["prerequisites"]
                    .as_array()
                    .expect("array")
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                assert!(prereqs.iter().all(|c| h.courses.contains_key(c)), "{e:?}");
                let hours = e.properties["hours"].as_f64().expect("hours");
                h.courses.insert(p("courseId"), (prereqs, hours));
            }
            EventType::SessionBooked => {
                assert_eq!(role, "student");
                assert!(h.profiled.contains(p("tutorId")), "unbookable tutor: {e:?}");
                let starts = p("startsAt").parse::<DateTime<Utc>>().expect("startsAt");
                assert!(starts > e.timestamp);
                let amount = e.prop_i64("amount").expect("amount");
                h.sessions
                    .insert(p("sessionId"), (user, p("tutorId"), starts, amount, false));
            }
            EventType::SessionCompleted | EventType::SessionCancelled => {
                let s = h.sessions.get_mut(p("sessionId")).expect("booked before");
                assert!(!s.4, "finished twice: {e:?}");
                assert_eq!(s.1, p("tutorId"));
                s.4 = true;
                if e.event_type == EventType::SessionCompleted {
                    assert_eq!(s.0, user);
                    assert!(e.timestamp >= s.2, "completed before start: {e:?}");
                    h.taught.insert((user, s.1));
                } else {
                    assert!(user == s.0 || user == s.1);
                    assert!(e.timestamp < s.2, "cancelled after start: {e:?}");
                }
            }
            EventType::PaymentSucceeded => {
                let amount = e.prop_i64("amount").expect("amount");
                if let Some(session) = e.prop_str("sessionId") {
                    let s = h.sessions.get(session).expect("payment after booking");
                    assert_eq!((s.0, s.3), (user, amount));
                }
                if let Some(course) = e.prop_str("courseId") {
                    assert!(h.courses.contains_key(course), "buys unpublished course");
                    h.course_paid.insert((user, course));
                }
                let previous = h
                    .payments
                    .insert(p("paymentId"), (user, amount, p("currency"), 0));
                assert!(previous.is_none());
            }
            EventType::PaymentRefunded => {
                let pay = h
                    .payments
                    .get_mut(p("paymentId"))
                    .expect("refund of an earlier payment");
                pay.3 += e.prop_i64("amount").expect("amount");
                assert!(
                    pay.0 == user && pay.2 == p("currency") && pay.3 <= pay.1,
                    "{e:?}"
                );
            }
            EventType::CourseEnrolled => {
                let course = p("courseId");
                assert!(
                    h.course_paid.contains(&(user, course)),
                    "enrolled without paying"
                );
                let (prereqs, _) = h.courses.get(course).expect("published");
                for pre in prereqs {
                    assert!(
                        h.completed_courses.contains(&(user, *pre)),
                        "skipped prereq: {e:?}"
                    );
                }
                assert!(
                    h.lessons.insert((user, course), 0).is_none(),
                    "enrolled twice"
                );
            }
            EventType::LessonCompleted => {
                let done = h
                    .lessons
                    .get_mut(&(user, p("courseId")))
                    .expect("enrolled first");
                assert_eq!(
                    lesson_number(p("lessonId")),
                    *done + 1,
                    "lessons out of order"
                );
                *done += 1;
            }
            EventType::CourseCompleted => {
                let course = p("courseId");
                let done = h.lessons.get(&(user, course)).expect("enrolled first");
                let (_, hours) = h.courses[course];
                assert_eq!(*done, lesson_count(hours), "completed with lessons missing");
                h.completed_courses.insert((user, course));
            }
            EventType::ReviewSubmitted => match (e.prop_str("tutorId"), e.prop_str("courseId")) {
                (Some(tutor), _) => assert!(h.taught.contains(&(user, tutor)), "{e:?}"),
                (_, Some(course)) => assert!(h.completed_courses.contains(&(user, course))),
                _ => panic!("review of nothing"),
            },
        }
    }
}

#[test]
fn causality_holds_across_whole_histories() {
    check_causality(small());
    check_causality(medium());
}
