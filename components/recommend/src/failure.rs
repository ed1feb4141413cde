//! Every way a request can fail, each with its status, code and message.

use api_response::{ApiError, Caching};
use auth::AuthError;
use recommend::request::RequestError;
use recommend::{EmbedError, RecommendError, StoreError};
use serde::Serialize;

/// The largest `POST /study-plans` body accepted.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Why a request was refused.
#[derive(Debug)]
pub enum Failure {
    /// No valid token, or not the student's own data and not an admin (401, 403).
    Auth(AuthError),
    /// A bad parameter or body field (400).
    Request(RequestError),
    /// The body is over [`MAX_BODY_BYTES`] (413).
    TooLarge,
    /// The body could not be read (400).
    BodyRead(String),
    /// Not a route of this component (404).
    NotFound,
    /// The route exists with other methods (405).
    MethodNotAllowed(&'static str),
    /// A variable is missing or invalid (500).
    Config(String),
    /// The store could not be opened (503, retry).
    Store(StoreError),
    /// The library failed (503 when retrying may help, else 500).
    Recommend(RecommendError),
}

impl From<AuthError> for Failure {
    fn from(e: AuthError) -> Self {
        Failure::Auth(e)
    }
}

impl From<RequestError> for Failure {
    fn from(e: RequestError) -> Self {
        Failure::Request(e)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

impl From<RecommendError> for Failure {
    fn from(e: RecommendError) -> Self {
        Failure::Recommend(e)
    }
}

impl Failure {
    fn status(&self) -> u16 {
        match self {
            Failure::Auth(e) => e.status(),
            Failure::Request(e) => e.status(),
            Failure::TooLarge => 413,
            Failure::BodyRead(_) => 400,
            Failure::NotFound => 404,
            Failure::MethodNotAllowed(_) => 405,
            Failure::Config(_) => 500,
            Failure::Store(_) => 503,
            Failure::Recommend(e) => e.status(),
        }
    }

    fn code_and_message(&self) -> (&'static str, String) {
        match self {
            Failure::Auth(e) => (e.code(), e.to_string()),
            Failure::Request(e) => (e.code(), e.to_string()),
            Failure::TooLarge => (
                "payload_too_large",
                format!("the body is over {MAX_BODY_BYTES} bytes"),
            ),
            Failure::BodyRead(_) => ("invalid_body", "the body could not be read".into()),
            Failure::NotFound => (
                "not_found",
                "use GET /recommendations/{userId}[/tutors|/courses], \
                 POST /recommendations/refresh or POST /study-plans"
                    .into(),
            ),
            Failure::MethodNotAllowed(allow) => {
                ("method_not_allowed", format!("this route accepts {allow}"))
            }
            // Server-side details go to the log, not to the caller.
            Failure::Config(_) => (
                "configuration",
                "the recommendation service is misconfigured".into(),
            ),
            Failure::Store(_) => (
                "store_unavailable",
                "the recommendation store is unavailable; retry".into(),
            ),
            Failure::Recommend(RecommendError::Embed(EmbedError::Model(_))) => (
                "model_unavailable",
                "the embedding model is unavailable; retry".into(),
            ),
            Failure::Recommend(e) if e.is_retryable() => (
                "store_unavailable",
                "the recommendation store is busy; retry".into(),
            ),
            Failure::Recommend(_) => (
                "internal",
                "the recommendations could not be computed; nothing was changed".into(),
            ),
        }
    }

    /// The error response: `{"error": {"code", "message"}}` with the status, plus
    /// `WWW-Authenticate` on 401, `Allow` on 405 and `Retry-After` on 503.
    pub fn into_response(self) -> http::Response<String> {
        let status = self.status();
        match &self {
            Failure::Config(reason) | Failure::BodyRead(reason) => {
                eprintln!("recommend: {status}: {reason}")
            }
            Failure::Store(e) => eprintln!("recommend: {status}: {e}"),
            Failure::Recommend(e) => eprintln!("recommend: {status}: {e}"),
            _ => {}
        }
        let (code, message) = self.code_and_message();
        let error = ApiError::new(status, code, message);
        let error = match &self {
            Failure::Auth(e) => {
                error.with_header(http::header::WWW_AUTHENTICATE, e.www_authenticate())
            }
            Failure::MethodNotAllowed(allow) => error.with_header(http::header::ALLOW, *allow),
            _ if status == 503 => error.with_header(http::header::RETRY_AFTER, "1"),
            _ => error,
        };
        error.into_response(Caching::Private)
    }
}

/// A JSON response; a student's recommendations are never cached by intermediaries.
pub fn json(status: u16, body: &impl Serialize) -> http::Response<String> {
    api_response::json(status, body, Caching::Private)
}
