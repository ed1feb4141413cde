//! The real Segment and RudderStack Node SDKs, pointed at the host (`tests/sdk/send.mjs`).

use super::*;
use std::process::Command;

#[test]
fn segment_and_rudderstack_node_sdks_send_unchanged() {
    let sdk = root().join("tests/sdk");
    if !sdk.join("node_modules").exists() {
        println!(
            "SKIPPED segment_and_rudderstack_node_sdks_send_unchanged: {} is absent; run `npm ci` in tests/sdk",
            sdk.join("node_modules").display()
        );
        return;
    }
    let host = ingest_host().start();
    let db = Db::of(&host);
    let output = Command::new("node")
        .arg(sdk.join("send.mjs"))
        .env("INGEST_URL", &host.base)
        .env("INGEST_KEY", KEY)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");

    for sdk in ["segment", "rudder"] {
        let track = db.event(&format!("{sdk}-track-1"));
        assert_eq!(track["event_type"], "lesson_completed", "{sdk}");
        assert_eq!(track["user_id"], format!("{sdk}-user"), "{sdk}");
        assert_eq!(track["properties"]["lessonId"], "l-1", "{sdk}");
        let identify = db.event(&format!("{sdk}-identify-1"));
        assert_eq!(identify["event_type"], "user_identified", "{sdk}");
        assert_eq!(
            db.traits(&format!("{sdk}-user")),
            Some(json!({"plan": "pro", "sdk": sdk})),
            "{sdk}"
        );
        let anonymous = db.event(&format!("{sdk}-track-anon"));
        assert_eq!(anonymous["user_id"], format!("{sdk}-anon"), "{sdk}");
    }
    // RudderStack's request really was gzip under a form label: the script records it.
    assert!(
        stdout.contains("rudder content-type: application/x-www-form-urlencoded"),
        "{stdout}"
    );
    assert!(stdout.contains("rudder content-encoding: gzip"), "{stdout}");
    // A wrong write key: the SDK is refused and nothing is stored.
    let before = db.count();
    let output = Command::new("node")
        .arg(sdk.join("send.mjs"))
        .env("INGEST_URL", &host.base)
        .env("INGEST_KEY", "wrong")
        .env("SDK_ID_PREFIX", "wrong")
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("segment status: 401"), "{stdout}");
    assert_eq!(db.count(), before);
}
