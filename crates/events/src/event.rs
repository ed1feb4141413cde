//! The validated, typed event the rest of the platform sees.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Separator between `source` and `event_id` in a [`AnalyticsEvent::dedup_key`]
/// (ASCII unit separator, U+001F).
pub const DEDUP_SEPARATOR: char = '\u{1f}';

/// One validated analytics event.
///
/// Every value has been checked while parsing: ids are non-empty, `event_type` is the
/// canonical snake_case name, `timestamp` is UTC with millisecond precision, and the
/// properties of catalog types hold their required fields with the right types.
///
/// Serializes in the native ingestion shape (`eventId`, `userId`, `eventType`,
/// `timestamp`, `properties`, plus `source` when set), so a serialized event can be
/// posted back to `/events` unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsEvent {
    /// The sender's event id (`eventId`, EventBridge `id`, CloudEvents `id`, Segment
    /// `messageId`).
    pub event_id: String,
    /// The acting user.
    pub user_id: String,
    /// Canonical snake_case event type, e.g. `session_booked`.
    pub event_type: String,
    /// When the event happened (UTC, millisecond precision).
    #[serde(with = "timestamp_serde")]
    pub timestamp: DateTime<Utc>,
    /// The event's properties.
    #[serde(default)]
    pub properties: Map<String, Value>,
    /// The CloudEvents `source`; `None` for the other formats. Part of the dedup key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl AnalyticsEvent {
    /// The key that identifies this event for deduplication: the event id, or for
    /// CloudEvents `source` + U+001F + `id`. The store's `UNIQUE(source, event_id)`
    /// constraint (with `source` stored as `''` when absent) enforces the same identity.
    pub fn dedup_key(&self) -> String {
        match &self.source {
            Some(source) => format!("{source}{DEDUP_SEPARATOR}{}", self.event_id),
            None => self.event_id.clone(),
        }
    }

    /// The timestamp as milliseconds since the Unix epoch (the store's `timestamp_ms`).
    pub fn timestamp_ms(&self) -> i64 {
        self.timestamp.timestamp_millis()
    }
}

/// A Segment `identify` call: the user's traits, to be merged into the user's stored
/// traits. The same call is also returned as an [`AnalyticsEvent`] of type
/// `user_identified` whose properties are the traits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identify {
    /// Position of the message in the request.
    pub index: usize,
    /// The Segment `messageId` (same as the `user_identified` event's id).
    pub message_id: String,
    /// `userId`, else `anonymousId`.
    pub user_id: String,
    /// The traits object.
    pub traits: Map<String, Value>,
    /// When the identify call happened (UTC, millisecond precision).
    #[serde(with = "timestamp_serde")]
    pub timestamp: DateTime<Utc>,
}

/// Timestamps serialize in the stored format (RFC 3339, UTC, millis) and deserialize
/// from any RFC 3339 date-time.
mod timestamp_serde {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::validate::format_timestamp(t))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn event(source: Option<&str>) -> AnalyticsEvent {
        AnalyticsEvent {
            event_id: "e1".into(),
            user_id: "u1".into(),
            event_type: "course_enrolled".into(),
            timestamp: Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap(),
            properties: json!({"courseId": "c1"}).as_object().cloned().unwrap(),
            source: source.map(str::to_owned),
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn dedup_key_and_millis() {
        assert_eq!(event(None).dedup_key(), "e1");
        assert_eq!(event(Some("/app")).dedup_key(), "/app\u{1f}e1");
        assert_eq!(event(None).timestamp_ms(), 1_714_564_800_000);
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn serde_shape() {
        let v = serde_json::to_value(event(None)).unwrap();
        assert_eq!(
            v,
            json!({
                "eventId": "e1", "userId": "u1", "eventType": "course_enrolled",
                "timestamp": "2024-05-01T12:00:00.000Z", "properties": {"courseId": "c1"}
            })
        );
        let back: AnalyticsEvent = serde_json::from_value(v).unwrap();
        assert_eq!(back, event(None));
        let with_source = serde_json::to_value(event(Some("/app"))).unwrap();
        assert_eq!(with_source["source"], "/app");
        let bad = json!({"eventId": "e", "userId": "u", "eventType": "t", "timestamp": "nope"});
        assert!(serde_json::from_value::<AnalyticsEvent>(bad).is_err());
        let identify = Identify {
            index: 0,
            message_id: "m".into(),
            user_id: "u".into(),
            traits: Map::new(),
            timestamp: event(None).timestamp,
        };
        let v = serde_json::to_value(&identify).unwrap();
        assert_eq!(v["messageId"], "m");
        assert_eq!(serde_json::from_value::<Identify>(v).unwrap(), identify);
    }
}
