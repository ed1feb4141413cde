//! Request-level errors, per-event rejections and the response bodies built from them.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A request-level ingestion failure: the whole request is refused.
///
/// Each variant knows its HTTP status ([`IngestError::status_code`]) and a stable
/// machine-readable code ([`IngestError::code`]); [`IngestError::to_body`] builds the
/// JSON error body (`{"error": {"code": ..., "message": ...}}`) the component returns.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IngestError {
    /// The request path is not an ingestion route (404).
    #[error("no ingestion route at {path:?}")]
    UnknownRoute {
        /// The path that was requested.
        path: String,
    },
    /// The raw (still encoded) body exceeds `max_request_bytes` (413).
    #[error("request body is {actual} bytes, over the limit of {limit} bytes (max_request_bytes)")]
    RequestTooLarge {
        /// Body size in bytes.
        actual: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The body, sent without a `content-length`, passed `max_request_bytes` while being
    /// read; reading stopped there (413, same code as [`IngestError::RequestTooLarge`]).
    #[error(
        "request body is over the limit of {limit} bytes (max_request_bytes); reading stopped after {read} bytes"
    )]
    RequestTooLargeWhileReading {
        /// Bytes read when the limit was passed.
        read: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The body decompresses to more than `max_request_bytes` (413).
    #[error(
        "request body decompresses to more than {limit} bytes (max_request_bytes); decompression stopped"
    )]
    DecompressedTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// The batch holds more events than `max_batch_events` (413).
    #[error("batch holds {count} events, over the limit of {limit} events (max_batch_events)")]
    TooManyEvents {
        /// Number of events in the batch.
        count: usize,
        /// The configured limit.
        limit: usize,
    },
    /// Every event in the request is larger than `max_event_bytes` (413).
    #[error(
        "every event in the request is over the per-event limit of {limit} bytes (max_event_bytes)"
    )]
    AllEventsTooLarge {
        /// The configured limit.
        limit: usize,
        /// The per-event rejections.
        rejected: Vec<Rejection>,
    },
    /// The content type is missing or not accepted on this route (415).
    #[error("{message}")]
    UnsupportedMediaType {
        /// Human-readable explanation, naming the content type received and those accepted.
        message: String,
    },
    /// The content encoding is not `gzip` or `identity` (415).
    #[error("unsupported content-encoding {encoding:?}: only gzip and identity are accepted")]
    UnsupportedEncoding {
        /// The encoding received.
        encoding: String,
    },
    /// The body claimed (or looked) gzip-encoded but could not be decompressed (400).
    #[error("request body is not valid gzip: {reason}")]
    InvalidGzip {
        /// The decoder's explanation.
        reason: String,
    },
    /// The body is empty (400).
    #[error("request body is empty")]
    EmptyBody,
    /// The body is not JSON (400). Line and column are 1-based positions in the
    /// (decompressed) body, as reported by `serde_json`.
    #[error("request body is not valid JSON at line {line}, column {column}: {reason}")]
    InvalidJson {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What the JSON parser expected.
        reason: String,
    },
    /// The body is JSON but not of the shape the route expects (400).
    #[error("{message}")]
    InvalidBody {
        /// Human-readable explanation.
        message: String,
    },
    /// The batch is an empty array (400).
    #[error("the batch contains no events")]
    EmptyBatch,
    /// Every event in the request was rejected (400); the rejections say why.
    #[error("no acceptable event in the request: {} rejected", rejected.len())]
    NoValidEvents {
        /// The per-event rejections.
        rejected: Vec<Rejection>,
    },
}

impl IngestError {
    /// The HTTP status code to answer with.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::UnknownRoute { .. } => 404,
            Self::RequestTooLarge { .. }
            | Self::RequestTooLargeWhileReading { .. }
            | Self::DecompressedTooLarge { .. }
            | Self::TooManyEvents { .. }
            | Self::AllEventsTooLarge { .. } => 413,
            Self::UnsupportedMediaType { .. } | Self::UnsupportedEncoding { .. } => 415,
            Self::InvalidGzip { .. }
            | Self::EmptyBody
            | Self::InvalidJson { .. }
            | Self::InvalidBody { .. }
            | Self::EmptyBatch
            | Self::NoValidEvents { .. } => 400,
        }
    }

    /// A stable, machine-readable error code (snake_case).
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownRoute { .. } => "not_found",
            Self::RequestTooLarge { .. } | Self::RequestTooLargeWhileReading { .. } => {
                "request_too_large"
            }
            Self::DecompressedTooLarge { .. } => "decompressed_too_large",
            Self::TooManyEvents { .. } => "too_many_events",
            Self::AllEventsTooLarge { .. } => "event_too_large",
            Self::UnsupportedMediaType { .. } => "unsupported_media_type",
            Self::UnsupportedEncoding { .. } => "unsupported_encoding",
            Self::InvalidGzip { .. } => "invalid_gzip",
            Self::EmptyBody => "empty_body",
            Self::InvalidJson { .. } => "invalid_json",
            Self::InvalidBody { .. } => "invalid_body",
            Self::EmptyBatch => "empty_batch",
            Self::NoValidEvents { .. } => "no_valid_events",
        }
    }

    /// The per-event rejections carried by this error (empty for most variants).
    pub fn rejected(&self) -> &[Rejection] {
        match self {
            Self::AllEventsTooLarge { rejected, .. } | Self::NoValidEvents { rejected } => rejected,
            _ => &[],
        }
    }

    /// The JSON error body for this error.
    pub fn to_body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message: self.to_string(),
                rejected: self.rejected().to_vec(),
            },
        }
    }
}

/// The body of a request-level error response: `{"error": {"code": ..., "message": ...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The `error` object of an [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    /// Stable machine-readable code (see [`IngestError::code`]).
    pub code: String,
    /// Human-readable message.
    pub message: String,
    /// Per-event rejections, present only for `no_valid_events` and `event_too_large`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<Rejection>,
}

/// Why one event of a request was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectionCode {
    /// A field is missing, has the wrong type or an invalid value.
    Invalid,
    /// The event is larger than `max_event_bytes`.
    TooLarge,
}

/// One rejected event: its position in the batch, its id if it had one, and a
/// message that starts with the path of the offending field (`$` for the whole event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejection {
    /// 0-based position of the event in the request (0 for single-event requests).
    pub index: usize,
    /// The event's id, when one could be read.
    #[serde(default)]
    pub event_id: Option<String>,
    /// The kind of rejection.
    pub code: RejectionCode,
    /// The offending field's path as the client sent it, e.g. `properties.amount`,
    /// `detail.userId`, `ce-id`; `$` stands for the whole event.
    pub field: String,
    /// Human-readable message, `"<field>: <reason>"`.
    pub message: String,
}

/// A problem with one field of one event (internal; becomes a [`Rejection`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub(crate) field: String,
    pub(crate) reason: String,
}

impl FieldError {
    pub(crate) fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn into_rejection(self, index: usize, event_id: Option<String>) -> Rejection {
        Rejection {
            index,
            event_id,
            code: RejectionCode::Invalid,
            message: format!("{}: {}", self.field, self.reason),
            field: self.field,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejection() -> Rejection {
        FieldError::new("properties.amount", "expected an integer")
            .into_rejection(2, Some("e1".into()))
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn status_and_code_table() {
        let cases: Vec<(IngestError, u16, &str)> = vec![
            (
                IngestError::UnknownRoute { path: "/x".into() },
                404,
                "not_found",
            ),
            (
                IngestError::RequestTooLarge {
                    actual: 2,
                    limit: 1,
                },
                413,
                "request_too_large",
            ),
            (
                IngestError::RequestTooLargeWhileReading { read: 2, limit: 1 },
                413,
                "request_too_large",
            ),
            (
                IngestError::DecompressedTooLarge { limit: 1 },
                413,
                "decompressed_too_large",
            ),
            (
                IngestError::TooManyEvents { count: 2, limit: 1 },
                413,
                "too_many_events",
            ),
            (
                IngestError::AllEventsTooLarge {
                    limit: 1,
                    rejected: vec![rejection()],
                },
                413,
                "event_too_large",
            ),
            (
                IngestError::UnsupportedMediaType {
                    message: "m".into(),
                },
                415,
                "unsupported_media_type",
            ),
            (
                IngestError::UnsupportedEncoding {
                    encoding: "br".into(),
                },
                415,
                "unsupported_encoding",
            ),
            (
                IngestError::InvalidGzip { reason: "r".into() },
                400,
                "invalid_gzip",
            ),
            (IngestError::EmptyBody, 400, "empty_body"),
            (
                IngestError::InvalidJson {
                    line: 1,
                    column: 2,
                    reason: "r".into(),
                },
                400,
                "invalid_json",
            ),
            (
                IngestError::InvalidBody {
                    message: "m".into(),
                },
                400,
                "invalid_body",
            ),
            (IngestError::EmptyBatch, 400, "empty_batch"),
            (
                IngestError::NoValidEvents {
                    rejected: vec![rejection()],
                },
                400,
                "no_valid_events",
            ),
        ];
        for (err, status, code) in cases {
            assert_eq!(err.status_code(), status, "{err:?}");
            assert_eq!(err.code(), code, "{err:?}");
            let body = err.to_body();
            assert_eq!(body.error.code, code);
            assert_eq!(body.error.message, err.to_string());
            assert_eq!(body.error.rejected.len(), err.rejected().len());
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn error_body_json_shape() {
        let plain = serde_json::to_value(IngestError::EmptyBatch.to_body()).unwrap();
        assert_eq!(
            plain,
            serde_json::json!({"error": {"code": "empty_batch", "message": "the batch contains no events"}})
        );
        let with_rejections = serde_json::to_value(
            IngestError::NoValidEvents {
                rejected: vec![rejection()],
            }
            .to_body(),
        )
        .unwrap();
        assert_eq!(
            with_rejections["error"]["rejected"][0],
            serde_json::json!({
                "index": 2, "eventId": "e1", "code": "invalid",
                "field": "properties.amount", "message": "properties.amount: expected an integer"
            })
        );
        let back: ErrorBody = serde_json::from_value(with_rejections).unwrap();
        assert_eq!(back.error.rejected, vec![rejection()]);
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn json_error_message_names_position() {
        let err = IngestError::InvalidJson {
            line: 3,
            column: 7,
            reason: "expected value".into(),
        };
        assert_eq!(
            err.to_string(),
            "request body is not valid JSON at line 3, column 7: expected value"
        );
    }
}
