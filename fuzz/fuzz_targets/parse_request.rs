//! Fuzzes `events::parse_request`, the body parser every ingestion request goes through.
//!
//! Input layout: byte 0 picks the route, byte 1 the content type, byte 2 flags (gzip the
//! body, send `content-encoding`, add CloudEvents binary-mode headers), byte 3 the limits;
//! the rest is the body. It must never panic, and what it accepts must hold together: at
//! least one event, indexes inside the request, a report that adds up, and accepted events
//! that are accepted again, unchanged, when re-posted in the native shape.
#![no_main]

use std::io::Write;

use chrono::{DateTime, Utc};
use events::{IncomingBody, Limits, Route, parse_request};
use libfuzzer_sys::fuzz_target;

const CONTENT_TYPES: [&str; 9] = [
    "application/json",
    "application/json; charset=utf-8",
    "application/cloudevents+json",
    "application/cloudevents-batch+json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "application/json; charset=latin1",
    "text/csv",
    "",
];

const CE_HEADERS: [(&str, &str); 6] = [
    ("ce-specversion", "1.0"),
    ("ce-id", "fuzz-1"),
    ("ce-source", "/fuzz%20source"),
    ("ce-type", "com.tutoring.course.enrolled"),
    ("ce-time", "2024-05-01T10:00:00Z"),
    ("ce-subject", "stu-1"),
];

fn received_at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_714_564_800, 0).unwrap_or_default()
}

fuzz_target!(|data: &[u8]| {
    let [route, content_type, flags, limits, body @ ..] = data else {
        return;
    };
    let route = Route::ALL[usize::from(*route) % Route::ALL.len()];
    let content_type = CONTENT_TYPES[usize::from(*content_type) % CONTENT_TYPES.len()];
    let gzipped;
    let body = if flags & 1 == 1 {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let _ = encoder.write_all(body);
        gzipped = encoder.finish().unwrap_or_default();
        &gzipped[..]
    } else {
        body
    };
    let encoding = match (flags >> 1) & 3 {
        0 => None,
        1 => Some("gzip"),
        2 => Some("identity"),
        _ => Some("br"),
    };
    let headers: &[(&str, &str)] = if flags & 8 == 8 { &CE_HEADERS } else { &[] };
    let limits = match limits % 3 {
        0 => Limits::default(),
        1 => Limits {
            max_request_bytes: 512,
            max_event_bytes: 128,
            max_batch_events: 3,
        },
        _ => Limits {
            max_request_bytes: 4096,
            max_event_bytes: 1024,
            max_batch_events: 20,
        },
    };
    let mut request = IncomingBody::new(route, body, received_at()).with_headers(headers);
    if !content_type.is_empty() {
        request = request.with_content_type(content_type);
    }
    if let Some(encoding) = encoding {
        request = request.with_content_encoding(encoding);
    }

    let Ok(batch) = parse_request(&request, &limits) else {
        return;
    };
    assert!(!batch.events.is_empty());
    let count = batch.events.len() + batch.duplicates_in_batch + batch.rejected.len();
    assert!(count <= limits.max_batch_events.max(1));
    for e in &batch.events {
        assert!(e.index < count);
    }
    for r in &batch.rejected {
        assert!(r.index < count);
        assert!(r.message.starts_with(&r.field), "{r:?}");
    }
    let report = batch.report(0);
    assert_eq!(report.accepted, batch.events.len());

    // Re-posting what was accepted, in the native shape, gives the same events.
    if batch.events.iter().any(|e| e.event.source.is_some()) {
        return;
    }
    let events: Vec<_> = batch.events.iter().map(|e| &e.event).collect();
    let native = serde_json::to_vec(&events).unwrap_or_default();
    let again = IncomingBody::new(Route::Events, &native, received_at())
        .with_content_type("application/json");
    let relaxed = Limits {
        max_request_bytes: usize::MAX,
        max_event_bytes: usize::MAX,
        max_batch_events: usize::MAX,
    };
    let reparsed = parse_request(&again, &relaxed).unwrap_or_else(|e| panic!("{e}: {events:?}"));
    assert!(reparsed.rejected.is_empty(), "{:?}", reparsed.rejected);
    let reparsed: Vec<_> = reparsed.events.iter().map(|e| &e.event).collect();
    assert_eq!(reparsed, events);
});
