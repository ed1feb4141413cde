//! Every way a request can fail, each with its status, code and message.

use api_response::{ApiError, Caching};
use auth::AuthError;
use http::HeaderValue;
use metrics::{BodyEncoding, MetricsError, RequestError};
use serde::Serialize;
use sql_store::StoreError;

/// Why a request was refused.
#[derive(Debug)]
pub enum Failure {
    /// No valid admin token (401, 403).
    Auth(AuthError),
    /// A bad dashboard name or parameter (404, 400).
    Request(RequestError),
    /// Not a route of this component (404).
    NotFound,
    /// The route exists with other methods (405).
    MethodNotAllowed(&'static str),
    /// A variable is missing or invalid (500).
    Config(String),
    /// The store could not be opened (503, retry).
    Store(StoreError),
    /// The engine failed; nothing it wrote was kept (500).
    Metrics(MetricsError),
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

impl From<MetricsError> for Failure {
    fn from(e: MetricsError) -> Self {
        Failure::Metrics(e)
    }
}

impl Failure {
    fn status(&self) -> u16 {
        match self {
            Failure::Auth(e) => e.status(),
            Failure::Request(e) => e.status(),
            Failure::NotFound => 404,
            Failure::MethodNotAllowed(_) => 405,
            Failure::Config(_) => 500,
            Failure::Store(_) => 503,
            Failure::Metrics(e) => e.status(),
        }
    }

    fn code_and_message(&self) -> (&'static str, String) {
        match self {
            Failure::Auth(e) => (e.code(), e.to_string()),
            Failure::Request(e) => (e.code(), e.to_string()),
            Failure::NotFound => (
                "not_found",
                "use GET /metrics/{overview|engagement|tutoring|revenue|learning} \
                 or POST /metrics/refresh"
                    .into(),
            ),
            Failure::MethodNotAllowed(allow) => {
                ("method_not_allowed", format!("this route accepts {allow}"))
            }
            // Server-side details go to the log, not to the caller.
            Failure::Config(_) => (
                "configuration",
                "the metrics service is misconfigured".into(),
            ),
            Failure::Store(_) => (
                "store_unavailable",
                "the metrics store is unavailable; retry".into(),
            ),
            Failure::Metrics(_) => (
                "internal",
                "the metrics could not be computed; nothing was changed".into(),
            ),
        }
    }

    /// The error response: `{"error": {"code", "message"}}` with the status, plus
    /// `WWW-Authenticate` on 401, `Allow` on 405 and `Retry-After` on 503.
    pub fn into_response(self) -> http::Response<String> {
        let status = self.status();
        match &self {
            Failure::Config(reason) => eprintln!("metrics: {status}: {reason}"),
            Failure::Store(e) => eprintln!("metrics: {status}: {e}"),
            Failure::Metrics(e) => eprintln!("metrics: {status}: {e}"),
            _ => {}
        }
        let (code, message) = self.code_and_message();
        let error = ApiError::new(status, code, message);
        let error = match &self {
            Failure::Auth(e) => {
                error.with_header(http::header::WWW_AUTHENTICATE, e.www_authenticate())
            }
            Failure::MethodNotAllowed(allow) => error.with_header(http::header::ALLOW, *allow),
            Failure::Store(_) => error.with_header(http::header::RETRY_AFTER, "1"),
            _ => error,
        };
        error.into_response(Caching::Private)
    }
}

/// A JSON response; admins' dashboards are never cached by intermediaries.
pub fn json(status: u16, body: &impl Serialize) -> http::Response<String> {
    api_response::json(status, body, Caching::Private)
}

/// A dashboard's JSON (`200`), as [`json`], in `encoding`; it varies with the client's
/// `Accept-Encoding`.
pub fn dashboard_response(body: Vec<u8>, encoding: BodyEncoding) -> http::Response<Vec<u8>> {
    let mut response = api_response::json_text(200, String::new(), Caching::Private).map(|_| body);
    let headers = response.headers_mut();
    headers.insert(
        http::header::VARY,
        HeaderValue::from_static("Accept-Encoding"),
    );
    if encoding == BodyEncoding::Gzip {
        headers.insert(
            http::header::CONTENT_ENCODING,
            HeaderValue::from_static("gzip"),
        );
    }
    response
}
