//! The GraphQL subgraph through the host: the real `graphql` component with the metrics and
//! recommend components composed in as dependencies, compared with those components' own
//! HTTP routes on the same data.

use crate::ingest::{Db, KEY, post_json};
use crate::metrics::{SECRET, admin, call, known_stream, mark_kept_responses, token};
use crate::recommend::{known_platform, state_with_models, user};
use crate::support::*;
use serde_json::{Value, json};

/// The root manifest's host, its cron triggers silenced: the tests run the jobs themselves.
fn graphql_host() -> HostBuilder {
    require_wasm(&[
        "track_event",
        "metrics_component",
        "recommend_component",
        "graphql_component",
    ]);
    HostBuilder::new("spin.toml").cron_schedule(NEVER).args(&[
        "--variable",
        &format!("ingest_api_key={KEY}"),
        "--variable",
        &format!("jwt_secret={SECRET}"),
    ])
}

/// POSTs one operation to /graphql and returns the JSON answer (the status must be 200).
fn graphql(host: &Host, token: Option<&str>, query: &str, variables: Value) -> Value {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("content-type", "application/json")];
    if let Some(b) = bearer.as_deref() {
        headers.push(("authorization", b));
    }
    let body = json!({"query": query, "variables": variables}).to_string();
    let reply = send("POST", &host.url("/graphql"), &headers, body.as_bytes());
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    reply.json()
}

fn code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {answer}"))
}

const DASHBOARD: &str = r#"query($d: DashboardType!, $from: String, $to: String, $g: Granularity, $f: [DimensionFilter!]) {
  getDashboardMetrics(dashboard: $d, from: $from, to: $to, granularity: $g, filters: $f) {
    dashboard refreshedAt timeZone granularity
    series { metricName dimensions points { timestamp value } }
  }
}"#;

/// The route's series with numbers as floats, as GraphQL's `Float` carries them.
fn as_floats(mut dashboard: Value) -> Value {
    for series in dashboard["series"].as_array_mut().unwrap() {
        for point in series["points"].as_array_mut().unwrap() {
            point["value"] = json!(point["value"].as_f64().unwrap());
        }
    }
    dashboard
}

#[test]
fn dashboards_through_graphql_equal_the_metrics_route() {
    let host = graphql_host().start();
    assert_eq!(post_json(&host, &known_stream()).status, 202);

    let refresh = graphql(
        &host,
        Some(&admin()),
        "mutation { refreshDashboardMetrics { fromSeq toSeq morePending } }",
        json!({}),
    );
    assert_eq!(
        refresh["data"]["refreshDashboardMetrics"],
        json!({"fromSeq": 0, "toSeq": 13, "morePending": false}),
        "{refresh}"
    );

    for (name, kind, params, filters) in [
        (
            "overview",
            "OVERVIEW",
            "from=2024-05-01&to=2024-05-02",
            json!(null),
        ),
        (
            "revenue",
            "REVENUE",
            "from=2024-05-01&to=2024-05-02&granularity=week&currency=EUR",
            json!([{"name": "currency", "value": "EUR"}]),
        ),
        (
            "engagement",
            "ENGAGEMENT",
            "from=2024-05-01&to=2024-05-02",
            json!(null),
        ),
    ] {
        let route = call(
            &host,
            "GET",
            &format!("/metrics/{name}?{params}"),
            Some(&admin()),
        );
        assert_eq!(route.status, 200, "{}", route.body);
        let route = as_floats(route.json());
        let granularity = if params.contains("week") {
            "WEEK"
        } else {
            "DAY"
        };
        let answer = graphql(
            &host,
            Some(&admin()),
            DASHBOARD,
            json!({"d": kind, "from": "2024-05-01", "to": "2024-05-02", "g": granularity, "f": filters}),
        );
        assert!(answer["errors"].is_null(), "{answer}");
        let got = &answer["data"]["getDashboardMetrics"];
        assert_eq!(got["dashboard"], kind);
        assert_eq!(got["granularity"], granularity);
        assert_eq!(got["refreshedAt"], route["refreshedAt"]);
        assert!(!route["series"].as_array().unwrap().is_empty());
        assert_eq!(got["series"], route["series"], "{name}");
    }

    // The subgraph reads the responses the route keeps: one rewritten is what it returns.
    mark_kept_responses(&Db::key_value(&host));
    let kept = graphql(
        &host,
        Some(&admin()),
        DASHBOARD,
        json!({"d": "OVERVIEW", "from": "2024-05-01", "to": "2024-05-02", "g": "DAY"}),
    );
    assert_eq!(
        kept["data"]["getDashboardMetrics"]["series"],
        json!([]),
        "{kept}"
    );

    // Errors carry the standard codes and say what is wrong.
    let student = token(json!({"sub": "stu-1", "role": "student"}));
    let vars = json!({"d": "OVERVIEW"});
    assert_eq!(
        code(&graphql(&host, None, DASHBOARD, vars.clone())),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        code(&graphql(&host, Some("not.a.jwt"), DASHBOARD, vars.clone())),
        "UNAUTHENTICATED"
    );
    let expired = token(json!({"sub": "admin-1", "role": "admin", "exp": 1_000_000}));
    assert_eq!(
        code(&graphql(&host, Some(&expired), DASHBOARD, vars.clone())),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        code(&graphql(&host, Some(&student), DASHBOARD, vars)),
        "FORBIDDEN"
    );
    let bad = graphql(
        &host,
        Some(&admin()),
        DASHBOARD,
        json!({"d": "OVERVIEW", "from": "yesterday"}),
    );
    assert_eq!(code(&bad), "BAD_USER_INPUT");
    assert!(
        bad["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("from"),
        "{bad}"
    );
    let unknown = graphql(&host, Some(&admin()), DASHBOARD, json!({"d": "PROFIT"}));
    assert!(
        unknown["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("PROFIT"),
        "{unknown}"
    );

    // The router's `_service` needs no token; GET serves queries only.
    let sdl = graphql(&host, None, "{ _service { sdl } }", json!({}));
    assert_eq!(
        sdl["data"]["_service"]["sdl"].as_str().unwrap(),
        std::fs::read_to_string(root().join("schema.graphql")).unwrap()
    );
    let get = send(
        "GET",
        &host.url("/graphql?query=%7B__typename%7D"),
        &[],
        b"",
    );
    assert_eq!(
        (get.status, get.body.as_str()),
        (200, r#"{"data":{"__typename":"Query"}}"#)
    );
    let get_mutation = send(
        "GET",
        &host.url("/graphql?query=mutation%7BrefreshDashboardMetrics%7BtoSeq%7D%7D"),
        &[],
        b"",
    );
    assert_eq!(
        (get_mutation.status, get_mutation.header("allow")),
        (405, Some("POST"))
    );
    let text = send(
        "POST",
        &host.url("/graphql"),
        &[("content-type", "text/plain")],
        b"{}",
    );
    assert_eq!(text.status, 415);
}

#[test]
fn recommendations_study_plans_and_entities_through_graphql() {
    let state = state_with_models();
    let host = graphql_host().state_dir(state.path()).start();
    assert_eq!(post_json(&host, &known_platform()).status, 202);
    let job = call(&host, "POST", "/recommendations/refresh", Some(&admin()));
    assert_eq!(job.status, 200, "{}", job.body);
    let me = user("stu-py");

    // The stored recommendation, as the recommend route serves it.
    let stored = call(&host, "GET", "/recommendations/stu-py", Some(&me));
    assert_eq!(stored.status, 200, "{}", stored.body);
    let stored = stored.json();
    let answer = graphql(
        &host,
        Some(&me),
        r#"{ getRecommendedTutors(userId: "stu-py", limit: 3) { rank score explanation tutor { id }
               recommendation { recommendationId confidenceScore generatedAt stale } }
             getRecommendedCourses(userId: "stu-py") { course { id } } }"#,
        json!({}),
    );
    assert!(answer["errors"].is_null(), "{answer}");
    let tutors = answer["data"]["getRecommendedTutors"].as_array().unwrap();
    let expected: Vec<&Value> = stored["recommendedTutorIds"]
        .as_array()
        .unwrap()
        .iter()
        .take(3)
        .collect();
    let got: Vec<&Value> = tutors.iter().map(|t| &t["tutor"]["id"]).collect();
    assert_eq!(got, expected, "{answer}");
    assert_eq!(tutors[0]["rank"], 1);
    assert!(!tutors[0]["explanation"].as_str().unwrap().is_empty());
    let from = &tutors[0]["recommendation"];
    assert_eq!(from["recommendationId"], stored["recommendationId"]);
    assert_eq!(from["stale"], false);
    let courses: Vec<&Value> = answer["data"]["getRecommendedCourses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["course"]["id"])
        .collect();
    let expected: Vec<&Value> = stored["recommendedCourseIds"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(courses, expected);

    // Filters rank on demand, as the route does.
    let route = call(
        &host,
        "GET",
        "/recommendations/stu-py/tutors?limit=5&subject=Python",
        Some(&me),
    )
    .json();
    let filtered = graphql(
        &host,
        Some(&me),
        r#"{ getRecommendedTutors(userId: "stu-py", limit: 5, filters: {subject: "Python"}) { tutor { id } recommendation { stale } } }"#,
        json!({}),
    );
    let ids: Vec<&Value> = filtered["data"]["getRecommendedTutors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["tutor"]["id"])
        .collect();
    let route_ids: Vec<&Value> = route["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["id"])
        .collect();
    assert_eq!(ids, route_ids, "{filtered}");
    assert!(filtered["data"]["getRecommendedTutors"][0]["recommendation"].is_null());

    // The study plan, as POST /study-plans makes it.
    let goal = "Learn Python for data science";
    let plan_route = send(
        "POST",
        &host.url("/study-plans"),
        &[
            ("content-type", "application/json"),
            ("authorization", &format!("Bearer {me}")),
        ],
        json!({"userId": "stu-py", "goal": goal})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(plan_route.status, 200, "{}", plan_route.body);
    let plan_route = plan_route.json();
    let plan = graphql(
        &host,
        Some(&me),
        r#"query($goal: String!) { getStudyPlan(userId: "stu-py", goal: $goal) { goal estimatedHours
             steps { __typename ... on CourseStep { course { id } } ... on TutorSessionsStep { tutor { id } } } } }"#,
        json!({"goal": goal}),
    );
    assert!(plan["errors"].is_null(), "{plan}");
    let plan = &plan["data"]["getStudyPlan"];
    assert_eq!(plan["goal"], goal);
    assert_eq!(
        plan["estimatedHours"].as_f64(),
        plan_route["estimatedHours"].as_f64()
    );
    assert_eq!(
        plan["steps"].as_array().unwrap().len(),
        plan_route["steps"].as_array().unwrap().len(),
        "{plan} vs {plan_route}"
    );

    // The router's entity lookup: a hundred users in one request, answered in order.
    let students = ["stu-py", "stu-es", "stu-peer"];
    let representations: Vec<Value> = (0..100)
        .map(|i| json!({"__typename": "User", "id": students[i % students.len()]}))
        .collect();
    let entities = graphql(
        &host,
        Some(&admin()),
        r#"query($representations: [_Any!]!) { _entities(representations: $representations) {
             ... on User { id recommendedTutors(limit: 2) { tutor { id } } } } }"#,
        json!({"representations": representations}),
    );
    assert!(entities["errors"].is_null(), "{entities}");
    let users = entities["data"]["_entities"].as_array().unwrap();
    assert_eq!(users.len(), 100);
    for (i, u) in users.iter().enumerate() {
        assert_eq!(u["id"], students[i % students.len()]);
        assert!(u["recommendedTutors"].is_array(), "{u}");
    }
    assert_eq!(
        users[0]["recommendedTutors"][0]["tutor"]["id"],
        expected_first(&stored)
    );

    // A student may not read another's recommendations.
    let other = graphql(
        &host,
        Some(&me),
        r#"{ getRecommendedTutors(userId: "stu-es") { rank } }"#,
        json!({}),
    );
    assert_eq!(code(&other), "FORBIDDEN");
}

fn expected_first(stored: &Value) -> Value {
    stored["recommendedTutorIds"][0].clone()
}
