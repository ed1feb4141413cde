//! Every body format and route, every catalog type, and what each stores.

use super::*;
use demo::{BodyFormat, DemoConfig, encode_batch, generate};
use events::KnownType;

#[test]
fn native_events_are_stored_with_arrival_time_sequence_and_normalized_fields() {
    let host = ingest_host().start();
    let db = Db::of(&host);
    let before = chrono::Utc::now();
    let one = json!({
        "eventId": "evt-1", "userId": "stu-42", "eventType": "SessionBooked",
        "timestamp": "2024-05-01T10:15:00.123456+02:00", "extra": "ignored",
        "properties": {"sessionId": "ses-9", "tutorId": "tut-7", "subject": "math",
                       "startsAt": "2024-05-03T18:00:00+02:00", "amount": 4500, "currency": "EUR",
                       "note": "kept as sent"}});
    assert_report(&post_json(&host, &one), 1, 0);
    let row = db.event("evt-1");
    assert_eq!(row["user_id"], "stu-42");
    assert_eq!(row["event_type"], "session_booked");
    assert_eq!(row["source"], "");
    assert_eq!(row["timestamp"], "2024-05-01T08:15:00.123Z");
    assert_eq!(row["timestamp_ms"], 1_714_551_300_123_i64);
    assert_eq!(row["properties"]["startsAt"], "2024-05-03T16:00:00.000Z");
    assert_eq!(row["properties"]["note"], "kept as sent");
    assert_eq!(row["properties"]["amount"], 4500);
    let received = chrono::DateTime::parse_from_rfc3339(row["received_at"].as_str().unwrap())
        .unwrap()
        .to_utc();
    let after = chrono::Utc::now();
    let slack = chrono::Duration::milliseconds(1);
    assert!(
        received >= before - slack && received <= after + slack,
        "{received}"
    );
    assert_eq!(row["received_at"].as_str().unwrap().len(), 24);

    // An array; each spelling of a type name is stored canonically, in request order.
    let array = json!([
        native("evt-2", "CourseEnrolled", json!({"courseId": "alg-1"})),
        native("evt-3", "lesson-completed", json!({"courseId": "alg-1", "lessonId": "l-1"})),
        native("evt-4", "Quiz Started", json!({})),
        {"eventId": "evt-5", "userId": "stu-42", "eventType": "course_completed",
         "timestamp": "2024-05-02T10:00:00Z", "properties": {"courseId": "alg-1"}},
    ]);
    assert_report(&post_json(&host, &array), 4, 0);
    assert_eq!(db.ids(), ["evt-1", "evt-2", "evt-3", "evt-4", "evt-5"]);
    let types = db.rows("SELECT event_type FROM analytics_events ORDER BY seq");
    let types: Vec<&str> = types.iter().map(|r| r[0].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "session_booked",
            "course_enrolled",
            "lesson_completed",
            "quiz_started",
            "course_completed"
        ]
    );
    let seqs = db.rows("SELECT seq FROM analytics_events ORDER BY seq");
    let seqs: Vec<i64> = seqs.iter().map(|r| r[0].as_i64().unwrap()).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
    // Missing or null properties are stored as {}.
    assert_eq!(db.event("evt-4")["properties"], json!({}));
}

#[test]
fn eventbridge_envelopes_alone_and_mixed_with_native_events() {
    let host = ingest_host().start();
    let db = Db::of(&host);
    let envelope = |id: &str| {
        json!({"version": "0", "id": id, "detail-type": "PaymentSucceeded",
               "source": "com.tutoring.billing", "account": "111122223333",
               "time": "2024-05-01T08:16:00Z", "region": "eu-west-1", "resources": [],
               "detail": {"userId": "stu-42", "paymentId": "pay-1", "amount": 4500,
                          "currency": "EUR", "product": "session", "sessionId": "ses-9"}})
    };
    assert_report(&post_json(&host, &envelope("eb-1")), 1, 0);
    let row = db.event("eb-1");
    assert_eq!(row["event_type"], "payment_succeeded");
    assert_eq!(row["user_id"], "stu-42");
    assert_eq!(row["source"], "");
    assert_eq!(row["timestamp"], "2024-05-01T08:16:00.000Z");
    assert_eq!(row["properties"].get("userId"), None);
    assert_eq!(row["properties"]["paymentId"], "pay-1");

    let mixed = json!([envelope("eb-2"), enrolled("nat-1")]);
    assert_report(&post_json(&host, &mixed), 2, 0);
    assert_eq!(db.ids(), ["eb-1", "eb-2", "nat-1"]);
}

#[test]
fn cloudevents_structured_batch_and_binary_modes() {
    let host = ingest_host().start();
    let db = Db::of(&host);
    let structured = json!({"specversion": "1.0", "id": "ce-1", "source": "/tutoring/courses",
        "type": "com.tutoring.course.published", "time": "2024-05-01T08:00:00Z",
        "subject": "tut-7", "datacontenttype": "application/json",
        "data": {"courseId": "alg-1", "title": "Algebra I", "description": "Linear equations",
                 "subject": "math", "level": "beginner", "prerequisites": [], "hours": 12.5,
                 "price": 9900, "currency": "USD"}});
    let reply = post_with(
        &host,
        "/events",
        &[(
            "content-type",
            "application/cloudevents+json; charset=utf-8",
        )],
        structured.to_string().as_bytes(),
    );
    assert_report(&reply, 1, 0);
    let row = db.event("ce-1");
    assert_eq!(row["source"], "/tutoring/courses");
    assert_eq!(row["user_id"], "tut-7");
    assert_eq!(row["event_type"], "course_published");
    assert_eq!(row["properties"]["hours"], 12.5);

    let batch = json!([
        {"specversion": "1.0", "id": "ce-2", "source": "/tutoring/app", "type": "session.completed",
         "time": "2024-05-03T17:00:00Z",
         "data": {"userId": "stu-42", "sessionId": "ses-9", "tutorId": "tut-7", "subject": "math"}},
        {"specversion": "1.0", "id": "ce-3", "source": "/tutoring/app", "type": "review.submitted",
         "time": "2024-05-03T17:05:00Z", "data": {"userId": "stu-42", "rating": 5, "tutorId": "tut-7"}},
    ]);
    let reply = post_with(
        &host,
        "/events",
        &[("content-type", "application/cloudevents-batch+json")],
        batch.to_string().as_bytes(),
    );
    assert_report(&reply, 2, 0);
    assert_eq!(db.event("ce-2")["user_id"], "stu-42");
    assert_eq!(db.event("ce-2")["properties"].get("userId"), None);

    let binary = [
        ("content-type", "application/json"),
        ("ce-specversion", "1.0"),
        ("ce-id", "ce-4"),
        ("ce-source", "/tutoring/billing%20eu"),
        ("ce-type", "com.tutoring.payment.refunded"),
        ("ce-time", "2024-05-04T10:00:00Z"),
        ("ce-subject", "stu-42"),
    ];
    let data = br#"{"paymentId":"pay-1","amount":4500,"currency":"EUR"}"#;
    assert_report(&post_with(&host, "/events", &binary, data), 1, 0);
    let row = db.event("ce-4");
    assert_eq!(row["source"], "/tutoring/billing eu");
    assert_eq!(row["event_type"], "payment_refunded");
    assert_eq!(row["properties"]["amount"], 4500);
}

#[test]
fn gzip_bodies_with_and_without_a_content_encoding() {
    let host = ingest_host().start();
    let db = Db::of(&host);
    let body = gzip(
        json!([enrolled("gz-1"), enrolled("gz-2")])
            .to_string()
            .as_bytes(),
    );
    let headers = [
        ("content-type", "application/json"),
        ("content-encoding", "gzip"),
    ];
    assert_report(&post_with(&host, "/events", &headers, &body), 2, 0);
    // Gzip magic bytes are recognized without the header too.
    let body = gzip(enrolled("gz-3").to_string().as_bytes());
    let headers = [("content-type", "application/json")];
    assert_report(&post_with(&host, "/events", &headers, &body), 1, 0);
    let body = gzip(
        json!([{"specversion": "1.0", "id": "gz-4", "source": "/s", "type": "course.enrolled",
                "time": "2024-05-01T10:00:00Z", "subject": "stu-1", "data": {"courseId": "c"}}])
        .to_string()
        .as_bytes(),
    );
    let headers = [
        ("content-type", "application/cloudevents-batch+json"),
        ("content-encoding", "x-gzip"),
    ];
    assert_report(&post_with(&host, "/events", &headers, &body), 1, 0);
    assert_eq!(db.ids(), ["gz-1", "gz-2", "gz-3", "gz-4"]);
}

#[test]
fn segment_batch_single_message_routes_and_rudderstack_framing() {
    let host = ingest_host().start();
    let db = Db::of(&host);
    let basic = |key: &str| {
        use base64::Engine;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
        )
    };
    let auth = basic(KEY);
    let seg = |path: &str, content_type: &str, body: &[u8], extra: &[(&str, &str)]| {
        let mut headers = vec![
            ("authorization", auth.as_str()),
            ("content-type", content_type),
        ];
        headers.extend_from_slice(extra);
        send("POST", &host.url(path), &headers, body)
    };
    let batch = json!({"batch": [
        {"type": "track", "messageId": "m-1", "anonymousId": "anon-1", "event": "Lesson Completed",
         "properties": {"courseId": "alg-1", "lessonId": "l-2"}, "timestamp": "2024-05-01T09:00:00Z"},
        {"type": "identify", "messageId": "m-2", "userId": "stu-42", "traits": {"plan": "pro", "country": "FR"}},
        {"type": "page", "messageId": "m-3", "userId": "stu-42", "name": "Pricing", "properties": {"path": "/pricing"},
         "timestamp": "2024-05-01T09:00:01Z"},
        {"type": "screen", "messageId": "m-4", "userId": "stu-42", "name": "Home", "timestamp": "2024-05-01T09:00:02Z"},
        {"type": "group", "messageId": "m-5", "userId": "stu-42", "groupId": "school-1", "traits": {"name": "Lycée"},
         "timestamp": "2024-05-01T09:00:03Z"},
        {"type": "alias", "messageId": "m-6", "userId": "stu-42", "previousId": "anon-1", "timestamp": "2024-05-01T09:00:04Z"}],
        "sentAt": "2024-05-01T09:00:05Z", "context": {"library": {"name": "analytics-node"}}});
    let reply = seg(
        "/v1/batch",
        "application/json",
        batch.to_string().as_bytes(),
        &[],
    );
    assert_report(&reply, 6, 0);
    let m1 = db.event("m-1");
    assert_eq!(
        (&m1["user_id"], &m1["event_type"]),
        (&json!("anon-1"), &json!("lesson_completed"))
    );
    let m2 = db.event("m-2");
    assert_eq!(m2["event_type"], "user_identified");
    assert_eq!(m2["timestamp"], "2024-05-01T09:00:05.000Z");
    assert_eq!(db.event("m-3")["properties"]["name"], "Pricing");
    assert_eq!(db.event("m-4")["event_type"], "screen_viewed");
    assert_eq!(db.event("m-5")["properties"]["groupId"], "school-1");
    assert_eq!(db.event("m-6")["properties"]["previousId"], "anon-1");
    assert_eq!(
        db.traits("stu-42"),
        Some(json!({"plan": "pro", "country": "FR"}))
    );

    let single = |path: &str, id: &str, extra: Value| {
        let mut message =
            json!({"messageId": id, "userId": "stu-43", "timestamp": "2024-06-01T12:00:00Z"});
        for (k, v) in extra.as_object().unwrap() {
            message[k] = v.clone();
        }
        seg(path, "text/plain", message.to_string().as_bytes(), &[])
    };
    let routes = [
        (
            "/v1/track",
            json!({"event": "CourseCompleted", "properties": {"courseId": "alg-1"}}),
        ),
        ("/v1/identify", json!({"traits": {"plan": "free"}})),
        ("/v1/page", json!({"name": "Docs"})),
        ("/v1/screen", json!({"name": "Settings"})),
        ("/v1/group", json!({"groupId": "g-1"})),
        ("/v1/alias", json!({"previousId": "anon-2"})),
    ];
    for (i, (path, extra)) in routes.iter().enumerate() {
        assert_report(&single(path, &format!("s-{i}"), extra.clone()), 1, 0);
    }
    assert_eq!(db.event("s-0")["event_type"], "course_completed");
    assert_eq!(db.traits("stu-43"), Some(json!({"plan": "free"})));

    // /v1/import is /v1/batch; RudderStack's Node SDK gzips JSON under a form label.
    let rudder = gzip(
        json!({"batch": [{"type": "identify", "messageId": "m-7", "userId": "stu-42",
               "traits": {"plan": "team"}, "originalTimestamp": "2024-05-02T09:00:00Z"}]})
        .to_string()
        .as_bytes(),
    );
    let reply = seg(
        "/v1/import",
        "application/x-www-form-urlencoded",
        &rudder,
        &[("content-encoding", "gzip")],
    );
    assert_report(&reply, 1, 0);
    assert_eq!(
        db.traits("stu-42"),
        Some(json!({"plan": "team", "country": "FR"}))
    );
    // Basic auth with neither a user name nor a password is no key.
    let empty = basic("");
    let headers = [
        ("authorization", empty.as_str()),
        ("content-type", "application/json"),
    ];
    let reply = send("POST", &host.url("/v1/track"), &headers, b"{}");
    assert_error(&reply, 401, "unauthorized");
}

/// A minimal valid event of each catalog type.
fn catalog_sample(t: KnownType) -> Value {
    let p = match t.as_str() {
        "user_registered" => json!({"role": "student", "country": "FR"}),
        "student_goal_set" => json!({"goal": "pass the exam", "subjects": ["math"]}),
        "tutor_profile_updated" => json!({"name": "Ada", "subjects": ["math"], "bio": "PhD",
            "languages": ["en"], "hourlyRate": 3000, "currency": "EUR"}),
        "course_published" => json!({"courseId": "c-1", "title": "Algebra", "description": "d",
            "subject": "math", "level": "beginner", "hours": 10, "price": 9900, "currency": "USD"}),
        "session_booked" => json!({"sessionId": "s-1", "tutorId": "t-1", "subject": "math",
            "startsAt": "2024-05-03T16:00:00Z", "amount": 4500, "currency": "EUR"}),
        "session_completed" | "session_cancelled" => {
            json!({"sessionId": "s-1", "tutorId": "t-1", "subject": "math"})
        }
        "payment_succeeded" => json!({"paymentId": "p-1", "amount": 4500, "currency": "EUR",
            "product": "course", "courseId": "c-1"}),
        "payment_refunded" => json!({"paymentId": "p-1", "amount": 4500, "currency": "EUR"}),
        "course_enrolled" | "course_completed" => json!({"courseId": "c-1"}),
        "lesson_completed" => json!({"courseId": "c-1", "lessonId": "l-1"}),
        "review_submitted" => json!({"rating": 4, "courseId": "c-1"}),
        "user_identified" => json!({"plan": "pro"}),
        "page_viewed" | "screen_viewed" => json!({"name": "Home"}),
        "group_joined" => json!({"groupId": "g-1"}),
        "user_aliased" => json!({"previousId": "anon-1"}),
        other => panic!("no sample for catalog type {other}: add one"),
    };
    native(&format!("cat-{}", t.as_str()), t.as_str(), p)
}

#[test]
fn every_catalog_type_is_accepted_and_a_missing_required_property_is_named() {
    let host = ingest_host().start();
    let db = Db::of(&host);
    let samples: Vec<Value> = KnownType::ALL.iter().map(|t| catalog_sample(*t)).collect();
    assert_report(
        &post_json(&host, &Value::Array(samples)),
        KnownType::ALL.len() as u64,
        0,
    );
    for t in KnownType::ALL {
        let row = db.event(&format!("cat-{}", t.as_str()));
        assert_eq!(row["event_type"], t.as_str());
    }
    // For each type with required properties, dropping one is a rejection naming it.
    let broken: Vec<(String, Value)> = KnownType::ALL
        .iter()
        .filter_map(|t| {
            let field = *t.required_properties().first()?;
            let mut event = catalog_sample(*t);
            event["eventId"] = json!(format!("bad-{}", t.as_str()));
            event["properties"].as_object_mut()?.remove(field);
            Some((format!("properties.{field}"), event))
        })
        .collect();
    let body = Value::Array(broken.iter().map(|(_, e)| e.clone()).collect());
    let reply = post_json(&host, &body);
    let message = assert_error(&reply, 400, "no_valid_events");
    assert!(
        message.contains(&format!("{} rejected", broken.len())),
        "{message}"
    );
    let rejected = reply.json()["error"]["rejected"]
        .as_array()
        .unwrap()
        .clone();
    for (i, (field, event)) in broken.iter().enumerate() {
        assert_eq!(rejected[i]["index"], i);
        assert_eq!(rejected[i]["eventId"], event["eventId"]);
        assert_eq!(&rejected[i]["field"], field);
        assert!(
            rejected[i]["message"]
                .as_str()
                .unwrap()
                .starts_with(field.as_str()),
            "{}",
            rejected[i]
        );
    }
    assert_eq!(db.count(), KnownType::ALL.len() as i64);
}

#[test]
fn a_demo_platform_history_in_all_three_wire_formats() {
    let host = ingest_host().start();
    let db = Db::of(&host);
    let history: Vec<_> = generate(&DemoConfig::small()).take(600).collect();
    for (i, chunk) in history.chunks(100).enumerate() {
        let (content_type, body) = encode_batch(chunk, BodyFormat::rotating(i));
        let reply = post_with(&host, "/events", &[("content-type", content_type)], &body);
        assert_report(&reply, chunk.len() as u64, 0);
    }
    assert_eq!(db.count(), 600);
    let stored = db.ids();
    let sent: Vec<&str> = history.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(stored, sent);
    let first = &history[0];
    let row = db.event(&first.event_id);
    assert_eq!(row["user_id"], first.user_id.as_str());
    assert_eq!(row["event_type"], first.event_type.as_str());
}
