//! CloudEvents 1.0 over HTTP: structured mode, batch mode and binary mode.
//!
//! The event's properties are `data` (a JSON object); the user is `data.userId`
//! (removed from the stored properties), else the `subject` attribute. `time` is
//! required. `source` is kept on the event and is part of its dedup key.

use serde_json::{Map, Value};

use crate::catalog::validate_properties;
use crate::error::FieldError;
use crate::event::AnalyticsEvent;
use crate::request::IncomingBody;
use crate::validate::{
    MAX_SOURCE_LEN, TimeWindow, as_object, bounded_string, event_id, event_type, get, properties,
    required, show, timestamp, user_id,
};

/// The context attributes read from binary-mode `ce-*` headers.
const BINARY_ATTRIBUTES: [&str; 6] = ["specversion", "id", "source", "type", "time", "subject"];

#[derive(Clone, Copy)]
enum Mode {
    Structured,
    Binary,
}

impl Mode {
    fn path(self, attribute: &str) -> String {
        match self {
            Mode::Structured => attribute.to_owned(),
            Mode::Binary => format!("ce-{attribute}"),
        }
    }
}

/// Parses one structured-mode CloudEvent (a JSON object).
pub(crate) fn parse_structured(
    v: &Value,
    window: &TimeWindow,
) -> Result<AnalyticsEvent, FieldError> {
    let obj = as_object(v, "$")?;
    if let Some(ct) = get(obj, "datacontenttype") {
        let essence = ct
            .as_str()
            .and_then(|s| s.split(';').next())
            .map(|s| s.trim().to_ascii_lowercase());
        if !essence.is_some_and(|e| e == "application/json" || e.ends_with("+json")) {
            return Err(FieldError::new(
                "datacontenttype",
                format!("expected a JSON media type, got {}", show(ct)),
            ));
        }
    }
    if obj.contains_key("data_base64") {
        return Err(FieldError::new(
            "data_base64",
            "binary data is not supported: send data as a JSON object",
        ));
    }
    common(obj, obj.get("data"), Mode::Structured, window)
}

/// Parses a binary-mode CloudEvent: attributes from `ce-*` headers, `data` = the body
/// (`None` for an empty body).
pub(crate) fn parse_binary(
    req: &IncomingBody<'_>,
    data: Option<&Value>,
    window: &TimeWindow,
) -> Result<AnalyticsEvent, FieldError> {
    let mut attrs = Map::new();
    for name in BINARY_ATTRIBUTES {
        if let Some(value) = req.header(&format!("ce-{name}")) {
            attrs.insert(name.to_owned(), Value::String(percent_decode(value)));
        }
    }
    common(&attrs, data, Mode::Binary, window)
}

/// The id to report in a rejection of a structured CloudEvent.
pub(crate) fn id_hint(v: &Value) -> Option<String> {
    crate::validate::id_hint(v, "id")
}

/// The id to report in a rejection of a binary-mode CloudEvent.
pub(crate) fn binary_id_hint(req: &IncomingBody<'_>) -> Option<String> {
    req.header("ce-id").map(percent_decode)
}

fn common(
    attrs: &Map<String, Value>,
    data: Option<&Value>,
    mode: Mode,
    window: &TimeWindow,
) -> Result<AnalyticsEvent, FieldError> {
    let field = |name: &str| -> Result<(&Value, String), FieldError> {
        let path = mode.path(name);
        required(attrs, name, &path).map(|v| (v, path))
    };
    let (specversion, path) = field("specversion")?;
    if specversion.as_str() != Some("1.0") {
        return Err(FieldError::new(
            path,
            format!("expected \"1.0\", got {}", show(specversion)),
        ));
    }
    let (v, path) = field("id")?;
    let event_id = event_id(v, &path)?;
    let (v, path) = field("source")?;
    let source = bounded_string(v, &path, MAX_SOURCE_LEN)?;
    let (v, path) = field("type")?;
    let event_type = event_type(v, &path)?;
    let (v, path) = field("time")?;
    let timestamp = timestamp(v, &path, window)?;
    let mut properties = properties(data, "data")?;
    let user_id = match (get(&properties, "userId"), get(attrs, "subject")) {
        (Some(v), _) => user_id(v, "data.userId")?,
        (None, Some(subject)) => user_id(subject, &mode.path("subject"))?,
        (None, None) => {
            return Err(FieldError::new(
                "data.userId",
                format!(
                    "required (or the {} attribute) but missing",
                    mode.path("subject")
                ),
            ));
        }
    };
    properties.remove("userId");
    validate_properties(&event_type, &mut properties, "data")?;
    Ok(AnalyticsEvent {
        event_id,
        user_id,
        event_type,
        timestamp,
        properties,
        source: Some(source),
    })
}

/// Decodes `%XX` escapes (CloudEvents HTTP binding); the raw value is kept when the
/// result is not UTF-8.
fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            // Both digits are < 16, so the value fits in a byte.
            out.push(u8::try_from(hi * 16 + lo).unwrap_or_default());
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| raw.to_owned())
}

#[cfg(test)]
#[path = "cloudevents_tests.rs"]
mod tests;
