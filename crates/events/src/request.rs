//! The request as the component hands it over: route, content headers, body.

use chrono::{DateTime, Utc};

use crate::error::IngestError;

/// An ingestion route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// `POST /events`: native events, EventBridge envelopes, CloudEvents.
    Events,
    /// `POST /v1/batch` (also `/v1/import`): a Segment batch.
    SegmentBatch,
    /// `POST /v1/track`: one Segment track message.
    SegmentTrack,
    /// `POST /v1/identify`: one Segment identify message.
    SegmentIdentify,
    /// `POST /v1/page`: one Segment page message.
    SegmentPage,
    /// `POST /v1/screen`: one Segment screen message.
    SegmentScreen,
    /// `POST /v1/group`: one Segment group message.
    SegmentGroup,
    /// `POST /v1/alias`: one Segment alias message.
    SegmentAlias,
}

impl Route {
    /// Every route, for registering them.
    pub const ALL: &'static [Route] = &[
        Route::Events,
        Route::SegmentBatch,
        Route::SegmentTrack,
        Route::SegmentIdentify,
        Route::SegmentPage,
        Route::SegmentScreen,
        Route::SegmentGroup,
        Route::SegmentAlias,
    ];

    /// Maps a request path to its route. A query string and one trailing `/` are
    /// ignored; `/v1/import` is an alias of `/v1/batch`. Unknown paths give
    /// [`IngestError::UnknownRoute`] (404).
    pub fn from_path(path: &str) -> Result<Self, IngestError> {
        let without_query = path.split(['?', '#']).next().unwrap_or_default();
        let trimmed = match without_query.strip_suffix('/') {
            Some(rest) if !rest.is_empty() => rest,
            _ => without_query,
        };
        match trimmed {
            "/v1/import" => Ok(Route::SegmentBatch),
            _ => Route::ALL
                .iter()
                .copied()
                .find(|r| r.path() == trimmed)
                .ok_or_else(|| IngestError::UnknownRoute {
                    path: path.to_owned(),
                }),
        }
    }

    /// The canonical path of the route.
    pub fn path(self) -> &'static str {
        match self {
            Route::Events => "/events",
            Route::SegmentBatch => "/v1/batch",
            Route::SegmentTrack => "/v1/track",
            Route::SegmentIdentify => "/v1/identify",
            Route::SegmentPage => "/v1/page",
            Route::SegmentScreen => "/v1/screen",
            Route::SegmentGroup => "/v1/group",
            Route::SegmentAlias => "/v1/alias",
        }
    }

    /// Whether this is one of the Segment-compatible `/v1/*` routes.
    pub fn is_segment(self) -> bool {
        self != Route::Events
    }
}

/// What the component passes to [`crate::parse_request`].
///
/// Build it with [`IncomingBody::new`] and the `with_*` methods, or as a struct literal.
#[derive(Debug, Clone, Copy)]
pub struct IncomingBody<'a> {
    /// The route the request came in on.
    pub route: Route,
    /// The `Content-Type` header, if any.
    pub content_type: Option<&'a str>,
    /// The `Content-Encoding` header, if any.
    pub content_encoding: Option<&'a str>,
    /// Other request headers as `(name, value)` pairs; names are matched
    /// case-insensitively. Only the CloudEvents binary-mode `ce-*` headers are read, so
    /// passing just those is enough.
    pub headers: &'a [(&'a str, &'a str)],
    /// The raw (possibly gzip-encoded) body.
    pub body: &'a [u8],
    /// When the request was received; bounds event timestamps (at most one day ahead).
    pub received_at: DateTime<Utc>,
}

impl<'a> IncomingBody<'a> {
    /// A request on `route` with `body`, received at `received_at`, without headers.
    pub fn new(route: Route, body: &'a [u8], received_at: DateTime<Utc>) -> Self {
        Self {
            route,
            content_type: None,
            content_encoding: None,
            headers: &[],
            body,
            received_at,
        }
    }

    /// Sets the `Content-Type` header.
    pub fn with_content_type(mut self, content_type: &'a str) -> Self {
        self.content_type = Some(content_type);
        self
    }

    /// Sets the `Content-Encoding` header.
    pub fn with_content_encoding(mut self, content_encoding: &'a str) -> Self {
        self.content_encoding = Some(content_encoding);
        self
    }

    /// Sets the other headers (for CloudEvents binary mode: `ce-*`).
    pub fn with_headers(mut self, headers: &'a [(&'a str, &'a str)]) -> Self {
        self.headers = headers;
        self
    }

    /// The value of header `name` (case-insensitive), if present.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn from_path_table() {
        let cases = [
            ("/events", Some(Route::Events)),
            ("/events/", Some(Route::Events)),
            ("/events?x=1", Some(Route::Events)),
            ("/v1/batch", Some(Route::SegmentBatch)),
            ("/v1/import", Some(Route::SegmentBatch)),
            ("/v1/track", Some(Route::SegmentTrack)),
            ("/v1/identify/", Some(Route::SegmentIdentify)),
            ("/v1/page", Some(Route::SegmentPage)),
            ("/v1/screen", Some(Route::SegmentScreen)),
            ("/v1/group", Some(Route::SegmentGroup)),
            ("/v1/alias#f", Some(Route::SegmentAlias)),
            ("/", None),
            ("", None),
            ("/v1", None),
            ("/events/x", None),
            ("/EVENTS", None),
        ];
        for (path, expected) in cases {
            match expected {
                Some(route) => {
                    assert_eq!(Route::from_path(path), Ok(route), "{path}");
                    assert_eq!(route.is_segment(), route != Route::Events);
                }
                None => {
                    let err = Route::from_path(path).unwrap_err();
                    assert_eq!(err.status_code(), 404, "{path}");
                }
            }
        }
        for route in Route::ALL {
            assert_eq!(Route::from_path(route.path()), Ok(*route));
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn builder_and_header_lookup() {
        let headers = [("CE-Id", "1"), ("ce-source", "/s")];
        let t = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap();
        let req = IncomingBody::new(Route::Events, b"{}", t)
            .with_content_type("application/json")
            .with_content_encoding("gzip")
            .with_headers(&headers);
        assert_eq!(req.content_type, Some("application/json"));
        assert_eq!(req.content_encoding, Some("gzip"));
        assert_eq!(req.header("ce-id"), Some("1"));
        assert_eq!(req.header("CE-SOURCE"), Some("/s"));
        assert_eq!(req.header("ce-type"), None);
    }
}
