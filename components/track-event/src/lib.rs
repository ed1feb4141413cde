//! `track-event`: the ingestion endpoint of the tutoring platform (`POST /events` and the
//! Segment-compatible `/v1/*` routes; the contract is `docs/EVENTS.md`).
//!
//! A thin Spin component: it checks the ingest key, reads the body within the size limit,
//! hands it to [`events::parse_request`] and stores the accepted events in one SQLite
//! transaction ([`store`]). Parsing, validation and the SQL live in the `events` crate; this
//! crate only does the I/O and maps each outcome to a status ([`failure::Failure`]).

mod config;
mod failure;
mod store;

use chrono::Utc;
use events::{IncomingBody, IngestError, IngestReport, Route, parse_request};
use http_body_util::BodyExt;
use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::http_service;
use spin_sdk::wasip3::http_compat::IncomingRequestBody;

use crate::config::Config;
use crate::failure::Failure;

/// The API-key header, for senders that cannot set `Authorization` (EventBridge connections
/// of the "API key" kind let you choose both the header name and the value).
pub const API_KEY_HEADER: &str = "x-api-key";

#[http_service]
async fn track_event(req: Request) -> anyhow::Result<impl IntoResponse> {
    Ok(match ingest(req).await {
        Ok(report) => failure::json(202, &report),
        Err(failure) => failure.into_response(),
    })
}

async fn ingest(req: Request) -> Result<IngestReport, Failure> {
    let received_at = Utc::now();
    let route = Route::from_path(req.uri().path())?;
    if req.method() != http::Method::POST {
        return Err(Failure::MethodNotAllowed);
    }
    let config = Config::load().await?;
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let presented =
        events::credentials_from_headers(header("authorization"), header(API_KEY_HEADER));
    if !config.accepts(presented.as_deref()) {
        return Err(Failure::Unauthorized);
    }

    let (parts, body) = req.into_parts();
    let header = |name| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let length = header("content-length").and_then(|v| v.parse::<usize>().ok());
    let body = read_body(body, length, config.limits.max_request_bytes).await?;
    let ce_headers: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("ce-"))
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
        .collect();
    let request = IncomingBody {
        route,
        content_type: header("content-type"),
        content_encoding: header("content-encoding"),
        headers: &ce_headers,
        body: &body,
        received_at,
    };
    let batch = parse_request(&request, &config.limits)?;
    let store_duplicates = store::save(&batch, received_at).await?;
    Ok(batch.report(store_duplicates))
}

/// Reads the body, refusing it as soon as it is known to be over `limit`: from its
/// `content-length` before reading anything, else after the chunk that passes the limit.
async fn read_body(
    mut body: IncomingRequestBody,
    length: Option<usize>,
    limit: usize,
) -> Result<Vec<u8>, Failure> {
    if let Some(actual) = length.filter(|n| *n > limit) {
        return Err(IngestError::RequestTooLarge { actual, limit }.into());
    }
    let mut bytes = Vec::with_capacity(length.unwrap_or(0));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Failure::BodyRead(format!("{e:?}")))?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > limit {
                let read = bytes.len() + data.len();
                return Err(IngestError::RequestTooLargeWhileReading { read, limit }.into());
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes)
}
