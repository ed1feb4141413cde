//! What is stored: deduplication, traits, indexes, atomic durable commits, restarts and
//! concurrent writers.

use super::*;

#[test]
fn duplicates_within_a_batch_and_across_requests_are_counted_not_stored() {
    let host = ingest_host().start();
    let db = Db::of(&host);
    let mut changed = enrolled("d-1");
    changed["userId"] = json!("someone-else");
    let body = json!([enrolled("d-1"), enrolled("d-2"), changed, enrolled("d-1")]);
    assert_report(&post_json(&host, &body), 2, 2);
    // A retry of the same request: everything is a duplicate, and still a 202.
    let rejected = assert_report(&post_json(&host, &body), 0, 4);
    assert!(rejected.is_empty());
    // New and old mixed; the first stored content wins.
    assert_report(&post_json(&host, &json!([changed, enrolled("d-3")])), 1, 1);
    assert_eq!(db.ids(), ["d-1", "d-2", "d-3"]);
    assert_eq!(db.event("d-1")["user_id"], "stu-1");

    // An invalid first copy does not stop a valid later one.
    let mut invalid = enrolled("d-4");
    invalid["properties"] = json!({});
    let rejected = assert_report(&post_json(&host, &json!([invalid, enrolled("d-4")])), 1, 0);
    assert_eq!(rejected[0]["index"], 0);

    // CloudEvents are identified by source and id: same id, two sources, two events; and a
    // native event with that id is a third.
    let ce = |source: &str| {
        json!({"specversion": "1.0", "id": "d-1", "source": source, "type": "course.enrolled",
               "time": "2024-05-01T10:00:00Z", "subject": "stu-1", "data": {"courseId": "c"}})
    };
    let batch = json!([ce("/a"), ce("/b"), ce("/a")]);
    let headers = [("content-type", "application/cloudevents-batch+json")];
    let reply = post_with(&host, "/events", &headers, batch.to_string().as_bytes());
    assert_report(&reply, 2, 1);
    let reply = post_with(&host, "/events", &headers, batch.to_string().as_bytes());
    assert_report(&reply, 0, 3);
    assert_eq!(
        db.scalar("SELECT count(*) FROM analytics_events WHERE event_id = 'd-1'"),
        3
    );
}

#[test]
fn identify_merges_traits_once_and_never_with_an_older_call() {
    let host = ingest_host().start();
    let db = Db::of(&host);
    let identify = |id: &str, at: &str, traits: Value| {
        let body = json!({"messageId": id, "userId": "stu-9", "timestamp": at, "traits": traits});
        post_with(
            &host,
            "/v1/identify",
            &[("content-type", "application/json")],
            body.to_string().as_bytes(),
        )
    };
    assert_report(
        &identify(
            "i-1",
            "2024-05-02T00:00:00Z",
            json!({"plan": "pro", "city": "Lyon"}),
        ),
        1,
        0,
    );
    assert_report(
        &identify(
            "i-2",
            "2024-05-03T00:00:00Z",
            json!({"plan": "team", "city": null}),
        ),
        1,
        0,
    );
    assert_eq!(db.traits("stu-9"), Some(json!({"plan": "team"})));
    // Older than what is stored: the event is kept, the traits are not touched.
    assert_report(
        &identify("i-3", "2024-05-01T00:00:00Z", json!({"plan": "free"})),
        1,
        0,
    );
    assert_eq!(db.traits("stu-9"), Some(json!({"plan": "team"})));
    // A retried identify (same messageId, newer content) is a duplicate: no update.
    assert_report(
        &identify("i-2", "2024-05-04T00:00:00Z", json!({"plan": "x"})),
        0,
        1,
    );
    assert_eq!(db.traits("stu-9"), Some(json!({"plan": "team"})));
    let updated = db.rows("SELECT updated_at FROM user_traits WHERE user_id = 'stu-9'");
    assert_eq!(updated[0][0], "2024-05-03T00:00:00.000Z");
}

#[test]
fn the_schema_has_the_indexes_the_jobs_read_by_and_the_file_is_in_wal_mode() {
    let host = ingest_host().start();
    assert_report(&post_json(&host, &enrolled("s-1")), 1, 0);
    let db = Db::of(&host);
    let indexes = db.rows(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'analytics_events' \
         AND sql IS NOT NULL ORDER BY name",
    );
    assert_eq!(indexes.len(), 2, "{indexes:?}");
    assert!(
        indexes[0][1]
            .as_str()
            .unwrap()
            .contains("(event_type, timestamp_ms)")
    );
    assert!(
        indexes[1][1]
            .as_str()
            .unwrap()
            .contains("(user_id, timestamp_ms)")
    );
    let plan = db.rows(
        "EXPLAIN QUERY PLAN SELECT * FROM analytics_events WHERE user_id = 'u' \
         AND timestamp_ms BETWEEN 0 AND 1",
    );
    assert!(
        format!("{plan:?}").contains("analytics_events_user_time"),
        "{plan:?}"
    );
    assert_eq!(db.rows("PRAGMA journal_mode")[0][0], "wal");
}

#[test]
fn a_202_means_committed_a_restart_or_a_kill_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let host = ingest_host().state_dir(dir.path()).start();
    let batch = Value::Array((0..100).map(|i| enrolled(&format!("r-{i}"))).collect());
    assert_report(&post_json(&host, &batch), 100, 0);
    // Readable by another process as soon as the 202 arrives.
    assert_eq!(Db::at(dir.path()).count(), 100);
    assert!(host.terminate().success());

    // SIGKILL straight after a 202: the commit is on disk already.
    let mut killed = KillableHost::start(dir.path());
    let reply = send(
        "POST",
        &format!("{}/events", killed.base),
        &[
            ("authorization", &format!("Bearer {KEY}")),
            ("content-type", "application/json"),
        ],
        json!([batch[0], enrolled("before-kill")])
            .to_string()
            .as_bytes(),
    );
    assert_report(&reply, 1, 1);
    killed.child.kill().unwrap();
    killed.child.wait().unwrap();

    let host = ingest_host().state_dir(dir.path()).start();
    let db = Db::of(&host);
    assert_eq!(db.count(), 101);
    assert_report(&post_json(&host, &batch), 0, 100);
    // Sequence numbers only grow; a duplicate may use one up, so there can be gaps.
    let seq = db.event("before-kill")["seq"].as_i64().unwrap();
    assert!(seq > db.event("r-99")["seq"].as_i64().unwrap());
    // The sequence keeps growing after restarts.
    assert_report(&post_json(&host, &enrolled("third-run")), 1, 0);
    assert!(db.event("third-run")["seq"].as_i64().unwrap() > seq);
}

/// A host this test owns the process of, to SIGKILL it.
struct KillableHost {
    child: std::process::Child,
    base: String,
}

impl KillableHost {
    fn start(state_dir: &Path) -> Self {
        let port = free_port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_spin-local"))
            .args(["up", "-f"])
            .arg(root().join("spin.toml"))
            .args(["--listen", &format!("127.0.0.1:{port}"), "--state-dir"])
            .arg(state_dir)
            .args(["--variable", &format!("ingest_api_key={KEY}")])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "host did not start");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for KillableHost {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn concurrent_writers_all_commit_and_every_batch_is_whole() {
    let host = ingest_host().start();
    let db = Db::of(&host);
    std::thread::scope(|scope| {
        for worker in 0..8 {
            let host = &host;
            scope.spawn(move || {
                for round in 0..10 {
                    let batch = Value::Array(
                        (0..20)
                            .map(|i| enrolled(&format!("w{worker}-r{round}-{i}")))
                            .collect(),
                    );
                    assert_report(&post_json(host, &batch), 20, 0);
                }
            });
        }
    });
    assert_eq!(db.count(), 8 * 10 * 20);
    // One transaction per batch: each batch's rows have consecutive sequence numbers.
    let spans = db.rows(
        "SELECT substr(event_id, 1, instr(substr(event_id, 4), '-') + 2) AS batch, \
         max(seq) - min(seq) FROM analytics_events GROUP BY batch",
    );
    assert_eq!(spans.len(), 80, "{spans:?}");
    for span in spans {
        assert_eq!(span[1], 19, "{span:?}");
    }
}

#[test]
fn a_batch_commits_whole_or_not_at_all() {
    // The events table seeded with a constraint some rows break: the insert then fails half
    // way through a batch, after earlier rows (and a whole earlier chunk) went in.
    let table = events::store::CREATE_EVENTS_TABLE.replace(
        "UNIQUE (source, event_id)",
        "UNIQUE (source, event_id), CHECK (event_id NOT LIKE 'poison%')",
    );
    assert_ne!(table, events::store::CREATE_EVENTS_TABLE);
    let host = ingest_host().args(&["--sqlite", &table]).start();
    let db = Db::of(&host);
    let mut batch: Vec<Value> = (0..150).map(|i| enrolled(&format!("a-{i}"))).collect();
    batch[120] = enrolled("poison-1");
    let reply = post_json(&host, &Value::Array(batch.clone()));
    let message = assert_error(&reply, 503, "store_unavailable");
    assert!(message.contains("CHECK constraint failed"), "{message}");
    assert_eq!(reply.header("retry-after"), Some("1"));
    assert_eq!(db.count(), 0);
    // Without the poison, the same batch goes in whole, on the same instance's connection.
    batch.remove(120);
    assert_report(&post_json(&host, &Value::Array(batch)), 149, 0);
    assert_eq!(db.count(), 149);
}
