//! Tests (table-driven: case tuples are spelled out inline).
#![allow(clippy::type_complexity)]

use super::*;
use serde_json::json;

/// A valid properties object for every known type.
pub(crate) fn valid_properties(t: KnownType) -> Value {
    match t {
        KnownType::UserRegistered => {
            json!({"role": "student", "country": "FR", "signupChannel": "ads"})
        }
        KnownType::StudentGoalSet => {
            json!({"goal": "Pass the B2 exam", "subjects": ["french"], "level": "B1"})
        }
        KnownType::TutorProfileUpdated => json!({
            "name": "Ada", "subjects": ["math", "physics"], "bio": "PhD", "languages": ["en", "fr"],
            "hourlyRate": 4500, "currency": "EUR"
        }),
        KnownType::CoursePublished => json!({
            "courseId": "c1", "title": "Algebra", "description": "Basics", "subject": "math",
            "level": "beginner", "prerequisites": ["c0"], "hours": 12.5, "price": 9900, "currency": "USD"
        }),
        KnownType::SessionBooked => json!({
            "sessionId": "s1", "tutorId": "t1", "subject": "math",
            "startsAt": "2024-05-03T10:00:00Z", "amount": 4500, "currency": "EUR"
        }),
        KnownType::SessionCompleted | KnownType::SessionCancelled => {
            json!({"sessionId": "s1", "tutorId": "t1", "subject": "math"})
        }
        KnownType::PaymentSucceeded => json!({
            "paymentId": "p1", "amount": 4500, "currency": "EUR", "product": "session", "sessionId": "s1"
        }),
        KnownType::PaymentRefunded => json!({"paymentId": "p1", "amount": 0, "currency": "EUR"}),
        KnownType::CourseEnrolled | KnownType::CourseCompleted => json!({"courseId": "c1"}),
        KnownType::LessonCompleted => json!({"courseId": "c1", "lessonId": "l1"}),
        KnownType::ReviewSubmitted => json!({"rating": 5, "tutorId": "t1", "comment": "great"}),
        KnownType::UserIdentified | KnownType::PageViewed | KnownType::ScreenViewed => json!({}),
        KnownType::GroupJoined => json!({"groupId": "g1"}),
        KnownType::UserAliased => json!({"previousId": "anon-1"}),
    }
}

fn run(t: &str, props: Value) -> Result<Map<String, Value>, FieldError> {
    let mut map = props.as_object().cloned().unwrap_or_default();
    validate_properties(t, &mut map, "properties").map(|()| map)
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn every_known_type_accepts_its_valid_properties_and_names_roundtrip() {
    assert_eq!(KnownType::ALL.len(), 18);
    for &t in KnownType::ALL {
        assert_eq!(KnownType::from_name(t.as_str()), Some(t));
        run(t.as_str(), valid_properties(t)).unwrap_or_else(|e| panic!("{t:?}: {e:?}"));
    }
    assert_eq!(KnownType::from_name("quiz_started"), None);
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn every_required_property_is_enforced() {
    for &t in KnownType::ALL {
        for name in t.required_properties() {
            for missing in [None, Some(Value::Null)] {
                let mut props = valid_properties(t);
                let obj = props.as_object_mut().unwrap();
                match &missing {
                    None => obj.remove(name),
                    Some(v) => obj.insert(name.to_owned(), v.clone()),
                };
                let err = run(t.as_str(), props).unwrap_err();
                assert_eq!(err.field, format!("properties.{name}"), "{t:?}");
                assert_eq!(
                    err.reason,
                    format!("required for {} but missing", t.as_str())
                );
            }
        }
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn unknown_types_are_not_checked() {
    let props = json!({"amount": "12.50", "anything": [1, 2]});
    assert_eq!(
        run("quiz_started", props.clone()).unwrap(),
        props.as_object().cloned().unwrap()
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn wrong_types_are_rejected_naming_the_field() {
    // (type, field, bad value, expected message fragment)
    let cases: Vec<(KnownType, &str, Value, &str)> = vec![
        (
            KnownType::UserRegistered,
            "role",
            json!("admin"),
            "expected one of \"student\", \"tutor\", got \"admin\"",
        ),
        (
            KnownType::UserRegistered,
            "country",
            json!(""),
            "expected a non-empty string, got \"\"",
        ),
        (
            KnownType::UserRegistered,
            "signupChannel",
            json!(3),
            "expected a non-empty string, got 3",
        ),
        (
            KnownType::StudentGoalSet,
            "goal",
            json!("  "),
            "expected a non-empty string",
        ),
        (
            KnownType::StudentGoalSet,
            "subjects",
            json!("math"),
            "expected an array of non-empty strings, got \"math\"",
        ),
        (
            KnownType::TutorProfileUpdated,
            "hourlyRate",
            json!("12.50"),
            "expected an integer amount in minor units (non-negative, e.g. 1250 for 12.50), got \"12.50\"",
        ),
        (
            KnownType::TutorProfileUpdated,
            "hourlyRate",
            json!(12.5),
            "got 12.5",
        ),
        (
            KnownType::TutorProfileUpdated,
            "hourlyRate",
            json!(-1),
            "got -1",
        ),
        (
            KnownType::TutorProfileUpdated,
            "currency",
            json!("eur"),
            "ISO 4217",
        ),
        (
            KnownType::TutorProfileUpdated,
            "currency",
            json!("EURO"),
            "ISO 4217",
        ),
        (
            KnownType::TutorProfileUpdated,
            "currency",
            json!(978),
            "got 978",
        ),
        (
            KnownType::TutorProfileUpdated,
            "subjects",
            json!([]),
            "expected at least one entry, got []",
        ),
        (
            KnownType::TutorProfileUpdated,
            "languages",
            json!({"en": true}),
            "expected an array of non-empty strings",
        ),
        (
            KnownType::CoursePublished,
            "level",
            json!("expert"),
            "\"beginner\", \"intermediate\", \"advanced\"",
        ),
        (
            KnownType::CoursePublished,
            "hours",
            json!(0),
            "expected a positive number, got 0",
        ),
        (
            KnownType::CoursePublished,
            "hours",
            json!(-2.5),
            "expected a positive number",
        ),
        (
            KnownType::CoursePublished,
            "hours",
            json!("3"),
            "expected a positive number, got \"3\"",
        ),
        (KnownType::CoursePublished, "price", json!(99.0), "got 99.0"),
        (
            KnownType::CoursePublished,
            "price",
            json!(u64::MAX),
            "minor units",
        ),
        (
            KnownType::CoursePublished,
            "prerequisites",
            json!("c0"),
            "array of non-empty strings",
        ),
        (
            KnownType::SessionBooked,
            "startsAt",
            json!("tomorrow"),
            "expected an RFC 3339 date-time",
        ),
        (
            KnownType::SessionBooked,
            "amount",
            json!(true),
            "minor units",
        ),
        (
            KnownType::SessionBooked,
            "tutorId",
            json!(17),
            "non-empty string, got 17",
        ),
        (
            KnownType::SessionCompleted,
            "subject",
            json!(["math"]),
            "non-empty string",
        ),
        (
            KnownType::SessionCancelled,
            "sessionId",
            json!(""),
            "non-empty string",
        ),
        (
            KnownType::PaymentSucceeded,
            "product",
            json!("gift"),
            "expected one of \"session\", \"course\"",
        ),
        (
            KnownType::PaymentRefunded,
            "amount",
            json!("1000"),
            "minor units",
        ),
        (
            KnownType::CourseEnrolled,
            "courseId",
            json!(5),
            "non-empty string",
        ),
        (
            KnownType::CourseCompleted,
            "courseId",
            json!({}),
            "non-empty string",
        ),
        (
            KnownType::LessonCompleted,
            "lessonId",
            json!(false),
            "non-empty string",
        ),
        (
            KnownType::ReviewSubmitted,
            "rating",
            json!(6),
            "expected an integer rating from 1 to 5, got 6",
        ),
        (
            KnownType::ReviewSubmitted,
            "rating",
            json!(0),
            "from 1 to 5",
        ),
        (KnownType::ReviewSubmitted, "rating", json!(4.5), "got 4.5"),
        (
            KnownType::ReviewSubmitted,
            "rating",
            json!("5"),
            "got \"5\"",
        ),
        (
            KnownType::GroupJoined,
            "groupId",
            json!(1),
            "non-empty string",
        ),
        (
            KnownType::UserAliased,
            "previousId",
            json!(""),
            "non-empty string",
        ),
    ];
    for (t, field, value, fragment) in cases {
        let mut props = valid_properties(t);
        props[field] = value.clone();
        let err = run(t.as_str(), props).unwrap_err();
        assert!(
            err.field.starts_with(&format!("properties.{field}")),
            "{t:?} {field}: {err:?}"
        );
        assert!(
            err.reason.contains(fragment),
            "{t:?} {field} {value}: {}",
            err.reason
        );
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn list_elements_are_named_by_index() {
    let mut props = valid_properties(KnownType::TutorProfileUpdated);
    props["languages"] = json!(["en", ""]);
    let err = run("tutor_profile_updated", props).unwrap_err();
    assert_eq!(err.field, "properties.languages[1]");
    // optional lists may be empty
    let mut props = valid_properties(KnownType::CoursePublished);
    props["prerequisites"] = json!([]);
    assert!(run("course_published", props).is_ok());
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn starts_at_is_normalized_to_utc_millis() {
    let mut props = valid_properties(KnownType::SessionBooked);
    props["startsAt"] = json!("2024-05-03T12:00:00+02:00");
    let map = run("session_booked", props).unwrap();
    assert_eq!(map["startsAt"], json!("2024-05-03T10:00:00.000Z"));
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn cross_field_rules_table() {
    let cases: Vec<(&str, Value, Option<(&str, &str)>)> = vec![
        (
            "review_submitted",
            json!({"rating": 3, "courseId": "c1"}),
            None,
        ),
        (
            "review_submitted",
            json!({"rating": 3, "tutorId": "t1"}),
            None,
        ),
        (
            "review_submitted",
            json!({"rating": 3}),
            Some(("properties.tutorId", "needs tutorId or courseId")),
        ),
        (
            "review_submitted",
            json!({"rating": 3, "tutorId": null}),
            Some(("properties.tutorId", "got neither")),
        ),
        (
            "payment_succeeded",
            json!({"paymentId": "p", "amount": 1, "currency": "EUR"}),
            None,
        ),
        (
            "payment_succeeded",
            json!({"paymentId": "p", "amount": 1, "currency": "EUR", "courseId": "c"}),
            None,
        ),
        (
            "payment_succeeded",
            json!({"paymentId": "p", "amount": 1, "currency": "EUR", "product": "course", "courseId": "c"}),
            None,
        ),
        (
            "payment_succeeded",
            json!({"paymentId": "p", "amount": 1, "currency": "EUR", "product": "course"}),
            Some(("properties.courseId", "required when product is \"course\"")),
        ),
        (
            "payment_succeeded",
            json!({"paymentId": "p", "amount": 1, "currency": "EUR", "product": "session"}),
            Some((
                "properties.sessionId",
                "required when product is \"session\"",
            )),
        ),
    ];
    for (t, props, expected) in cases {
        let result = run(t, props.clone());
        match expected {
            None => assert!(result.is_ok(), "{t} {props}: {result:?}"),
            Some((field, fragment)) => {
                let err = result.unwrap_err();
                assert_eq!(err.field, field, "{t} {props}");
                assert!(err.reason.contains(fragment), "{}", err.reason);
            }
        }
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn prefix_is_used_in_paths() {
    let mut map = Map::new();
    let err = validate_properties("course_enrolled", &mut map, "detail").unwrap_err();
    assert_eq!(err.field, "detail.courseId");
}
