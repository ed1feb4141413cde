//! Issue 6, the subgraph against Apollo's own federation tooling: the root app (graphql with
//! metrics and recommend composed in) serves a known platform with a hundred students, and
//! `tests/federation/federation.test.mjs` composes our live SDL with users, tutors and courses
//! subgraphs (`@apollo/composition`, `@apollo/subgraph`) and queries across them through
//! `@apollo/gateway`. The Node subgraphs serve the ids this data holds, passed in here.

use crate::ingest::{KEY, post_json};
use crate::metrics::{SECRET, admin, call, event};
use crate::recommend::{known_platform, state_with_models};
use crate::support::*;
use serde_json::{Value, json};
use std::process::Command;

/// The known platform's students, then enough others for a hundred users.
const USERS: usize = 100;
/// A goal the study plan check asks for, one the known platform's courses lead to.
const GOAL: &str = "Learn Python for data science";

/// The events of students beyond the known platform's `known` ones, up to [`USERS`], with
/// goals that lead to its tutors and courses.
fn more_students(known: usize) -> Vec<Value> {
    let goals = [
        ("Learn Python for data science", "Python", "beginner"),
        ("Speak conversational Spanish", "Spanish", "beginner"),
        ("Pass the algebra exam", "Math", "intermediate"),
    ];
    (known..USERS)
        .flat_map(|i| {
            let (goal, subject, level) = goals[i % goals.len()];
            let id = format!("stu-fed-{i:03}");
            [
                event(
                    &format!("f{i}a"),
                    &id,
                    "user_registered",
                    "2024-06-02T09:00:00Z",
                    json!({"role": "student"}),
                ),
                event(
                    &format!("f{i}b"),
                    &id,
                    "student_goal_set",
                    "2024-06-02T09:01:00Z",
                    json!({"goal": goal, "subjects": [subject], "level": level}),
                ),
            ]
        })
        .collect()
}

/// What the Node subgraphs serve, read from the events themselves: tutors' names, course
/// titles, and the students (the users subgraph names them).
fn federation_data(events: &[Value]) -> Value {
    let tutors: Vec<Value> = of_type(events, "tutor_profile_updated")
        .map(|e| json!({"id": e["userId"], "name": e["properties"]["name"]}))
        .collect();
    let courses: Vec<Value> = of_type(events, "course_published")
        .map(|e| json!({"id": e["properties"]["courseId"], "title": e["properties"]["title"]}))
        .collect();
    let users: Vec<Value> = of_type(events, "user_registered")
        .filter(|e| e["properties"]["role"] == "student")
        .enumerate()
        .map(|(i, e)| json!({"id": e["userId"], "name": format!("Student {}", i + 1)}))
        .collect();
    assert!(
        !tutors.is_empty() && !courses.is_empty(),
        "the platform has tutors and courses"
    );
    assert_eq!(users.len(), USERS);
    json!({
        "users": users, "tutors": tutors, "courses": courses,
        "student": "stu-py", "otherStudent": "stu-es", "goal": GOAL,
        "from": "2024-06-01", "to": "2024-06-03",
    })
}

/// The events of one type.
fn of_type<'a>(events: &'a [Value], kind: &'a str) -> impl Iterator<Item = &'a Value> {
    events.iter().filter(move |e| e["eventType"] == kind)
}

#[test]
fn apollo_composes_and_the_gateway_queries_across_our_subgraph() {
    if !test_tools_or_skip(
        "the federation tests",
        &["tests/federation/node_modules/@apollo/gateway"],
        &["node"],
    ) {
        return;
    }
    require_wasm(&[
        "track_event",
        "metrics_component",
        "recommend_component",
        "graphql_component",
    ]);
    let state = state_with_models();
    let host = HostBuilder::new("spin.toml")
        .cron_schedule(NEVER)
        .args(&[
            "--variable",
            &format!("ingest_api_key={KEY}"),
            "--variable",
            &format!("jwt_secret={SECRET}"),
        ])
        .state_dir(state.path())
        .start();

    let mut events = known_platform().as_array().unwrap().clone();
    let known = events
        .iter()
        .filter(|e| e["eventType"] == "user_registered" && e["properties"]["role"] == "student")
        .count();
    events.extend(more_students(known));
    let ingested = post_json(&host, &Value::Array(events.clone()));
    assert_eq!(ingested.status, 202, "{}", ingested.body);
    for path in ["/metrics/refresh", "/recommendations/refresh"] {
        let reply = call(&host, "POST", path, Some(&admin()));
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    }

    let output = Command::new("node")
        .arg(root().join("tests/federation/federation.test.mjs"))
        .env("SUBGRAPH_URL", host.url("/graphql"))
        .env("JWT_SECRET", SECRET)
        .env("SCHEMA_FILE", root().join("schema.graphql"))
        .env("FEDERATION_DATA", federation_data(&events).to_string())
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the federation tests failed:\n{stdout}\n{stderr}\nhost errors:\n{}",
        host.errors.lock().unwrap()
    );
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    eprintln!("{stdout}");
}
