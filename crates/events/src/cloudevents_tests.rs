use super::*;
use crate::request::Route;
use crate::test_support::received_at;
use serde_json::json;

fn window() -> TimeWindow {
    TimeWindow::new(received_at())
}

fn structured() -> Value {
    json!({
        "specversion": "1.0", "id": "ce-1", "source": "/tutoring/app", "type": "com.tutoring.course.enrolled",
        "time": "2024-05-01T10:00:00Z", "datacontenttype": "application/json",
        "data": {"userId": "u1", "courseId": "c1"}
    })
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn structured_valid() {
    let e = parse_structured(&structured(), &window()).unwrap();
    assert_eq!(e.event_id, "ce-1");
    assert_eq!(e.source.as_deref(), Some("/tutoring/app"));
    assert_eq!(e.event_type, "course_enrolled");
    assert_eq!(e.user_id, "u1");
    assert_eq!(
        e.properties,
        json!({"courseId": "c1"}).as_object().cloned().unwrap()
    );
    assert_eq!(e.dedup_key(), "/tutoring/app\u{1f}ce-1");
    assert_eq!(id_hint(&structured()).as_deref(), Some("ce-1"));
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn structured_user_from_subject_and_datacontenttype_variants() {
    let mut v = structured();
    v["data"] = json!({"courseId": "c1"});
    v["subject"] = json!("u9");
    v["datacontenttype"] = json!("application/vnd.x+json; charset=utf-8");
    let e = parse_structured(&v, &window()).unwrap();
    assert_eq!(e.user_id, "u9");
    // data.userId wins over subject
    v["data"]["userId"] = json!("u1");
    assert_eq!(parse_structured(&v, &window()).unwrap().user_id, "u1");
    // no data at all, unknown type, subject as user
    let v = json!({"specversion": "1.0", "id": "x", "source": "s", "type": "ping",
                   "time": "2024-05-01T10:00:00Z", "subject": "u"});
    let e = parse_structured(&v, &window()).unwrap();
    assert!(e.properties.is_empty());
    assert_eq!(e.event_type, "ping");
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn structured_invalid_table() {
    // (key, value or None to remove, expected field, reason fragment)
    let cases: Vec<(&str, Option<Value>, &str, &str)> = vec![
        ("specversion", None, "specversion", "required but missing"),
        (
            "specversion",
            Some(json!("0.3")),
            "specversion",
            "expected \"1.0\", got \"0.3\"",
        ),
        (
            "specversion",
            Some(json!(1.0)),
            "specversion",
            "expected \"1.0\"",
        ),
        ("id", None, "id", "required"),
        ("id", Some(json!("")), "id", "non-empty string"),
        ("source", None, "source", "required"),
        (
            "source",
            Some(json!("s".repeat(513))),
            "source",
            "longer than 512",
        ),
        ("type", Some(json!(42)), "type", "event type name"),
        ("time", None, "time", "required"),
        ("time", Some(json!("2024-05-01")), "time", "RFC 3339"),
        (
            "datacontenttype",
            Some(json!("text/plain")),
            "datacontenttype",
            "expected a JSON media type",
        ),
        (
            "datacontenttype",
            Some(json!(7)),
            "datacontenttype",
            "got 7",
        ),
        (
            "data_base64",
            Some(json!("AAAA")),
            "data_base64",
            "not supported",
        ),
        (
            "data",
            Some(json!("text")),
            "data",
            "expected a JSON object",
        ),
        (
            "data",
            Some(json!({"courseId": "c1"})),
            "data.userId",
            "required (or the subject attribute)",
        ),
        (
            "data",
            Some(json!({"userId": 1, "courseId": "c1"})),
            "data.userId",
            "non-empty string",
        ),
        (
            "data",
            Some(json!({"userId": "u"})),
            "data.courseId",
            "required for course_enrolled",
        ),
    ];
    for (key, value, field, fragment) in cases {
        let mut v = structured();
        let obj = v.as_object_mut().unwrap();
        match value {
            Some(x) => obj.insert(key.to_owned(), x),
            None => obj.remove(key),
        };
        let err = parse_structured(&v, &window()).unwrap_err();
        assert_eq!(err.field, field, "{key}");
        assert!(err.reason.contains(fragment), "{key}: {}", err.reason);
    }
    let mut v = structured();
    v["data"] = json!({"courseId": "c1"});
    v["subject"] = json!("");
    assert_eq!(
        parse_structured(&v, &window()).unwrap_err().field,
        "subject"
    );
    assert_eq!(
        parse_structured(&json!([]), &window()).unwrap_err().field,
        "$"
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn binary_mode() {
    let headers = [
        ("Ce-Specversion", "1.0"),
        ("ce-id", "b%201"),
        ("ce-source", "%2Ftutoring%2Fapp"),
        ("ce-type", "session.cancelled"),
        ("ce-time", "2024-05-01T10:00:00Z"),
        ("ce-subject", "u7"),
        ("x-other", "ignored"),
    ];
    let body = json!({"sessionId": "s1", "tutorId": "t1", "subject": "math"});
    let req = IncomingBody::new(Route::Events, b"", received_at()).with_headers(&headers);
    let e = parse_binary(&req, Some(&body), &window()).unwrap();
    assert_eq!(e.event_id, "b 1");
    assert_eq!(e.source.as_deref(), Some("/tutoring/app"));
    assert_eq!(e.event_type, "session_cancelled");
    assert_eq!(e.user_id, "u7");
    assert_eq!(binary_id_hint(&req).as_deref(), Some("b 1"));

    let missing = [("ce-specversion", "1.0"), ("ce-source", "s")];
    let req = IncomingBody::new(Route::Events, b"", received_at()).with_headers(&missing);
    let err = parse_binary(&req, None, &window()).unwrap_err();
    assert_eq!(err.field, "ce-id");
    assert_eq!(binary_id_hint(&req), None);

    let no_user = [
        ("ce-specversion", "1.0"),
        ("ce-id", "1"),
        ("ce-source", "s"),
        ("ce-type", "ping"),
        ("ce-time", "2024-05-01T10:00:00Z"),
    ];
    let req = IncomingBody::new(Route::Events, b"", received_at()).with_headers(&no_user);
    let err = parse_binary(&req, None, &window()).unwrap_err();
    assert_eq!(err.field, "data.userId");
    assert!(err.reason.contains("ce-subject"), "{}", err.reason);
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn percent_decode_table() {
    let cases = [
        ("plain", "plain"),
        ("a%20b", "a b"),
        ("%E2%82%AC", "€"),
        ("100%", "100%"),
        ("%zz", "%zz"),
        ("%4", "%4"),
        ("%FF", "%FF"),
        ("", ""),
    ];
    for (raw, decoded) in cases {
        assert_eq!(percent_decode(raw), decoded, "{raw}");
    }
}
