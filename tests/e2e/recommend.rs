//! Recommendations and study plans: the `recommend` component on the root `spin.toml`, with
//! the real all-minilm-l6-v2 embeddings of the host. A small known platform goes in through
//! `POST /events`; the background job runs over HTTP and on the cron trigger; what is served
//! is checked against what the platform holds (subjects, languages, prices, what each
//! student took), and so are the auth and input errors.

use crate::ingest::{KEY, post_json};
use crate::metrics::{SECRET, admin, call, event, token};
use crate::support::*;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The root app (or a variant of it) with the ingest key and the JWT secret.
/// The root manifest's host; its cron triggers never fire on their own (a tick must not run
/// the job between a test's requests).
fn recommend_host() -> HostBuilder {
    require_wasm(&["track_event", "recommend_component"]);
    HostBuilder::new("spin.toml").cron_schedule(NEVER).args(&[
        "--variable",
        &format!("ingest_api_key={KEY}"),
        "--variable",
        &format!("jwt_secret={SECRET}"),
    ])
}

/// A state directory whose `ai-models/` is the model `scripts/setup` installed: the tests
/// that rank need real embeddings and say so when the model is missing.
pub(crate) fn state_with_models() -> tempfile::TempDir {
    let models = root().join("target/models/ai-models");
    assert!(
        models.join("all-minilm-l6-v2/model.safetensors").exists(),
        "{} holds no all-minilm-l6-v2: run scripts/setup first (these tests need real embeddings)",
        models.display()
    );
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(&models, dir.path().join("ai-models")).unwrap();
    dir
}

pub(crate) fn user(id: &str) -> String {
    token(json!({"sub": id, "role": "student"}))
}

/// A tutor of the known platform: subjects, languages, hourly rate and currency.
struct Tutor {
    id: &'static str,
    name: &'static str,
    subjects: &'static [&'static str],
    languages: &'static [&'static str],
    rate: i64,
    currency: &'static str,
    bio: &'static str,
}

const TUTORS: &[Tutor] = &[
    Tutor {
        id: "tut-ana",
        name: "Ana García",
        subjects: &["Python", "Data Science"],
        languages: &["English", "Spanish"],
        rate: 4500,
        currency: "USD",
        bio: "Python for data science: pandas, NumPy and machine learning projects.",
    },
    Tutor {
        id: "tut-ben",
        name: "Ben Okafor",
        subjects: &["Python"],
        languages: &["English"],
        rate: 3000,
        currency: "USD",
        bio: "Python programming from scratch: scripts, automation and data analysis.",
    },
    Tutor {
        id: "tut-chen",
        name: "Chen Wei",
        subjects: &["Python", "Math"],
        languages: &["Mandarin", "English"],
        rate: 8000,
        currency: "USD",
        bio: "Python and statistics for data scientists, with the math behind the models.",
    },
    Tutor {
        id: "tut-lucia",
        name: "Lucía Pérez",
        subjects: &["Spanish"],
        languages: &["Spanish", "English"],
        rate: 3500,
        currency: "USD",
        bio: "Conversational Spanish for travellers and beginners.",
    },
    Tutor {
        id: "tut-dan",
        name: "Dan Miller",
        subjects: &["Math"],
        languages: &["English"],
        rate: 5000,
        currency: "EUR",
        bio: "Calculus and linear algebra for university students.",
    },
    Tutor {
        id: "tut-greta",
        name: "Greta Vogel",
        subjects: &["Python"],
        languages: &["German"],
        rate: 2500,
        currency: "EUR",
        bio: "Python basics and data analysis, taught in German.",
    },
];

/// A course: id, title, subject, level, prerequisites, hours, price (USD).
type Course = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    f64,
    i64,
);

const COURSES: &[Course] = &[
    (
        "py-101",
        "Python Basics",
        "Python",
        "beginner",
        &[],
        10.0,
        2900,
    ),
    (
        "py-201",
        "Data Analysis with pandas",
        "Python",
        "intermediate",
        &["py-101"],
        16.0,
        4900,
    ),
    (
        "py-301",
        "Machine Learning with Python",
        "Python",
        "advanced",
        &["py-201"],
        24.0,
        7900,
    ),
    (
        "es-101",
        "Spanish for Travellers",
        "Spanish",
        "beginner",
        &[],
        12.0,
        3900,
    ),
    (
        "math-201",
        "Calculus I",
        "Math",
        "intermediate",
        &[],
        20.0,
        5900,
    ),
];

fn course_description(id: &str) -> &'static str {
    match id {
        "py-101" => "Variables, loops, functions: your first Python programs.",
        "py-201" => "Clean, explore and visualize data with Python and pandas.",
        "py-301" => "Train and evaluate machine learning models in Python for data science.",
        "es-101" => "Order food, ask for directions and chat in Spanish while travelling.",
        _ => "Limits, derivatives and integrals with worked examples.",
    }
}

const DAY: &str = "2024-06-01T";

/// Three students (a Python goal, a Spanish goal, a peer), six tutors, five courses, and
/// what the students did: `stu-py` booked Ben and completed Python Basics.
pub(crate) fn known_platform() -> Value {
    let mut events = Vec::new();
    let mut n = 0;
    let mut push = |user: &str, kind: &str, properties: Value| {
        n += 1;
        let at = format!("{DAY}{:02}:{:02}:00Z", 8 + n / 60, n % 60);
        events.push(event(&format!("r{n}"), user, kind, &at, properties));
    };
    for t in TUTORS {
        push(t.id, "user_registered", json!({"role": "tutor"}));
        push(
            t.id,
            "tutor_profile_updated",
            json!({"name": t.name, "subjects": t.subjects, "bio": t.bio,
                   "languages": t.languages, "hourlyRate": t.rate, "currency": t.currency}),
        );
    }
    for (id, title, subject, level, prerequisites, hours, price) in COURSES {
        let (tutor, currency) = if *subject == "Math" {
            ("tut-dan", "EUR")
        } else if *subject == "Spanish" {
            ("tut-lucia", "USD")
        } else {
            ("tut-ana", "USD")
        };
        push(
            tutor,
            "course_published",
            json!({"courseId": id, "title": title, "description": course_description(id),
                   "subject": subject, "level": level, "prerequisites": prerequisites,
                   "hours": hours, "price": price, "currency": currency}),
        );
    }
    for (student, goal, subjects, level) in [
        (
            "stu-py",
            "Learn Python for data science",
            ["Python"],
            "beginner",
        ),
        (
            "stu-es",
            "Speak conversational Spanish when travelling",
            ["Spanish"],
            "beginner",
        ),
        (
            "stu-peer",
            "Analyse data with Python",
            ["Python"],
            "intermediate",
        ),
    ] {
        push(student, "user_registered", json!({"role": "student"}));
        push(
            student,
            "student_goal_set",
            json!({"goal": goal, "subjects": subjects, "level": level}),
        );
    }
    push(
        "stu-py",
        "session_booked",
        json!({"sessionId": "s1", "tutorId": "tut-ben", "subject": "Python",
               "startsAt": "2024-06-03T10:00:00Z", "amount": 3000, "currency": "USD"}),
    );
    push("stu-py", "course_enrolled", json!({"courseId": "py-101"}));
    push("stu-py", "course_completed", json!({"courseId": "py-101"}));
    push("stu-peer", "course_enrolled", json!({"courseId": "py-201"}));
    push(
        "stu-peer",
        "session_booked",
        json!({"sessionId": "s2", "tutorId": "tut-ana", "subject": "Python",
               "startsAt": "2024-06-03T11:00:00Z", "amount": 4500, "currency": "USD"}),
    );
    push(
        "stu-peer",
        "review_submitted",
        json!({"rating": 5, "tutorId": "tut-ana"}),
    );
    Value::Array(events)
}

fn ingest(host: &Host, events: &Value) {
    let reply = post_json(host, events);
    assert_eq!(reply.status, 202, "{}", reply.body);
}

fn get_json(host: &Host, path: &str, who: &str) -> Value {
    let reply = call(host, "GET", path, Some(who));
    assert_eq!(reply.status, 200, "GET {path}: {}", reply.body);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    reply.json()
}

fn ids(items: &Value) -> Vec<String> {
    items["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {items}"))
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

fn refresh(host: &Host) -> Value {
    let reply = call(host, "POST", "/recommendations/refresh", Some(&admin()));
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

fn tutor(id: &str) -> &'static Tutor {
    TUTORS.iter().find(|t| t.id == id).unwrap()
}

fn course(id: &str) -> &'static Course {
    COURSES.iter().find(|c| c.0 == id).unwrap()
}

#[test]
fn a_python_goal_gets_python_first_within_the_filters_and_never_what_was_taken() {
    let state = state_with_models();
    let host = recommend_host().state_dir(state.path()).start();
    ingest(&host, &known_platform());
    let report = refresh(&host);
    assert_eq!(report["refresh"]["tutorsEmbedded"], 6, "{report}");
    assert_eq!(report["refresh"]["coursesEmbedded"], 5, "{report}");
    assert!(
        report["indexes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["rebuilt"] == true),
        "{report}"
    );
    let me = user("stu-py");

    let tutors = ids(&get_json(
        &host,
        "/recommendations/stu-py/tutors?limit=3",
        &me,
    ));
    assert!(!tutors.is_empty() && tutors.len() <= 3, "{tutors:?}");
    assert!(
        !tutors.contains(&"tut-ben".to_owned()),
        "booked: {tutors:?}"
    );
    for id in &tutors[..2] {
        assert!(tutor(id).subjects.contains(&"Python"), "{tutors:?}");
    }
    let courses = get_json(&host, "/recommendations/stu-py/courses", &me);
    let course_ids = ids(&courses);
    assert!(
        !course_ids.contains(&"py-101".to_owned()),
        "completed: {course_ids:?}"
    );
    assert_eq!(course(&course_ids[0]).2, "Python", "{courses}");
    assert!(
        courses["items"][0]["explanation"]
            .as_str()
            .unwrap()
            .contains(course(&course_ids[0]).1),
        "{courses}"
    );

    // Every filter, alone and together: no result ever violates one.
    for query in [
        "subject=Math",
        "language=spanish",
        "maxPrice=4000&currency=USD",
        "minPrice=4000&maxPrice=9000&currency=USD&language=English",
        "currency=EUR",
        "subject=Python&language=German",
    ] {
        let got = ids(&get_json(
            &host,
            &format!("/recommendations/stu-py/tutors?{query}"),
            &me,
        ));
        for id in &got {
            let t = tutor(id);
            let pass = query
                .split('&')
                .all(|kv| match kv.split_once('=').unwrap() {
                    ("subject", s) => t.subjects.iter().any(|x| x.eq_ignore_ascii_case(s)),
                    ("language", l) => t.languages.iter().any(|x| x.eq_ignore_ascii_case(l)),
                    ("maxPrice", p) => t.rate <= p.parse().unwrap(),
                    ("minPrice", p) => t.rate >= p.parse().unwrap(),
                    ("currency", c) => t.currency == c,
                    _ => unreachable!(),
                });
            assert!(pass && id != "tut-ben", "{query}: {id} in {got:?}");
        }
    }
    let german = ids(&get_json(
        &host,
        "/recommendations/stu-py/tutors?subject=Python&language=German",
        &me,
    ));
    assert_eq!(german, ["tut-greta"]);
    for (query, check) in [
        ("level=advanced", "advanced"),
        ("level=beginner", "beginner"),
        ("subject=math", "Math"),
    ] {
        let got = ids(&get_json(
            &host,
            &format!("/recommendations/stu-py/courses?{query}"),
            &me,
        ));
        for id in &got {
            let c = course(id);
            assert!(c.2 == check || c.3 == check, "{query}: {id}");
            assert_ne!(id, "py-101");
        }
    }
    let advanced = ids(&get_json(
        &host,
        "/recommendations/stu-py/courses?level=advanced",
        &me,
    ));
    assert_eq!(advanced, ["py-301"]);
}

#[test]
fn a_stored_recommendation_is_served_marked_stale_and_regenerated_by_the_job() {
    let state = state_with_models();
    let host = recommend_host().state_dir(state.path()).start();
    ingest(&host, &known_platform());
    refresh(&host);
    let me = user("stu-py");

    // None stored yet: generated within the request.
    let first = get_json(&host, "/recommendations/stu-py", &me);
    assert_eq!(
        (first["userId"].clone(), first["stale"].clone()),
        (json!("stu-py"), json!(false))
    );
    let tutors: Vec<&str> = first["recommendedTutorIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(tutor(tutors[0]).subjects.contains(&"Python"), "{first}");
    assert!(!tutors.contains(&"tut-ben"), "{first}");
    let courses = first["recommendedCourseIds"].to_string();
    assert!(!courses.contains("py-101"), "{first}");
    assert!(first["confidenceScore"].as_f64().unwrap() > 0.0);
    // Stored: the same row again.
    let again = get_json(&host, "/recommendations/stu-py", &me);
    assert_eq!(again["recommendationId"], first["recommendationId"]);

    // A relevant event: the row is served as it is; a job that folds without regenerating
    // marks it stale, and it is still served, flagged ...
    let enrolled = json!([event(
        "r-late",
        "stu-py",
        "course_enrolled",
        "2024-06-02T09:00:00Z",
        json!({"courseId": "py-201"})
    )]);
    ingest(&host, &enrolled);
    let reply = call(
        &host,
        "POST",
        "/recommendations/refresh?regenerate=0",
        Some(&admin()),
    );
    assert_eq!(
        (reply.status, reply.json()["regenerated"].clone()),
        (200, json!(0))
    );
    let stale = get_json(&host, "/recommendations/stu-py", &me);
    assert_eq!(stale["recommendationId"], first["recommendationId"]);
    assert_eq!(stale["stale"], true, "{stale}");
    // ... until the next job regenerates it.
    let report = refresh(&host);
    assert_eq!(report["regenerated"], 1, "{report}");
    let fresh = get_json(&host, "/recommendations/stu-py", &me);
    assert_ne!(fresh["recommendationId"], first["recommendationId"]);
    assert_eq!(fresh["stale"], false);
    assert!(
        !fresh["recommendedCourseIds"].to_string().contains("py-201"),
        "{fresh}"
    );
    // An admin reads anyone's; stu-es has a Spanish goal.
    let spanish = get_json(&host, "/recommendations/stu-es", &admin());
    assert_eq!(spanish["recommendedTutorIds"][0], "tut-lucia", "{spanish}");
    assert_eq!(spanish["recommendedCourseIds"][0], "es-101", "{spanish}");
}

#[test]
fn the_study_plan_orders_prerequisites_first_and_skips_completed_courses() {
    let state = state_with_models();
    let host = recommend_host().state_dir(state.path()).start();
    ingest(&host, &known_platform());
    refresh(&host);
    let plan = |who: &str, goal: &str| {
        let body = json!({"userId": who, "goal": goal}).to_string();
        let bearer = format!("Bearer {}", user(who));
        let reply = send(
            "POST",
            &host.url("/study-plans"),
            &[
                ("authorization", bearer.as_str()),
                ("content-type", "application/json"),
            ],
            body.as_bytes(),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()
    };
    let courses_of = |plan: &Value| -> Vec<String> {
        plan["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["type"] == "course")
            .map(|s| s["courseId"].as_str().unwrap().to_owned())
            .collect()
    };
    let goal = "Machine learning with Python for data science";

    // A new student: the whole path, prerequisites first.
    let fresh = plan("stu-new", goal);
    let order = courses_of(&fresh);
    let at = |id: &str| order.iter().position(|c| c == id);
    assert!(at("py-301").is_some(), "{fresh}");
    assert!(
        at("py-101") < at("py-201") && at("py-201") < at("py-301"),
        "{fresh}"
    );
    assert!(at("py-101").is_some(), "{fresh}");
    let last = fresh["steps"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["type"].clone(), last["subject"].clone()),
        (json!("tutorSessions"), json!("Python")),
        "{fresh}"
    );
    let hours: f64 = fresh["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["hours"].as_f64().unwrap())
        .sum();
    assert!((fresh["estimatedHours"].as_f64().unwrap() - hours).abs() < 1e-9);

    // stu-py completed Python Basics: skipped, and said so.
    let mine = plan("stu-py", goal);
    let order = courses_of(&mine);
    assert!(!order.contains(&"py-101".to_owned()), "{mine}");
    let p201 = order.iter().position(|c| c == "py-201");
    let p301 = order.iter().position(|c| c == "py-301");
    assert!(p201.is_some() && p201 < p301, "{mine}");
    assert!(
        mine["skipped"]
            .as_array()
            .unwrap()
            .contains(&json!({"courseId": "py-101", "reason": "completed"})),
        "{mine}"
    );
}

#[test]
fn the_cron_trigger_runs_the_job() {
    let state = state_with_models();
    let manifest = std::fs::read_to_string(root().join("spin.toml")).unwrap();
    assert!(
        manifest.contains("cron_expression = \"30 * * * * *\""),
        "the root manifest's recommend cron trigger moved"
    );
    let host = recommend_host()
        .cron_schedule_of("recommend", "* * * * * *")
        .state_dir(state.path())
        .start();
    ingest(&host, &known_platform());
    let me = user("stu-py");
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        // Stale-while-revalidate: whatever is stored, until the cron job has folded the
        // platform in and regenerated the row.
        let reply = call(&host, "GET", "/recommendations/stu-py", Some(&me));
        // The job may hold the database's write lock a moment: 503, retry.
        assert!(matches!(reply.status, 200 | 503), "{}", reply.body);
        let served = if reply.status == 200 {
            reply.json()
        } else {
            json!({})
        };
        let first = served["recommendedTutorIds"][0].as_str().unwrap_or("");
        if served["stale"] == false && TUTORS.iter().any(|t| t.id == first) {
            assert!(tutor(first).subjects.contains(&"Python"), "{served}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no cron job: {served} {}",
            host.errors.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let tutors = ids(&get_json(&host, "/recommendations/stu-py/tutors", &me));
    assert!(tutor(&tutors[0]).subjects.contains(&"Python"));
}

#[test]
fn students_read_their_own_admins_anyones_with_a_valid_token() {
    let host = recommend_host().start();
    let path = "/recommendations/stu-py";
    let missing = call(&host, "GET", path, None);
    assert_eq!(missing.status, 401, "{}", missing.body);
    assert_eq!(missing.json()["error"]["code"], "missing_token");
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
    assert_eq!(call(&host, "GET", path, Some("not.a.token")).status, 401);

    let other = user("stu-es");
    for p in [
        path,
        "/recommendations/stu-py/tutors",
        "/recommendations/stu-py/courses",
    ] {
        let reply = call(&host, "GET", p, Some(&other));
        assert_eq!(reply.status, 403, "{p}: {}", reply.body);
        assert_eq!(reply.json()["error"]["code"], "forbidden");
    }
    let reply = call(&host, "POST", "/recommendations/refresh", Some(&other));
    assert_eq!(reply.status, 403, "{}", reply.body);
    let body = json!({"userId": "stu-py", "goal": "Python"}).to_string();
    let bearer = format!("Bearer {other}");
    let reply = send(
        "POST",
        &host.url("/study-plans"),
        &[("authorization", &bearer)],
        body.as_bytes(),
    );
    assert_eq!(reply.status, 403, "{}", reply.body);

    // Their own, and an admin: served (an unknown student's row is generated, cold start).
    assert_eq!(call(&host, "GET", path, Some(&user("stu-py"))).status, 200);
    assert_eq!(call(&host, "GET", path, Some(&admin())).status, 200);
}

#[test]
fn bad_requests_name_what_is_wrong() {
    let host = recommend_host().start();
    let me = user("stu-py");
    let check = |method: &str, path: &str, body: &str, status: u16, code: &str, mention: &str| {
        let bearer = format!("Bearer {me}");
        let reply = send(
            method,
            &host.url(path),
            &[("authorization", &bearer)],
            body.as_bytes(),
        );
        assert_eq!(reply.status, status, "{method} {path}: {}", reply.body);
        let error = &reply.json()["error"];
        assert_eq!(error["code"], code, "{method} {path}: {error}");
        assert!(
            error["message"].as_str().unwrap().contains(mention),
            "{method} {path}: {error}"
        );
        reply
    };
    let tutors = "/recommendations/stu-py/tutors";
    check(
        "GET",
        &format!("{tutors}?limit=0"),
        "",
        400,
        "invalid_parameter",
        "limit",
    );
    check(
        "GET",
        &format!("{tutors}?limit=500"),
        "",
        400,
        "invalid_parameter",
        "limit",
    );
    check(
        "GET",
        &format!("{tutors}?colour=red"),
        "",
        400,
        "unknown_parameter",
        "colour",
    );
    check(
        "GET",
        &format!("{tutors}?level=beginner"),
        "",
        400,
        "unknown_parameter",
        "level",
    );
    check(
        "GET",
        &format!("{tutors}?maxPrice=10"),
        "",
        400,
        "invalid_parameter",
        "currency",
    );
    check(
        "GET",
        &format!("{tutors}?maxPrice=ten&currency=USD"),
        "",
        400,
        "invalid_parameter",
        "maxPrice",
    );
    check(
        "GET",
        "/recommendations/stu-py/courses?level=expert",
        "",
        400,
        "invalid_parameter",
        "level",
    );
    check(
        "POST",
        "/study-plans",
        "{not json",
        400,
        "invalid_parameter",
        "body",
    );
    check(
        "POST",
        "/study-plans",
        r#"{"userId":"stu-py"}"#,
        400,
        "invalid_parameter",
        "goal",
    );
    check(
        "POST",
        "/study-plans",
        r#"{"userId":"stu-py","goal":"x","when":"now"}"#,
        400,
        "unknown_parameter",
        "when",
    );
    let big = format!(r#"{{"userId":"stu-py","goal":"{}"}}"#, "x".repeat(20_000));
    check(
        "POST",
        "/study-plans",
        &big,
        413,
        "payload_too_large",
        "bytes",
    );
    check(
        "GET",
        "/recommendations/stu-py/mentors",
        "",
        404,
        "not_found",
        "/recommendations",
    );
    let reply = check(
        "DELETE",
        "/recommendations/stu-py",
        "",
        405,
        "method_not_allowed",
        "GET",
    );
    assert_eq!(reply.header("allow"), Some("GET"));
    let reply = check("GET", "/study-plans", "", 405, "method_not_allowed", "POST");
    assert_eq!(reply.header("allow"), Some("POST"));
    check(
        "GET",
        "/recommendations/refresh",
        "",
        405,
        "method_not_allowed",
        "POST",
    );
    let admin = format!("Bearer {}", admin());
    let reply = send(
        "POST",
        &host.url("/recommendations/refresh?regenerate=lots"),
        &[("authorization", &admin)],
        b"",
    );
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(
        reply.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("regenerate")
    );
}

#[test]
fn the_component_exports_the_typed_interface_beside_its_triggers() {
    require_wasm(&["recommend_component"]);
    let engine = host::app::engine(&host::app::EngineOptions::default()).unwrap();
    let path = root().join("target/wasm32-wasip2/release/recommend_component.wasm");
    let component = wasmtime::component::Component::from_file(&engine, path).unwrap();
    let exports: HashMap<String, ()> = component
        .component_type()
        .exports(&engine)
        .map(|(name, _)| (name.to_owned(), ()))
        .collect();
    for name in [
        "tutoring:recommend/recommender@0.1.0",
        "wasi:http/handler@0.3.0",
        "handle-cron-event",
    ] {
        assert!(
            exports.contains_key(name),
            "{name} not in {:?}",
            exports.keys()
        );
    }
}
