//! A tiny scripted ingestion server (hyper, 127.0.0.1:0) for the sender's
//! and the CLI's tests.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpListener;

use crate::{BodyFormat, decode_batch};

/// What the server answers to the next request (after the script runs out:
/// `202` accepting everything, counting repeated event ids as duplicates).
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// This status with this body.
    Status(u16, &'static str),
    /// This status with `Retry-After: 0`.
    RetryAfter(u16),
    /// `202` with a body that is not JSON.
    Garbage,
    /// Waits five seconds, then accepts.
    Slow,
    /// Accepts, but rejects the first `n` events of the batch.
    Reject(usize),
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub content_type: String,
    pub authorization: Option<String>,
    pub format: Option<BodyFormat>,
    pub events: usize,
}

struct State {
    script: VecDeque<Reply>,
    seen: HashSet<String>,
    requests: Vec<Recorded>,
}

pub(crate) struct TestServer {
    pub url: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl TestServer {
    pub async fn start(script: Vec<Reply>) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let state = Arc::new(Mutex::new(State {
            script: script.into(),
            seen: HashSet::new(),
            requests: Vec::new(),
        }));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(state.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        TestServer { url, state, task }
    }

    /// A URL nothing listens on.
    pub async fn unused_url() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        format!("http://{}", listener.local_addr().expect("addr"))
    }

    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.state).requests.clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn detect(content_type: &str, body: &[u8]) -> Option<BodyFormat> {
    if content_type == BodyFormat::CloudEventsBatch.content_type() {
        return Some(BodyFormat::CloudEventsBatch);
    }
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let first = value.as_array()?.first()?;
    Some(if first.get("detail-type").is_some() {
        BodyFormat::EventBridge
    } else {
        BodyFormat::Native
    })
}

fn respond(status: u16, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = http::StatusCode::from_u16(status).expect("status");
    response
}

async fn handle(
    state: Arc<Mutex<State>>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let header = |name| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header(http::header::CONTENT_TYPE).unwrap_or_default();
    let authorization = header(http::header::AUTHORIZATION);
    let body = req.into_body().collect().await?.to_bytes();
    let format = detect(&content_type, &body);
    let events = format
        .and_then(|f| decode_batch(&body, f).ok())
        .unwrap_or_default();
    let reply = {
        let mut state = lock(&state);
        let events = events.len();
        state.requests.push(Recorded {
            content_type,
            authorization,
            format,
            events,
        });
        state.script.pop_front()
    };
    let reject = match reply {
        Some(Reply::Status(status, text)) => return Ok(respond(status, text.to_string())),
        Some(Reply::RetryAfter(status)) => {
            let mut response = respond(status, "slow down".into());
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, "0".parse().expect("value"));
            return Ok(response);
        }
        Some(Reply::Garbage) => return Ok(respond(202, "<html>accepted</html>".into())),
        Some(Reply::Slow) => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            0
        }
        Some(Reply::Reject(n)) => n,
        None => 0,
    };
    let mut state = lock(&state);
    let (mut accepted, mut duplicates, mut rejected) = (0, 0, Vec::new());
    for (index, event) in events.iter().enumerate() {
        if index < reject {
            rejected.push(json!({ "index": index, "eventId": event.event_id, "error": "synthetic rejection" }));
        } else if state.seen.insert(event.event_id.clone()) {
            accepted += 1;
        } else {
            duplicates += 1;
        }
    }
    let body = json!({ "accepted": accepted, "duplicates": duplicates, "rejected": rejected });
    Ok(respond(202, body.to_string()))
}
