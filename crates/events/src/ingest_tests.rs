//! Tests (table-driven: case tuples are spelled out inline).
#![allow(clippy::type_complexity)]

use super::*;
use crate::request::Route;
use crate::test_support::received_at;
use serde_json::{Value, json};

pub(super) fn native(id: &str) -> Value {
    json!({"eventId": id, "userId": "u1", "eventType": "course_enrolled",
           "timestamp": "2024-05-01T11:00:00Z", "properties": {"courseId": "c1"}})
}

pub(super) fn eventbridge(id: &str) -> Value {
    json!({"version": "0", "id": id, "detail-type": "CourseEnrolled", "source": "com.tutoring",
           "account": "1", "time": "2024-05-01T11:00:00Z", "region": "eu-west-1", "resources": [],
           "detail": {"userId": "u1", "courseId": "c1"}})
}

pub(super) fn cloudevent(id: &str, source: &str) -> Value {
    json!({"specversion": "1.0", "id": id, "source": source, "type": "com.tutoring.course.enrolled",
           "time": "2024-05-01T11:00:00Z", "data": {"userId": "u1", "courseId": "c1"}})
}

pub(super) fn track(id: &str) -> Value {
    json!({"type": "track", "messageId": id, "userId": "u1", "event": "Course Enrolled",
           "timestamp": "2024-05-01T11:00:00Z", "properties": {"courseId": "c1"}})
}

pub(super) fn run(route: Route, ct: &str, body: &[u8]) -> Result<ParsedBatch, IngestError> {
    let req = IncomingBody::new(route, body, received_at()).with_content_type(ct);
    parse_request(&req, &Limits::default())
}

pub(super) fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

pub(super) fn ids(batch: &ParsedBatch) -> Vec<(usize, String)> {
    batch
        .events
        .iter()
        .map(|e| (e.index, e.event.event_id.clone()))
        .collect()
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn every_format_is_accepted() {
    let json = "application/json";
    // (route, content type, body, expected (index, id) list)
    let cases: Vec<(Route, &str, Value, Vec<(usize, &str)>)> = vec![
        (Route::Events, json, native("n1"), vec![(0, "n1")]),
        (
            Route::Events,
            "application/json; charset=utf-8",
            json!([native("n1"), native("n2")]),
            vec![(0, "n1"), (1, "n2")],
        ),
        (Route::Events, json, eventbridge("eb1"), vec![(0, "eb1")]),
        (
            Route::Events,
            json,
            json!([eventbridge("eb1"), native("n1")]),
            vec![(0, "eb1"), (1, "n1")],
        ),
        (
            Route::Events,
            "application/cloudevents+json",
            cloudevent("c1", "/s"),
            vec![(0, "c1")],
        ),
        (
            Route::Events,
            "application/cloudevents-batch+json",
            json!([cloudevent("c1", "/s"), cloudevent("c2", "/s")]),
            vec![(0, "c1"), (1, "c2")],
        ),
        (
            Route::SegmentBatch,
            json,
            json!({"batch": [track("m1"), track("m2")], "sentAt": "2024-05-01T11:00:00Z"}),
            vec![(0, "m1"), (1, "m2")],
        ),
        (Route::SegmentTrack, json, track("m1"), vec![(0, "m1")]),
        (
            Route::SegmentTrack,
            "text/plain",
            track("m1"),
            vec![(0, "m1")],
        ),
    ];
    for (route, ct, body, expected) in cases {
        let batch = run(route, ct, &bytes(&body)).unwrap_or_else(|e| panic!("{route:?} {ct}: {e}"));
        let expected: Vec<(usize, String)> = expected
            .into_iter()
            .map(|(i, s)| (i, s.to_owned()))
            .collect();
        assert_eq!(ids(&batch), expected, "{route:?} {ct}");
        assert!(
            batch
                .events
                .iter()
                .all(|e| e.event.event_type == "course_enrolled")
        );
        assert!(batch.rejected.is_empty());
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn cloudevents_binary_mode() {
    let headers = [
        ("ce-specversion", "1.0"),
        ("ce-id", "b1"),
        ("ce-source", "/billing"),
        ("ce-type", "com.tutoring.payment.refunded"),
        ("ce-time", "2024-05-01T11:00:00Z"),
        ("ce-subject", "u5"),
    ];
    let body = bytes(&json!({"paymentId": "p1", "amount": 4500, "currency": "EUR"}));
    let req = IncomingBody::new(Route::Events, &body, received_at())
        .with_content_type("application/json")
        .with_headers(&headers);
    let batch = parse_request(&req, &Limits::default()).unwrap();
    let e = &batch.events[0].event;
    assert_eq!(
        (e.event_type.as_str(), e.user_id.as_str()),
        ("payment_refunded", "u5")
    );
    assert_eq!(e.dedup_key(), "/billing\u{1f}b1");

    // empty body: no data; unknown type is fine
    let headers_ping = [
        ("ce-specversion", "1.0"),
        ("ce-id", "b2"),
        ("ce-source", "/s"),
        ("ce-type", "ping"),
        ("ce-time", "2024-05-01T11:00:00Z"),
        ("ce-subject", "u5"),
    ];
    let req = IncomingBody::new(Route::Events, b"", received_at())
        .with_content_type("application/json")
        .with_headers(&headers_ping);
    assert_eq!(
        parse_request(&req, &Limits::default())
            .unwrap()
            .events
            .len(),
        1
    );

    // invalid data -> rejection -> 400 naming the field, with ce-id
    let bad = bytes(&json!({"paymentId": "p1", "amount": 12.5, "currency": "EUR"}));
    let req = IncomingBody::new(Route::Events, &bad, received_at())
        .with_content_type("application/json")
        .with_headers(&headers);
    let err = parse_request(&req, &Limits::default()).unwrap_err();
    assert_eq!(err.code(), "no_valid_events");
    assert_eq!(err.rejected()[0].field, "data.amount");
    assert_eq!(err.rejected()[0].event_id.as_deref(), Some("b1"));

    // non-JSON body -> 400 with position
    let req = IncomingBody::new(Route::Events, b"{oops", received_at())
        .with_content_type("application/json")
        .with_headers(&headers);
    assert_eq!(
        parse_request(&req, &Limits::default()).unwrap_err().code(),
        "invalid_json"
    );

    // body over the per-event limit -> 413
    let limits = Limits {
        max_event_bytes: 10,
        ..Limits::default()
    };
    let req = IncomingBody::new(Route::Events, &body, received_at())
        .with_content_type("application/json")
        .with_headers(&headers);
    let err = parse_request(&req, &limits).unwrap_err();
    assert_eq!((err.status_code(), err.code()), (413, "event_too_large"));
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn segment_identify_and_batch_sent_at() {
    let identify = json!({"type": "identify", "messageId": "i1", "anonymousId": "a1",
                          "traits": {"plan": "pro"}});
    let body = bytes(
        &json!({"batch": [identify, track("m1")], "sentAt": "2024-05-01T11:30:00Z",
                             "context": {"library": {"name": "rudder"}}}),
    );
    let batch = run(Route::SegmentBatch, "application/json", &body).unwrap();
    assert_eq!(batch.events.len(), 2);
    assert_eq!(batch.identifies.len(), 1);
    let identify = &batch.identifies[0];
    assert_eq!(
        (
            identify.index,
            identify.message_id.as_str(),
            identify.user_id.as_str()
        ),
        (0, "i1", "a1")
    );
    assert_eq!(identify.traits["plan"], "pro");
    assert_eq!(
        format_timestamp_of(identify.timestamp),
        "2024-05-01T11:30:00.000Z"
    );
    assert_eq!(batch.events[0].event.event_type, "user_identified");

    let single = bytes(
        &json!({"messageId": "i2", "userId": "u1", "timestamp": "2024-05-01T11:00:00Z",
                               "traits": {"email": "x@y.z"}}),
    );
    let batch = run(Route::SegmentIdentify, "application/json", &single).unwrap();
    assert_eq!(batch.identifies.len(), 1);
    assert_eq!(batch.identifies[0].user_id, "u1");
}

fn format_timestamp_of(t: chrono::DateTime<chrono::Utc>) -> String {
    crate::validate::format_timestamp(&t)
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn in_batch_duplicates_and_rejections() {
    let mut bad = native("n3");
    bad["properties"]["courseId"] = json!(5);
    let body = bytes(&json!([
        native("n1"),
        native("n1"),
        bad,
        native("n2"),
        native("n1"),
        eventbridge("n2")
    ]));
    let batch = run(Route::Events, "application/json", &body).unwrap();
    assert_eq!(
        ids(&batch),
        vec![(0, "n1".to_owned()), (3, "n2".to_owned())]
    );
    assert_eq!(batch.duplicates_in_batch, 3);
    assert_eq!(batch.rejected.len(), 1);
    let r = &batch.rejected[0];
    assert_eq!(
        (r.index, r.event_id.as_deref(), r.field.as_str()),
        (2, Some("n3"), "properties.courseId")
    );
    assert_eq!(
        r.message,
        "properties.courseId: expected a non-empty string, got 5"
    );
    let report = batch.report(1);
    assert_eq!(
        (report.accepted, report.duplicates, report.rejected.len()),
        (1, 4, 1)
    );

    // CloudEvents: same id from different sources are distinct; same source+id duplicates
    let body = bytes(&json!([
        cloudevent("x", "/a"),
        cloudevent("x", "/b"),
        cloudevent("x", "/a")
    ]));
    let batch = run(Route::Events, "application/cloudevents-batch+json", &body).unwrap();
    assert_eq!(batch.events.len(), 2);
    assert_eq!(batch.duplicates_in_batch, 1);

    // a rejected first copy does not make the valid second copy a duplicate
    let mut broken = native("d");
    broken["timestamp"] = json!("nope");
    let body = bytes(&json!([broken, native("d")]));
    let batch = run(Route::Events, "application/json", &body).unwrap();
    assert_eq!(ids(&batch), vec![(1, "d".to_owned())]);
    assert_eq!(batch.duplicates_in_batch, 0);
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn request_level_errors() {
    let json = "application/json";
    // (route, content type, body, status, code)
    let cases: Vec<(Route, &str, Vec<u8>, u16, &str)> = vec![
        (
            Route::Events,
            "text/csv",
            bytes(&native("a")),
            415,
            "unsupported_media_type",
        ),
        (Route::Events, json, b"".to_vec(), 400, "empty_body"),
        (
            Route::Events,
            json,
            b"{\"eventId\": }".to_vec(),
            400,
            "invalid_json",
        ),
        (Route::Events, json, b"42".to_vec(), 400, "invalid_body"),
        (Route::Events, json, b"[]".to_vec(), 400, "empty_batch"),
        (
            Route::Events,
            json,
            bytes(&json!([1, "x"])),
            400,
            "no_valid_events",
        ),
        (
            Route::Events,
            "application/cloudevents+json",
            bytes(&json!([cloudevent("a", "/s")])),
            400,
            "invalid_body",
        ),
        (
            Route::Events,
            "application/cloudevents-batch+json",
            bytes(&cloudevent("a", "/s")),
            400,
            "invalid_body",
        ),
        (
            Route::SegmentBatch,
            json,
            bytes(&json!([track("m")])),
            400,
            "invalid_body",
        ),
        (
            Route::SegmentBatch,
            json,
            bytes(&json!({"batch": {}})),
            400,
            "invalid_body",
        ),
        (
            Route::SegmentBatch,
            json,
            bytes(&json!({"batch": []})),
            400,
            "empty_batch",
        ),
        (
            Route::SegmentTrack,
            json,
            bytes(&json!([track("m")])),
            400,
            "invalid_body",
        ),
        (
            Route::SegmentTrack,
            json,
            bytes(&json!({"messageId": "m"})),
            400,
            "no_valid_events",
        ),
    ];
    for (route, ct, body, status, code) in cases {
        let err = run(route, ct, &body).unwrap_err();
        assert_eq!(
            (err.status_code(), err.code()),
            (status, code),
            "{route:?} {ct} {}",
            String::from_utf8_lossy(&body)
        );
    }
    let err = run(Route::Events, json, b"[\n  {\"eventId\": \"a\",}\n]").unwrap_err();
    assert_eq!(
        err,
        IngestError::InvalidJson {
            line: 2,
            column: 19,
            reason: "trailing comma".into()
        }
    );
    let err = run(Route::Events, "application/cloudevents+json", b"[]").unwrap_err();
    assert!(
        err.to_string()
            .contains("application/cloudevents-batch+json"),
        "{err}"
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn segment_rejection_ids_and_paths() {
    let mut bad = track("m2");
    bad["event"] = json!("Review Submitted");
    bad["properties"] = json!({"rating": "5"});
    let body = bytes(&json!({"batch": [track("m1"), bad, {"type": "track"}]}));
    let batch = run(Route::SegmentBatch, "application/json", &body).unwrap();
    assert_eq!(batch.rejected.len(), 2);
    assert_eq!(batch.rejected[0].event_id.as_deref(), Some("m2"));
    assert_eq!(batch.rejected[0].field, "properties.rating");
    assert_eq!(batch.rejected[1].index, 2);
    assert_eq!(batch.rejected[1].event_id, None);
    assert_eq!(batch.rejected[1].field, "messageId");
}
