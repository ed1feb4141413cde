//! # demo: a believable tutoring-platform history, on demand
//!
//! This crate generates the event history of a fictional online tutoring
//! platform, for demos, end-to-end tests and benchmarks of the analytics app,
//! and ships the `demo-platform` CLI that POSTs it to the app's `/events`
//! ingestion endpoint.
//!
//! **What it is for:** filling a local or staging instance with realistic
//! data: tutors with real-sounding profiles, courses forming prerequisite
//! chains, students with goals who book tutors and work through courses,
//! payments, cancellations, refunds, drop-off, reviews, weekly seasonality,
//! growth and churn. The generator is deterministic (a pure function of
//! [`DemoConfig`], no I/O, no clock) and streams events in time order, so
//! millions of events need no more memory than the cast of people.
//!
//! **What it is not for:** it is not a statistical model of any real
//! platform, not a source of personal data (names and bios are invented),
//! not a load generator with realistic arrival times (the CLI sends as fast
//! as the server accepts), and not a validator of the ingestion endpoint
//! (it reports what the server says, it does not check the server's rules).
//!
//! Entry points: [`generate`] turns a [`DemoConfig`] into a time-ordered
//! iterator of [`DemoEvent`]s; [`to_native`], [`to_eventbridge`],
//! [`to_cloudevent`] and [`encode_batch`] produce the three wire formats the
//! ingestion endpoint accepts, and the `from_*` / [`decode_batch`] functions
//! read them back. The `demo-platform` binary is documented in `cli`
//! (`demo-platform --help`).
//!
//! ```
//! use demo::{BodyFormat, DemoConfig, encode_batch, generate};
//!
//! let events: Vec<_> = generate(&DemoConfig::small()).take(100).collect();
//! let (content_type, body) = encode_batch(&events, BodyFormat::CloudEventsBatch);
//! assert_eq!(content_type, "application/cloudevents-batch+json");
//! assert!(!body.is_empty());
//! ```

mod calendar;
mod catalog;
mod config;
mod encode;
mod event;
mod ids;
mod rng;
mod sim;
mod stats;
mod world;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
#[cfg(not(target_arch = "wasm32"))]
pub mod send;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod test_server;
#[cfg(not(target_arch = "wasm32"))]
pub mod token;

pub use config::{DemoConfig, default_end};
pub use encode::{
    BodyFormat, DecodeError, EVENTBRIDGE_ACCOUNT, EVENTBRIDGE_REGION, decode_batch, encode_batch,
    envelope_time, from_cloudevent, from_eventbridge, from_native, native_time, to_cloudevent,
    to_eventbridge, to_native,
};
pub use event::{DemoEvent, EventType};
pub use sim::{DemoEvents, generate};
pub use stats::EventCounts;
