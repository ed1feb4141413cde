//! Wire encodings of [`DemoEvent`]s: native JSON, AWS EventBridge API-destination
//! envelopes and CloudEvents 1.0 (batch mode), plus decoders for each so tests
//! can check that every format carries the same information.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::event::{DemoEvent, EventType};

/// The account id written into EventBridge envelopes.
pub const EVENTBRIDGE_ACCOUNT: &str = "123456789012";
/// The region written into EventBridge envelopes.
pub const EVENTBRIDGE_REGION: &str = "us-east-1";

/// One of the three request-body formats the ingestion endpoint accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyFormat {
    /// A JSON array of native events (`application/json`).
    Native,
    /// A JSON array of EventBridge API-destination envelopes (`application/json`).
    EventBridge,
    /// A CloudEvents 1.0 batch (`application/cloudevents-batch+json`).
    CloudEventsBatch,
}

impl BodyFormat {
    /// All formats, in rotation order.
    pub const ALL: [BodyFormat; 3] = [
        BodyFormat::Native,
        BodyFormat::EventBridge,
        BodyFormat::CloudEventsBatch,
    ];

    /// The `content-type` header for a body in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            BodyFormat::Native | BodyFormat::EventBridge => "application/json",
            BodyFormat::CloudEventsBatch => "application/cloudevents-batch+json",
        }
    }

    /// The format for the `index`-th batch when rotating through all three.
    pub fn rotating(index: usize) -> BodyFormat {
        Self::ALL[index % Self::ALL.len()]
    }

    /// Encodes one event in this format.
    pub fn encode(self, event: &DemoEvent) -> Value {
        match self {
            BodyFormat::Native => to_native(event),
            BodyFormat::EventBridge => to_eventbridge(event),
            BodyFormat::CloudEventsBatch => to_cloudevent(event),
        }
    }

    /// Decodes one event encoded in this format.
    pub fn decode(self, value: &Value) -> Result<DemoEvent, DecodeError> {
        match self {
            BodyFormat::Native => from_native(value),
            BodyFormat::EventBridge => from_eventbridge(value),
            BodyFormat::CloudEventsBatch => from_cloudevent(value),
        }
    }
}

/// Why an encoded event could not be decoded back.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DecodeError {
    /// The body is not JSON, or not a JSON array.
    #[error("body is not a JSON array: {0}")]
    NotAnArray(String),
    /// A field is missing or has the wrong JSON type.
    #[error("missing or mistyped field `{0}`")]
    Field(&'static str),
    /// The event type name is not in the catalog.
    #[error("unknown event type `{0}`")]
    UnknownType(String),
    /// The timestamp is not RFC 3339.
    #[error("bad timestamp `{0}`")]
    Timestamp(String),
}

/// Native timestamps: RFC 3339 with milliseconds and `Z` (`2026-05-01T10:00:00.000Z`).
pub fn native_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Envelope timestamps: RFC 3339 with whole seconds and `Z` (`2026-05-01T10:00:00Z`).
pub fn envelope_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The native JSON shape:
/// `{"eventId","userId","eventType","timestamp","properties"}`.
pub fn to_native(event: &DemoEvent) -> Value {
    json!({
        "eventId": event.event_id,
        "userId": event.user_id,
        "eventType": event.event_type.as_str(),
        "timestamp": native_time(&event.timestamp),
        "properties": event.properties,
    })
}

fn detail_with_user(event: &DemoEvent) -> Value {
    let mut detail = event.properties.clone();
    detail.insert("userId".into(), Value::from(event.user_id.clone()));
    Value::Object(detail)
}

/// An AWS EventBridge API-destination envelope; `detail` holds the properties
/// plus `userId`, `source` is `tutoring.<domain>`.
pub fn to_eventbridge(event: &DemoEvent) -> Value {
    json!({
        "version": "0",
        "id": event.event_id,
        "detail-type": event.event_type.pascal_case(),
        "source": format!("tutoring.{}", event.event_type.domain()),
        "account": EVENTBRIDGE_ACCOUNT,
        "time": envelope_time(&event.timestamp),
        "region": EVENTBRIDGE_REGION,
        "resources": [],
        "detail": detail_with_user(event),
    })
}

/// A CloudEvents 1.0 structured event; `data` holds the properties plus
/// `userId`, `subject` is the user, `source` is `/tutoring/<domain>`.
pub fn to_cloudevent(event: &DemoEvent) -> Value {
    json!({
        "specversion": "1.0",
        "id": event.event_id,
        "source": format!("/tutoring/{}", event.event_type.domain()),
        "type": event.event_type.cloudevents_type(),
        "time": envelope_time(&event.timestamp),
        "subject": event.user_id,
        "datacontenttype": "application/json",
        "data": detail_with_user(event),
    })
}

/// Encodes a batch as `(content_type, body)` ready to POST to `/events`.
pub fn encode_batch(events: &[DemoEvent], format: BodyFormat) -> (&'static str, Vec<u8>) {
    let array = Value::Array(events.iter().map(|e| format.encode(e)).collect());
    (format.content_type(), array.to_string().into_bytes())
}

/// Decodes a body produced by [`encode_batch`] back into events.
pub fn decode_batch(body: &[u8], format: BodyFormat) -> Result<Vec<DemoEvent>, DecodeError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| DecodeError::NotAnArray(e.to_string()))?;
    let Value::Array(items) = value else {
        return Err(DecodeError::NotAnArray("not an array".into()));
    };
    items.iter().map(|item| format.decode(item)).collect()
}

fn str_field<'a>(value: &'a Value, key: &'static str) -> Result<&'a str, DecodeError> {
    value
        .get(key)
        .and_then(Value::as_str)
        .ok_or(DecodeError::Field(key))
}

fn object_field(value: &Value, key: &'static str) -> Result<Map<String, Value>, DecodeError> {
    value
        .get(key)
        .and_then(Value::as_object)
        .cloned()
        .ok_or(DecodeError::Field(key))
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, DecodeError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| DecodeError::Timestamp(text.to_string()))
}

fn unknown(name: &str) -> DecodeError {
    DecodeError::UnknownType(name.to_string())
}

/// Decodes the native JSON shape.
pub fn from_native(value: &Value) -> Result<DemoEvent, DecodeError> {
    let type_name = str_field(value, "eventType")?;
    Ok(DemoEvent {
        event_id: str_field(value, "eventId")?.to_string(),
        user_id: str_field(value, "userId")?.to_string(),
        event_type: EventType::parse(type_name).ok_or_else(|| unknown(type_name))?,
        timestamp: parse_time(str_field(value, "timestamp")?)?,
        properties: object_field(value, "properties")?,
    })
}

fn split_user(mut detail: Map<String, Value>) -> Result<(String, Map<String, Value>), DecodeError> {
    match detail.remove("userId") {
        Some(Value::String(user)) => Ok((user, detail)),
        _ => Err(DecodeError::Field("userId")),
    }
}

/// Decodes an EventBridge envelope (the user comes from `detail.userId`).
pub fn from_eventbridge(value: &Value) -> Result<DemoEvent, DecodeError> {
    let type_name = str_field(value, "detail-type")?;
    let (user_id, properties) = split_user(object_field(value, "detail")?)?;
    Ok(DemoEvent {
        event_id: str_field(value, "id")?.to_string(),
        user_id,
        event_type: EventType::from_pascal_case(type_name).ok_or_else(|| unknown(type_name))?,
        timestamp: parse_time(str_field(value, "time")?)?,
        properties,
    })
}

/// Decodes a CloudEvent (the user comes from `data.userId`, which must match `subject`).
pub fn from_cloudevent(value: &Value) -> Result<DemoEvent, DecodeError> {
    let type_name = str_field(value, "type")?;
    let (user_id, properties) = split_user(object_field(value, "data")?)?;
    if str_field(value, "subject")? != user_id {
        return Err(DecodeError::Field("subject"));
    }
    Ok(DemoEvent {
        event_id: str_field(value, "id")?.to_string(),
        user_id,
        event_type: EventType::from_cloudevents_type(type_name)
            .ok_or_else(|| unknown(type_name))?,
        timestamp: parse_time(str_field(value, "time")?)?,
        properties,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DemoConfig, generate};

    fn sample() -> Vec<DemoEvent> {
        generate(&DemoConfig::small()).take(3000).collect()
    }

    #[test]
    fn all_formats_round_trip_the_same_information() {
        let events = sample();
        for format in BodyFormat::ALL {
            let (content_type, body) = encode_batch(&events, format);
            assert_eq!(content_type, format.content_type());
            let decoded = decode_batch(&body, format).expect("decodes");
            assert_eq!(decoded, events, "{format:?}");
        }
        assert_eq!(
            BodyFormat::CloudEventsBatch.content_type(),
            "application/cloudevents-batch+json"
        );
        assert_eq!(BodyFormat::rotating(4), BodyFormat::EventBridge);
    }

    #[test]
    fn envelopes_have_the_documented_shape() {
        let event = sample()
            .into_iter()
            .find(|e| e.event_type == EventType::SessionBooked);
        let event = event.expect("a booking");
        let native = to_native(&event);
        assert!(native["timestamp"].as_str().expect("ts").ends_with(".000Z"));
        assert_eq!(native["eventType"], "session_booked");

        let eb = to_eventbridge(&event);
        assert_eq!(eb["version"], "0");
        assert_eq!(eb["detail-type"], "SessionBooked");
        assert_eq!(eb["source"], "tutoring.bookings");
        assert_eq!(eb["account"], EVENTBRIDGE_ACCOUNT);
        assert_eq!(eb["region"], EVENTBRIDGE_REGION);
        assert_eq!(eb["resources"], json!([]));
        assert_eq!(eb["detail"]["userId"], event.user_id.as_str());
        assert_eq!(eb["detail"]["sessionId"], native["properties"]["sessionId"]);
        let time = eb["time"].as_str().expect("time");
        assert!(time.ends_with('Z') && !time.contains('.'), "{time}");

        let ce = to_cloudevent(&event);
        assert_eq!(ce["specversion"], "1.0");
        assert_eq!(ce["type"], "com.tutoring.session.booked");
        assert_eq!(ce["source"], "/tutoring/bookings");
        assert_eq!(ce["subject"], event.user_id.as_str());
        assert_eq!(ce["datacontenttype"], "application/json");
        assert_eq!(ce["data"]["userId"], event.user_id.as_str());
        assert_eq!(
            parse_time(ce["time"].as_str().expect("t")),
            Ok(event.timestamp)
        );
    }

    #[test]
    fn decoding_rejects_malformed_input() {
        let event = sample().remove(0);
        assert!(matches!(
            decode_batch(b"{", BodyFormat::Native),
            Err(DecodeError::NotAnArray(_))
        ));
        assert!(matches!(
            decode_batch(b"{}", BodyFormat::Native),
            Err(DecodeError::NotAnArray(_))
        ));

        let mut native = to_native(&event);
        native["eventType"] = json!("made_up");
        assert_eq!(from_native(&native), Err(unknown("made_up")));
        native["eventType"] = json!(event.event_type.as_str());
        native["timestamp"] = json!("yesterday");
        assert_eq!(
            from_native(&native),
            Err(DecodeError::Timestamp("yesterday".into()))
        );
        native["timestamp"] = json!(native_time(&event.timestamp));
        native["properties"] = json!([]);
        assert_eq!(from_native(&native), Err(DecodeError::Field("properties")));

        let mut eb = to_eventbridge(&event);
        eb["detail-type"] = json!("Nope");
        assert_eq!(from_eventbridge(&eb), Err(unknown("Nope")));
        eb["detail"].as_object_mut().expect("obj").remove("userId");
        assert_eq!(from_eventbridge(&eb), Err(DecodeError::Field("userId")));

        let mut ce = to_cloudevent(&event);
        ce["subject"] = json!("someone_else");
        assert_eq!(from_cloudevent(&ce), Err(DecodeError::Field("subject")));
        ce["subject"] = json!(event.user_id);
        ce["type"] = json!("com.tutoring.nope");
        assert_eq!(from_cloudevent(&ce), Err(unknown("com.tutoring.nope")));
        assert!(DecodeError::Field("x").to_string().contains("`x`"));
    }
}
