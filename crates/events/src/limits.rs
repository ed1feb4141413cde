//! Size limits for one ingestion request, with documented defaults.

use thiserror::Error;

/// Size limits applied by [`crate::parse_request`].
///
/// | field | Spin variable | default |
/// |---|---|---|
/// | `max_request_bytes` | `max_request_bytes` | 1 MiB (1 048 576): raw body, and again after gzip decoding |
/// | `max_event_bytes` | `max_event_bytes` | 32 KiB (32 768): one event, measured as compact JSON |
/// | `max_batch_events` | `max_batch_events` | 1000 events per request |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted request body in bytes, checked on the raw body and on the
    /// decompressed body (so a small gzip bomb is refused too).
    pub max_request_bytes: usize,
    /// Largest accepted event in bytes, measured on its compact JSON serialization
    /// (for binary-mode CloudEvents: the decoded body).
    pub max_event_bytes: usize,
    /// Largest number of events in one request.
    pub max_batch_events: usize,
}

impl Limits {
    /// Name of the Spin variable for [`Limits::max_request_bytes`].
    pub const VAR_MAX_REQUEST_BYTES: &'static str = "max_request_bytes";
    /// Name of the Spin variable for [`Limits::max_event_bytes`].
    pub const VAR_MAX_EVENT_BYTES: &'static str = "max_event_bytes";
    /// Name of the Spin variable for [`Limits::max_batch_events`].
    pub const VAR_MAX_BATCH_EVENTS: &'static str = "max_batch_events";
    /// Default `max_request_bytes`: 1 MiB.
    pub const DEFAULT_MAX_REQUEST_BYTES: usize = 1024 * 1024;
    /// Default `max_event_bytes`: 32 KiB.
    pub const DEFAULT_MAX_EVENT_BYTES: usize = 32 * 1024;
    /// Default `max_batch_events`: 1000.
    pub const DEFAULT_MAX_BATCH_EVENTS: usize = 1000;

    /// Builds limits from optional string values, as read from the Spin variables
    /// `max_request_bytes`, `max_event_bytes` and `max_batch_events`.
    ///
    /// `None` or a blank string keeps the default. A value must be a positive decimal
    /// integer (surrounding whitespace and `_` digit separators allowed); anything else
    /// is an error naming the variable, so a misconfiguration is loud, not silent.
    pub fn from_vars(
        max_request_bytes: Option<&str>,
        max_event_bytes: Option<&str>,
        max_batch_events: Option<&str>,
    ) -> Result<Self, LimitsError> {
        let defaults = Self::default();
        Ok(Self {
            max_request_bytes: parse_var(
                Self::VAR_MAX_REQUEST_BYTES,
                max_request_bytes,
                defaults.max_request_bytes,
            )?,
            max_event_bytes: parse_var(
                Self::VAR_MAX_EVENT_BYTES,
                max_event_bytes,
                defaults.max_event_bytes,
            )?,
            max_batch_events: parse_var(
                Self::VAR_MAX_BATCH_EVENTS,
                max_batch_events,
                defaults.max_batch_events,
            )?,
        })
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_request_bytes: Self::DEFAULT_MAX_REQUEST_BYTES,
            max_event_bytes: Self::DEFAULT_MAX_EVENT_BYTES,
            max_batch_events: Self::DEFAULT_MAX_BATCH_EVENTS,
        }
    }
}

/// A limit variable that is not a positive integer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("variable {variable} must be a positive integer, got {value:?}")]
pub struct LimitsError {
    /// The variable's name, e.g. `max_event_bytes`.
    pub variable: &'static str,
    /// The value received.
    pub value: String,
}

fn parse_var(
    variable: &'static str,
    value: Option<&str>,
    default: usize,
) -> Result<usize, LimitsError> {
    let Some(raw) = value else {
        return Ok(default);
    };
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Ok(default);
    }
    let digits: String = trimmed.chars().filter(|c| *c != '_').collect();
    match digits.parse::<usize>() {
        Ok(n) if n > 0 && digits.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(LimitsError {
            variable,
            value: raw.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn defaults() {
        let l = Limits::default();
        assert_eq!(l.max_request_bytes, 1_048_576);
        assert_eq!(l.max_event_bytes, 32_768);
        assert_eq!(l.max_batch_events, 1000);
        assert_eq!(Limits::from_vars(None, None, None), Ok(l));
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn from_vars_table() {
        let ok: &[(Option<&str>, usize)] = &[
            (None, 1_048_576),
            (Some(""), 1_048_576),
            (Some("   "), 1_048_576),
            (Some("2048"), 2048),
            (Some(" 4096\n"), 4096),
            (Some("1_000_000"), 1_000_000),
        ];
        for (value, expected) in ok {
            let l = Limits::from_vars(*value, None, None).unwrap();
            assert_eq!(l.max_request_bytes, *expected, "{value:?}");
        }
        let bad = [
            "0",
            "-1",
            "+5",
            "1.5",
            "1e6",
            "lots",
            "99999999999999999999999999",
        ];
        for value in bad {
            let err = Limits::from_vars(None, Some(value), None).unwrap_err();
            assert_eq!(err.variable, "max_event_bytes");
            assert_eq!(err.value, value);
            assert!(err.to_string().contains("max_event_bytes"), "{err}");
        }
        let err = Limits::from_vars(None, None, Some("x")).unwrap_err();
        assert_eq!(err.variable, "max_batch_events");
        let l = Limits::from_vars(Some("10"), Some("20"), Some("30")).unwrap();
        assert_eq!(
            l,
            Limits {
                max_request_bytes: 10,
                max_event_bytes: 20,
                max_batch_events: 30
            }
        );
    }
}
