//! Body handling: content-type negotiation, gzip decoding under a size limit, JSON
//! parsing with positions.

use std::borrow::Cow;
use std::io::Read;

use flate2::read::MultiGzDecoder;
use serde_json::Value;

use crate::error::IngestError;
use crate::request::IncomingBody;

/// How the body is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// `application/json` on `/events`: native events and/or EventBridge envelopes.
    Native,
    /// `application/cloudevents+json`: one structured-mode CloudEvent.
    CloudEvent,
    /// `application/cloudevents-batch+json`: an array of CloudEvents.
    CloudEventBatch,
    /// A `ce-specversion` header: binary-mode CloudEvent, body = data.
    CloudEventBinary,
    /// A `/v1/*` route with a JSON body.
    Segment,
}

/// A parsed `Content-Type`: lower-cased essence and charset parameter.
#[derive(Debug, PartialEq, Eq)]
struct MediaType {
    essence: String,
    charset: Option<String>,
}

fn media_type(header: &str) -> MediaType {
    let mut parts = header.split(';');
    let essence = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let charset = parts.find_map(|p| {
        let (name, value) = p.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"').to_ascii_lowercase())
    });
    MediaType { essence, charset }
}

fn is_json(essence: &str) -> bool {
    essence == "application/json" || essence.ends_with("+json")
}

const EVENTS_TYPES: &str = "application/json, application/cloudevents+json, \
application/cloudevents-batch+json, or a binary-mode CloudEvent (ce-* headers) with a JSON body";
const SEGMENT_TYPES: &str =
    "application/json, text/plain or application/x-www-form-urlencoded (with a JSON body)";

/// Chooses the body format from the route, content type and `ce-specversion` header;
/// 415 for anything else.
pub(crate) fn select_format(req: &IncomingBody<'_>) -> Result<Format, IngestError> {
    let accepted = if req.route.is_segment() {
        SEGMENT_TYPES
    } else {
        EVENTS_TYPES
    };
    let Some(header) = req.content_type else {
        return Err(IngestError::UnsupportedMediaType {
            message: format!(
                "missing content-type on {}: send {accepted}",
                req.route.path()
            ),
        });
    };
    let mt = media_type(header);
    let unsupported = || IngestError::UnsupportedMediaType {
        message: format!(
            "unsupported content-type {header:?} on {}: send {accepted}",
            req.route.path()
        ),
    };
    if let Some(charset) = &mt.charset
        && charset != "utf-8"
        && charset != "utf8"
    {
        return Err(IngestError::UnsupportedMediaType {
            message: format!("unsupported charset {charset:?}: bodies must be UTF-8"),
        });
    }
    if req.route.is_segment() {
        return match mt.essence.as_str() {
            "application/json" | "text/plain" | "application/x-www-form-urlencoded" => {
                Ok(Format::Segment)
            }
            _ => Err(unsupported()),
        };
    }
    match mt.essence.as_str() {
        "application/cloudevents+json" => Ok(Format::CloudEvent),
        "application/cloudevents-batch+json" => Ok(Format::CloudEventBatch),
        essence if req.header("ce-specversion").is_some() && is_json(essence) => {
            Ok(Format::CloudEventBinary)
        }
        "application/json" => Ok(Format::Native),
        _ => Err(unsupported()),
    }
}

/// Whether a `/v1/*` content type is only tolerated when the body turns out to be JSON.
pub(crate) fn json_only_if_it_looks_like_json(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|h| media_type(h).essence != "application/json")
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Undoes the content encoding: `gzip`/`x-gzip` layers (comma-separated, applied in
/// reverse), `identity` ignored; with no header a body starting with the gzip magic
/// bytes is decoded too. Each decoded layer is capped at `limit` bytes.
pub(crate) fn decode<'b>(
    body: &'b [u8],
    encoding: Option<&str>,
    limit: usize,
) -> Result<Cow<'b, [u8]>, IngestError> {
    let mut layers = 0usize;
    for coding in encoding.unwrap_or_default().split(',').map(str::trim) {
        match coding.to_ascii_lowercase().as_str() {
            "" | "identity" => {}
            "gzip" | "x-gzip" => layers += 1,
            _ => {
                return Err(IngestError::UnsupportedEncoding {
                    encoding: coding.to_owned(),
                });
            }
        }
    }
    if layers == 0 && body.starts_with(&GZIP_MAGIC) {
        layers = 1;
    }
    let mut data = Cow::Borrowed(body);
    for _ in 0..layers {
        data = Cow::Owned(gunzip(&data, limit)?);
    }
    Ok(data)
}

fn gunzip(input: &[u8], limit: usize) -> Result<Vec<u8>, IngestError> {
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::new();
    MultiGzDecoder::new(input)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| IngestError::InvalidGzip {
            reason: e.to_string(),
        })?;
    if out.len() > limit {
        return Err(IngestError::DecompressedTooLarge { limit });
    }
    Ok(out)
}

/// Parses the body as JSON; errors carry serde_json's 1-based line and column.
pub(crate) fn parse_json(bytes: &[u8]) -> Result<Value, IngestError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(IngestError::EmptyBody);
    }
    serde_json::from_slice(bytes).map_err(|e| {
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let reason = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
        IngestError::InvalidJson {
            line: e.line(),
            column: e.column(),
            reason,
        }
    })
}

/// Whether the first non-blank byte opens a JSON object or array.
pub(crate) fn looks_like_json(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    matches!(
        bytes.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    )
}

/// Size of a value's compact JSON serialization, without allocating it.
pub(crate) fn compact_len(v: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing a `Value` to an infallible writer cannot fail.
    let _ = serde_json::to_writer(&mut counter, v);
    counter.0
}

/// Segment routes also accept `text/plain` and `application/x-www-form-urlencoded`
/// (RudderStack's Node SDK, analytics.js) but only when the body is JSON.
pub(crate) fn not_json_error(req: &IncomingBody<'_>) -> IngestError {
    IngestError::UnsupportedMediaType {
        message: format!(
            "content-type {:?} is accepted on {} only when the body is JSON",
            req.content_type.unwrap_or_default(),
            req.route.path()
        ),
    }
}

#[cfg(test)]
#[path = "body_tests.rs"]
mod tests;
