//! `graphql`: the platform's Apollo Federation v2 subgraph at `POST /graphql` (and `GET` for
//! queries), over the metrics and recommend components.
//!
//! A thin component: the `subgraph` crate holds the schema, the access rules and the HTTP
//! handling; this crate verifies the caller's JWT (the `auth` crate, as the other
//! components), reads the body within its limit, and reaches the metrics and recommend
//! components through their typed exports ([`imports`]), composed into this component as
//! Spin component dependencies: no HTTP hop, no second copy of any rule.

#[allow(unsafe_code)]
mod imports;

use std::sync::{Arc, OnceLock};

use api_response::Caching;
use chrono::Utc;
use http_body_util::BodyExt;
use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::http_service;
use subgraph::{Caller, HttpRequest, HttpResponse, MAX_BODY_BYTES, Subgraph};

/// The schema, built once per instance (it is immutable).
static SUBGRAPH: OnceLock<Subgraph> = OnceLock::new();

#[http_service]
async fn graphql_endpoint(req: Request) -> anyhow::Result<impl IntoResponse> {
    let response = if req.uri().path() != "/graphql" {
        HttpResponse {
            status: 404,
            body: r#"{"errors":[{"message":"the GraphQL endpoint is /graphql","extensions":{"code":"NOT_FOUND"}}]}"#.into(),
            allow: None,
        }
    } else {
        serve(req).await
    };
    Ok(into_http(response))
}

async fn serve(req: Request) -> HttpResponse {
    let caller = caller(
        req.headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
    )
    .await;
    let method = req.method().as_str().to_owned();
    let query_string = req.uri().query().map(str::to_owned);
    let content_type = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = match read_body(req).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let subgraph = SUBGRAPH.get_or_init(|| {
        let introspection = variable_now("graphql_introspection").as_deref() != Some("false");
        Subgraph::new(Arc::new(imports::Components), introspection)
    });
    let request = HttpRequest {
        method: &method,
        query_string: query_string.as_deref(),
        content_type: content_type.as_deref(),
        body: &body,
    };
    subgraph.serve(request, caller).await
}

/// Who is calling: the token verified against `jwt_public_key` or `jwt_secret`.
async fn caller(authorization: Option<&str>) -> Caller {
    let secret = variable("jwt_secret").await;
    let public_key = variable("jwt_public_key").await;
    match auth::Verifier::cached(secret.as_deref(), public_key.as_deref()) {
        Ok(verifier) => match verifier.verify(authorization, Utc::now().timestamp()) {
            Ok(principal) => Caller::Verified(principal),
            Err(e) => Caller::Refused(e),
        },
        Err(e) => {
            eprintln!("graphql: no usable JWT key: {e}");
            Caller::Misconfigured
        }
    }
}

/// A variable, `None` when undefined or blank.
async fn variable(name: &str) -> Option<String> {
    match spin_sdk::variables::get(name).await {
        Ok(value) if !value.trim().is_empty() => Some(value),
        Ok(_) => None,
        Err(spin_sdk::variables::Error::Undefined(_)) => None,
        Err(e) => {
            eprintln!("graphql: variable {name}: {e:?}");
            None
        }
    }
}

/// A variable read where no `.await` is possible; it answers in one poll (see the metrics
/// component's cron module).
fn variable_now(name: &str) -> Option<String> {
    sql_store::run_ready(variable(name)).ok().flatten()
}

/// Reads the body, refusing it past [`MAX_BODY_BYTES`] (from `content-length`, or while
/// reading).
async fn read_body(req: Request) -> Result<Vec<u8>, HttpResponse> {
    let too_large = || HttpResponse {
        status: 413,
        body: format!(
            r#"{{"errors":[{{"message":"the body is larger than {MAX_BODY_BYTES} bytes","extensions":{{"code":"PAYLOAD_TOO_LARGE"}}}}]}}"#
        ),
        allow: None,
    };
    let (parts, mut body) = req.into_parts();
    let length = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if length.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(too_large());
    }
    // A GET's operation is in its query string: its body is never read. With a
    // `content-length`, reading stops at that many bytes: waiting for the end of the stream
    // and for the trailers would only add waits on the host (20 to 30 us a request).
    let mut bytes = Vec::with_capacity(length.unwrap_or(0));
    let ignored = parts.method == http::Method::GET || parts.method == http::Method::HEAD;
    if ignored || length == Some(0) {
        return Ok(bytes);
    }
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(HttpResponse {
                status: 400,
                body: r#"{"errors":[{"message":"the body could not be read","extensions":{"code":"BAD_REQUEST"}}]}"#.into(),
                allow: None,
            });
        };
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > MAX_BODY_BYTES {
                return Err(too_large());
            }
            bytes.extend_from_slice(&data);
            if length.is_some_and(|n| bytes.len() >= n) {
                break;
            }
        }
    }
    Ok(bytes)
}

fn into_http(r: HttpResponse) -> http::Response<String> {
    // Answers depend on the caller's token: never cached by intermediaries.
    let mut response = api_response::json_text(r.status, r.body, Caching::Private);
    if let Some(allow) = r.allow {
        response
            .headers_mut()
            .insert(http::header::ALLOW, http::HeaderValue::from_static(allow));
    }
    response
}
