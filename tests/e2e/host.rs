//! The host against Spin's behaviour: routing, headers, SQLite, key-value, variables, component
//! dependencies, service chaining, instance reuse, concurrency, restarts and start-up errors.

use crate::support::*;
use std::time::{Duration, Instant};

const PROBE: &[&str] = &["test_probe", "test_echo", "test_greeter", "test_cron_probe"];

pub(crate) fn probe_host() -> HostBuilder {
    require_wasm(PROBE);
    HostBuilder::new("tests/spin.toml").args(&[
        "--runtime-config-file",
        &root().join("tests/runtime-config.toml").to_string_lossy(),
        "--variable",
        "secret_token=s3cret",
    ])
}

#[test]
fn routes_and_spin_headers_match_spin() {
    let host = probe_host().start();
    let reply = get(&host.url("/probe/headers?x=1"));
    assert_eq!(reply.status, 200);
    let seen = reply.json();
    let port = host.base.rsplit(':').next().unwrap().to_owned();
    assert_eq!(
        seen["uri"],
        format!("http://127.0.0.1:{port}/probe/headers?x=1")
    );
    let headers = &seen["headers"];
    assert_eq!(
        headers["spin-full-url"],
        format!("http://127.0.0.1:{port}/probe/headers?x=1")
    );
    assert_eq!(headers["spin-path-info"], "/headers");
    assert_eq!(headers["spin-matched-route"], "/probe/...");
    assert_eq!(headers["spin-raw-component-route"], "/probe/...");
    assert_eq!(headers["spin-component-route"], "/probe");
    assert_eq!(headers["spin-base-path"], "/");
    assert!(
        headers["spin-client-addr"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );

    // Any method reaches the component; the exact route beats the wildcard that also matches.
    let reply = send("DELETE", &host.url("/probe/exact"), &[], b"");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-echo-method"), Some("DELETE"));
    // Unknown paths: 404 with an empty body. Nothing is added to a component's response.
    let reply = get(&host.url("/nowhere"));
    assert_eq!((reply.status, reply.body.as_str()), (404, ""));
    let reply = get(&host.url("/probe/served"));
    assert_eq!(reply.header("content-type"), None);

    let banner = host.banner.lock().unwrap().clone();
    assert!(
        banner.contains(&format!("Serving http://127.0.0.1:{port}")),
        "{banner}"
    );
    assert!(
        banner.contains(&format!("probe: http://127.0.0.1:{port}/probe (wildcard)")),
        "{banner}"
    );
    assert!(
        banner.contains(&format!("echo: http://127.0.0.1:{port}/probe/exact\n")),
        "{banner}"
    );
}

#[test]
fn a_trapping_component_gets_a_500_and_the_host_keeps_serving() {
    let host = probe_host().start();
    assert_eq!(get(&host.url("/probe/trap")).status, 500);
    assert_eq!(get(&host.url("/probe/served")).status, 200);
    let log = std::fs::read_to_string(host.state_dir.join("logs/probe_stderr.txt")).unwrap();
    assert!(log.contains("the probe was asked to trap"), "{log}");
    let errors = host.errors.lock().unwrap().clone();
    assert!(
        errors.contains("component 'probe' instance failed"),
        "{errors}"
    );
}

#[test]
fn sqlite_reads_writes_errors_and_access_rules() {
    let host = probe_host().start();
    let exec = |db: &str, sql: &str| post(&host.url(&format!("/probe/sqlite/exec?db={db}")), sql);
    let reply = exec(
        "default",
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('a'); INSERT INTO notes (body) VALUES ('b'); SELECT id, body FROM notes ORDER BY id",
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json()["rows"],
        serde_json::json!([[1, "a"], [2, "b"]])
    );
    assert_eq!(reply.json()["columns"], serde_json::json!(["id", "body"]));
    // A second database from the runtime config, separate from the default one.
    let reply = exec(
        "other",
        "SELECT name FROM sqlite_master WHERE name = 'notes'",
    );
    assert_eq!(reply.json()["rows"], serde_json::json!([]));
    // Errors reach the guest as Spin's error variants.
    let reply = exec("default", "SELEC 1");
    assert_eq!(reply.status, 500);
    assert!(
        reply.body.contains("Io(") && reply.body.contains("syntax error"),
        "{}",
        reply.body
    );
    assert!(exec("unlisted", "SELECT 1").body.contains("AccessDenied"));
    // The same code, granted no databases, is refused.
    let reply = post(&host.url("/denied/sqlite/exec?db=default"), "SELECT 1");
    assert!(reply.body.contains("AccessDenied"), "{}", reply.body);
    assert!(host.state_dir.join("sqlite_db.db").exists());
}

#[test]
fn sqlite_seeding_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("seed.sql");
    std::fs::write(
        &file,
        "CREATE TABLE seeded (v TEXT); INSERT INTO seeded VALUES ('from file');",
    )
    .unwrap();
    let host = probe_host()
        .args(&[
            "--sqlite",
            &format!("@{}", file.display()),
            "--sqlite",
            "INSERT INTO seeded VALUES ('inline')",
        ])
        .start();
    let reply = post(
        &host.url("/probe/sqlite/exec?db=default"),
        "SELECT v FROM seeded ORDER BY v",
    );
    assert_eq!(
        reply.json()["rows"],
        serde_json::json!([["from file"], ["inline"]])
    );
}

#[test]
fn key_value_and_its_access_rules() {
    let host = probe_host()
        .args(&["--key-value", "preset=from the flag"])
        .start();
    assert_eq!(
        get(&host.url("/probe/kv?store=default&key=preset")).body,
        "from the flag"
    );
    let put = send(
        "PUT",
        &host.url("/probe/kv?store=default&key=k"),
        &[],
        b"v1",
    );
    assert_eq!(put.status, 200);
    assert_eq!(get(&host.url("/probe/kv?store=default&key=k")).body, "v1");
    send(
        "PUT",
        &host.url("/probe/kv?store=default&key=k"),
        &[],
        b"v2",
    );
    assert_eq!(get(&host.url("/probe/kv?store=default&key=k")).body, "v2");
    assert_eq!(
        send(
            "DELETE",
            &host.url("/probe/kv?store=default&key=k"),
            &[],
            b""
        )
        .status,
        200
    );
    assert_eq!(get(&host.url("/probe/kv?store=default&key=k")).status, 404);
    assert!(
        get(&host.url("/probe/kv?store=other&key=k"))
            .body
            .contains("AccessDenied")
    );
    assert!(
        get(&host.url("/denied/kv?store=default&key=k"))
            .body
            .contains("AccessDenied")
    );
    assert!(host.state_dir.join("sqlite_key_value.db").exists());
}

#[test]
fn variables_come_from_flags_environment_and_defaults() {
    let host = probe_host()
        .args(&["--variable", "region=us"])
        .env("SPIN_VARIABLE_GREETING", "from the environment")
        .env("SPIN_VARIABLE_REGION", "ignored: the flag is stronger")
        .start();
    let var = |name: &str| get(&host.url(&format!("/probe/variable?name={name}"))).body;
    assert_eq!(var("token"), "s3cret");
    assert_eq!(var("greeting"), "from the environment");
    assert_eq!(var("url"), "https://us.example.com");
    assert!(var("undefined_one").contains("Undefined"));
    assert!(var("Bad-Name").contains("InvalidName"));

    let host = probe_host().start();
    assert_eq!(
        get(&host.url("/probe/variable?name=greeting")).body,
        "hello from the default"
    );
}

#[test]
fn a_missing_required_variable_stops_start_up_as_spin_does() {
    require_wasm(PROBE);
    let (status, stderr) = HostBuilder::new("tests/spin.toml").fail();
    assert_eq!(status.code(), Some(1));
    assert!(
        stderr.contains("Error: provider error: no provider resolved required variable(s): [Key(\"secret_token\")]"),
        "{stderr}"
    );
}

#[test]
fn component_dependencies_and_service_chaining() {
    let host = probe_host().start();
    assert_eq!(
        get(&host.url("/probe/greet?name=Ada")).body,
        "Hello, Ada, from the greeter component"
    );
    let reply = get(&host.url("/probe/chain?url=http://echo.spin.internal/hello?q=1"));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json()["echoedUri"],
        "http://echo.spin.internal/hello?q=1"
    );
    assert_eq!(reply.json()["body"], "ping");
    // Not in allowed_outbound_hosts: refused before any connection is made.
    let reply = get(&host.url("/probe/chain?url=https://example.com/"));
    assert_eq!(reply.status, 502);
    assert!(reply.body.contains("HttpRequestDenied"), "{}", reply.body);
    let reply = get(&host.url("/denied/chain?url=http://echo.spin.internal/"));
    assert!(reply.body.contains("HttpRequestDenied"), "{}", reply.body);
}

#[test]
fn requests_are_served_concurrently() {
    let host = probe_host().start();
    get(&host.url("/probe/served"));
    let start = Instant::now();
    let handles: Vec<_> = (0..24)
        .map(|_| {
            let url = host.url("/probe/sleep?ms=400");
            std::thread::spawn(move || get(&url).status)
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 200);
    }
    // Serially this would take 9.6 s.
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn instances_are_reused_as_spin_reuses_them() {
    let host = probe_host().start();
    let served = || get(&host.url("/probe/served")).body.parse::<u64>().unwrap();
    let first = served();
    let second = served();
    assert_eq!(
        second,
        first + 1,
        "a static survives between requests of one instance"
    );
    std::thread::sleep(Duration::from_millis(1600));
    assert_eq!(served(), 1, "an idle instance is dropped after a second");

    let host = probe_host()
        .args(&["--max-instance-reuse-count", "1"])
        .start();
    for _ in 0..3 {
        assert_eq!(get(&host.url("/probe/served")).body, "1");
    }
    let host = probe_host()
        .args(&["--max-instance-reuse-count", "3"])
        .start();
    let counts: Vec<String> = (0..6)
        .map(|_| get(&host.url("/probe/served")).body)
        .collect();
    assert_eq!(counts, ["1", "2", "3", "1", "2", "3"]);
}

#[test]
fn a_request_past_its_timeout_fails_and_others_are_served() {
    let host = probe_host().args(&["--request-timeout", "300ms"]).start();
    let reply = get(&host.url("/probe/sleep?ms=3000"));
    assert_eq!(reply.status, 500);
    assert_eq!(get(&host.url("/probe/sleep?ms=10")).status, 200);
}

#[test]
fn data_survives_a_restart() {
    let state = tempfile::tempdir().unwrap();
    let host = probe_host().state_dir(state.path()).start();
    post(
        &host.url("/probe/sqlite/exec?db=default"),
        "CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('still here')",
    );
    send(
        "PUT",
        &host.url("/probe/kv?store=default&key=kept"),
        &[],
        b"also here",
    );
    assert!(host.terminate().success());

    let host = probe_host().state_dir(state.path()).start();
    let reply = post(
        &host.url("/probe/sqlite/exec?db=default"),
        "SELECT v FROM kept",
    );
    assert_eq!(reply.json()["rows"], serde_json::json!([["still here"]]));
    assert_eq!(
        get(&host.url("/probe/kv?store=default&key=kept")).body,
        "also here"
    );
}

#[test]
fn compiled_components_are_cached_as_spin_caches_them() {
    let dir = tempfile::tempdir().unwrap();
    let cache_dir = dir.path().join("compiled");
    let config = dir.path().join("cache.toml");
    std::fs::write(
        &config,
        format!("[cache]\ndirectory = {:?}\n", cache_dir.to_string_lossy()),
    )
    .unwrap();
    // Compiled code, by file and time of writing (the cache's usage statistics aside).
    let compiled = || {
        walk(&cache_dir)
            .into_iter()
            .filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "stats"))
            .map(|p| {
                let written = p.metadata().unwrap().modified().unwrap();
                (p, written)
            })
            .collect::<std::collections::BTreeSet<_>>()
    };

    let config = config.to_string_lossy().into_owned();
    let host = probe_host().args(&["--cache", &config]).start();
    assert_eq!(get(&host.url("/probe/served")).status, 200);
    assert!(host.terminate().success());
    let first = compiled();
    // The probe (composed with its greeter dependency), echo and the cron probe.
    assert!(first.len() >= 3, "{first:?}");

    // A second start loads what the first compiled: nothing is compiled or written again.
    let host = probe_host().args(&["--cache", &config]).start();
    assert_eq!(get(&host.url("/probe/served")).status, 200);
    assert!(host.terminate().success());
    assert_eq!(compiled(), first);

    // `--disable-cache` compiles without reading or writing it.
    std::fs::remove_dir_all(&cache_dir).unwrap();
    let host = probe_host().args(&["--disable-cache"]).start();
    assert_eq!(get(&host.url("/probe/served")).status, 200);
    assert!(host.terminate().success());
    assert!(!cache_dir.exists());

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[cache]\nno_such_setting = 1\n").unwrap();
    let (status, stderr) = probe_host()
        .args(&["--cache", &bad.to_string_lossy()])
        .fail();
    assert_eq!(status.code(), Some(1));
    assert!(
        stderr.contains("invalid wasmtime cache configuration"),
        "{stderr}"
    );
}

/// Every path under a directory (none if it does not exist).
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        }
        found.push(path);
    }
    found
}

#[test]
fn shutdown_lets_in_flight_requests_finish() {
    let host = probe_host().start();
    let url = host.url("/probe/sleep?ms=1000");
    let slow = std::thread::spawn(move || get(&url));
    std::thread::sleep(Duration::from_millis(300));
    let errors = host.errors.clone();
    let status = host.terminate();
    let reply = slow.join().unwrap();
    assert_eq!((reply.status, reply.body.as_str()), (200, "slept 1000"));
    assert!(status.success(), "{status}");
    // The instance that served it is still alive at exit: dropping it is no failure.
    let errors = errors.lock().unwrap();
    assert!(!errors.contains("instance failed"), "{errors}");
}

/// Runs `up` on a manifest that must fail at start-up with exit code 1; returns its stderr.
fn up_fails(manifest: &str) -> String {
    let listen = format!("127.0.0.1:{}", free_port());
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_spin-local"))
        .args(["up", "-f", manifest, "--listen", &listen])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    stderr
}

fn write_manifest(dir: &std::path::Path, body: &str) -> String {
    let path = dir.join("spin.toml");
    std::fs::write(
        &path,
        format!("spin_manifest_version = 2\n[application]\nname = \"bad\"\n{body}"),
    )
    .unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn start_up_errors_are_one_clear_line() {
    require_wasm(PROBE);
    let dir = tempfile::tempdir().unwrap();
    let probe = root().join("target/wasm32-wasip2/release/test_probe.wasm");
    let cases = [
        (
            "[component.a]\nsource = \"a.wasm\"\nsqlite_database = [\"default\"]\n",
            "unknown field `sqlite_database`",
        ),
        (
            "[[trigger.http]]\nroute = \"/a\"\ncomponent = \"a\"\n[component.a]\nsource = \"missing.wasm\"\n",
            "component 'a': cannot read",
        ),
        // The probe imports test:deps/greeter; without its dependency the host lacks that interface.
        (
            &format!(
                "[[trigger.http]]\nroute = \"/a\"\ncomponent = \"a\"\n[component.a]\nsource = \"{}\"\n",
                probe.display()
            ),
            "imports 'test:deps/greeter@0.1.0', which this host does not provide",
        ),
        (
            &format!(
                "[[trigger.http]]\nroute = \"/a\"\ncomponent = \"a\"\n[component.a]\nsource = \"{}\"\nsqlite_databases = [\"nope\"]\n",
                probe.display()
            ),
            "SQLite database 'nope', which is not defined",
        ),
    ];
    for (body, needle) in cases {
        let stderr = up_fails(&write_manifest(dir.path(), body));
        assert!(stderr.contains(needle), "{stderr} should contain {needle}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    }
}

#[test]
fn a_port_in_use_is_reported() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (status, stderr) = probe_host().listen(&addr).fail();
    assert_eq!(status.code(), Some(1));
    assert!(
        stderr.contains(&format!("Unable to listen on {addr}")),
        "{stderr}"
    );
}

#[test]
fn build_runs_each_components_build_command() {
    let dir = tempfile::tempdir().unwrap();
    let probe = root().join("target/wasm32-wasip2/release/test_echo.wasm");
    let manifest = write_manifest(
        dir.path(),
        &format!(
            "[[trigger.http]]\nroute = \"/a\"\ncomponent = \"a\"\n[component.a]\nsource = \"{}\"\n[component.a.build]\ncommand = \"echo built > marker.txt\"\n",
            probe.display()
        ),
    );
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_spin-local"))
        .args(["build", "-f", &manifest])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("marker.txt")).unwrap(),
        "built\n"
    );
    std::fs::write(
        dir.path().join("spin.toml"),
        std::fs::read_to_string(&manifest)
            .unwrap()
            .replace("echo built", "exit 3; echo"),
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_spin-local"))
        .args(["build", "-f", &manifest])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("build command for component 'a' failed")
    );
}

#[test]
fn a_remote_libsql_database_is_opened_lazily_and_reports_failures_to_the_guest() {
    // As on Spin: start-up does not connect; the first query reports the failure as `Io`, and no
    // local file is written for that database.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("runtime-config.toml");
    std::fs::write(
        &config,
        "[sqlite_database.other]\ntype = \"libsql\"\nurl = \"http://127.0.0.1:9\"\ntoken = \"t\"\n",
    )
    .unwrap();
    require_wasm(PROBE);
    let host = HostBuilder::new("tests/spin.toml")
        .args(&[
            "--runtime-config-file",
            &config.to_string_lossy(),
            "--variable",
            "secret_token=x",
        ])
        .start();
    let reply = post(&host.url("/probe/sqlite/exec?db=other"), "SELECT 1");
    assert_eq!(reply.status, 500);
    assert!(reply.body.contains("Io("), "{}", reply.body);
    let files: Vec<_> = std::fs::read_dir(&host.state_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!files.iter().any(|f| f.contains("other")), "{files:?}");
    // The default database is unaffected.
    let reply = post(&host.url("/probe/sqlite/exec?db=default"), "SELECT 2");
    assert_eq!(reply.json()["rows"], serde_json::json!([[2]]));
}

#[test]
fn cron_triggers_run_their_component_on_schedule() {
    let host = probe_host().start();
    let banner = host.banner.lock().unwrap().clone();
    assert!(
        banner.contains("Scheduled component cron-probe with cron expression '* * * * * *'"),
        "{banner}"
    );
    // Every second: after a few seconds there are runs, each stamped with its scheduled time.
    let deadline = Instant::now() + Duration::from_secs(20);
    let rows = loop {
        let reply = post(
            &host.url("/probe/sqlite/exec?db=default"),
            "SELECT ts FROM cron_runs ORDER BY ts",
        );
        if reply.status == 200
            && reply.json()["rows"]
                .as_array()
                .is_some_and(|r| r.len() >= 2)
        {
            break reply.json()["rows"].clone();
        }
        assert!(Instant::now() < deadline, "no cron runs: {}", reply.body);
        std::thread::sleep(Duration::from_millis(250));
    };
    let stamps: Vec<i64> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_i64().unwrap())
        .collect();
    assert!(stamps.windows(2).all(|w| w[1] > w[0]), "{stamps:?}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now - stamps[0]).abs() < 30, "{stamps:?} vs {now}");
}

#[test]
fn a_bad_cron_expression_is_a_start_up_error() {
    require_wasm(PROBE);
    let dir = tempfile::tempdir().unwrap();
    let wasm = root().join("target/wasm32-wasip2/release/test_cron_probe.wasm");
    let manifest = write_manifest(
        dir.path(),
        &format!(
            "[[trigger.cron]]\ncomponent = \"c\"\ncron_expression = \"every minute\"\n[component.c]\nsource = \"{}\"\nsqlite_databases = [\"default\"]\n",
            wasm.display()
        ),
    );
    let stderr = up_fails(&manifest);
    assert!(
        stderr.contains("invalid cron_expression 'every minute'"),
        "{stderr}"
    );
}
