//! Every refusal: its status, code and message, and that nothing was stored.

use super::*;

#[test]
fn each_error_status_with_its_code_and_message() {
    let host = ingest_host().start();
    let db = Db::of(&host);
    let json_type = [("content-type", "application/json")];
    let post = |body: &[u8]| post_with(&host, "/events", &json_type, body);

    let message = assert_error(&post(b"{\"eventId\": \n  nope}"), 400, "invalid_json");
    assert!(message.contains("at line 2, column "), "{message}");
    assert_error(&post(b""), 400, "empty_body");
    let message = assert_error(&post(b"42"), 400, "invalid_body");
    assert!(message.contains("expected an event object"), "{message}");
    assert_error(&post(b"[]"), 400, "empty_batch");
    let gz = [
        ("content-type", "application/json"),
        ("content-encoding", "gzip"),
    ];
    assert_error(
        &post_with(&host, "/events", &gz, b"not gzip"),
        400,
        "invalid_gzip",
    );
    let reply = post_json(&host, &json!([{"eventId": "x"}]));
    assert_error(&reply, 400, "no_valid_events");
    assert_eq!(reply.json()["error"]["rejected"][0]["eventId"], "x");

    let message = assert_error(
        &post_with(&host, "/events", &[("content-type", "text/csv")], b"a,b"),
        415,
        "unsupported_media_type",
    );
    assert!(message.contains("\"text/csv\""), "{message}");
    assert_error(
        &post_with(&host, "/events", &[], b"{}"),
        415,
        "unsupported_media_type",
    );
    let br = [
        ("content-type", "application/json"),
        ("content-encoding", "br"),
    ];
    let message = assert_error(
        &post_with(&host, "/events", &br, b"{}"),
        415,
        "unsupported_encoding",
    );
    assert!(message.contains("\"br\""), "{message}");
    let ce_array = [("content-type", "application/cloudevents+json")];
    assert_error(
        &post_with(&host, "/events", &ce_array, b"[]"),
        400,
        "invalid_body",
    );
    let seg = [("content-type", "application/json")];
    let message = assert_error(
        &post_with(&host, "/v1/batch", &seg, b"{\"messages\": []}"),
        400,
        "invalid_body",
    );
    assert!(message.contains("/v1/batch"), "{message}");

    // Not an ingestion route, not a POST.
    assert_error(
        &post_with(&host, "/v1/nope", &json_type, b"{}"),
        404,
        "not_found",
    );
    let reply = send("GET", &host.url("/events"), &[], b"");
    assert_error(&reply, 405, "method_not_allowed");
    assert_eq!(reply.header("allow"), Some("POST"));
    assert_eq!(get(&host.url("/nowhere")).status, 404);
    assert_eq!(db.count(), 0);
}

#[test]
fn a_batch_with_some_bad_events_stores_the_good_ones_and_reports_the_rest() {
    let host = ingest_host().start();
    let db = Db::of(&host);
    let mut bad_amount = native(
        "p-1",
        "payment_succeeded",
        json!({"paymentId": "p", "amount": "12.50", "currency": "EUR"}),
    );
    bad_amount["userId"] = json!("stu-2");
    let body = json!([
        enrolled("ok-1"),
        bad_amount,
        {"userId": "stu-1", "eventType": "x", "timestamp": "2024-05-01T10:00:00Z"},
        enrolled("ok-2"),
        native("late", "x", json!({})).as_object().map(|o| {
            let mut o = o.clone();
            o["timestamp"] = json!("2999-01-01T00:00:00Z");
            Value::Object(o)
        }).unwrap(),
    ]);
    let rejected = assert_report(&post_json(&host, &body), 2, 0);
    assert_eq!(rejected.len(), 3, "{rejected:?}");
    assert_eq!(rejected[0]["index"], 1);
    assert_eq!(rejected[0]["eventId"], "p-1");
    assert_eq!(rejected[0]["field"], "properties.amount");
    assert!(
        rejected[0]["message"]
            .as_str()
            .unwrap()
            .contains("\"12.50\"")
    );
    assert_eq!(rejected[1]["index"], 2);
    assert_eq!(rejected[1]["eventId"], Value::Null);
    assert_eq!(rejected[1]["field"], "eventId");
    assert_eq!(rejected[2]["index"], 4);
    assert_eq!(rejected[2]["field"], "timestamp");
    assert_eq!(db.ids(), ["ok-1", "ok-2"]);
}

#[test]
fn auth_bearer_basic_and_api_key_header_anything_else_is_401_and_stores_nothing() {
    let host = ingest_host().start();
    let db = Db::of(&host);
    let body = |id: &str| enrolled(id).to_string().into_bytes();
    let with = |headers: &[(&str, &str)], id: &str| {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        send("POST", &host.url("/events"), &all, &body(id))
    };
    let bearer = format!("Bearer {KEY}");
    let basic = {
        use base64::Engine;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:"))
        )
    };
    assert_report(&with(&[("authorization", &bearer)], "a-1"), 1, 0);
    assert_report(&with(&[("authorization", &basic)], "a-2"), 1, 0);
    assert_report(&with(&[("x-api-key", KEY)], "a-3"), 1, 0);
    assert_report(&with(&[("X-API-Key", KEY)], "a-4"), 1, 0);

    let refused: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        vec![("authorization", "Bearer wrong-key")],
        vec![("authorization", "Bearer test-ingest-ke")],
        vec![("authorization", "Digest abc")],
        vec![("x-api-key", "wrong")],
        vec![("authorization", "Bearer wrong"), ("x-api-key", KEY)],
        vec![("api-key", KEY)],
    ];
    for headers in &refused {
        let reply = with(headers, "never");
        let message = assert_error(&reply, 401, "unauthorized");
        assert!(message.contains("Bearer"), "{message}");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer, Basic"));
    }
    // Checked before the body is even read: a bad body without a key is still a 401.
    let reply = send(
        "POST",
        &host.url("/events"),
        &[("content-type", "text/csv")],
        b"x",
    );
    assert_error(&reply, 401, "unauthorized");
    assert_eq!(db.ids(), ["a-1", "a-2", "a-3", "a-4"]);
}

#[test]
fn default_size_limits() {
    let host = ingest_host().start();
    let db = Db::of(&host);
    let json_type = [("content-type", "application/json")];
    // Over 1 MiB as sent, with a content-length: refused before it is read.
    let big = vec![b' '; 1_048_577];
    let message = assert_error(
        &post_with(&host, "/events", &json_type, &big),
        413,
        "request_too_large",
    );
    assert!(
        message.contains("1048577 bytes") && message.contains("1048576"),
        "{message}"
    );
    // Exactly 1 MiB is within the limit (and then not JSON).
    let mut exact = vec![b' '; 1_048_576];
    exact[0] = b'x';
    assert_error(
        &post_with(&host, "/events", &json_type, &exact),
        400,
        "invalid_json",
    );
    // A small gzip body that inflates past the limit.
    let bomb = gzip(&vec![b' '; 4 * 1_048_576]);
    assert!(bomb.len() < 10_000);
    let gz = [
        ("content-type", "application/json"),
        ("content-encoding", "gzip"),
    ];
    assert_error(
        &post_with(&host, "/events", &gz, &bomb),
        413,
        "decompressed_too_large",
    );
    // 1001 events.
    let many = Value::Array((0..1001).map(|i| enrolled(&format!("m-{i}"))).collect());
    let message = assert_error(&post_json(&host, &many), 413, "too_many_events");
    assert!(
        message.contains("1001 events") && message.contains("1000"),
        "{message}"
    );
    // Exactly 1000 is fine.
    let many = Value::Array((0..1000).map(|i| enrolled(&format!("m-{i}"))).collect());
    assert_report(&post_json(&host, &many), 1000, 0);
    // An event over 32 KiB is rejected on its own; if all are, the request is a 413.
    let mut huge = enrolled("huge");
    huge["properties"]["blob"] = json!("x".repeat(33_000));
    let rejected = assert_report(&post_json(&host, &json!([huge, enrolled("small")])), 1, 0);
    assert_eq!(rejected[0]["code"], "too_large");
    assert_eq!(rejected[0]["eventId"], "huge");
    assert!(rejected[0]["message"].as_str().unwrap().contains("32768"));
    let reply = post_json(&host, &json!([huge]));
    assert_error(&reply, 413, "event_too_large");
    assert_eq!(reply.json()["error"]["rejected"][0]["field"], "$");
    assert_eq!(db.count(), 1001);
}

#[test]
fn configured_size_limits_and_a_body_without_content_length() {
    let host = ingest_host()
        .args(&[
            "--variable",
            "max_request_bytes=2_000",
            "--variable",
            "max_batch_events=3",
        ])
        .env("SPIN_VARIABLE_MAX_EVENT_BYTES", "300")
        .start();
    let db = Db::of(&host);
    let four = Value::Array((0..4).map(|i| enrolled(&format!("c-{i}"))).collect());
    let message = assert_error(&post_json(&host, &four), 413, "too_many_events");
    assert!(message.contains("limit of 3 events"), "{message}");
    let mut fat = enrolled("fat");
    fat["properties"]["note"] = json!("y".repeat(300));
    let rejected = assert_report(&post_json(&host, &json!([fat, enrolled("thin")])), 1, 0);
    assert!(
        rejected[0]["message"]
            .as_str()
            .unwrap()
            .contains("limit of 300 bytes")
    );
    let big = format!("[{}]", " ".repeat(2_000));
    let message = assert_error(&post_json_text(&host, &big), 413, "request_too_large");
    assert!(message.contains("limit of 2000 bytes"), "{message}");

    // Chunked: no content-length, so the component stops reading once past the limit.
    let stream = chunked_post(&host, "/events", &vec![b' '; 50_000]);
    assert!(stream.starts_with("HTTP/1.1 413"), "{stream}");
    assert!(stream.contains("reading stopped after"), "{stream}");
    assert_eq!(db.ids(), ["thin"]);
}

fn post_json_text(host: &Host, body: &str) -> Reply {
    post_with(
        host,
        "/events",
        &[("content-type", "application/json")],
        body.as_bytes(),
    )
}

/// Sends a chunked POST over a raw socket and returns the raw response.
fn chunked_post(host: &Host, path: &str, body: &[u8]) -> String {
    use std::io::Read;
    let addr = host.base.trim_start_matches("http://");
    let mut socket = std::net::TcpStream::connect(addr).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {KEY}\r\n\
         content-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
    );
    socket.write_all(head.as_bytes()).unwrap();
    for chunk in body.chunks(1000) {
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
        if socket.write_all(&framed).is_err() {
            break; // the server answered and closed early
        }
    }
    let _ = socket.write_all(b"0\r\n\r\n");
    let mut response = Vec::new();
    let _ = socket.read_to_end(&mut response);
    String::from_utf8_lossy(&response).into_owned()
}

#[test]
fn a_bad_limit_variable_is_a_500_naming_it_and_a_missing_key_stops_start_up() {
    let host = ingest_host()
        .args(&["--variable", "max_event_bytes=lots"])
        .start();
    let reply = post_json(&host, &enrolled("x"));
    let message = assert_error(&reply, 500, "configuration");
    assert!(message.contains("max_event_bytes"), "{message}");
    assert_eq!(Db::of(&host).count(), 0);
    require_wasm(&["track_event"]);
    let (status, stderr) = HostBuilder::new("spin.toml").fail();
    assert_eq!(status.code(), Some(1));
    assert!(stderr.contains("ingest_api_key"), "{stderr}");
}

#[test]
fn a_store_that_cannot_commit_is_a_503_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("runtime-config.toml");
    // A remote libSQL database nobody serves: every statement fails with an I/O error.
    let port = free_port();
    std::fs::write(
        &config,
        format!(
            "[sqlite_database.default]\ntype = \"libsql\"\nurl = \"http://127.0.0.1:{port}\"\ntoken = \"t\"\n"
        ),
    )
    .unwrap();
    let host = ingest_host()
        .args(&["--runtime-config-file", &config.to_string_lossy()])
        .start();
    let reply = post_json(&host, &json!([enrolled("r-1"), enrolled("r-2")]));
    let message = assert_error(&reply, 503, "store_unavailable");
    assert!(message.contains("nothing was stored"), "{message}");
    assert_eq!(reply.header("retry-after"), Some("1"));
    // Parsing still comes first: a bad body is a 400, not a 503.
    assert_error(&post_json(&host, &json!([])), 400, "empty_batch");
    assert!(!host.state_dir.join("sqlite_db.db").exists());
}
