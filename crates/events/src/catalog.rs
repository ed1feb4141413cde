//! The event catalog: known event types and the properties each requires.
//!
//! Unknown types are accepted without property checks (the catalog grows); a known type
//! is checked against its [`KnownType::properties`] spec and rejected with a message
//! naming the offending field.

use serde_json::{Map, Value};

use crate::error::FieldError;
use crate::validate::{format_timestamp, get, join, non_empty_string, rfc3339, show};

/// What a catalog property must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyKind {
    /// A non-empty string (names, ids, free text).
    Text,
    /// One of the listed strings.
    OneOf(&'static [&'static str]),
    /// A non-negative integer amount in minor units (`amount`, `price`, `hourlyRate`).
    MinorUnits,
    /// An ISO 4217 currency code: 3 uppercase ASCII letters.
    Currency,
    /// A positive number (integer or not), e.g. `hours`.
    PositiveNumber,
    /// An RFC 3339 date-time, normalized in place to UTC with milliseconds.
    DateTime,
    /// An array of non-empty strings (non-empty itself when the property is required).
    TextList,
    /// An integer rating from 1 to 5.
    Rating,
}

/// One property of a catalog type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PropertySpec {
    /// The property name, e.g. `amount`.
    pub name: &'static str,
    /// Whether the property must be present (non-null).
    pub required: bool,
    /// What the property must hold.
    pub kind: PropertyKind,
}

const fn req(name: &'static str, kind: PropertyKind) -> PropertySpec {
    PropertySpec {
        name,
        required: true,
        kind,
    }
}

const fn opt(name: &'static str, kind: PropertyKind) -> PropertySpec {
    PropertySpec {
        name,
        required: false,
        kind,
    }
}

use PropertyKind::{Currency, DateTime, MinorUnits, OneOf, PositiveNumber, Rating, Text, TextList};

const ROLES: &[&str] = &["student", "tutor"];
const LEVELS: &[&str] = &["beginner", "intermediate", "advanced"];
const PRODUCTS: &[&str] = &["session", "course"];

const USER_REGISTERED: &[PropertySpec] = &[
    req("role", OneOf(ROLES)),
    opt("country", Text),
    opt("signupChannel", Text),
];
const STUDENT_GOAL_SET: &[PropertySpec] = &[
    req("goal", Text),
    opt("subjects", TextList),
    opt("level", Text),
];
const TUTOR_PROFILE_UPDATED: &[PropertySpec] = &[
    req("name", Text),
    req("subjects", TextList),
    req("bio", Text),
    req("languages", TextList),
    req("hourlyRate", MinorUnits),
    req("currency", Currency),
];
const COURSE_PUBLISHED: &[PropertySpec] = &[
    req("courseId", Text),
    req("title", Text),
    req("description", Text),
    req("subject", Text),
    req("level", OneOf(LEVELS)),
    opt("prerequisites", TextList),
    req("hours", PositiveNumber),
    req("price", MinorUnits),
    req("currency", Currency),
];
const SESSION_BOOKED: &[PropertySpec] = &[
    req("sessionId", Text),
    req("tutorId", Text),
    req("subject", Text),
    req("startsAt", DateTime),
    req("amount", MinorUnits),
    req("currency", Currency),
];
const SESSION_ENDED: &[PropertySpec] = &[
    req("sessionId", Text),
    req("tutorId", Text),
    req("subject", Text),
];
const PAYMENT_SUCCEEDED: &[PropertySpec] = &[
    req("paymentId", Text),
    req("amount", MinorUnits),
    req("currency", Currency),
    opt("product", OneOf(PRODUCTS)),
    opt("sessionId", Text),
    opt("courseId", Text),
];
const PAYMENT_REFUNDED: &[PropertySpec] = &[
    req("paymentId", Text),
    req("amount", MinorUnits),
    req("currency", Currency),
];
const COURSE_ID: &[PropertySpec] = &[req("courseId", Text)];
const LESSON_COMPLETED: &[PropertySpec] = &[req("courseId", Text), req("lessonId", Text)];
const REVIEW_SUBMITTED: &[PropertySpec] = &[
    req("rating", Rating),
    opt("tutorId", Text),
    opt("courseId", Text),
];
const NONE: &[PropertySpec] = &[];
const GROUP_JOINED: &[PropertySpec] = &[req("groupId", Text)];
const USER_ALIASED: &[PropertySpec] = &[req("previousId", Text)];

macro_rules! known_types {
    ($($variant:ident => $name:literal, $spec:ident;)*) => {
        /// An event type the catalog knows, with its property spec.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum KnownType {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        impl KnownType {
            /// Every known type, in catalog order.
            pub const ALL: &'static [KnownType] = &[$(KnownType::$variant),*];

            /// The canonical snake_case name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(KnownType::$variant => $name,)*
                }
            }

            /// The known type with this canonical name, if any.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($name => Some(KnownType::$variant),)*
                    _ => None,
                }
            }

            /// The properties this type defines (other properties are allowed and kept).
            pub fn properties(self) -> &'static [PropertySpec] {
                match self {
                    $(KnownType::$variant => $spec,)*
                }
            }
        }
    };
}

known_types! {
    UserRegistered => "user_registered", USER_REGISTERED;
    StudentGoalSet => "student_goal_set", STUDENT_GOAL_SET;
    TutorProfileUpdated => "tutor_profile_updated", TUTOR_PROFILE_UPDATED;
    CoursePublished => "course_published", COURSE_PUBLISHED;
    SessionBooked => "session_booked", SESSION_BOOKED;
    SessionCompleted => "session_completed", SESSION_ENDED;
    SessionCancelled => "session_cancelled", SESSION_ENDED;
    PaymentSucceeded => "payment_succeeded", PAYMENT_SUCCEEDED;
    PaymentRefunded => "payment_refunded", PAYMENT_REFUNDED;
    CourseEnrolled => "course_enrolled", COURSE_ID;
    CourseCompleted => "course_completed", COURSE_ID;
    LessonCompleted => "lesson_completed", LESSON_COMPLETED;
    ReviewSubmitted => "review_submitted", REVIEW_SUBMITTED;
    UserIdentified => "user_identified", NONE;
    PageViewed => "page_viewed", NONE;
    ScreenViewed => "screen_viewed", NONE;
    GroupJoined => "group_joined", GROUP_JOINED;
    UserAliased => "user_aliased", USER_ALIASED;
}

impl KnownType {
    /// Names of the required properties, in catalog order.
    pub fn required_properties(self) -> Vec<&'static str> {
        self.properties()
            .iter()
            .filter(|p| p.required)
            .map(|p| p.name)
            .collect()
    }
}

/// Validates `props` against the catalog entry for `event_type` (no-op for unknown
/// types). `prefix` is the path of the properties object as the client sent it
/// (`properties`, `detail`, `data`, `traits`); `DateTime` properties are rewritten to
/// UTC with milliseconds.
pub(crate) fn validate_properties(
    event_type: &str,
    props: &mut Map<String, Value>,
    prefix: &str,
) -> Result<(), FieldError> {
    let Some(known) = KnownType::from_name(event_type) else {
        return Ok(());
    };
    for spec in known.properties() {
        let path = join(prefix, spec.name);
        let Some(value) = get(props, spec.name) else {
            if spec.required {
                return Err(FieldError::new(
                    path,
                    format!("required for {event_type} but missing"),
                ));
            }
            continue;
        };
        if let Some(normalized) = check(spec, value, &path)? {
            props.insert(spec.name.to_owned(), normalized);
        }
    }
    cross_field_rules(known, props, prefix)
}

/// Checks one value; returns a replacement when the value is normalized.
fn check(spec: &PropertySpec, v: &Value, path: &str) -> Result<Option<Value>, FieldError> {
    let bad = |what: &str| FieldError::new(path, format!("expected {what}, got {}", show(v)));
    match spec.kind {
        Text => non_empty_string(v, path).map(|_| None),
        OneOf(options) => match v.as_str() {
            Some(s) if options.contains(&s) => Ok(None),
            _ => {
                let list: Vec<String> = options.iter().map(|o| format!("\"{o}\"")).collect();
                Err(bad(&format!("one of {}", list.join(", "))))
            }
        },
        MinorUnits => match v.as_i64() {
            Some(n) if n >= 0 => Ok(None),
            _ => Err(bad(
                "an integer amount in minor units (non-negative, e.g. 1250 for 12.50)",
            )),
        },
        Currency => match v.as_str() {
            Some(s) if s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase()) => Ok(None),
            _ => Err(bad(
                "an ISO 4217 currency code (3 uppercase letters, e.g. \"EUR\")",
            )),
        },
        PositiveNumber => match v.as_f64() {
            Some(n) if v.is_number() && n > 0.0 => Ok(None),
            _ => Err(bad("a positive number")),
        },
        DateTime => rfc3339(v, path).map(|t| Some(Value::String(format_timestamp(&t)))),
        TextList => {
            let items = v
                .as_array()
                .ok_or_else(|| bad("an array of non-empty strings"))?;
            if spec.required && items.is_empty() {
                return Err(FieldError::new(path, "expected at least one entry, got []"));
            }
            for (i, item) in items.iter().enumerate() {
                non_empty_string(item, &format!("{path}[{i}]"))?;
            }
            Ok(None)
        }
        Rating => match v.as_i64() {
            Some(n) if (1..=5).contains(&n) => Ok(None),
            _ => Err(bad("an integer rating from 1 to 5")),
        },
    }
}

fn cross_field_rules(
    known: KnownType,
    props: &Map<String, Value>,
    prefix: &str,
) -> Result<(), FieldError> {
    match known {
        KnownType::ReviewSubmitted
            if get(props, "tutorId").is_none() && get(props, "courseId").is_none() =>
        {
            return Err(FieldError::new(
                join(prefix, "tutorId"),
                "review_submitted needs tutorId or courseId, got neither",
            ));
        }
        KnownType::PaymentSucceeded => {
            let target = match get(props, "product").and_then(Value::as_str) {
                Some("session") => Some("sessionId"),
                Some("course") => Some("courseId"),
                _ => None,
            };
            if let Some(key) = target
                && get(props, key).is_none()
            {
                return Err(FieldError::new(
                    join(prefix, key),
                    format!(
                        "required when product is {} but missing",
                        show(props.get("product").unwrap_or(&Value::Null))
                    ),
                ));
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
#[path = "catalog_tests.rs"]
pub(crate) mod tests;
