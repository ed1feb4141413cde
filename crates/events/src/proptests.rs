//! Property tests (native only: proptest does not run on wasm32).

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Map, Value, json};

use crate::catalog::KnownType;
use crate::catalog::tests::valid_properties;
use crate::test_support::{gzip, received_at};
use crate::{
    AnalyticsEvent, IncomingBody, Limits, Route, canonical_event_type, names, parse_request,
};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::String),
        "\\PC{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn snake_name() -> impl Strategy<Value = String> {
    prop::collection::vec("[a-z][a-z0-9]{1,7}", 1..4).prop_map(|words| words.join("_"))
}

fn timestamp() -> impl Strategy<Value = DateTime<Utc>> {
    let start = Utc
        .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .unwrap()
        .timestamp_millis();
    let end = (received_at() + Duration::days(1)).timestamp_millis();
    (start..=end).prop_map(|ms| DateTime::from_timestamp_millis(ms).unwrap())
}

/// A valid event, in canonical form (what the parser produces).
fn canonical_event() -> impl Strategy<Value = AnalyticsEvent> {
    let unknown = (
        snake_name().prop_filter("not a catalog type", |n| KnownType::from_name(n).is_none()),
        prop::collection::btree_map("[a-zA-Z]{1,8}", json_value(), 0..5),
    )
        .prop_map(|(name, props)| (name, props.into_iter().collect::<Map<String, Value>>()));
    let known = prop::sample::select(KnownType::ALL).prop_map(|t| {
        let mut props = valid_properties(t).as_object().cloned().unwrap_or_default();
        if props.contains_key("startsAt") {
            props.insert("startsAt".into(), json!("2024-05-03T10:00:00.000Z"));
        }
        (t.as_str().to_owned(), props)
    });
    (
        "[A-Za-z0-9_.:-]{1,128}",
        "[A-Za-z0-9_@.-]{1,64}",
        prop_oneof![unknown, known],
        timestamp(),
    )
        .prop_map(
            |(event_id, user_id, (event_type, properties), timestamp)| AnalyticsEvent {
                event_id,
                user_id,
                event_type,
                timestamp,
                properties,
                source: None,
            },
        )
}

fn parse_native(body: &[u8]) -> Result<crate::ParsedBatch, crate::IngestError> {
    let req =
        IncomingBody::new(Route::Events, body, received_at()).with_content_type("application/json");
    parse_request(&req, &Limits::default())
}

const CONTENT_TYPES: [&str; 5] = [
    "application/json",
    "application/cloudevents+json",
    "application/cloudevents-batch+json",
    "application/x-www-form-urlencoded",
    "text/plain",
];

proptest! {
    #[test]
    fn native_events_round_trip(events in prop::collection::vec(canonical_event(), 1..5)) {
        let body = serde_json::to_vec(&events).unwrap();
        let batch = parse_native(&body).unwrap();
        let mut expected = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for e in &events {
            if seen.insert(e.event_id.clone()) {
                expected.push(e.clone());
            }
        }
        let parsed: Vec<AnalyticsEvent> = batch.events.into_iter().map(|e| e.event).collect();
        prop_assert_eq!(parsed, expected);
        prop_assert_eq!(batch.duplicates_in_batch, events.len() - seen.len());
    }

    #[test]
    fn parse_never_panics_on_bytes(
        body in prop::collection::vec(any::<u8>(), 0..512),
        route in prop::sample::select(Route::ALL),
        ct in prop::sample::select(&CONTENT_TYPES[..]),
        zip in any::<bool>(),
        ce in any::<bool>(),
    ) {
        let body = if zip { gzip(&body) } else { body };
        let headers = [("ce-specversion", "1.0"), ("ce-id", "x")];
        let mut req = IncomingBody::new(route, &body, received_at()).with_content_type(ct);
        if ce {
            req = req.with_headers(&headers);
        }
        let _ = parse_request(&req, &Limits::default());
    }

    #[test]
    fn parse_never_panics_on_json_and_accounts_for_every_item(
        value in json_value(),
        items in prop::collection::vec(json_value(), 0..6),
        route in prop::sample::select(Route::ALL),
        ct in prop::sample::select(&CONTENT_TYPES[..]),
    ) {
        for body in [json!(value), json!(items.clone()), json!({"batch": items.clone()})] {
            let bytes = serde_json::to_vec(&body).unwrap();
            let req = IncomingBody::new(route, &bytes, received_at()).with_content_type(ct);
            match parse_request(&req, &Limits::default()) {
                Ok(batch) => {
                    prop_assert!(!batch.events.is_empty());
                    let total = batch.events.len() + batch.duplicates_in_batch + batch.rejected.len();
                    let count = match &body {
                        Value::Array(a) => a.len(),
                        Value::Object(o) if route == Route::SegmentBatch => {
                            o.get("batch").and_then(Value::as_array).map_or(1, Vec::len)
                        }
                        _ => 1,
                    };
                    prop_assert_eq!(total, count);
                }
                Err(err) => {
                    prop_assert!([400, 404, 413, 415].contains(&err.status_code()));
                    for r in err.rejected() {
                        let prefix = format!("{}: ", r.field);
                        prop_assert!(r.message.starts_with(&prefix));
                    }
                }
            }
        }
    }

    #[test]
    fn canonical_names_are_idempotent(name in "\\PC{0,40}") {
        if let Ok(canonical) = canonical_event_type(&name) {
            prop_assert_eq!(canonical_event_type(&canonical), Ok(canonical.clone()));
            prop_assert!(canonical.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
        }
    }

    #[test]
    fn pascal_and_snake_round_trip(snake in snake_name()) {
        let pascal = names::pascal_case(&snake);
        prop_assert_eq!(names::snake_case(&pascal), snake.clone());
        prop_assert_eq!(canonical_event_type(&pascal), canonical_event_type(&snake));
        prop_assert_eq!(names::pascal_case(&names::snake_case(&pascal)), pascal);
    }

    #[test]
    fn k_duplicates_are_reported(
        distinct in 1usize..15,
        picks in prop::collection::vec(any::<Index>(), 0..15),
        order_seed in any::<u64>(),
    ) {
        let mut ids: Vec<String> = (0..distinct).map(|i| format!("evt-{i}")).collect();
        ids.extend(picks.iter().map(|p| format!("evt-{}", p.index(distinct))));
        // deterministic shuffle
        let mut state = order_seed | 1;
        for i in (1..ids.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let j = usize::try_from(state % (i as u64 + 1)).unwrap();
            ids.swap(i, j);
        }
        let events: Vec<Value> = ids
            .iter()
            .map(|id| json!({"eventId": id, "userId": "u", "eventType": "ping", "timestamp": "2024-05-01T00:00:00Z"}))
            .collect();
        let batch = parse_native(&serde_json::to_vec(&events).unwrap()).unwrap();
        prop_assert_eq!(batch.duplicates_in_batch, picks.len());
        prop_assert_eq!(batch.events.len(), distinct);
        prop_assert_eq!(batch.report(0).duplicates, picks.len());
    }
}
