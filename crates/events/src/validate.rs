//! Field-level validation helpers shared by the body formats.

use chrono::{DateTime, Duration, SecondsFormat, SubsecRound, TimeZone, Utc};
use serde_json::{Map, Value};

use crate::error::FieldError;

/// Longest accepted event id, in characters.
pub const MAX_EVENT_ID_LEN: usize = 128;
/// Longest accepted user id, in characters.
pub const MAX_USER_ID_LEN: usize = 256;
/// Longest accepted CloudEvents `source`, in characters.
pub const MAX_SOURCE_LEN: usize = 512;
/// How far in the future (relative to `received_at`) an event timestamp may be.
pub const MAX_FUTURE_SKEW: Duration = Duration::days(1);

/// The window an event timestamp must fall in: from 2000-01-01T00:00:00Z to
/// `received_at` + [`MAX_FUTURE_SKEW`] (and never past year 9999).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimeWindow {
    earliest: DateTime<Utc>,
    latest: DateTime<Utc>,
}

impl TimeWindow {
    pub(crate) fn new(received_at: DateTime<Utc>) -> Self {
        let earliest = Utc
            .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default();
        let ceiling = Utc
            .with_ymd_and_hms(9999, 12, 31, 23, 59, 59)
            .single()
            .unwrap_or_default();
        let latest = received_at
            .checked_add_signed(MAX_FUTURE_SKEW)
            .map_or(ceiling, |t| t.min(ceiling));
        Self { earliest, latest }
    }
}

/// Formats a timestamp as stored: RFC 3339, UTC, millisecond precision, `Z` suffix —
/// fixed width (24 characters) so text order is time order.
pub fn format_timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A short rendering of a JSON value for messages (its JSON text, cut at 60 characters).
pub(crate) fn show(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 60 {
        let cut: String = text.chars().take(57).collect();
        format!("{cut}...")
    } else {
        text
    }
}

/// `prefix.key`, or `key` when the prefix is empty.
pub(crate) fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// The value of `key`, treating JSON `null` as absent.
pub(crate) fn get<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

/// The value of a required `key`; `path` names it in the error.
pub(crate) fn required<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<&'a Value, FieldError> {
    get(obj, key).ok_or_else(|| FieldError::new(path, "required but missing"))
}

/// A string that is not blank.
pub(crate) fn non_empty_string<'a>(v: &'a Value, path: &str) -> Result<&'a str, FieldError> {
    match v.as_str() {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(FieldError::new(
            path,
            format!("expected a non-empty string, got {}", show(v)),
        )),
    }
}

pub(crate) fn bounded_string(v: &Value, path: &str, max: usize) -> Result<String, FieldError> {
    let s = non_empty_string(v, path)?;
    if s.chars().count() > max {
        return Err(FieldError::new(
            path,
            format!("longer than {max} characters"),
        ));
    }
    Ok(s.to_owned())
}

/// An event id: non-empty string of at most [`MAX_EVENT_ID_LEN`] characters.
pub(crate) fn event_id(v: &Value, path: &str) -> Result<String, FieldError> {
    bounded_string(v, path, MAX_EVENT_ID_LEN)
}

/// A user id: non-empty string of at most [`MAX_USER_ID_LEN`] characters.
pub(crate) fn user_id(v: &Value, path: &str) -> Result<String, FieldError> {
    bounded_string(v, path, MAX_USER_ID_LEN)
}

/// An event type in any accepted spelling, mapped to canonical snake_case.
pub(crate) fn event_type(v: &Value, path: &str) -> Result<String, FieldError> {
    let s = v.as_str().ok_or_else(|| {
        FieldError::new(
            path,
            format!("expected an event type name (a string), got {}", show(v)),
        )
    })?;
    crate::names::canonical_event_type(s).map_err(|reason| FieldError::new(path, reason))
}

/// Parses an RFC 3339 date-time string, normalized to UTC (not truncated).
pub(crate) fn rfc3339(v: &Value, path: &str) -> Result<DateTime<Utc>, FieldError> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s.trim()).ok())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            FieldError::new(
                path,
                format!(
                    "expected an RFC 3339 date-time such as \"2024-05-01T12:00:00Z\", got {}",
                    show(v)
                ),
            )
        })
}

/// An event timestamp: RFC 3339, normalized to UTC, truncated to milliseconds and inside
/// the accepted [`TimeWindow`].
pub(crate) fn timestamp(
    v: &Value,
    path: &str,
    window: &TimeWindow,
) -> Result<DateTime<Utc>, FieldError> {
    let t = rfc3339(v, path)?.trunc_subsecs(3);
    if t < window.earliest {
        return Err(FieldError::new(
            path,
            format!("{} is before 2000-01-01T00:00:00Z", format_timestamp(&t)),
        ));
    }
    if t > window.latest {
        return Err(FieldError::new(
            path,
            format!(
                "{} is more than one day after the time the request was received",
                format_timestamp(&t)
            ),
        ));
    }
    Ok(t)
}

/// A properties object: a JSON object, or absent/`null` (an empty object).
pub(crate) fn properties(v: Option<&Value>, path: &str) -> Result<Map<String, Value>, FieldError> {
    match v {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(other) => Err(FieldError::new(
            path,
            format!("expected a JSON object, got {}", show(other)),
        )),
    }
}

/// The JSON value as an object, or a `$` error naming what it was.
pub(crate) fn as_object<'a>(
    v: &'a Value,
    path: &str,
) -> Result<&'a Map<String, Value>, FieldError> {
    v.as_object()
        .ok_or_else(|| FieldError::new(path, format!("expected a JSON object, got {}", show(v))))
}

/// Best-effort id for a rejection: the value at `key` when it is a string.
pub(crate) fn id_hint(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn window() -> TimeWindow {
        TimeWindow::new(Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap())
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn timestamp_table() {
        let ok = [
            ("2024-05-01T12:00:00Z", "2024-05-01T12:00:00.000Z"),
            ("2024-05-01T14:00:00+02:00", "2024-05-01T12:00:00.000Z"),
            ("2024-05-01T12:00:00.123456789Z", "2024-05-01T12:00:00.123Z"),
            ("2000-01-01T00:00:00Z", "2000-01-01T00:00:00.000Z"),
            ("2024-05-02T12:00:00Z", "2024-05-02T12:00:00.000Z"),
        ];
        for (input, expected) in ok {
            let t = timestamp(&json!(input), "timestamp", &window()).unwrap();
            assert_eq!(format_timestamp(&t), expected);
        }
        let bad = [
            (json!("2024-05-01"), "expected an RFC 3339"),
            (json!("yesterday"), "expected an RFC 3339"),
            (json!(1714564800), "expected an RFC 3339"),
            (json!("1999-12-31T23:59:59Z"), "before 2000"),
            (json!("2024-05-02T12:00:00.001Z"), "more than one day after"),
        ];
        for (input, expected) in bad {
            let err = timestamp(&input, "time", &window()).unwrap_err();
            assert_eq!(err.field, "time");
            assert!(err.reason.contains(expected), "{input}: {}", err.reason);
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn window_is_capped_at_year_9999() {
        let late = Utc.with_ymd_and_hms(9999, 12, 31, 0, 0, 0).unwrap();
        let w = TimeWindow::new(late);
        assert!(timestamp(&json!("9999-12-31T23:59:59Z"), "t", &w).is_ok());
        let w = TimeWindow::new(DateTime::<Utc>::MAX_UTC);
        assert!(timestamp(&json!("9999-12-31T23:59:59Z"), "t", &w).is_ok());
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn string_helpers() {
        assert_eq!(event_id(&json!("e-1"), "eventId").unwrap(), "e-1");
        assert!(event_id(&json!("x".repeat(128)), "eventId").is_ok());
        let err = event_id(&json!("x".repeat(129)), "eventId").unwrap_err();
        assert_eq!(err.reason, "longer than 128 characters");
        assert!(user_id(&json!("u".repeat(257)), "userId").is_err());
        for bad in [json!(""), json!("  "), json!(7), json!(null), json!(["a"])] {
            let err = non_empty_string(&bad, "x").unwrap_err();
            assert!(
                err.reason.starts_with("expected a non-empty string"),
                "{bad}"
            );
        }
        let err = event_type(&json!(3), "eventType").unwrap_err();
        assert!(err.reason.contains("expected an event type name"));
        assert_eq!(
            event_type(&json!("SessionBooked"), "t").unwrap(),
            "session_booked"
        );
        assert!(event_type(&json!("--"), "t").is_err());
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn misc_helpers() {
        assert_eq!(join("", "a"), "a");
        assert_eq!(join("detail", "a"), "detail.a");
        let long = json!("y".repeat(100));
        assert_eq!(show(&long).chars().count(), 60);
        assert!(show(&long).ends_with("..."));
        assert_eq!(show(&json!("12.50")), "\"12.50\"");
        assert!(properties(None, "p").unwrap().is_empty());
        assert!(properties(Some(&Value::Null), "p").unwrap().is_empty());
        assert_eq!(properties(Some(&json!({"a": 1})), "p").unwrap().len(), 1);
        assert!(
            properties(Some(&json!([1])), "p")
                .unwrap_err()
                .reason
                .contains("JSON object")
        );
        assert!(as_object(&json!(1), "$").is_err());
        let obj = json!({"a": null, "b": 1});
        let map = obj.as_object().unwrap();
        assert!(required(map, "a", "x.a").is_err());
        assert!(required(map, "b", "x.b").is_ok());
        assert_eq!(id_hint(&json!({"id": "z"}), "id").as_deref(), Some("z"));
        assert_eq!(id_hint(&json!({"id": 1}), "id"), None);
    }
}
