//! The parser's result for one request, the 202 report built from it, and the
//! in-batch deduplication.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::error::{IngestError, Rejection, RejectionCode};
use crate::event::{AnalyticsEvent, Identify};

/// An accepted event and its position in the request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexedEvent {
    /// 0-based position of the event in the request.
    pub index: usize,
    /// The validated event.
    pub event: AnalyticsEvent,
}

/// Everything [`crate::parse_request`] found in an acceptable request.
///
/// Holds at least one event (otherwise the request fails with
/// [`IngestError::NoValidEvents`] or [`IngestError::AllEventsTooLarge`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedBatch {
    /// Accepted events, in request order, without in-batch duplicates. Segment
    /// `identify` calls are here too, as `user_identified` events.
    pub events: Vec<IndexedEvent>,
    /// Accepted Segment `identify` calls (each also in `events`), for the trait store.
    pub identifies: Vec<Identify>,
    /// Events dropped because an earlier accepted event of the request had the same
    /// [`AnalyticsEvent::dedup_key`].
    pub duplicates_in_batch: usize,
    /// Events that failed validation, in request order.
    pub rejected: Vec<Rejection>,
}

impl ParsedBatch {
    /// The 202 response body once the store has inserted `events`:
    /// `store_duplicates` is how many of them the store already had (cross-request
    /// duplicates, e.g. `INSERT ... ON CONFLICT DO NOTHING` reporting no change).
    pub fn report(&self, store_duplicates: usize) -> IngestReport {
        let store_duplicates = store_duplicates.min(self.events.len());
        IngestReport {
            accepted: self.events.len() - store_duplicates,
            duplicates: self.duplicates_in_batch + store_duplicates,
            rejected: self.rejected.clone(),
        }
    }
}

/// The 202 response body: `{"accepted": n, "duplicates": n, "rejected": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngestReport {
    /// Events newly stored.
    pub accepted: usize,
    /// Events already seen (earlier in the request, or stored by an earlier request).
    pub duplicates: usize,
    /// Events refused, each with its index, id and a message naming the field.
    pub rejected: Vec<Rejection>,
}

/// Builds a [`ParsedBatch`] event by event.
pub(crate) struct Collector {
    batch: ParsedBatch,
    seen: HashSet<String>,
    max_event_bytes: usize,
}

impl Collector {
    pub(crate) fn new(max_event_bytes: usize) -> Self {
        Self {
            batch: ParsedBatch::default(),
            seen: HashSet::new(),
            max_event_bytes,
        }
    }

    /// Records an event larger than `max_event_bytes`.
    pub(crate) fn too_large(&mut self, index: usize, event_id: Option<String>, size: usize) {
        self.batch.rejected.push(Rejection {
            index,
            event_id,
            code: RejectionCode::TooLarge,
            field: "$".to_owned(),
            message: format!(
                "$: event is {size} bytes, over the per-event limit of {} bytes (max_event_bytes)",
                self.max_event_bytes
            ),
        });
    }

    /// Records a rejection.
    pub(crate) fn reject(&mut self, rejection: Rejection) {
        self.batch.rejected.push(rejection);
    }

    /// Records a valid event: accepted, or counted as an in-batch duplicate.
    pub(crate) fn accept(&mut self, index: usize, event: AnalyticsEvent, identify: bool) {
        if !self.seen.insert(event.dedup_key()) {
            self.batch.duplicates_in_batch += 1;
            return;
        }
        if identify {
            self.batch.identifies.push(Identify {
                index,
                message_id: event.event_id.clone(),
                user_id: event.user_id.clone(),
                traits: event.properties.clone(),
                timestamp: event.timestamp,
            });
        }
        self.batch.events.push(IndexedEvent { index, event });
    }

    /// The batch, or a request-level error when nothing was accepted: 413 when every
    /// event was too large, else 400 with the rejections.
    pub(crate) fn finish(self) -> Result<ParsedBatch, IngestError> {
        let batch = self.batch;
        if !batch.events.is_empty() {
            return Ok(batch);
        }
        if batch
            .rejected
            .iter()
            .all(|r| r.code == RejectionCode::TooLarge)
        {
            Err(IngestError::AllEventsTooLarge {
                limit: self.max_event_bytes,
                rejected: batch.rejected,
            })
        } else {
            Err(IngestError::NoValidEvents {
                rejected: batch.rejected,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FieldError;
    use crate::test_support::received_at;

    fn event(id: &str, source: Option<&str>) -> AnalyticsEvent {
        AnalyticsEvent {
            event_id: id.into(),
            user_id: "u".into(),
            event_type: "t".into(),
            timestamp: received_at(),
            properties: serde_json::Map::new(),
            source: source.map(str::to_owned),
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn dedup_within_batch() {
        let mut c = Collector::new(10);
        c.accept(0, event("a", None), false);
        c.accept(1, event("a", None), false);
        c.accept(2, event("a", Some("s1")), false);
        c.accept(3, event("a", Some("s2")), true);
        c.accept(4, event("a", Some("s2")), true);
        c.reject(FieldError::new("x", "bad").into_rejection(5, None));
        let batch = c.finish().unwrap();
        let indexes: Vec<usize> = batch.events.iter().map(|e| e.index).collect();
        assert_eq!(indexes, vec![0, 2, 3]);
        assert_eq!(batch.duplicates_in_batch, 2);
        assert_eq!(batch.identifies.len(), 1);
        assert_eq!(batch.identifies[0].index, 3);
        assert_eq!(batch.rejected.len(), 1);
        let report = batch.report(1);
        assert_eq!(
            (report.accepted, report.duplicates, report.rejected.len()),
            (2, 3, 1)
        );
        // store duplicates beyond the event count are clamped
        assert_eq!(batch.report(99).accepted, 0);
        assert_eq!(batch.report(99).duplicates, 5);
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn finish_errors() {
        let mut c = Collector::new(10);
        c.too_large(0, Some("a".into()), 11);
        c.too_large(1, None, 12);
        let err = c.finish().unwrap_err();
        assert_eq!(err.status_code(), 413);
        assert_eq!(err.rejected().len(), 2);
        assert_eq!(
            err.rejected()[0].message,
            "$: event is 11 bytes, over the per-event limit of 10 bytes (max_event_bytes)"
        );

        let mut c = Collector::new(10);
        c.too_large(0, None, 11);
        c.reject(FieldError::new("eventId", "missing").into_rejection(1, None));
        let err = c.finish().unwrap_err();
        assert_eq!(err.code(), "no_valid_events");

        let mut c = Collector::new(10);
        c.too_large(0, None, 11);
        c.accept(1, event("b", None), false);
        let batch = c.finish().unwrap();
        assert_eq!(batch.rejected[0].code, RejectionCode::TooLarge);
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn report_json_shape() {
        let report = IngestReport {
            accepted: 2,
            duplicates: 1,
            rejected: vec![
                FieldError::new("properties.amount", "bad").into_rejection(3, Some("e4".into())),
            ],
        };
        let v = serde_json::to_value(&report).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"accepted": 2, "duplicates": 1, "rejected": [
                {"index": 3, "eventId": "e4", "code": "invalid", "field": "properties.amount",
                 "message": "properties.amount: bad"}
            ]})
        );
        assert_eq!(serde_json::from_value::<IngestReport>(v).unwrap(), report);
        let indexed = IndexedEvent {
            index: 0,
            event: event("a", None),
        };
        let v = serde_json::to_value(&indexed).unwrap();
        assert_eq!(serde_json::from_value::<IndexedEvent>(v).unwrap(), indexed);
    }
}
