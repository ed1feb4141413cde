//! Issue 7, the admin dashboard: the `dashboard` component's files over HTTP, then the page in
//! Debian's Chromium (`tests/dashboard/dashboard.test.mjs`, Playwright) against the root app
//! with a small demo platform loaded and refreshed, every number compared with `POST /graphql`.

use crate::ingest::KEY;
use crate::metrics::{SECRET, admin, call};
use crate::support::*;
use demo::{BodyFormat, DemoConfig, encode_batch, generate};
use std::process::Command;

/// The period the browser tests look at: the last 30 days of `DemoConfig::small()` (which
/// ends on 2026-05-01), so the previous 30 days have data too.
const FROM: &str = "2026-04-01";
const TO: &str = "2026-04-30";

/// The root app; `wasm` names the components the test needs built.
fn dashboard_host(wasm: &[&str]) -> Host {
    require_wasm(wasm);
    HostBuilder::new("spin.toml")
        .args(&[
            "--variable",
            &format!("ingest_api_key={KEY}"),
            "--variable",
            &format!("jwt_secret={SECRET}"),
        ])
        .start()
}

/// The small demo platform (about 800 events) through `POST /events`, then one refresh.
fn load_demo(host: &Host) {
    let events: Vec<_> = generate(&DemoConfig::small()).collect();
    for chunk in events.chunks(500) {
        let (content_type, body) = encode_batch(chunk, BodyFormat::Native);
        let bearer = format!("Bearer {KEY}");
        let reply = send(
            "POST",
            &host.url("/events"),
            &[("authorization", &bearer), ("content-type", content_type)],
            &body,
        );
        assert!(reply.status == 200 || reply.status == 202, "{}", reply.body);
        assert_eq!(
            reply.json()["rejected"],
            serde_json::json!([]),
            "{}",
            reply.body
        );
    }
    let refresh = call(host, "POST", "/metrics/refresh", Some(&admin()));
    assert_eq!(refresh.status, 200, "{}", refresh.body);
}

#[test]
fn the_page_and_its_assets_are_served_typed_compressed_and_cacheable() {
    let host = dashboard_host(&["dashboard"]);
    for path in ["/", "/admin"] {
        let (status, location) = unfollowed(&host.url(path));
        assert_eq!(status, 308, "{path}");
        assert_eq!(location.as_deref(), Some("/admin/"), "{path}");
    }

    let page = get(&host.url("/admin/"));
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(
        page.body
            .contains("<script type=\"module\" src=\"app.js\">")
    );
    assert_eq!(page.header("cache-control"), Some("no-cache"));
    let etag = page.header("etag").expect("an ETag").to_owned();
    let again = send(
        "GET",
        &host.url("/admin/"),
        &[("if-none-match", &etag)],
        b"",
    );
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());

    // Every asset the page loads, gzipped: under the issue's 300 KB, with room to spare.
    let mut compressed = 0;
    for (name, kind) in [
        ("", "text/html"),
        ("app.js", "text/javascript"),
        ("api.js", "text/javascript"),
        ("render.js", "text/javascript"),
        ("dashboard.css", "text/css"),
        ("uPlot.iife.min.js", "text/javascript"),
        ("uPlot.min.css", "text/css"),
    ] {
        let url = host.url(&format!("/admin/{name}"));
        let gz = send("GET", &url, &[("accept-encoding", "gzip, br")], b"");
        assert_eq!(gz.status, 200, "{name}");
        assert!(
            gz.header("content-type").unwrap().starts_with(kind),
            "{name}"
        );
        assert_eq!(gz.header("content-encoding"), Some("gzip"), "{name}");
        assert_eq!(gz.header("vary"), Some("Accept-Encoding"), "{name}");
        compressed += gz
            .header("content-length")
            .unwrap()
            .parse::<usize>()
            .unwrap();
    }
    assert!(
        compressed < 150_000,
        "the page's assets are {compressed} bytes gzipped"
    );

    assert_eq!(get(&host.url("/admin/nope.js")).status, 404);
    assert_eq!(post(&host.url("/admin/"), "").status, 405);
}

/// A GET that does not follow redirects: its status and `Location`.
fn unfollowed(url: &str) -> (u16, Option<String>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let response = agent.get(url).call().expect("request failed");
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (response.status().as_u16(), location)
}

#[test]
fn the_dashboard_shows_the_apis_numbers_in_a_real_browser() {
    if !test_tools_or_skip(
        "the dashboard's browser tests",
        &["tests/dashboard/node_modules/playwright-core"],
        &["node", "chromium"],
    ) {
        return;
    }
    let host = dashboard_host(&[
        "track_event",
        "metrics_component",
        "graphql_component",
        "dashboard",
    ]);
    load_demo(&host);
    let screenshots = root().join("target/dashboard-screenshots");
    let output = Command::new("node")
        .arg(root().join("tests/dashboard/dashboard.test.mjs"))
        .env("BASE_URL", &host.base)
        .env("JWT_SECRET", SECRET)
        .env("FROM", FROM)
        .env("TO", TO)
        .env("SCREENSHOTS", &screenshots)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the browser tests failed:\n{stdout}\n{stderr}\nhost errors:\n{}",
        host.errors.lock().unwrap()
    );
    assert!(
        stdout.contains("dashboard browser tests passed"),
        "{stdout}"
    );
    for tab in ["overview", "engagement", "tutoring", "revenue", "learning"] {
        assert!(screenshots.join(format!("{tab}.png")).exists(), "{tab}.png");
    }
}
