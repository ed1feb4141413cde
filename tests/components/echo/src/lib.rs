//! Echoes what it was sent, for service-chaining tests.

use spin_sdk::http::{IntoResponse, Request, body::IncomingBodyExt};
use spin_sdk::http_service;

#[http_service]
async fn echo(req: Request) -> anyhow::Result<impl IntoResponse> {
    let method = req.method().to_string();
    let uri = req.uri().to_string();
    let body = req.into_body().bytes().await?;
    Ok(http::Response::builder()
        .status(200)
        .header("x-echo-method", method)
        .header("x-echo-uri", uri)
        .body(String::from_utf8_lossy(&body).into_owned())?)
}
