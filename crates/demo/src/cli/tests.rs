use std::collections::HashSet;

use super::*;
use crate::test_server::{Reply, TestServer};

fn parse(extra: &[&str]) -> Result<Args, clap::Error> {
    Args::try_parse_from(std::iter::once("demo-platform").chain(extra.iter().copied()))
}

fn end() -> DateTime<Utc> {
    crate::default_end()
}

#[test]
fn defaults_match_the_documentation() {
    let args = parse(&[]).expect("parses");
    assert_eq!(args.url, "http://127.0.0.1:3000");
    assert_eq!(
        (args.seed, args.preset, args.scale),
        (42, Preset::Standard, 1.0)
    );
    assert_eq!(
        (args.batch_size, args.concurrency, args.retries),
        (500, 4, 5)
    );
    assert_eq!(
        (args.format, args.dry_run, args.end, args.months),
        (FormatChoice::Mixed, false, None, None)
    );
    let config = args.config(end()).expect("config");
    assert_eq!(config, DemoConfig::standard());
    assert_eq!(args.retry_policy().attempts, 6);
    assert_eq!(
        args.retry_policy().initial_backoff,
        Duration::from_millis(250)
    );
}

#[test]
fn every_flag_parses() {
    let args = parse(&[
        "--url",
        "http://10.0.0.5:8080/",
        "--key",
        "secret",
        "--seed",
        "7",
        "--preset",
        "small",
        "--scale",
        "2.5",
        "--months",
        "3",
        "--end",
        "2026-01-15",
        "--batch-size",
        "100",
        "--concurrency",
        "8",
        "--format",
        "cloudevents",
        "--retries",
        "0",
        "--backoff-ms",
        "10",
        "--dry-run",
    ])
    .expect("parses");
    assert_eq!(args.key.as_deref(), Some("secret"));
    assert_eq!(args.end, parse_end("2026-01-15T00:00:00Z").ok());
    let config = args.config(end()).expect("config");
    assert_eq!(
        (config.seed, config.students, config.tutors, config.months),
        (7, 125, 25, 3)
    );
    assert_eq!(config.end.to_rfc3339(), "2026-01-15T00:00:00+00:00");
    assert_eq!(args.format_for(4), BodyFormat::CloudEventsBatch);
    assert_eq!(args.retry_policy().attempts, 1);
    assert_eq!(args.authorization(), "Authorization: Bearer ***");
    for (format, expected) in [
        ("native", BodyFormat::Native),
        ("eventbridge", BodyFormat::EventBridge),
    ] {
        assert_eq!(
            parse(&["--format", format]).expect("parses").format_for(1),
            expected
        );
    }
    let mixed = parse(&[]).expect("parses");
    let rotation: Vec<BodyFormat> = (0..3).map(|i| mixed.format_for(i)).collect();
    assert_eq!(rotation, BodyFormat::ALL);
}

#[test]
fn bad_arguments_are_refused() {
    for bad in [
        &["--batch-size", "0"][..],
        &["--concurrency", "0"],
        &["--preset", "huge"],
        &["--end", "yesterday"],
        &["--format", "xml"],
        &["--seed", "-1"],
        &["--unknown"],
    ] {
        assert!(parse(bad).is_err(), "{bad:?}");
    }
    for bad in [
        &["--scale", "0"][..],
        &["--scale", "NaN"],
        &["--months", "0"],
    ] {
        let args = parse(bad).expect("parses");
        assert!(args.config(end()).is_err(), "{bad:?}");
    }
}

#[test]
fn end_accepts_dates_and_instants() {
    let date = parse_end("2026-05-01").expect("date");
    assert_eq!(date, crate::default_end());
    let instant = parse_end("2026-05-01T12:30:00+02:00").expect("instant");
    assert_eq!(instant.to_rfc3339(), "2026-05-01T10:30:00+00:00");
    assert!(parse_end("05/01/2026").unwrap_err().contains("neither"));
    let today = today();
    assert_eq!(today.timestamp() % 86_400, 0);
    assert!(Utc::now() - today < chrono::Duration::days(1));
}

#[tokio::test]
async fn dry_run_prints_ndjson_and_counts() {
    let args = parse(&["--preset", "small", "--dry-run"]).expect("parses");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let totals = run(&args, end(), &mut out, &mut err).await.expect("runs");
    let expected = generate(&DemoConfig::small()).count();
    assert_eq!(totals.generated, expected as u64);
    let lines: Vec<&[u8]> = out
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(lines.len(), expected);
    let first: serde_json::Value = serde_json::from_slice(lines[0]).expect("json");
    assert_eq!(first["eventType"], "user_registered");
    let err = String::from_utf8(err).expect("utf8");
    assert!(
        err.contains("dry run: generated") && err.contains("session_booked"),
        "{err}"
    );
    assert!(err.contains("http://127.0.0.1:3000/events"), "{err}");
}

#[tokio::test]
async fn sends_every_event_in_all_three_formats_through_a_503() {
    let server = TestServer::start(vec![Reply::Status(503, "busy"), Reply::Reject(2)]).await;
    let args = parse(&[
        "--url",
        &server.url,
        "--key",
        "k",
        "--preset",
        "small",
        "--batch-size",
        "100",
        "--concurrency",
        "1",
        "--backoff-ms",
        "1",
    ])
    .expect("parses");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let totals = run(&args, end(), &mut out, &mut err).await.expect("runs");
    let expected = generate(&DemoConfig::small()).count() as u64;
    assert_eq!((totals.generated, totals.sent), (expected, expected));
    assert_eq!(
        (totals.accepted, totals.rejected, totals.retries),
        (expected - 2, 2, 1)
    );
    assert_eq!(totals.first_rejections.len(), 2);
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.authorization.as_deref() == Some("Bearer k"))
    );
    let formats: HashSet<_> = requests.iter().map(|r| r.format).collect();
    assert_eq!(formats.len(), 3, "{formats:?}");
    let content_types: HashSet<_> = requests.iter().map(|r| r.content_type.as_str()).collect();
    assert!(content_types.contains("application/cloudevents-batch+json"));
    let err = String::from_utf8(err).expect("utf8");
    assert!(err.contains(&format!("accepted {}", expected - 2)), "{err}");
    assert!(out.is_empty());

    // Sending the same history again only yields duplicates.
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let again = run(&args, end(), &mut out, &mut err).await.expect("runs");
    assert_eq!((again.accepted, again.duplicates), (2, expected - 2));
}

#[tokio::test]
async fn a_4xx_stops_the_run_with_status_and_body() {
    let server = TestServer::start(vec![Reply::Status(401, "{\"error\":\"invalid key\"}")]).await;
    let args = parse(&[
        "--url",
        &server.url,
        "--preset",
        "small",
        "--batch-size",
        "50",
    ])
    .expect("parses");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let error = run(&args, end(), &mut out, &mut err)
        .await
        .expect_err("fails");
    let text = format!("{error:#}");
    assert!(
        text.contains("401 Unauthorized") && text.contains("invalid key"),
        "{text}"
    );
    let err = String::from_utf8(err).expect("utf8");
    assert!(err.contains("no Authorization header"), "{err}");
}

#[tokio::test]
async fn many_batches_report_progress() {
    let server = TestServer::start(vec![]).await;
    let args = parse(&[
        "--url",
        &server.url,
        "--preset",
        "small",
        "--batch-size",
        "5",
    ])
    .expect("parses");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let totals = run(&args, end(), &mut out, &mut err).await.expect("runs");
    assert!(totals.batches >= 100);
    assert!(String::from_utf8_lossy(&err).contains("events delivered…"));
}

#[test]
fn run_from_maps_outcomes_to_exit_codes() {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    assert_eq!(
        run_from(["demo-platform", "--help"], &mut out, &mut err),
        ExitCode::SUCCESS
    );
    assert!(String::from_utf8_lossy(&out).contains("--batch-size"));

    let (mut out, mut err) = (Vec::new(), Vec::new());
    assert_eq!(
        run_from(["demo-platform", "--bogus"], &mut out, &mut err),
        ExitCode::from(2)
    );
    assert!(String::from_utf8_lossy(&err).contains("--bogus"));

    let (mut out, mut err) = (Vec::new(), Vec::new());
    let argv = [
        "demo-platform",
        "--preset",
        "small",
        "--months",
        "1",
        "--dry-run",
    ];
    assert_eq!(run_from(argv, &mut out, &mut err), ExitCode::SUCCESS);
    assert!(!out.is_empty());

    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", dead.local_addr().expect("addr"));
    drop(dead);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let argv = [
        "demo-platform",
        "--url",
        &url,
        "--preset",
        "small",
        "--retries",
        "0",
    ];
    assert_eq!(run_from(argv, &mut out, &mut err), ExitCode::FAILURE);
    let err = String::from_utf8_lossy(&err);
    assert!(
        err.contains("error: stopped sending") && err.contains("connection error"),
        "{err}"
    );

    let (mut out, mut err) = (Vec::new(), Vec::new());
    let argv = ["demo-platform", "--url", "https://example.com"];
    assert_eq!(run_from(argv, &mut out, &mut err), ExitCode::FAILURE);
    assert!(String::from_utf8_lossy(&err).contains("only http://"));
}
