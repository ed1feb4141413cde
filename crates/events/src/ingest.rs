//! The entry point: from a request body to a [`ParsedBatch`].

use serde_json::Value;

use crate::batch::{Collector, ParsedBatch};
use crate::body::{self, Format};
use crate::error::IngestError;
use crate::event::AnalyticsEvent;
use crate::limits::Limits;
use crate::request::IncomingBody;
use crate::segment::{self, Kind};
use crate::validate::{TimeWindow, show};
use crate::{cloudevents, native};

/// Parses and validates one ingestion request.
///
/// Order of checks: raw body size (413), content type (415), content encoding (415),
/// decompressed size (413), JSON syntax (400 with line/column), body shape (400),
/// batch length (413 `too_many_events`, 400 `empty_batch`), then each event: size
/// (rejection), fields (rejection), in-batch duplicates (counted). If no event is
/// accepted the request fails: 413 `event_too_large` when every event was too large,
/// else 400 `no_valid_events` with the rejections.
///
/// Pure and panic-free on any input, so a fuzz target can call it with arbitrary bytes.
pub fn parse_request(req: &IncomingBody<'_>, limits: &Limits) -> Result<ParsedBatch, IngestError> {
    if req.body.len() > limits.max_request_bytes {
        return Err(IngestError::RequestTooLarge {
            actual: req.body.len(),
            limit: limits.max_request_bytes,
        });
    }
    let format = body::select_format(req)?;
    let bytes = body::decode(req.body, req.content_encoding, limits.max_request_bytes)?;
    let window = TimeWindow::new(req.received_at);
    let mut collector = Collector::new(limits.max_event_bytes);

    if format == Format::CloudEventBinary {
        let data = if bytes.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            Some(body::parse_json(&bytes)?)
        };
        let id = cloudevents::binary_id_hint(req);
        if bytes.len() > limits.max_event_bytes {
            collector.too_large(0, id, bytes.len());
        } else {
            record(
                &mut collector,
                0,
                id,
                cloudevents::parse_binary(req, data.as_ref(), &window),
            );
        }
        return collector.finish();
    }

    if format == Format::Segment
        && body::json_only_if_it_looks_like_json(req.content_type)
        && !body::looks_like_json(&bytes)
    {
        return Err(body::not_json_error(req));
    }
    let value = body::parse_json(&bytes)?;
    let (items, sent_at) = split(&value, format, req)?;
    if items.is_empty() {
        return Err(IngestError::EmptyBatch);
    }
    if items.len() > limits.max_batch_events {
        return Err(IngestError::TooManyEvents {
            count: items.len(),
            limit: limits.max_batch_events,
        });
    }
    let kind = Kind::for_route(req.route);
    for (index, item) in items.iter().enumerate() {
        let id = match format {
            Format::Native => native::id_hint(item),
            Format::Segment => segment::id_hint(item),
            _ => cloudevents::id_hint(item),
        };
        let size = body::compact_len(item);
        if size > limits.max_event_bytes {
            collector.too_large(index, id, size);
            continue;
        }
        match format {
            Format::Native => record(&mut collector, index, id, native::parse(item, &window)),
            Format::Segment => match segment::parse(item, kind, sent_at, &window) {
                Ok(m) => collector.accept(index, m.event, m.identify),
                Err(e) => collector.reject(e.into_rejection(index, id)),
            },
            _ => record(
                &mut collector,
                index,
                id,
                cloudevents::parse_structured(item, &window),
            ),
        }
    }
    collector.finish()
}

fn record(
    collector: &mut Collector,
    index: usize,
    id: Option<String>,
    result: Result<AnalyticsEvent, crate::error::FieldError>,
) {
    match result {
        Ok(event) => collector.accept(index, event, false),
        Err(e) => collector.reject(e.into_rejection(index, id)),
    }
}

/// Splits the body into its events, and returns the Segment batch `sentAt` if any.
fn split<'v>(
    value: &'v Value,
    format: Format,
    req: &IncomingBody<'_>,
) -> Result<(Vec<&'v Value>, Option<&'v Value>), IngestError> {
    let invalid = |message: String| IngestError::InvalidBody { message };
    match (format, value) {
        (Format::Native, Value::Array(items)) | (Format::CloudEventBatch, Value::Array(items)) => {
            Ok((items.iter().collect(), None))
        }
        (Format::Native, Value::Object(_)) | (Format::CloudEvent, Value::Object(_)) => {
            Ok((vec![value], None))
        }
        (Format::Native, other) => Err(invalid(format!(
            "expected an event object or an array of events, got {}",
            show(other)
        ))),
        (Format::CloudEvent, other) => Err(invalid(format!(
            "application/cloudevents+json carries one event as a JSON object, got {}; \
             send arrays as application/cloudevents-batch+json",
            show(other)
        ))),
        (Format::CloudEventBatch, other) => Err(invalid(format!(
            "application/cloudevents-batch+json expects a JSON array of events, got {}",
            show(other)
        ))),
        (_, Value::Object(obj)) if Kind::for_route(req.route).is_none() => match obj.get("batch") {
            Some(Value::Array(items)) => Ok((items.iter().collect(), obj.get("sentAt"))),
            _ => Err(invalid(format!(
                "{} expects {{\"batch\": [messages...]}}, got {}",
                req.route.path(),
                show(value)
            ))),
        },
        (_, Value::Object(_)) => Ok((vec![value], None)),
        (_, other) => Err(invalid(format!(
            "{} expects a JSON object, got {}",
            req.route.path(),
            show(other)
        ))),
    }
}

#[cfg(test)]
#[path = "ingest_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "ingest_limits_tests.rs"]
mod limits_tests;
