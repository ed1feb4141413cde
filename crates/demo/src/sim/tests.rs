//! Whole-history invariants: determinism, order, causality, catalog
//! conformance, id uniqueness and the behavioural patterns.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde_json::Value;

use super::causality_tests::check_causality;
use crate::{DemoConfig, DemoEvent, EventType, generate};

pub(super) fn small() -> &'static [DemoEvent] {
    static EVENTS: OnceLock<Vec<DemoEvent>> = OnceLock::new();
    EVENTS.get_or_init(|| generate(&DemoConfig::small()).collect())
}

/// A mid-size history (600 students over 6 months) for statistical checks.
pub(super) fn medium() -> &'static [DemoEvent] {
    static EVENTS: OnceLock<Vec<DemoEvent>> = OnceLock::new();
    EVENTS.get_or_init(|| generate(&DemoConfig::standard().scaled(0.3).with_seed(7)).collect())
}

#[test]
fn same_seed_same_history_other_seed_other_history() {
    let again: Vec<DemoEvent> = generate(&DemoConfig::small()).collect();
    assert_eq!(again, small());
    let other: Vec<DemoEvent> = generate(&DemoConfig::small().with_seed(43)).collect();
    assert_ne!(other, small());
    assert!(
        other
            .iter()
            .all(|e| !small().iter().any(|s| s.event_id == e.event_id))
    );
}

#[test]
fn events_are_in_time_order_within_the_window_in_whole_seconds() {
    let (config, events) = (DemoConfig::small(), small());
    assert!(events.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
    let in_window = |e: &DemoEvent| e.timestamp >= config.start() && e.timestamp < config.end;
    assert!(events.iter().all(in_window));
    assert!(events.iter().all(|e| e.timestamp.nanosecond() == 0));
    assert!(
        medium()
            .windows(2)
            .all(|w| w[0].timestamp <= w[1].timestamp)
    );
}

#[test]
fn odd_windows_still_work() {
    let mid_day = "2026-02-10T13:45:00Z"
        .parse::<DateTime<Utc>>()
        .expect("date");
    let config = DemoConfig::small().with_end(mid_day);
    let events: Vec<DemoEvent> = generate(&config).collect();
    assert!(!events.is_empty());
    assert!(
        events
            .iter()
            .all(|e| e.timestamp >= config.start() && e.timestamp < mid_day)
    );
    check_causality(&events);

    let mut nobody = DemoConfig::small();
    nobody.tutors = 0;
    nobody.courses = 0;
    let events: Vec<DemoEvent> = generate(&nobody).collect();
    assert!(events.iter().all(|e| matches!(
        e.event_type,
        EventType::UserRegistered | EventType::StudentGoalSet
    )));
    let mut empty = generate(&DemoConfig {
        months: 0,
        ..DemoConfig::small()
    });
    assert_eq!(empty.next(), None);
    assert_eq!(empty.next(), None);
}

#[test]
fn every_catalog_type_appears() {
    let seen: HashSet<EventType> = small().iter().map(|e| e.event_type).collect();
    for t in EventType::ALL {
        assert!(seen.contains(&t), "{t} missing from the small preset");
    }
}

#[test]
fn no_ids_collide() {
    for events in [small(), medium()] {
        let unique = |label: &str, ids: Vec<&str>| {
            let set: HashSet<&str> = ids.iter().copied().collect();
            assert_eq!(set.len(), ids.len(), "{label} ids collide");
        };
        unique(
            "event",
            events.iter().map(|e| e.event_id.as_str()).collect(),
        );
        let of = |t: EventType, key: &'static str| -> Vec<&str> {
            events
                .iter()
                .filter(|e| e.event_type == t)
                .filter_map(|e| e.prop_str(key))
                .collect()
        };
        unique("session", of(EventType::SessionBooked, "sessionId"));
        unique("payment", of(EventType::PaymentSucceeded, "paymentId"));
        unique("course", of(EventType::CoursePublished, "courseId"));
        let users = events
            .iter()
            .filter(|e| e.event_type == EventType::UserRegistered);
        unique("user", users.map(|e| e.user_id.as_str()).collect());
    }
}

fn per_type(events: &[DemoEvent], t: EventType) -> impl Iterator<Item = &DemoEvent> {
    events.iter().filter(move |e| e.event_type == t)
}

#[test]
fn rates_of_cancellation_refund_and_review_are_believable() {
    let events = medium();
    let count = |t| per_type(events, t).count() as f64;
    let cancel = count(EventType::SessionCancelled) / count(EventType::SessionBooked);
    assert!((0.09..0.15).contains(&cancel), "cancellations {cancel}");
    let refunds = count(EventType::PaymentRefunded) / count(EventType::PaymentSucceeded);
    assert!((0.015..0.05).contains(&refunds), "refunds {refunds}");
    let ratings: Vec<i64> = per_type(events, EventType::ReviewSubmitted)
        .filter_map(|e| e.prop_i64("rating"))
        .collect();
    let high = ratings.iter().filter(|r| **r >= 4).count() as f64 / ratings.len() as f64;
    assert!(high > 0.7, "share of 4-5 stars {high}");
    assert!(
        ratings.contains(&1) || ratings.contains(&2),
        "some unhappy students"
    );
    let enrolled = count(EventType::CourseEnrolled);
    let completed = count(EventType::CourseCompleted);
    assert!(
        completed > 0.0 && completed < 0.8 * enrolled,
        "drop-off {completed}/{enrolled}"
    );
    let currencies: HashSet<&str> = per_type(events, EventType::SessionBooked)
        .filter_map(|e| e.prop_str("currency"))
        .collect();
    assert_eq!(currencies.len(), 3);
}

#[test]
fn weekdays_are_busier_than_weekends_and_the_platform_grows() {
    let events = medium();
    let mut per_day: HashMap<chrono::NaiveDate, usize> = HashMap::new();
    for e in events {
        *per_day.entry(e.timestamp.date_naive()).or_default() += 1;
    }
    let (mut weekday, mut weekend) = ((0, 0), (0, 0));
    for (day, n) in &per_day {
        let slot = if day.weekday().number_from_monday() >= 6 {
            &mut weekend
        } else {
            &mut weekday
        };
        slot.0 += n;
        slot.1 += 1;
    }
    let avg = |(n, d): (usize, usize)| n as f64 / d as f64;
    assert!(
        avg(weekday) > 1.1 * avg(weekend),
        "{weekday:?} vs {weekend:?}"
    );

    let month_of = |e: &DemoEvent| (e.timestamp.year(), e.timestamp.month());
    let first = events
        .iter()
        .filter(|e| month_of(e) == month_of(&events[0]))
        .count();
    let last = events
        .iter()
        .filter(|e| month_of(e) == month_of(&events[events.len() - 1]))
        .count();
    assert!(last > 2 * first, "first month {first}, last month {last}");

    let sunday_evening = |e: &&DemoEvent| e.timestamp.weekday() == chrono::Weekday::Sun;
    let sunday: Vec<u32> = per_type(events, EventType::SessionBooked)
        .filter(sunday_evening)
        .map(|e| e.timestamp.hour())
        .collect();
    let evening = sunday.iter().filter(|h| (18..22).contains(*h)).count();
    let morning = sunday.iter().filter(|h| (8..12).contains(*h)).count();
    assert!(
        evening > 2 * morning,
        "Sunday evening spike: {evening} vs {morning}"
    );
}

#[test]
fn students_book_in_their_goal_subjects_and_follow_prerequisites() {
    let events = medium();
    let mut goals: HashMap<&str, HashSet<&str>> = HashMap::new();
    let (mut on_goal, mut total) = (0, 0);
    for e in events {
        match e.event_type {
            EventType::StudentGoalSet => {
                let subjects = e.properties["subjects"].as_array().expect("subjects");
                let entry = goals.entry(&e.user_id).or_default();
                entry.extend(subjects.iter().filter_map(Value::as_str));
            }
            EventType::SessionBooked => {
                total += 1;
                let subject = e.prop_str("subject").unwrap_or_default();
                if goals
                    .get(e.user_id.as_str())
                    .is_some_and(|g| g.contains(subject))
                {
                    on_goal += 1;
                }
            }
            _ => {}
        }
    }
    let share = f64::from(on_goal) / f64::from(total);
    assert!(share > 0.85, "share of bookings in goal subjects: {share}");

    let with_prereqs: HashSet<&str> = per_type(events, EventType::CoursePublished)
        .filter(|e| {
            e.properties["prerequisites"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        })
        .filter_map(|e| e.prop_str("courseId"))
        .collect();
    let follow_ups = per_type(events, EventType::CourseEnrolled)
        .filter(|e| with_prereqs.contains(e.prop_str("courseId").unwrap_or_default()))
        .count();
    assert!(
        follow_ups > 0,
        "some students move on to the next course of a chain"
    );
}

#[test]
fn tutors_and_courses_look_real() {
    let events = small();
    let profile = per_type(events, EventType::TutorProfileUpdated)
        .next()
        .expect("profile");
    assert!(profile.prop_str("name").is_some_and(|n| n.contains(' ')));
    assert!(profile.prop_str("bio").is_some_and(|b| b.len() > 80));
    let titles: Vec<&str> = per_type(events, EventType::CoursePublished)
        .filter_map(|e| e.prop_str("title"))
        .collect();
    assert!(titles.contains(&"Python Foundations"), "{titles:?}");
    let rates: Vec<i64> = per_type(events, EventType::TutorProfileUpdated)
        .filter_map(|e| e.prop_i64("hourlyRate"))
        .collect();
    assert!(
        rates.iter().all(|r| (1_000..=20_000).contains(r)),
        "{rates:?}"
    );
}
