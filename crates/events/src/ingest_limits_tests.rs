//! Tests of encodings and size limits through `parse_request`.

use super::tests::{bytes, ids, native, run, track};
use super::*;
use crate::error::RejectionCode;
use crate::request::Route;
use crate::test_support::{gzip, received_at};
use serde_json::json;

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn gzip_bodies() {
    let body = bytes(&json!([native("n1"), native("n2")]));
    let gz = gzip(&body);
    for encoding in [Some("gzip"), None] {
        let mut req = IncomingBody::new(Route::Events, &gz, received_at())
            .with_content_type("application/json");
        req.content_encoding = encoding;
        assert_eq!(
            parse_request(&req, &Limits::default())
                .unwrap()
                .events
                .len(),
            2,
            "{encoding:?}"
        );
    }
    // the decompressed size is limited too
    let limits = Limits {
        max_request_bytes: body.len() - 1,
        ..Limits::default()
    };
    assert!(gz.len() < limits.max_request_bytes);
    let req = IncomingBody::new(Route::Events, &gz, received_at())
        .with_content_type("application/json")
        .with_content_encoding("gzip");
    let err = parse_request(&req, &limits).unwrap_err();
    assert_eq!(
        (err.status_code(), err.code()),
        (413, "decompressed_too_large")
    );
    let err = parse_request(&req.with_content_encoding("br"), &Limits::default()).unwrap_err();
    assert_eq!(err.status_code(), 415);
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn rudderstack_form_urlencoded_gzip_json() {
    let body = bytes(&json!({"batch": [track("r1")], "sentAt": "2024-05-01T11:00:00Z"}));
    let gz = gzip(&body);
    let ct = "application/x-www-form-urlencoded";
    for encoding in [Some("gzip"), None] {
        let mut req =
            IncomingBody::new(Route::SegmentBatch, &gz, received_at()).with_content_type(ct);
        req.content_encoding = encoding;
        let batch = parse_request(&req, &Limits::default()).unwrap();
        assert_eq!(ids(&batch), vec![(0, "r1".to_owned())]);
    }
    // a real form body under that label is refused with 415
    let err = run(Route::SegmentBatch, ct, b"a=1&b=2").unwrap_err();
    assert_eq!(err.status_code(), 415);
    // JSON-looking but broken: 400 with position
    let err = run(Route::SegmentBatch, ct, b"{\"batch\": [}").unwrap_err();
    assert_eq!(err.code(), "invalid_json");
    // the label is refused on /events
    assert_eq!(
        run(Route::Events, ct, &body).unwrap_err().status_code(),
        415
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn size_limits() {
    let one = bytes(&native("a"));
    let body = bytes(&json!([native("a"), native("b"), native("c")]));
    // raw request size
    let limits = Limits {
        max_request_bytes: one.len() - 1,
        ..Limits::default()
    };
    let req =
        IncomingBody::new(Route::Events, &one, received_at()).with_content_type("application/json");
    let err = parse_request(&req, &limits).unwrap_err();
    assert_eq!(
        err,
        IngestError::RequestTooLarge {
            actual: one.len(),
            limit: one.len() - 1
        }
    );
    let limits = Limits {
        max_request_bytes: one.len(),
        ..Limits::default()
    };
    assert!(parse_request(&req, &limits).is_ok());
    // batch length
    let limits = Limits {
        max_batch_events: 2,
        ..Limits::default()
    };
    let req = IncomingBody::new(Route::Events, &body, received_at())
        .with_content_type("application/json");
    assert_eq!(
        parse_request(&req, &limits).unwrap_err(),
        IngestError::TooManyEvents { count: 3, limit: 2 }
    );
    let limits = Limits {
        max_batch_events: 3,
        ..Limits::default()
    };
    assert_eq!(parse_request(&req, &limits).unwrap().events.len(), 3);
    // per-event: one big event among small ones is a rejection
    let mut big = native("big");
    big["properties"]["note"] = json!("x".repeat(200));
    let body = bytes(&json!([native("a"), big.clone()]));
    let limits = Limits {
        max_event_bytes: 190,
        ..Limits::default()
    };
    let req = IncomingBody::new(Route::Events, &body, received_at())
        .with_content_type("application/json");
    let batch = parse_request(&req, &limits).unwrap();
    assert_eq!(batch.events.len(), 1);
    let r = &batch.rejected[0];
    assert_eq!(
        (r.index, r.event_id.as_deref(), r.code),
        (1, Some("big"), RejectionCode::TooLarge)
    );
    assert!(r.message.starts_with("$: event is "), "{}", r.message);
    // every event too big: 413
    let body = bytes(&json!([big.clone(), big]));
    let req = IncomingBody::new(Route::Events, &body, received_at())
        .with_content_type("application/json");
    let err = parse_request(&req, &limits).unwrap_err();
    assert_eq!((err.status_code(), err.rejected().len()), (413, 2));
    // Segment messages are measured the same way
    let body = bytes(&json!({"batch": [track("m1")]}));
    let limits = Limits {
        max_event_bytes: 20,
        ..Limits::default()
    };
    let req = IncomingBody::new(Route::SegmentBatch, &body, received_at())
        .with_content_type("application/json");
    assert_eq!(
        parse_request(&req, &limits).unwrap_err().code(),
        "event_too_large"
    );
}
