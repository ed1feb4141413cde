//! The demo event model: [`DemoEvent`] and the [`EventType`] catalog.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// One event of the platform's history, in the generator's own (native) terms.
///
/// `timestamp` always has whole-second precision, so every wire format
/// (native, EventBridge, CloudEvents) carries exactly the same instant.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoEvent {
    /// Stable, seed-derived id (`evt_<16 hex>`), unique within one generated history.
    pub event_id: String,
    /// The acting user (`usr_…` for students, `tut_…` for tutors).
    pub user_id: String,
    /// What happened.
    pub event_type: EventType,
    /// When it happened (UTC, whole seconds).
    pub timestamp: DateTime<Utc>,
    /// Type-specific payload, exactly as the catalog names it (camelCase keys).
    pub properties: Map<String, Value>,
}

impl DemoEvent {
    /// A property as a string, if present and a string.
    pub fn prop_str(&self, key: &str) -> Option<&str> {
        self.properties.get(key).and_then(Value::as_str)
    }

    /// A property as an integer, if present and an integer.
    pub fn prop_i64(&self, key: &str) -> Option<i64> {
        self.properties.get(key).and_then(Value::as_i64)
    }
}

/// The event catalog the ingestion endpoint accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// A student or tutor signs up.
    UserRegistered,
    /// A student states what they want to learn.
    StudentGoalSet,
    /// A tutor creates or edits their public profile.
    TutorProfileUpdated,
    /// A tutor publishes a course.
    CoursePublished,
    /// A student books a one-to-one session.
    SessionBooked,
    /// A booked session took place.
    SessionCompleted,
    /// A booked session was called off.
    SessionCancelled,
    /// A payment for a session or a course went through.
    PaymentSucceeded,
    /// An earlier payment was (partly) refunded.
    PaymentRefunded,
    /// A student enrolls in a course.
    CourseEnrolled,
    /// A student finishes one lesson of a course.
    LessonCompleted,
    /// A student finishes every lesson of a course.
    CourseCompleted,
    /// A student rates a tutor or a course.
    ReviewSubmitted,
}

impl EventType {
    /// Every event type, in catalog order.
    pub const ALL: [EventType; 13] = [
        EventType::UserRegistered,
        EventType::StudentGoalSet,
        EventType::TutorProfileUpdated,
        EventType::CoursePublished,
        EventType::SessionBooked,
        EventType::SessionCompleted,
        EventType::SessionCancelled,
        EventType::PaymentSucceeded,
        EventType::PaymentRefunded,
        EventType::CourseEnrolled,
        EventType::LessonCompleted,
        EventType::CourseCompleted,
        EventType::ReviewSubmitted,
    ];

    /// The snake_case wire name, e.g. `session_booked`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::UserRegistered => "user_registered",
            EventType::StudentGoalSet => "student_goal_set",
            EventType::TutorProfileUpdated => "tutor_profile_updated",
            EventType::CoursePublished => "course_published",
            EventType::SessionBooked => "session_booked",
            EventType::SessionCompleted => "session_completed",
            EventType::SessionCancelled => "session_cancelled",
            EventType::PaymentSucceeded => "payment_succeeded",
            EventType::PaymentRefunded => "payment_refunded",
            EventType::CourseEnrolled => "course_enrolled",
            EventType::LessonCompleted => "lesson_completed",
            EventType::CourseCompleted => "course_completed",
            EventType::ReviewSubmitted => "review_submitted",
        }
    }

    /// Parses a snake_case wire name.
    pub fn parse(name: &str) -> Option<EventType> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The EventBridge `detail-type`: PascalCase of the wire name (`SessionBooked`).
    pub fn pascal_case(self) -> String {
        self.as_str()
            .split('_')
            .map(|word| {
                let mut chars = word.chars();
                match chars.next() {
                    Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                    None => String::new(),
                }
            })
            .collect()
    }

    /// Parses an EventBridge `detail-type`.
    pub fn from_pascal_case(name: &str) -> Option<EventType> {
        Self::ALL.into_iter().find(|t| t.pascal_case() == name)
    }

    /// The CloudEvents `type`: `com.tutoring.` + the wire name with dots
    /// (`com.tutoring.session.booked`).
    pub fn cloudevents_type(self) -> String {
        format!("com.tutoring.{}", self.as_str().replace('_', "."))
    }

    /// Parses a CloudEvents `type`.
    pub fn from_cloudevents_type(name: &str) -> Option<EventType> {
        let rest = name.strip_prefix("com.tutoring.")?;
        Self::parse(&rest.replace('.', "_"))
    }

    /// The business domain the event belongs to (`accounts`, `bookings`,
    /// `payments`, `courses` or `reviews`); used for the envelope `source`.
    pub fn domain(self) -> &'static str {
        match self {
            EventType::UserRegistered
            | EventType::StudentGoalSet
            | EventType::TutorProfileUpdated => "accounts",
            EventType::SessionBooked
            | EventType::SessionCompleted
            | EventType::SessionCancelled => "bookings",
            EventType::PaymentSucceeded | EventType::PaymentRefunded => "payments",
            EventType::CoursePublished
            | EventType::CourseEnrolled
            | EventType::LessonCompleted
            | EventType::CourseCompleted => "courses",
            EventType::ReviewSubmitted => "reviews",
        }
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_in_every_spelling() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            assert_eq!(EventType::from_pascal_case(&t.pascal_case()), Some(t));
            assert_eq!(
                EventType::from_cloudevents_type(&t.cloudevents_type()),
                Some(t)
            );
            assert_eq!(t.to_string(), t.as_str());
            assert!(!t.domain().is_empty());
        }
        assert_eq!(EventType::SessionBooked.pascal_case(), "SessionBooked");
        assert_eq!(
            EventType::SessionBooked.cloudevents_type(),
            "com.tutoring.session.booked"
        );
        assert_eq!(EventType::parse("nope"), None);
        assert_eq!(
            EventType::from_cloudevents_type("org.x.session.booked"),
            None
        );
    }

    #[test]
    fn property_accessors() {
        let mut properties = Map::new();
        properties.insert("a".into(), Value::from("x"));
        properties.insert("n".into(), Value::from(5));
        let e = DemoEvent {
            event_id: "evt_1".into(),
            user_id: "usr_1".into(),
            event_type: EventType::SessionBooked,
            timestamp: DateTime::UNIX_EPOCH,
            properties,
        };
        assert_eq!(e.prop_str("a"), Some("x"));
        assert_eq!(e.prop_i64("n"), Some(5));
        assert_eq!(e.prop_str("n"), None);
    }
}
