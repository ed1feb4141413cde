//! Issue 4, dashboard metrics: the `metrics` component on the root `spin.toml`. A known event
//! stream goes in through `POST /events`; the refresh runs through the host (the HTTP endpoint
//! and the cron trigger); the served numbers are checked exactly, and so are the auth errors.

use crate::ingest::{Db, KEY, post_json};
use crate::support::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The development JWT secret the tests run the app with.
pub(crate) const SECRET: &str = "an-end-to-end-test-secret-of-32-bytes";

/// The root app with the ingest key, the JWT secret and a second kept time zone.
fn metrics_host(manifest: &str) -> HostBuilder {
    require_wasm(&["track_event", "metrics_component"]);
    HostBuilder::new(manifest).args(&[
        "--variable",
        &format!("ingest_api_key={KEY}"),
        "--variable",
        &format!("jwt_secret={SECRET}"),
        "--variable",
        "metrics_time_zones=Asia/Kolkata",
    ])
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// An HS256 token with these claims (plus `exp` in an hour unless given).
pub(crate) fn token(claims: Value) -> String {
    let mut claims = claims;
    if claims.get("exp").is_none() {
        claims["exp"] = json!(now() + 3600);
    }
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

pub(crate) fn admin() -> String {
    token(json!({"sub": "admin-1", "role": "admin"}))
}

pub(crate) fn call(host: &Host, method: &str, path: &str, token: Option<&str>) -> Reply {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = bearer
        .as_deref()
        .map(|b| vec![("authorization", b)])
        .unwrap_or_default();
    send(method, &host.url(path), &headers, b"")
}

pub(crate) fn event(id: &str, user: &str, kind: &str, at: &str, properties: Value) -> Value {
    json!({"eventId": id, "userId": user, "eventType": kind, "timestamp": at,
           "properties": properties})
}

/// Two days of a small platform: three students, one tutor, two sessions (one completed, one
/// cancelled), payments in two currencies, a partial refund, an enrollment and a review.
pub(crate) fn known_stream() -> Value {
    json!([
        event(
            "e1",
            "stu-1",
            "user_registered",
            "2024-05-01T09:00:00Z",
            json!({"role": "student"})
        ),
        event(
            "e2",
            "tut-1",
            "user_registered",
            "2024-05-01T09:30:00Z",
            json!({"role": "tutor"})
        ),
        event(
            "e3",
            "stu-1",
            "session_booked",
            "2024-05-01T10:00:00Z",
            json!({
            "sessionId": "s1", "tutorId": "tut-1", "subject": "math",
            "startsAt": "2024-05-03T10:00:00Z", "amount": 4500, "currency": "EUR"})
        ),
        event(
            "e4",
            "stu-1",
            "payment_succeeded",
            "2024-05-01T10:01:00Z",
            json!({
            "paymentId": "p1", "amount": 4500, "currency": "EUR", "product": "session",
            "sessionId": "s1"})
        ),
        event(
            "e5",
            "stu-2",
            "user_registered",
            "2024-05-01T11:00:00Z",
            json!({"role": "student"})
        ),
        event(
            "e6",
            "stu-2",
            "course_enrolled",
            "2024-05-01T11:05:00Z",
            json!({"courseId": "c1"})
        ),
        event(
            "e7",
            "stu-2",
            "payment_succeeded",
            "2024-05-01T11:06:00Z",
            json!({
            "paymentId": "p2", "amount": 9900, "currency": "USD", "product": "course",
            "courseId": "c1"})
        ),
        event(
            "e8",
            "stu-1",
            "session_completed",
            "2024-05-02T12:00:00Z",
            json!({
            "sessionId": "s1", "tutorId": "tut-1", "subject": "math"})
        ),
        event(
            "e9",
            "stu-1",
            "review_submitted",
            "2024-05-02T13:00:00Z",
            json!({
            "rating": 5, "tutorId": "tut-1"})
        ),
        event(
            "e10",
            "stu-2",
            "payment_refunded",
            "2024-05-02T14:00:00Z",
            json!({
            "paymentId": "p2", "amount": 2000, "currency": "USD"})
        ),
        event(
            "e11",
            "stu-3",
            "user_registered",
            "2024-05-02T15:00:00Z",
            json!({"role": "student"})
        ),
        event(
            "e12",
            "stu-3",
            "session_booked",
            "2024-05-02T15:10:00Z",
            json!({
            "sessionId": "s2", "tutorId": "tut-1", "subject": "physics",
            "startsAt": "2024-05-04T10:00:00Z", "amount": 3000, "currency": "EUR"})
        ),
        event(
            "e13",
            "stu-3",
            "session_cancelled",
            "2024-05-02T16:00:00Z",
            json!({
            "sessionId": "s2", "tutorId": "tut-1", "subject": "physics"})
        ),
        // A retry of e3: deduplicated at ingestion.
        event(
            "e3",
            "stu-1",
            "session_booked",
            "2024-05-01T10:00:00Z",
            json!({
            "sessionId": "s1", "tutorId": "tut-1", "subject": "math",
            "startsAt": "2024-05-03T10:00:00Z", "amount": 4500, "currency": "EUR"})
        ),
    ])
}

const DAY1: &str = "2024-05-01T00:00:00Z";
const DAY2: &str = "2024-05-02T00:00:00Z";

/// The value of a metric's series with exactly these dimensions at a bucket.
fn value(dashboard: &Value, metric: &str, dimensions: Value, at: &str) -> Option<f64> {
    let series = dashboard["series"].as_array().expect("series");
    let found = series
        .iter()
        .find(|s| s["metricName"] == metric && s["dimensions"] == dimensions)?;
    found["points"]
        .as_array()?
        .iter()
        .find(|p| p["timestamp"] == at)
        .and_then(|p| p["value"].as_f64())
}

fn dashboard(host: &Host, name: &str, query: &str) -> Value {
    let reply = call(
        host,
        "GET",
        &format!("/metrics/{name}?{query}"),
        Some(&admin()),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    reply.json()
}

fn ingest_known_stream(host: &Host) {
    let reply = post_json(host, &known_stream());
    assert_eq!(reply.status, 202, "{}", reply.body);
    assert_eq!(reply.json()["accepted"], 13, "{}", reply.body);
}

/// Every number of the known stream, as `docs/METRICS.md` defines them.
fn assert_known_numbers(host: &Host) {
    let range = "from=2024-05-01&to=2024-05-02";
    let engagement = dashboard(host, "engagement", range);
    assert_eq!(engagement["dashboard"], "ENGAGEMENT");
    assert!(engagement["refreshedAt"].is_string(), "{engagement}");
    let e = |m: &str, d: Value, at: &str| value(&engagement, m, d, at);
    assert_eq!(e("dau", json!({}), DAY1), Some(3.0));
    assert_eq!(e("dau", json!({}), DAY2), Some(3.0));
    assert_eq!(e("wau", json!({}), DAY2), Some(4.0));
    assert_eq!(e("mau", json!({}), DAY2), Some(4.0));
    assert_eq!(e("stickiness", json!({}), DAY2), Some(0.75));
    assert_eq!(e("new_registrations", json!({}), DAY1), Some(3.0));
    assert_eq!(e("new_registrations", json!({}), DAY2), Some(1.0));
    // Breakdowns come only when asked for.
    assert_eq!(
        e("new_registrations", json!({"role": "student"}), DAY1),
        None
    );
    let by_role = dashboard(host, "engagement", &format!("{range}&breakdown=role"));
    let e = |m: &str, d: Value, at: &str| value(&by_role, m, d, at);
    assert_eq!(
        e("new_registrations", json!({"role": "student"}), DAY1),
        Some(2.0)
    );
    assert_eq!(
        e("new_registrations", json!({"role": "tutor"}), DAY1),
        Some(1.0)
    );
    assert_eq!(e("new_registrations", json!({}), DAY1), None);

    let tutoring = dashboard(host, "tutoring", range);
    let t = |m: &str, d: Value, at: &str| value(&tutoring, m, d, at);
    assert_eq!(t("sessions_booked", json!({}), DAY1), Some(1.0));
    assert_eq!(t("sessions_booked", json!({"subject": "math"}), DAY1), None);
    assert_eq!(t("sessions_completed", json!({}), DAY2), Some(1.0));
    assert_eq!(t("sessions_cancelled", json!({}), DAY2), Some(1.0));
    assert_eq!(t("session_completion_rate", json!({}), DAY2), Some(0.5));
    let by_subject = dashboard(host, "tutoring", &format!("{range}&breakdown=subject"));
    let t = |m: &str, d: Value, at: &str| value(&by_subject, m, d, at);
    assert_eq!(
        t("sessions_booked", json!({"subject": "math"}), DAY1),
        Some(1.0)
    );
    assert_eq!(
        t("sessions_booked", json!({"subject": "physics"}), DAY2),
        Some(1.0)
    );
    assert_eq!(
        t("sessions_booked", json!({"subject": "physics"}), DAY1),
        Some(0.0)
    );

    let revenue = dashboard(host, "revenue", range);
    let r = |m: &str, d: Value, at: &str| value(&revenue, m, d, at);
    assert_eq!(
        r("revenue_gross", json!({"currency": "EUR"}), DAY1),
        Some(4500.0)
    );
    assert_eq!(
        r("revenue_gross", json!({"currency": "USD"}), DAY1),
        Some(9900.0)
    );
    assert_eq!(
        r("revenue_refunds", json!({"currency": "USD"}), DAY2),
        Some(2000.0)
    );
    assert_eq!(
        r("revenue_net", json!({"currency": "USD"}), DAY2),
        Some(-2000.0)
    );
    assert_eq!(
        r("paying_users", json!({"currency": "EUR"}), DAY1),
        Some(1.0)
    );
    assert_eq!(r("arppu", json!({"currency": "USD"}), DAY1), Some(9900.0));
    // Currencies are never added together: no money row without a currency.
    let series = revenue["series"].as_array().unwrap();
    assert!(
        series
            .iter()
            .all(|s| s["dimensions"]["currency"].is_string())
    );

    let learning = dashboard(host, "learning", range);
    assert_eq!(value(&learning, "enrollments", json!({}), DAY1), Some(1.0));
    let course = dashboard(host, "learning", &format!("{range}&courseId=c1"));
    assert_eq!(
        value(&course, "enrollments", json!({"courseId": "c1"}), DAY1),
        Some(1.0)
    );
    assert_eq!(value(&course, "enrollments", json!({}), DAY1), None);

    // A week in another kept zone: 2024-04-29 is the Monday of that week in Kolkata.
    let weekly = dashboard(
        host,
        "overview",
        &format!("{range}&granularity=week&tz=Asia/Kolkata"),
    );
    assert_eq!(weekly["timeZone"], "Asia/Kolkata");
    assert_eq!(
        value(
            &weekly,
            "new_registrations",
            json!({}),
            "2024-04-29T00:00:00+05:30"
        ),
        Some(4.0)
    );
}

#[test]
fn refresh_over_http_serves_the_exact_numbers_and_is_idempotent() {
    let host = metrics_host("spin.toml").cron_schedule(NEVER).start();
    assert!(
        host.banner.lock().unwrap().contains(NEVER),
        "the cron moved"
    );
    ingest_known_stream(&host);

    let before = dashboard(&host, "overview", "from=2024-05-01&to=2024-05-02");
    assert!(before["refreshedAt"].is_null(), "{before}");

    let refresh = call(&host, "POST", "/metrics/refresh", Some(&admin()));
    assert_eq!(refresh.status, 200, "{}", refresh.body);
    let report = refresh.json();
    assert_eq!(
        (report["fromSeq"].as_i64(), report["morePending"].as_bool()),
        (Some(0), Some(false))
    );
    assert_eq!(report["toSeq"], 13, "{report}");
    assert_known_numbers(&host);

    // Nothing new: the second run folds nothing and changes nothing.
    let again = call(&host, "POST", "/metrics/refresh", Some(&admin())).json();
    assert_eq!(
        (again["fromSeq"].as_i64(), again["toSeq"].as_i64()),
        (Some(13), Some(13))
    );
    assert_known_numbers(&host);

    // A late event for day 1 is folded into day 1 by the next run.
    let late = json!([event(
        "e20",
        "stu-9",
        "user_registered",
        "2024-05-01T23:00:00Z",
        json!({"role": "student"})
    )]);
    assert_eq!(post_json(&host, &late).status, 202);
    call(&host, "POST", "/metrics/refresh", Some(&admin()));
    let engagement = dashboard(&host, "engagement", "from=2024-05-01&to=2024-05-02");
    assert_eq!(value(&engagement, "dau", json!({}), DAY1), Some(4.0));
    assert_eq!(value(&engagement, "wau", json!({}), DAY2), Some(5.0));
}

#[test]
fn a_dashboard_is_served_from_the_key_value_store_until_the_metrics_change() {
    let host = metrics_host("spin.toml").cron_schedule(NEVER).start();
    ingest_known_stream(&host);
    call(&host, "POST", "/metrics/refresh", Some(&admin()));
    let range = "from=2024-05-01&to=2024-05-02";
    let first = dashboard(&host, "tutoring", range);
    assert_eq!(value(&first, "sessions_booked", json!({}), DAY1), Some(1.0));

    // The rendered response is kept in the `default` key-value store, under its version
    // stamp; one written over it is what the next read serves, after a fresh head.
    let kv = Db::key_value(&host);
    let entries = KEPT_RESPONSES;
    assert_eq!(kv.rows(entries).len(), 1);
    mark_kept_responses(&kv);
    let kept = dashboard(&host, "tutoring", range);
    assert_eq!(kept["kept"], true, "{kept}");
    assert_eq!(kept["refreshedAt"], first["refreshedAt"]);

    // A client that accepts gzip gets the same JSON compressed (kept apart, from the
    // kept tail).
    let path = format!("/metrics/tutoring?{range}");
    let bearer = format!("Bearer {}", admin());
    let gzip_headers = [
        ("authorization", bearer.as_str()),
        ("accept-encoding", "br, gzip;q=0.8"),
    ];
    let gz = send("GET", &host.url(&path), &gzip_headers, b"");
    assert_eq!(gz.status, 200, "{}", gz.body);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(gz.header("vary"), Some("Accept-Encoding"));
    assert_eq!(gz.header("content-type"), Some("application/json"));
    assert_eq!(gunzip_json(&gz), kept);
    assert_eq!(kv.rows(entries).len(), 2, "the JSON's entry and its gzip's");
    let plain = call(&host, "GET", &path, Some(&admin()));
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.header("vary"), Some("Accept-Encoding"));

    // A run with nothing new changes `refreshedAt` only: the entry is still served.
    call(&host, "POST", "/metrics/refresh", Some(&admin()));
    let idle = dashboard(&host, "tutoring", range);
    assert_eq!(idle["kept"], true, "{idle}");
    assert_ne!(idle["refreshedAt"], first["refreshedAt"]);

    // New events change the metrics: the run drops the stale entries and renders the query
    // read before again, in both encodings, so the next reads serve the new numbers from it.
    book_another_session(&host);
    call(&host, "POST", "/metrics/refresh", Some(&admin()));
    assert_eq!(kv.rows(entries).len(), 2);
    assert!(kept_json(&kv).contains(TWO_BOOKED), "{}", kept_json(&kv));
    let fresh = dashboard(&host, "tutoring", range);
    assert!(fresh.get("kept").is_none(), "{fresh}");
    assert_eq!(value(&fresh, "sessions_booked", json!({}), DAY1), Some(2.0));
    let gz = send("GET", &host.url(&path), &gzip_headers, b"");
    assert_eq!(gunzip_json(&gz), fresh);
}

/// DAY1's `sessions_booked` in a kept response after [`book_another_session`].
const TWO_BOOKED: &str = r#""metricName":"sessions_booked","dimensions":{},"points":[{"timestamp":"2024-05-01T00:00:00Z","value":2}"#;

/// The kept JSON responses (not their gzip), one per line.
fn kept_json(kv: &Db) -> String {
    let sql = "SELECT CAST(value AS TEXT) FROM spin_key_value WHERE store = 'default' \
               AND key LIKE 'metrics-response/%' AND key NOT LIKE '%.gz' \
               AND key NOT IN ('metrics-response/stamp', 'metrics-response/watched')";
    let rows = kv.rows(sql);
    let texts = rows.iter().filter_map(|row| row[0].as_str());
    texts.collect::<Vec<_>>().join("\n")
}

/// The keys of the dashboard responses kept in the `default` key-value store.
const KEPT_RESPONSES: &str = "SELECT key FROM spin_key_value WHERE store = 'default' \
     AND key LIKE 'metrics-response/%' \
     AND key NOT IN ('metrics-response/stamp', 'metrics-response/watched') ORDER BY key";

/// Ingests one more booking on DAY1 (`sessions_booked` 1 becomes 2).
fn book_another_session(host: &Host) {
    let booking = json!([event(
        "e30",
        "stu-9",
        "session_booked",
        "2024-05-01T12:00:00Z",
        json!({"sessionId": "ses-30", "tutorId": "tut-1", "subject": "math",
            "startsAt": "2024-05-04T10:00:00Z", "amount": 3000, "currency": "EUR"})
    )]);
    let posted = post_json(host, &booking);
    assert_eq!(posted.status, 202, "{}", posted.body);
}

#[test]
fn the_cron_run_that_changes_the_metrics_renders_the_dashboards_read_before() {
    // The metrics trigger ticks every second.
    let host = metrics_host("spin.toml")
        .cron_schedule_of("metrics", "* * * * * *")
        .start();
    ingest_known_stream(&host);
    let range = "from=2024-05-01&to=2024-05-02";
    let booked = |host: &Host| {
        value(
            &dashboard(host, "tutoring", range),
            "sessions_booked",
            json!({}),
            DAY1,
        )
    };
    wait_for(&host, || booked(&host) == Some(1.0));

    // A new booking: a tick folds it and renders the query read before, with no read.
    let kv = Db::key_value(&host);
    book_another_session(&host);
    wait_for(&host, || kept_json(&kv).contains(TWO_BOOKED));
    // What the next read serves is that entry: one rewritten is what it returns.
    mark_kept_responses(&kv);
    let kept = dashboard(&host, "tutoring", range);
    assert_eq!(kept["kept"], true, "{kept}");
}

/// Rewrites every kept JSON response after its stamp to an empty one marked `"kept": true`.
pub(crate) fn mark_kept_responses(kv: &Db) {
    kv.rows(
        "UPDATE spin_key_value SET value = CAST(substr(CAST(value AS TEXT), 1, \
         instr(CAST(value AS TEXT), char(10))) || ',\"timeZone\":\"UTC\",\"granularity\":\"day\",\
         \"series\":[],\"kept\":true}' AS BLOB) \
         WHERE key LIKE 'metrics-response/%' AND key NOT LIKE '%.gz' \
         AND key NOT IN ('metrics-response/stamp', 'metrics-response/watched')",
    );
}

/// Waits up to 20 s for `done`, polling.
fn wait_for(host: &Host, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(
            Instant::now() < deadline,
            "timed out: {}",
            host.errors.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A gzip body's JSON.
fn gunzip_json(reply: &Reply) -> Value {
    serde_json::from_reader(flate2::read::GzDecoder::new(&reply.bytes[..])).expect("gzip JSON")
}

#[test]
fn the_cron_trigger_refreshes_on_its_schedule() {
    let manifest = std::fs::read_to_string(root().join("spin.toml")).unwrap();
    assert!(
        manifest.contains("cron_expression = \"0 * * * * *\""),
        "the root manifest's metrics cron trigger moved"
    );
    // The root manifest, its metrics trigger ticking every second instead of every minute.
    let host = metrics_host("spin.toml")
        .cron_schedule_of("metrics", "* * * * * *")
        .start();
    let banner = host.banner.lock().unwrap().clone();
    for scheduled in [
        "component metrics with cron expression '* * * * * *'",
        &format!("component recommend with cron expression '{NEVER}'"),
    ] {
        assert!(banner.contains(scheduled), "{banner}");
    }
    ingest_known_stream(&host);
    wait_for(&host, || {
        let overview = dashboard(&host, "overview", "from=2024-05-01&to=2024-05-02");
        value(&overview, "dau", json!({}), DAY2) == Some(3.0)
    });
    assert_known_numbers(&host);
}

#[test]
fn only_admins_with_a_valid_token_are_served() {
    let host = metrics_host("spin.toml").start();
    let path = "/metrics/overview";

    let missing = call(&host, "GET", path, None);
    assert_eq!(missing.status, 401, "{}", missing.body);
    assert_eq!(missing.json()["error"]["code"], "missing_token");
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));

    let garbage = call(&host, "GET", path, Some("not.a.token"));
    assert_eq!(
        (garbage.status, garbage.json()["error"]["code"].clone()),
        (401, json!("invalid_token"))
    );

    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"sub": "x", "role": "admin", "exp": now() + 3600}),
        &jsonwebtoken::EncodingKey::from_secret(b"another-secret-another-secret-xx"),
    )
    .unwrap();
    assert_eq!(call(&host, "GET", path, Some(&forged)).status, 401);

    let expired = token(json!({"sub": "admin-1", "role": "admin", "exp": now() - 120}));
    let reply = call(&host, "GET", path, Some(&expired));
    assert_eq!(
        (reply.status, reply.json()["error"]["code"].clone()),
        (401, json!("token_expired"))
    );

    let student = token(json!({"sub": "stu-1", "roles": ["student"]}));
    for (method, path) in [("GET", path), ("POST", "/metrics/refresh")] {
        let reply = call(&host, method, path, Some(&student));
        assert_eq!(reply.status, 403, "{method} {path}: {}", reply.body);
        assert_eq!(reply.json()["error"]["code"], "forbidden");
        assert_eq!(reply.header("www-authenticate"), None);
    }
    assert_eq!(call(&host, "POST", "/metrics/refresh", None).status, 401);

    // `roles` containing admin is as good as `role: admin`.
    let many = token(json!({"sub": "a2", "roles": ["tutor", "admin"]}));
    assert_eq!(call(&host, "GET", path, Some(&many)).status, 200);
}

#[test]
fn bad_requests_say_what_is_wrong() {
    let host = metrics_host("spin.toml").start();
    let admin = admin();
    let check = |method: &str, path: &str, status: u16, code: &str, mention: &str| {
        let reply = call(&host, method, path, Some(&admin));
        assert_eq!(reply.status, status, "{method} {path}: {}", reply.body);
        let error = &reply.json()["error"];
        assert_eq!(error["code"], code, "{method} {path}");
        assert!(
            error["message"].as_str().unwrap().contains(mention),
            "{method} {path}: {error}"
        );
        reply
    };
    check("GET", "/metrics/sales", 404, "unknown_dashboard", "sales");
    check(
        "GET",
        "/metrics/overview?granularity=hour",
        400,
        "invalid_parameter",
        "granularity",
    );
    check(
        "GET",
        "/metrics/overview?from=2024-13-01",
        400,
        "invalid_parameter",
        "from",
    );
    check(
        "GET",
        "/metrics/overview?tz=Europe/Paris",
        400,
        "invalid_parameter",
        "Asia/Kolkata",
    );
    check(
        "GET",
        "/metrics/overview?colour=red",
        400,
        "unknown_parameter",
        "colour",
    );
    check(
        "GET",
        "/metrics/overview?breakdown=colour",
        400,
        "invalid_parameter",
        "breakdown",
    );
    let reply = check("GET", "/metrics/refresh", 405, "method_not_allowed", "POST");
    assert_eq!(reply.header("allow"), Some("POST"));
    let reply = check(
        "DELETE",
        "/metrics/overview",
        405,
        "method_not_allowed",
        "GET",
    );
    assert_eq!(reply.header("allow"), Some("GET, HEAD"));
}

#[test]
fn a_missing_jwt_key_is_a_server_error_not_a_401() {
    require_wasm(&["metrics_component"]);
    let host = HostBuilder::new("spin.toml")
        .args(&["--variable", &format!("ingest_api_key={KEY}")])
        .start();
    let reply = call(&host, "GET", "/metrics/overview", Some(&admin()));
    assert_eq!(reply.status, 500, "{}", reply.body);
    assert_eq!(reply.json()["error"]["code"], "configuration");
    // The cause is logged for the operator, not shown to the caller.
    assert!(!reply.body.contains("jwt"), "{}", reply.body);
}
