//! The JSON responses every component's HTTP API shares, so that clients read them all the
//! same way: a JSON body with its status, and one error envelope,
//! `{"error": {"code": "snake_case", "message": "..."}}`.
//!
//! ```
//! use api_response::{ApiError, Caching};
//!
//! let response = ApiError::new(405, "method_not_allowed", "this route accepts POST")
//!     .with_header(http::header::ALLOW, "POST")
//!     .into_response(Caching::Private);
//! assert_eq!(response.status(), 405);
//! assert_eq!(response.headers()["allow"], "POST");
//! ```

use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderName};
use http::{HeaderValue, Response, StatusCode};
use serde::Serialize;

/// Who may keep a copy of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// What HTTP allows by default (the component's answer does not depend on who asks).
    Default,
    /// The answer depends on the caller's token: never kept by intermediaries
    /// (`Cache-Control: private, no-store`).
    Private,
}

/// A JSON response with this status and body.
pub fn json(status: u16, body: &impl Serialize, caching: Caching) -> Response<String> {
    let text = serde_json::to_string(body).unwrap_or_else(|e| {
        format!(
            r#"{{"error":{{"code":"internal","message":"cannot serialize the response: {e}"}}}}"#
        )
    });
    json_text(status, text, caching)
}

/// A JSON response whose body is already serialized (a GraphQL response, say).
pub fn json_text(status: u16, text: String, caching: Caching) -> Response<String> {
    let mut response = Response::new(text);
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if caching == Caching::Private {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    }
    response
}

/// A refused request: its status, a stable snake_case `code` that clients branch on, a
/// message for people, and the header its status calls for (`WWW-Authenticate` on 401,
/// `Allow` on 405, `Retry-After` on 503).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: u16,
    code: &'static str,
    message: String,
    header: Option<(HeaderName, &'static str)>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: Detail<'a>,
}

#[derive(Serialize)]
struct Detail<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            header: None,
        }
    }

    /// Adds the header the status calls for (nothing for `None`).
    pub fn with_header(mut self, name: HeaderName, value: impl Into<Option<&'static str>>) -> Self {
        if let Some(value) = value.into() {
            self.header = Some((name, value));
        }
        self
    }

    /// The status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The response: the envelope as JSON, with the status and the header.
    pub fn into_response(self, caching: Caching) -> Response<String> {
        let body = Envelope {
            error: Detail {
                code: self.code,
                message: &self.message,
            },
        };
        let mut response = json(self.status, &body, caching);
        if let Some((name, value)) = self.header {
            response
                .headers_mut()
                .insert(name, HeaderValue::from_static(value));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_responses_carry_status_type_and_caching() {
        let response = json(202, &serde_json::json!({"accepted": 2}), Caching::Default);
        assert_eq!(response.status(), 202);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
        assert!(!response.headers().contains_key(CACHE_CONTROL));
        assert_eq!(response.body(), r#"{"accepted":2}"#);

        let response = json(200, &[1, 2], Caching::Private);
        assert_eq!(response.headers()[CACHE_CONTROL], "private, no-store");
        // Not a status: a server error rather than a panic.
        assert_eq!(json(1000, &0, Caching::Default).status(), 500);

        let text = json_text(200, r#"{"data":null}"#.into(), Caching::Private);
        assert_eq!(text.body(), r#"{"data":null}"#);
        assert_eq!(text.headers()[CONTENT_TYPE], "application/json");
    }

    #[test]
    fn errors_use_one_envelope_and_add_their_header() {
        let error = ApiError::new(503, "store_unavailable", "the store is unavailable; retry")
            .with_header(http::header::RETRY_AFTER, "1");
        assert_eq!(error.status(), 503);
        let response = error.into_response(Caching::Private);
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "1");
        assert_eq!(response.headers()[CACHE_CONTROL], "private, no-store");
        let body: serde_json::Value = serde_json::from_str(response.body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": {"code": "store_unavailable",
                "message": "the store is unavailable; retry"}})
        );
        let plain = ApiError::new(400, "invalid_json", "line 1")
            .with_header(http::header::WWW_AUTHENTICATE, None)
            .into_response(Caching::Default);
        assert_eq!(plain.headers().len(), 1);
    }

    #[test]
    fn a_body_that_cannot_be_serialized_is_an_internal_error() {
        struct Refuses;
        impl Serialize for Refuses {
            fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("no"))
            }
        }
        let response = json(200, &Refuses, Caching::Default);
        let body: serde_json::Value = serde_json::from_str(response.body()).unwrap();
        assert_eq!(body["error"]["code"], "internal");
    }
}
