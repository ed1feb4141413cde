//! Delivering encoded batches to the ingestion endpoint over plain HTTP/1.1
//! (hyper-util's client; no TLS — meant for loopback and private networks).
//!
//! One [`Sender::send`] POSTs one batch to `{base}/events`, retrying with
//! exponential backoff on connection errors, timeouts, 429 and 5xx, and
//! failing at once on any other non-2xx status with the status and body.

use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use http::{Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;
use serde_json::Value;

/// The body of a successful (`202 Accepted`) ingestion response.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct IngestResponse {
    /// Events stored.
    pub accepted: u64,
    /// Events already known (same event id) and skipped.
    pub duplicates: u64,
    /// One entry per invalid event, as the server describes it.
    #[serde(default)]
    pub rejected: Vec<Value>,
}

impl IngestResponse {
    /// How many events the response accounts for.
    pub fn accounted(&self) -> u64 {
        self.accepted + self.duplicates + self.rejected.len() as u64
    }
}

/// Parses an ingestion response body.
pub fn parse_ingest_response(body: &[u8]) -> Result<IngestResponse, serde_json::Error> {
    serde_json::from_slice(body)
}

/// Why a batch could not be delivered.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The base URL or the key cannot be used.
    #[error("invalid {what}: {reason}")]
    Config {
        /// `URL` or `key`.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The server answered with a status that retrying cannot fix (4xx…).
    #[error("POST {url} failed with {status}: {body}")]
    Status {
        /// The endpoint.
        url: String,
        /// The HTTP status.
        status: StatusCode,
        /// The response body (lossy UTF-8).
        body: String,
    },
    /// A 2xx response whose body is not the expected JSON.
    #[error("POST {url} returned {status} with an unexpected body ({error}): {body}")]
    BadResponse {
        /// The endpoint.
        url: String,
        /// The HTTP status.
        status: StatusCode,
        /// Why the body did not parse.
        error: String,
        /// The response body (lossy UTF-8).
        body: String,
    },
    /// Every attempt failed with a retryable error.
    #[error("POST {url} failed after {attempts} attempts; last error: {last}")]
    GaveUp {
        /// The endpoint.
        url: String,
        /// How many attempts were made.
        attempts: u32,
        /// The last error seen.
        last: String,
    },
}

/// How hard to try before giving up on a batch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Total attempts per batch (at least 1).
    pub attempts: u32,
    /// Wait before the first retry; doubles after each retry.
    pub initial_backoff: Duration,
    /// Upper bound of a single wait (also caps `Retry-After`).
    pub max_backoff: Duration,
    /// Per-attempt time limit.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts: 6,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            timeout: Duration::from_secs(60),
        }
    }
}

/// A successfully delivered batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// What the server said about the batch.
    pub response: IngestResponse,
    /// Attempts it took (1 = no retry).
    pub attempts: u32,
}

enum Outcome {
    Done(IngestResponse),
    Retry(String, Option<Duration>),
    Fail(SendError),
}

/// POSTs batches to one ingestion endpoint. Cheap to share behind an `Arc`.
pub struct Sender {
    client: Client<HttpConnector, Full<Bytes>>,
    uri: Uri,
    url: String,
    authorization: Option<HeaderValue>,
    policy: RetryPolicy,
}

impl Sender {
    /// A sender for `{base_url}/events`, authenticating with `Bearer {key}` if given.
    pub fn new(
        base_url: &str,
        key: Option<&str>,
        policy: RetryPolicy,
    ) -> Result<Sender, SendError> {
        let url = format!("{}/events", base_url.trim_end_matches('/'));
        let config = |what, reason: String| SendError::Config { what, reason };
        let uri: Uri = url
            .parse()
            .map_err(|e| config("URL", format!("`{url}`: {e}")))?;
        if uri.scheme_str() != Some("http") || uri.host().is_none() {
            return Err(config(
                "URL",
                format!("`{url}`: only http://host[:port] is supported"),
            ));
        }
        let authorization = key
            .map(|k| HeaderValue::from_str(&format!("Bearer {k}")))
            .transpose()
            .map_err(|e| config("key", e.to_string()))?;
        Ok(Sender {
            client: Client::builder(TokioExecutor::new()).build_http(),
            uri,
            url,
            authorization,
            policy,
        })
    }

    /// The endpoint batches go to.
    pub fn endpoint(&self) -> &str {
        &self.url
    }

    /// Delivers one encoded batch, retrying as the policy allows.
    pub async fn send(
        &self,
        content_type: &'static str,
        body: Vec<u8>,
    ) -> Result<Delivery, SendError> {
        let body = Bytes::from(body);
        let mut backoff = self.policy.initial_backoff;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let (reason, retry_after) = match self.attempt(content_type, body.clone()).await {
                Outcome::Done(response) => return Ok(Delivery { response, attempts }),
                Outcome::Fail(error) => return Err(error),
                Outcome::Retry(reason, retry_after) => (reason, retry_after),
            };
            if attempts >= self.policy.attempts.max(1) {
                return Err(SendError::GaveUp {
                    url: self.url.clone(),
                    attempts,
                    last: reason,
                });
            }
            let wait = retry_after.unwrap_or(backoff).min(self.policy.max_backoff);
            tokio::time::sleep(wait).await;
            backoff = (backoff * 2).min(self.policy.max_backoff);
        }
    }

    async fn attempt(&self, content_type: &'static str, body: Bytes) -> Outcome {
        let mut request = Request::post(self.uri.clone())
            .header(CONTENT_TYPE, content_type)
            .header(ACCEPT, "application/json");
        if let Some(auth) = &self.authorization {
            request = request.header(AUTHORIZATION, auth.clone());
        }
        let request = match request.body(Full::new(body)) {
            Ok(request) => request,
            Err(e) => {
                return Outcome::Fail(SendError::Config {
                    what: "request",
                    reason: e.to_string(),
                });
            }
        };
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| format!("{e:?}"))?;
            let status = response.status();
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let bytes = response
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, String>((status, retry_after, bytes.to_bytes()))
        };
        match tokio::time::timeout(self.policy.timeout, exchange).await {
            Err(_) => Outcome::Retry(
                format!("no response within {:?}", self.policy.timeout),
                None,
            ),
            Ok(Err(error)) => Outcome::Retry(format!("connection error: {error}"), None),
            Ok(Ok((status, retry_after, body))) => self.classify(status, retry_after, &body),
        }
    }

    fn classify(&self, status: StatusCode, retry_after: Option<Duration>, body: &[u8]) -> Outcome {
        let text = String::from_utf8_lossy(body).into_owned();
        if status.is_success() {
            return match parse_ingest_response(body) {
                Ok(response) => Outcome::Done(response),
                Err(e) => Outcome::Fail(SendError::BadResponse {
                    url: self.url.clone(),
                    status,
                    error: e.to_string(),
                    body: text,
                }),
            };
        }
        let retryable = status.is_server_error()
            || status == StatusCode::TOO_MANY_REQUESTS
            || status == StatusCode::REQUEST_TIMEOUT;
        if retryable {
            Outcome::Retry(format!("{status}: {text}"), retry_after)
        } else {
            Outcome::Fail(SendError::Status {
                url: self.url.clone(),
                status,
                body: text,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_server::{Reply, TestServer};
    use crate::{BodyFormat, DemoConfig, encode_batch, generate};

    fn fast(attempts: u32) -> RetryPolicy {
        RetryPolicy {
            attempts,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
            timeout: Duration::from_secs(10),
        }
    }

    fn batch(n: usize, format: BodyFormat) -> (&'static str, Vec<u8>) {
        let events: Vec<_> = generate(&DemoConfig::small()).take(n).collect();
        encode_batch(&events, format)
    }

    #[tokio::test]
    async fn retries_a_503_then_reads_the_202() {
        let server = TestServer::start(vec![Reply::Status(503, "warming up")]).await;
        let sender = Sender::new(&server.url, Some("k3y"), fast(3)).expect("sender");
        let (content_type, body) = batch(20, BodyFormat::CloudEventsBatch);
        let delivery = sender.send(content_type, body).await.expect("delivered");
        assert_eq!(delivery.attempts, 2);
        assert_eq!(delivery.response.accepted, 20);
        let seen = server.requests();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[1].authorization.as_deref(), Some("Bearer k3y"));
        assert_eq!(seen[1].content_type, "application/cloudevents-batch+json");
        assert_eq!(seen[1].events, 20);
    }

    #[tokio::test]
    async fn honours_retry_after_and_gives_up_eventually() {
        let server = TestServer::start(vec![Reply::RetryAfter(429); 3]).await;
        let slow = Duration::from_secs(30);
        let policy = RetryPolicy {
            initial_backoff: slow,
            max_backoff: slow,
            ..fast(2)
        };
        let sender = Sender::new(&server.url, None, policy).expect("sender");
        let (content_type, body) = batch(5, BodyFormat::Native);
        let started = std::time::Instant::now();
        let error = sender.send(content_type, body).await.expect_err("gives up");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "Retry-After: 0 was ignored"
        );
        let text = error.to_string();
        assert!(
            text.contains("after 2 attempts") && text.contains("429"),
            "{text}"
        );
        assert_eq!(server.requests()[0].authorization, None);
    }

    #[tokio::test]
    async fn fails_fast_on_4xx_with_status_and_body() {
        let server = TestServer::start(vec![Reply::Status(400, "{\"error\":\"bad batch\"}")]).await;
        let sender = Sender::new(&format!("{}/", server.url), Some("k"), fast(5)).expect("sender");
        let (content_type, body) = batch(5, BodyFormat::EventBridge);
        let error = sender.send(content_type, body).await.expect_err("refused");
        let text = error.to_string();
        assert!(
            text.contains("400 Bad Request") && text.contains("bad batch"),
            "{text}"
        );
        assert_eq!(server.requests().len(), 1);
    }

    #[tokio::test]
    async fn reports_unexpected_bodies_and_dead_servers() {
        let server = TestServer::start(vec![Reply::Garbage]).await;
        let sender = Sender::new(&server.url, None, fast(1)).expect("sender");
        let error = sender
            .send("application/json", b"[]".to_vec())
            .await
            .expect_err("garbage");
        assert!(matches!(error, SendError::BadResponse { .. }), "{error}");

        let dead = TestServer::unused_url().await;
        let sender = Sender::new(&dead, None, fast(2)).expect("sender");
        let error = sender
            .send("application/json", b"[]".to_vec())
            .await
            .expect_err("dead");
        assert!(error.to_string().contains("connection error"), "{error}");
        assert!(sender.endpoint().ends_with("/events"));
    }

    #[tokio::test]
    async fn times_out_slow_servers() {
        let server = TestServer::start(vec![Reply::Slow]).await;
        let policy = RetryPolicy {
            timeout: Duration::from_millis(50),
            ..fast(1)
        };
        let sender = Sender::new(&server.url, None, policy).expect("sender");
        let error = sender
            .send("application/json", b"[]".to_vec())
            .await
            .expect_err("slow");
        assert!(error.to_string().contains("no response within"), "{error}");
    }

    #[test]
    fn rejects_unusable_urls_and_keys() {
        for url in ["https://example.com", "not a url", "http://"] {
            assert!(
                Sender::new(url, None, RetryPolicy::default()).is_err(),
                "{url}"
            );
        }
        let error = Sender::new(
            "http://127.0.0.1:1",
            Some("bad\nkey"),
            RetryPolicy::default(),
        );
        assert!(matches!(error, Err(SendError::Config { what: "key", .. })));
    }

    #[test]
    fn parses_ingest_responses() {
        let r = parse_ingest_response(br#"{"accepted":3,"duplicates":1,"rejected":[{"index":0}]}"#)
            .expect("parses");
        assert_eq!(
            (r.accepted, r.duplicates, r.rejected.len(), r.accounted()),
            (3, 1, 1, 5)
        );
        let r = parse_ingest_response(br#"{"accepted":2,"duplicates":0}"#).expect("parses");
        assert!(r.rejected.is_empty());
        assert!(parse_ingest_response(b"{\"accepted\":\"x\"}").is_err());
    }
}
