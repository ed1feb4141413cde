//! The native event shape and AWS EventBridge envelopes (both on `/events` with
//! `application/json`, told apart by the presence of `detail-type`).

use serde_json::{Map, Value};

use crate::catalog::validate_properties;
use crate::error::FieldError;
use crate::event::AnalyticsEvent;
use crate::validate::{
    TimeWindow, as_object, event_id, event_type, properties, required, timestamp, user_id,
};

/// Parses one element of a `/events` JSON body: an EventBridge envelope when it has a
/// `detail-type` field, else a native event.
pub(crate) fn parse(v: &Value, window: &TimeWindow) -> Result<AnalyticsEvent, FieldError> {
    let obj = as_object(v, "$")?;
    if obj.contains_key("detail-type") {
        eventbridge(obj, window)
    } else {
        native(obj, window)
    }
}

/// The id to report in a rejection of this element.
pub(crate) fn id_hint(v: &Value) -> Option<String> {
    let key = if v.get("detail-type").is_some() {
        "id"
    } else {
        "eventId"
    };
    crate::validate::id_hint(v, key)
}

/// `{"eventId", "userId", "eventType", "timestamp", "properties"}`.
fn native(obj: &Map<String, Value>, window: &TimeWindow) -> Result<AnalyticsEvent, FieldError> {
    let event_id = event_id(required(obj, "eventId", "eventId")?, "eventId")?;
    let user_id = user_id(required(obj, "userId", "userId")?, "userId")?;
    let event_type = event_type(required(obj, "eventType", "eventType")?, "eventType")?;
    let timestamp = timestamp(
        required(obj, "timestamp", "timestamp")?,
        "timestamp",
        window,
    )?;
    let mut properties = properties(obj.get("properties"), "properties")?;
    validate_properties(&event_type, &mut properties, "properties")?;
    Ok(AnalyticsEvent {
        event_id,
        user_id,
        event_type,
        timestamp,
        properties,
        source: None,
    })
}

/// `{"id", "detail-type", "time", "detail": {"userId", ...}, "source", ...}`; the user is
/// `detail.userId`, removed from the stored properties.
fn eventbridge(
    obj: &Map<String, Value>,
    window: &TimeWindow,
) -> Result<AnalyticsEvent, FieldError> {
    let event_id = event_id(required(obj, "id", "id")?, "id")?;
    let event_type = event_type(required(obj, "detail-type", "detail-type")?, "detail-type")?;
    let timestamp = timestamp(required(obj, "time", "time")?, "time", window)?;
    let mut properties = properties(obj.get("detail"), "detail")?;
    let user_id = user_id(
        required(&properties, "userId", "detail.userId")?,
        "detail.userId",
    )?;
    properties.remove("userId");
    validate_properties(&event_type, &mut properties, "detail")?;
    Ok(AnalyticsEvent {
        event_id,
        user_id,
        event_type,
        timestamp,
        properties,
        source: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::received_at;
    use serde_json::json;

    fn window() -> TimeWindow {
        TimeWindow::new(received_at())
    }

    fn native_event() -> Value {
        json!({
            "eventId": "e1", "userId": "u1", "eventType": "LessonCompleted",
            "timestamp": "2024-05-01T13:00:00+01:00",
            "properties": {"courseId": "c1", "lessonId": "l1"}
        })
    }

    fn eventbridge_event() -> Value {
        json!({
            "version": "0", "id": "eb-1", "detail-type": "SessionBooked", "source": "com.tutoring.app",
            "account": "123456789012", "time": "2024-05-01T11:00:00Z", "region": "eu-west-1",
            "resources": [],
            "detail": {"userId": "u2", "sessionId": "s1", "tutorId": "t1", "subject": "math",
                       "startsAt": "2024-05-03T10:00:00Z", "amount": 4500, "currency": "EUR"}
        })
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn native_valid() {
        let e = parse(&native_event(), &window()).unwrap();
        assert_eq!(e.event_id, "e1");
        assert_eq!(e.user_id, "u1");
        assert_eq!(e.event_type, "lesson_completed");
        assert_eq!(
            crate::validate::format_timestamp(&e.timestamp),
            "2024-05-01T12:00:00.000Z"
        );
        assert_eq!(e.properties["lessonId"], "l1");
        assert_eq!(e.source, None);
        assert_eq!(id_hint(&native_event()).as_deref(), Some("e1"));
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn native_unknown_type_without_properties() {
        let v = json!({"eventId": "e", "userId": "u", "eventType": "quiz.started",
                       "timestamp": "2024-05-01T12:00:00Z"});
        let e = parse(&v, &window()).unwrap();
        assert_eq!(e.event_type, "quiz_started");
        assert!(e.properties.is_empty());
        let v = json!({"eventId": "e", "userId": "u", "eventType": "course_enrolled",
                       "timestamp": "2024-05-01T12:00:00Z", "properties": null});
        assert_eq!(
            parse(&v, &window()).unwrap_err().field,
            "properties.courseId"
        );
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn eventbridge_valid() {
        let e = parse(&eventbridge_event(), &window()).unwrap();
        assert_eq!(e.event_id, "eb-1");
        assert_eq!(e.user_id, "u2");
        assert_eq!(e.event_type, "session_booked");
        assert!(!e.properties.contains_key("userId"));
        assert_eq!(e.properties["startsAt"], "2024-05-03T10:00:00.000Z");
        assert_eq!(e.source, None);
        assert_eq!(id_hint(&eventbridge_event()).as_deref(), Some("eb-1"));
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn invalid_table() {
        // (base, pointer to mutate, new value or None to remove, expected field)
        let cases: Vec<(Value, &str, Option<Value>, &str)> = vec![
            (native_event(), "eventId", None, "eventId"),
            (native_event(), "eventId", Some(json!("")), "eventId"),
            (native_event(), "eventId", Some(json!(12)), "eventId"),
            (
                native_event(),
                "eventId",
                Some(json!("x".repeat(129))),
                "eventId",
            ),
            (native_event(), "userId", None, "userId"),
            (native_event(), "userId", Some(json!(" ")), "userId"),
            (native_event(), "eventType", None, "eventType"),
            (native_event(), "eventType", Some(json!("!!")), "eventType"),
            (native_event(), "timestamp", None, "timestamp"),
            (
                native_event(),
                "timestamp",
                Some(json!("2024-05-01 noon")),
                "timestamp",
            ),
            (
                native_event(),
                "timestamp",
                Some(json!("1999-01-01T00:00:00Z")),
                "timestamp",
            ),
            (
                native_event(),
                "timestamp",
                Some(json!("2024-06-01T00:00:00Z")),
                "timestamp",
            ),
            (native_event(), "properties", Some(json!([1])), "properties"),
            (
                native_event(),
                "properties",
                Some(json!({"courseId": "c1"})),
                "properties.lessonId",
            ),
            (eventbridge_event(), "id", None, "id"),
            (
                eventbridge_event(),
                "detail-type",
                Some(json!(null)),
                "detail-type",
            ),
            (eventbridge_event(), "time", None, "time"),
            (eventbridge_event(), "time", Some(json!("soon")), "time"),
            (eventbridge_event(), "detail", Some(json!("x")), "detail"),
            (eventbridge_event(), "detail", None, "detail.userId"),
            (
                eventbridge_event(),
                "detail",
                Some(json!({"userId": 5})),
                "detail.userId",
            ),
            (
                eventbridge_event(),
                "detail",
                Some(
                    json!({"userId": "u", "sessionId": "s1", "tutorId": "t1", "subject": "m",
                            "startsAt": "2024-05-03T10:00:00Z", "amount": "12.50", "currency": "EUR"}),
                ),
                "detail.amount",
            ),
        ];
        for (mut base, key, value, field) in cases {
            let obj = base.as_object_mut().unwrap();
            match value {
                Some(v) => obj.insert(key.to_owned(), v),
                None => obj.remove(key),
            };
            let err = parse(&base, &window()).unwrap_err();
            assert_eq!(err.field, field, "{key}: {err:?}");
        }
        let err = parse(&json!("event"), &window()).unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.reason.as_str()),
            ("$", "expected a JSON object, got \"event\"")
        );
        assert_eq!(id_hint(&json!({"eventId": 3})), None);
    }
}
