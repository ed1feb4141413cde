//! Runs the real `demo-platform` binary.

use std::process::Command;

fn demo_platform() -> Command {
    Command::new(env!("CARGO_BIN_EXE_demo-platform"))
}

#[test]
fn dry_run_streams_ndjson_and_reads_the_key_from_the_environment() {
    let output = demo_platform()
        .args(["--preset", "small", "--end", "2026-05-01", "--dry-run"])
        .env("DEMO_INGEST_KEY", "from-env")
        .output()
        .expect("runs");
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).expect("utf8");
    let expected = demo::generate(&demo::DemoConfig::small()).count();
    assert_eq!(stdout.lines().count(), expected);
    let stderr = String::from_utf8(output.stderr).expect("utf8");
    assert!(stderr.contains("Authorization: Bearer ***"), "{stderr}");
    assert!(
        !stderr.contains("from-env"),
        "the key must never be printed"
    );
}

#[test]
fn usage_errors_exit_with_2() {
    let output = demo_platform().arg("--preset=huge").output().expect("runs");
    assert_eq!(output.status.code(), Some(2));
}
