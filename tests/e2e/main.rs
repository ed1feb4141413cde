//! End-to-end tests: the real `spin-local` binary serving real `.wasm` components over HTTP.

mod dashboard;
mod federation;
mod graphql;
mod host;
mod ingest;
mod llm;
mod metrics;
mod recommend;
mod support;
