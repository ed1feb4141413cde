//! `dashboard`: the admin dashboard, a page over the GraphQL API, served under `/admin/`.
//!
//! The page, its script and style, and the vendored charting library are built into
//! `target/dashboard-assets/` by `scripts/build-dashboard` (which also gzips them) and
//! compiled into this component, so it needs no file mounts: Spin's `files` are not
//! implemented by the local host, and the public file-server component cannot be fetched
//! here. A thin component: the `static-assets` crate decides every response.

use spin_sdk::http::{FullBody, IntoResponse, Request};
use spin_sdk::http_service;
use static_assets::{Asset, Site};

/// A built asset and its gzip copy, from `target/dashboard-assets/`.
macro_rules! built {
    ($name:literal) => {
        Asset::new(
            $name,
            include_bytes!(concat!("../../../target/dashboard-assets/", $name)),
            Some(include_bytes!(concat!(
                "../../../target/dashboard-assets/",
                $name,
                ".gz"
            ))),
        )
    };
}

static ASSETS: [Asset; 7] = [
    built!("index.html"),
    built!("app.js"),
    built!("api.js"),
    built!("render.js"),
    built!("dashboard.css"),
    built!("uPlot.iife.min.js"),
    built!("uPlot.min.css"),
];

static SITE: Site = Site::new("/admin", &ASSETS);

#[http_service]
async fn dashboard(req: Request) -> anyhow::Result<impl IntoResponse> {
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let reply = SITE.respond(&static_assets::Request {
        method: req.method().as_str(),
        path: req.uri().path(),
        accept_encoding: header(http::header::ACCEPT_ENCODING),
        if_none_match: header(http::header::IF_NONE_MATCH),
    });
    let mut response = http::Response::builder().status(reply.status);
    for (name, value) in reply.headers {
        response = response.header(name, value);
    }
    Ok(response.body(FullBody::new(bytes::Bytes::from_static(reply.body)))?)
}
