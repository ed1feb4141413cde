//! Outbound HTTP: Spin's `allowed_outbound_hosts` rules, and `*.spin.internal` service chaining,
//! which hands a request straight to another component of the app without a network hop.

use crate::server::Handlers;
use std::sync::{Arc, OnceLock};
use wasmtime_wasi_http::{Error as HttpError, WasiBody, WasiHttpHooks};

/// One `allowed_outbound_hosts` entry: `scheme://host[:port]`, where each part may be `*`, and a
/// host may start with `*.`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    scheme: String,
    host: String,
    port: Option<String>,
}

impl AllowedHost {
    /// Parses one entry; `self` stands for the app itself, as in Spin.
    pub fn parse(entry: &str) -> Result<Self, String> {
        let (scheme, rest) = entry.split_once("://").ok_or_else(|| {
            format!("allowed host '{entry}' must include a scheme (e.g. https://)")
        })?;
        let rest = rest.trim_end_matches('/');
        if rest.contains('/') {
            return Err(format!("allowed host '{entry}' must not include a path"));
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) if !h.is_empty() => (h, Some(p.to_owned())),
            _ => (rest, None),
        };
        if host.is_empty() {
            return Err(format!("allowed host '{entry}' has no host"));
        }
        Ok(Self {
            scheme: scheme.to_ascii_lowercase(),
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// Whether a request to `scheme://host:port` is allowed by this entry.
    pub fn allows(&self, scheme: &str, host: &str, port: u16) -> bool {
        let scheme_ok = self.scheme == "*" || self.scheme == scheme;
        let host_ok = match self.host.strip_prefix("*.") {
            _ if self.host == "*" => true,
            Some(suffix) => host.ends_with(&format!(".{suffix}")),
            None => self.host == host || (self.host == "self" && host == "self"),
        };
        let port_ok = match &self.port {
            Some(p) if p == "*" => true,
            Some(p) => p.parse::<u16>() == Ok(port),
            None => port == default_port(scheme),
        };
        scheme_ok && host_ok && port_ok
    }
}

fn default_port(scheme: &str) -> u16 {
    if scheme == "https" { 443 } else { 80 }
}

/// The outbound rules of one component.
#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    allowed: Vec<AllowedHost>,
}

impl OutboundPolicy {
    /// Parses a component's `allowed_outbound_hosts`.
    pub fn new(entries: &[String]) -> Result<Self, String> {
        let allowed = entries
            .iter()
            .map(|e| AllowedHost::parse(e))
            .collect::<Result<_, _>>()?;
        Ok(Self { allowed })
    }

    /// Whether the component may send to this URI.
    pub fn allows(&self, uri: &http::Uri) -> bool {
        let scheme = uri.scheme_str().unwrap_or("https").to_ascii_lowercase();
        let host = uri.host().unwrap_or_default().to_ascii_lowercase();
        let port = uri.port_u16().unwrap_or_else(|| default_port(&scheme));
        self.allowed.iter().any(|a| a.allows(&scheme, &host, port))
    }
}

/// `wasi:http` hooks of one instance: the policy, and the app's components for chaining.
pub struct OutboundHooks {
    /// The component's rules.
    pub policy: Arc<OutboundPolicy>,
    /// The app's HTTP handlers, set once the app is loaded.
    pub handlers: Arc<OnceLock<Handlers>>,
}

type IoFuture = Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>;

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<wasmtime_wasi_http::RequestOptions>,
        fut: IoFuture,
    ) -> Box<
        dyn Future<
                Output = wasmtime::Result<
                    (http::Response<WasiBody>, IoFuture),
                    wasmtime_wasi_http::Error,
                >,
            > + Send,
    > {
        let allowed = self.policy.allows(request.uri());
        let internal = request
            .uri()
            .host()
            .and_then(|h| h.strip_suffix(".spin.internal"))
            .map(str::to_owned);
        let handlers = self.handlers.clone();
        let _ = fut;
        Box::new(async move {
            if !allowed {
                return Err(HttpError::HttpRequestDenied);
            }
            if let Some(component) = internal {
                let handlers = handlers.get().ok_or(HttpError::InternalError(None))?;
                let response = handlers
                    .handle_internal(&component, request)
                    .await
                    .map_err(|_| HttpError::DestinationNotFound)?;
                return Ok((response, Box::new(async { Ok(()) }) as IoFuture));
            }
            use http_body_util::BodyExt;
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as IoFuture,
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_match_as_spin_matches_them() {
        let policy = OutboundPolicy::new(&[
            "https://api.example.com".into(),
            "http://*.spin.internal".into(),
            "http://localhost:*".into(),
            "*://wild.example.com:8080".into(),
        ])
        .unwrap();
        let table = [
            ("https://api.example.com/x", true),
            ("https://api.example.com:443/x", true),
            ("https://api.example.com:8443/x", false),
            ("http://api.example.com/x", false),
            ("http://metrics.spin.internal/q", true),
            ("http://spin.internal/q", false),
            ("http://localhost:3000/", true),
            ("https://localhost:3000/", false),
            ("http://wild.example.com:8080/", true),
            ("https://wild.example.com:8080/", true),
            ("https://evil.com/", false),
        ];
        for (uri, expected) in table {
            assert_eq!(policy.allows(&uri.parse().unwrap()), expected, "{uri}");
        }
        assert!(!OutboundPolicy::default().allows(&"https://a.b/".parse().unwrap()));
    }

    #[test]
    fn malformed_entries_are_rejected() {
        for bad in ["example.com", "https://", "https://a.com/path"] {
            assert!(AllowedHost::parse(bad).is_err(), "{bad}");
        }
        assert!(
            AllowedHost::parse("*://*:*")
                .unwrap()
                .allows("http", "x", 1)
        );
    }
}
