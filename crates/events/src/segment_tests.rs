//! Tests (table-driven: case tuples are spelled out inline).
#![allow(clippy::type_complexity)]

use super::*;
use crate::test_support::received_at;
use serde_json::json;

fn window() -> TimeWindow {
    TimeWindow::new(received_at())
}

fn track() -> Value {
    json!({
        "type": "track", "messageId": "m1", "userId": "u1", "anonymousId": "a1",
        "event": "Lesson Completed", "timestamp": "2024-05-01T10:00:00Z",
        "properties": {"courseId": "c1", "lessonId": "l1"},
        "context": {"library": {"name": "analytics-node"}}
    })
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn track_valid_and_name_spellings() {
    for name in ["Lesson Completed", "lesson_completed", "LessonCompleted"] {
        let mut v = track();
        v["event"] = json!(name);
        let m = parse(&v, None, None, &window()).unwrap();
        assert_eq!(m.event.event_type, "lesson_completed");
        assert_eq!(m.event.event_id, "m1");
        assert_eq!(m.event.user_id, "u1");
        assert!(!m.identify);
        assert_eq!(m.event.properties.len(), 2);
    }
    assert_eq!(id_hint(&track()).as_deref(), Some("m1"));
    // the route's kind wins over a missing type
    let mut v = track();
    v.as_object_mut().unwrap().remove("type");
    assert!(parse(&v, Some(Kind::Track), None, &window()).is_ok());
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn user_and_timestamp_fallbacks() {
    let base = json!({"type": "track", "messageId": "m", "event": "x"});
    let sent = json!("2024-05-01T09:00:00Z");
    let bad_sent = json!("bad");
    // (extra fields, batch sentAt, expected user, expected timestamp or error field)
    let cases: Vec<(Value, Option<&Value>, Result<(&str, &str), &str>)> = vec![
        (
            json!({"anonymousId": "a", "timestamp": "2024-05-01T10:00:00Z"}),
            None,
            Ok(("a", "2024-05-01T10:00:00.000Z")),
        ),
        (
            json!({"userId": null, "anonymousId": "a", "originalTimestamp": "2024-05-01T08:00:00Z", "sentAt": "2024-05-01T07:00:00Z"}),
            Some(&sent),
            Ok(("a", "2024-05-01T08:00:00.000Z")),
        ),
        (
            json!({"userId": "u", "sentAt": "2024-05-01T07:00:00Z"}),
            Some(&sent),
            Ok(("u", "2024-05-01T07:00:00.000Z")),
        ),
        (
            json!({"userId": "u"}),
            Some(&sent),
            Ok(("u", "2024-05-01T09:00:00.000Z")),
        ),
        (
            json!({"userId": "u", "timestamp": null}),
            Some(&sent),
            Ok(("u", "2024-05-01T09:00:00.000Z")),
        ),
        (json!({"userId": "u"}), None, Err("timestamp")),
        (json!({"userId": "u"}), Some(&Value::Null), Err("timestamp")),
        (
            json!({"userId": "u", "timestamp": "bad"}),
            Some(&sent),
            Err("timestamp"),
        ),
        (
            json!({"userId": "u", "originalTimestamp": 5}),
            None,
            Err("originalTimestamp"),
        ),
        (json!({"userId": "u"}), Some(&bad_sent), Err("sentAt")),
        (
            json!({"timestamp": "2024-05-01T10:00:00Z"}),
            None,
            Err("userId"),
        ),
        (
            json!({"userId": "", "anonymousId": "a", "timestamp": "2024-05-01T10:00:00Z"}),
            None,
            Ok(("a", "2024-05-01T10:00:00.000Z")),
        ),
        (
            json!({"userId": " ", "timestamp": "2024-05-01T10:00:00Z"}),
            None,
            Err("userId"),
        ),
        (
            json!({"anonymousId": 3, "timestamp": "2024-05-01T10:00:00Z"}),
            None,
            Err("anonymousId"),
        ),
    ];
    for (extra, batch_sent_at, expected) in cases {
        let mut v = base.clone();
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        let got = parse(&v, None, batch_sent_at, &window());
        match expected {
            Ok((user, ts)) => {
                let m = got.unwrap_or_else(|e| panic!("{extra}: {e:?}"));
                assert_eq!(m.event.user_id, user);
                assert_eq!(
                    crate::validate::format_timestamp(&m.event.timestamp),
                    ts,
                    "{extra}"
                );
            }
            Err(field) => assert_eq!(
                got.err().map(|e| e.field),
                Some(field.to_owned()),
                "{extra}"
            ),
        }
    }
    let err = parse(&base, None, None, &window()).err().unwrap();
    assert_eq!(err.reason, "required (or anonymousId) but missing");
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn every_message_type() {
    let common = json!({"messageId": "m", "userId": "u", "timestamp": "2024-05-01T10:00:00Z"});
    let with = |extra: Value| {
        let mut v = common.clone();
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    // (message, route kind, expected type, expected properties, identify)
    let cases: Vec<(Value, Option<Kind>, &str, Value, bool)> = vec![
        (
            with(json!({"type": "identify", "traits": {"email": "a@b.c", "plan": "pro"}})),
            None,
            "user_identified",
            json!({"email": "a@b.c", "plan": "pro"}),
            true,
        ),
        (
            with(json!({})),
            Some(Kind::Identify),
            "user_identified",
            json!({}),
            true,
        ),
        (
            with(
                json!({"type": "page", "name": "Pricing", "category": "Docs", "properties": {"path": "/pricing"}}),
            ),
            None,
            "page_viewed",
            json!({"path": "/pricing", "name": "Pricing", "category": "Docs"}),
            false,
        ),
        (
            with(json!({"name": "Home", "properties": {"name": "Start"}})),
            Some(Kind::Page),
            "page_viewed",
            json!({"name": "Start"}),
            false,
        ),
        (
            with(json!({"type": "screen", "name": "Lesson"})),
            None,
            "screen_viewed",
            json!({"name": "Lesson"}),
            false,
        ),
        (
            with(json!({"type": "group", "groupId": "school-1", "traits": {"name": "School"}})),
            None,
            "group_joined",
            json!({"name": "School", "groupId": "school-1"}),
            false,
        ),
        (
            with(json!({"type": "alias", "previousId": "anon-9"})),
            None,
            "user_aliased",
            json!({"previousId": "anon-9"}),
            false,
        ),
        (
            with(
                json!({"type": "track", "event": "com.tutoring.course.enrolled", "properties": {"courseId": "c"}}),
            ),
            None,
            "course_enrolled",
            json!({"courseId": "c"}),
            false,
        ),
    ];
    for (msg, kind, event_type, props, identify) in cases {
        let m = parse(&msg, kind, None, &window()).unwrap_or_else(|e| panic!("{msg}: {e:?}"));
        assert_eq!(m.event.event_type, event_type, "{msg}");
        assert_eq!(Value::Object(m.event.properties), props, "{msg}");
        assert_eq!(m.identify, identify);
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn invalid_messages() {
    let common = json!({"messageId": "m", "userId": "u", "timestamp": "2024-05-01T10:00:00Z"});
    let with = |extra: Value| {
        let mut v = common.clone();
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    let cases: Vec<(Value, Option<Kind>, &str, &str)> = vec![
        (json!(1), None, "$", "expected a JSON object"),
        (with(json!({})), None, "type", "required but missing"),
        (
            with(json!({"type": "Track"})),
            None,
            "type",
            "expected one of \"track\"",
        ),
        (
            with(json!({"type": "track", "messageId": null})),
            None,
            "messageId",
            "required",
        ),
        (with(json!({"type": "track"})), None, "event", "required"),
        (
            with(json!({"type": "track", "event": ""})),
            None,
            "event",
            "letters or digits",
        ),
        (
            with(json!({"type": "track", "event": "x", "properties": []})),
            None,
            "properties",
            "JSON object",
        ),
        (
            with(
                json!({"type": "track", "event": "Review Submitted", "properties": {"rating": 9, "tutorId": "t"}}),
            ),
            None,
            "properties.rating",
            "from 1 to 5",
        ),
        (
            with(json!({"type": "identify", "traits": "vip"})),
            None,
            "traits",
            "JSON object",
        ),
        (
            with(json!({"type": "page", "properties": 3})),
            None,
            "properties",
            "JSON object",
        ),
        (with(json!({"type": "group"})), None, "groupId", "required"),
        (
            with(json!({"type": "group", "groupId": 12})),
            None,
            "groupId",
            "non-empty string",
        ),
        (
            with(json!({"type": "group", "groupId": "g", "traits": 1})),
            None,
            "traits",
            "JSON object",
        ),
        (with(json!({})), Some(Kind::Alias), "previousId", "required"),
        (
            with(json!({"previousId": ""})),
            Some(Kind::Alias),
            "previousId",
            "non-empty string",
        ),
    ];
    for (msg, kind, field, fragment) in cases {
        let err = parse(&msg, kind, None, &window())
            .err()
            .unwrap_or_else(|| panic!("{msg} accepted"));
        assert_eq!(err.field, field, "{msg}");
        assert!(err.reason.contains(fragment), "{msg}: {}", err.reason);
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn kinds_for_routes() {
    let cases = [
        (Route::Events, None),
        (Route::SegmentBatch, None),
        (Route::SegmentTrack, Some(Kind::Track)),
        (Route::SegmentIdentify, Some(Kind::Identify)),
        (Route::SegmentPage, Some(Kind::Page)),
        (Route::SegmentScreen, Some(Kind::Screen)),
        (Route::SegmentGroup, Some(Kind::Group)),
        (Route::SegmentAlias, Some(Kind::Alias)),
    ];
    for (route, kind) in cases {
        assert_eq!(Kind::for_route(route), kind);
    }
}
