//! The tutoring platform's analytics event catalog and ingestion body parser.
//!
//! This crate is for turning an ingestion request — its route, content headers and raw
//! body bytes — into validated, typed [`AnalyticsEvent`]s plus per-event
//! [`Rejection`]s, or into a request-level [`IngestError`] that knows its HTTP status.
//! It understands native events, AWS EventBridge envelopes, CloudEvents 1.0 (structured,
//! batch and binary mode), and Segment/RudderStack `/v1/*` messages, gzip-encoded or
//! not; it also holds the event catalog, the size [`Limits`], the store's SQL
//! ([`store`]) and a helper to extract the presented ingest key.
//!
//! It is *not* for I/O: it has no spin-sdk dependency, reads no clock (callers pass
//! `received_at`), touches no database and does not check credentials. The
//! `track-event` Spin component does those things and renders the values returned
//! here ([`IngestReport`], [`ErrorBody`]) as its responses. See `docs/EVENTS.md` for
//! the contract as platform teams see it.
//!
//! ```
//! use events::{IncomingBody, Limits, Route, parse_request};
//! # let received_at = chrono::DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z").unwrap().to_utc();
//! let body = br#"{"eventId":"e1","userId":"u1","eventType":"CourseEnrolled",
//!                 "timestamp":"2024-05-01T11:00:00Z","properties":{"courseId":"c1"}}"#;
//! let req = IncomingBody::new(Route::from_path("/events")?, body, received_at)
//!     .with_content_type("application/json");
//! let batch = parse_request(&req, &Limits::default())?;
//! assert_eq!(batch.events[0].event.event_type, "course_enrolled");
//! let report = batch.report(0); // after storing: 0 cross-request duplicates
//! assert_eq!(report.accepted, 1);
//! # Ok::<(), events::IngestError>(())
//! ```

mod auth;
mod batch;
mod body;
pub mod catalog;
mod cloudevents;
mod error;
mod event;
mod ingest;
mod limits;
pub mod names;
mod native;
mod request;
mod segment;
pub mod store;
mod validate;

#[cfg(test)]
mod test_support;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod proptests;

pub use auth::credentials_from_headers;
pub use batch::{IndexedEvent, IngestReport, ParsedBatch};
pub use catalog::KnownType;
pub use error::{ErrorBody, ErrorDetail, IngestError, Rejection, RejectionCode};
pub use event::{AnalyticsEvent, DEDUP_SEPARATOR, Identify};
pub use ingest::parse_request;
pub use limits::{Limits, LimitsError};
pub use names::canonical_event_type;
pub use request::{IncomingBody, Route};
pub use validate::{
    MAX_EVENT_ID_LEN, MAX_FUTURE_SKEW, MAX_SOURCE_LEN, MAX_USER_ID_LEN, format_timestamp,
};
