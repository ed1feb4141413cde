//! Every way a request can fail, each with its status, code and message.

use events::{ErrorBody, ErrorDetail, IngestError};
use serde::Serialize;

/// Why a request was refused.
#[derive(Debug)]
pub enum Failure {
    /// The body was refused by the parser (its own status: 400, 404, 413 or 415).
    Ingest(IngestError),
    /// No ingest key, or the wrong one (401).
    Unauthorized,
    /// Not a POST (405).
    MethodNotAllowed,
    /// The request body could not be read from the connection (400).
    BodyRead(String),
    /// A variable is missing or invalid (500).
    Config(String),
    /// The store could not commit; nothing of the request was stored (503, retry).
    Store(String),
}

impl From<IngestError> for Failure {
    fn from(e: IngestError) -> Self {
        Failure::Ingest(e)
    }
}

impl Failure {
    fn status(&self) -> u16 {
        match self {
            Failure::Ingest(e) => e.status_code(),
            Failure::Unauthorized => 401,
            Failure::MethodNotAllowed => 405,
            Failure::BodyRead(_) => 400,
            Failure::Config(_) => 500,
            Failure::Store(_) => 503,
        }
    }

    fn body(self) -> ErrorBody {
        let detail = |code: &str, message: String| ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message,
                rejected: Vec::new(),
            },
        };
        match self {
            Failure::Ingest(e) => e.to_body(),
            Failure::Unauthorized => detail(
                "unauthorized",
                "missing or wrong ingest key: send Authorization: Bearer KEY, \
                 Basic auth with the key as user name, or an X-API-Key header"
                    .into(),
            ),
            Failure::MethodNotAllowed => detail(
                "method_not_allowed",
                "only POST is accepted on ingestion routes".into(),
            ),
            Failure::BodyRead(reason) => detail(
                "body_read_failed",
                format!("could not read the request body: {reason}"),
            ),
            Failure::Config(reason) => detail("configuration", reason),
            Failure::Store(reason) => detail(
                "store_unavailable",
                format!("the event store could not commit, nothing was stored; retry: {reason}"),
            ),
        }
    }

    /// The error response: `{"error": {"code", "message"}}` with the status, plus
    /// `WWW-Authenticate` on 401, `Allow` on 405 and `Retry-After` on 503.
    pub fn into_response(self) -> http::Response<String> {
        let status = self.status();
        let extra = match &self {
            Failure::Unauthorized => Some(("www-authenticate", "Bearer, Basic")),
            Failure::MethodNotAllowed => Some(("allow", "POST")),
            Failure::Store(_) => Some(("retry-after", "1")),
            _ => None,
        };
        if let Failure::Store(reason) | Failure::Config(reason) = &self {
            eprintln!("track-event: {status}: {reason}");
        }
        let mut response = json(status, &self.body());
        if let Some((name, value)) = extra {
            response
                .headers_mut()
                .insert(name, http::HeaderValue::from_static(value));
        }
        response
    }
}

/// A JSON response.
pub fn json(status: u16, body: &impl Serialize) -> http::Response<String> {
    api_response::json(status, body, api_response::Caching::Default)
}
