//! The schema through its HTTP entry point, over an in-memory backend.

use std::sync::{Arc, Mutex};

use auth::{AuthError, Principal};
use futures::executor::block_on;
use serde_json::{Value, json};

use crate::types::*;
use crate::*;

/// A backend with fixed answers that records its calls.
#[derive(Default)]
struct Fake {
    calls: Mutex<Vec<String>>,
    fail: Option<BackendError>,
}

impl Fake {
    fn failing(e: BackendError) -> Fake {
        Fake {
            fail: Some(e),
            ..Fake::default()
        }
    }

    fn log(&self, call: String) -> Result<(), BackendError> {
        self.calls.lock().unwrap().push(call);
        self.fail.clone().map_or(Ok(()), Err)
    }
}

fn stored(user_id: &str) -> StoredRecommendation {
    let item = |kind, id: &str, score| RankedItem {
        kind,
        id: id.into(),
        score,
        explanation: format!("because {id}"),
    };
    StoredRecommendation {
        recommendation_id: format!("rec-{user_id}"),
        user_id: user_id.into(),
        recommended_tutor_ids: vec!["t1".into(), "t2".into(), "t3".into()],
        recommended_course_ids: vec!["c1".into()],
        confidence_score: 0.75,
        generated_at: "2026-11-25T10:00:00.000Z".into(),
        stale: user_id == "stale",
        items: vec![
            item(ItemKind::Tutor, "t1", 0.9),
            item(ItemKind::Tutor, "t2", 0.8),
            item(ItemKind::Tutor, "t3", 0.7),
            item(ItemKind::Course, "c1", 0.6),
        ],
    }
}

impl Backend for Fake {
    fn dashboard(&self, args: DashboardArgs) -> Result<DashboardMetrics, BackendError> {
        self.log(format!("dashboard {args:?}"))?;
        Ok(DashboardMetrics {
            dashboard: args.dashboard,
            refreshed_at: Some("2026-11-25T10:00:00Z".into()),
            time_zone: args.time_zone.unwrap_or_else(|| "UTC".into()),
            granularity: args.granularity.unwrap_or(Granularity::Day),
            series: vec![MetricSeries {
                metric_name: "revenue_net".into(),
                dimensions: async_graphql::Json([("currency".into(), "EUR".into())].into()),
                points: vec![MetricPoint {
                    timestamp: "2026-11-24T00:00:00Z".into(),
                    value: 1250.0,
                }]
                .into(),
            }],
        })
    }

    fn refresh_metrics(&self) -> Result<MetricsRefresh, BackendError> {
        self.log("refresh".into())?;
        Ok(MetricsRefresh {
            from_seq: 3,
            to_seq: 9,
            more_pending: false,
            zones_rebuilt: vec![],
            buckets_recomputed: 12,
        })
    }

    fn recommendations(
        &self,
        user_ids: &[String],
    ) -> Vec<Result<StoredRecommendation, BackendError>> {
        let logged = self.log(format!("recommendations {}", user_ids.len()));
        user_ids
            .iter()
            .map(|u| match (&logged, u.as_str()) {
                (Err(e), _) => Err(e.clone()),
                (_, "bad id") => Err(BackendError::InvalidInput("userId: bad".into())),
                _ => Ok(stored(u)),
            })
            .collect()
    }

    fn rank(
        &self,
        kind: ItemKind,
        user_id: &str,
        filters: &RecommendationFilters,
        limit: u32,
    ) -> Result<Vec<RankedItem>, BackendError> {
        self.log(format!(
            "rank {kind:?} {user_id} {:?} {limit}",
            filters.subject
        ))?;
        Ok(vec![RankedItem {
            kind,
            id: "ranked".into(),
            score: 0.5,
            explanation: "on demand".into(),
        }])
    }

    fn study_plan(&self, user_id: &str, goal: &str) -> Result<StudyPlan, BackendError> {
        self.log(format!("plan {user_id} {goal}"))?;
        Ok(StudyPlan {
            user_id: user_id.into(),
            goal: goal.into(),
            level: Some(Level::Beginner),
            steps: vec![
                StudyPlanStep::Course(CourseStep {
                    course: Course { id: "c1".into() },
                    title: "Python basics".into(),
                    subject: "python".into(),
                    level: Level::Beginner,
                    hours: 10.0,
                }),
                StudyPlanStep::TutorSessions(TutorSessionsStep {
                    tutor: Tutor { id: "t1".into() },
                    subject: "python".into(),
                    sessions: 4,
                    hours: 4.0,
                    explanation: "top rated".into(),
                }),
            ],
            estimated_hours: 14.0,
            skipped: vec![SkippedCourse {
                course: Course { id: "c0".into() },
                reason: SkipReason::Completed,
            }],
        })
    }
}

fn admin() -> Caller {
    Caller::Verified(Principal {
        subject: "admin-1".into(),
        roles: vec!["admin".into()],
    })
}

fn student(id: &str) -> Caller {
    Caller::Verified(Principal {
        subject: id.into(),
        roles: vec!["student".into()],
    })
}

/// POSTs `query` with `variables` and returns the status and the parsed body.
fn post_as(fake: Arc<Fake>, caller: Caller, query: &str, variables: Value) -> (u16, Value) {
    post_to(&Subgraph::new(fake, true), caller, query, variables)
}

/// [`post_as`] to a given subgraph.
fn post_to(subgraph: &Subgraph, caller: Caller, query: &str, variables: Value) -> (u16, Value) {
    let body = json!({"query": query, "variables": variables}).to_string();
    let response = block_on(subgraph.serve(
        HttpRequest {
            method: "POST",
            query_string: None,
            content_type: Some("application/json; charset=utf-8"),
            body: body.as_bytes(),
        },
        caller,
    ));
    (
        response.status,
        serde_json::from_str(&response.body).unwrap(),
    )
}

fn post(caller: Caller, query: &str) -> Value {
    post_as(Arc::new(Fake::default()), caller, query, json!({})).1
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

const DASHBOARD: &str = r#"query {
  getDashboardMetrics(dashboard: REVENUE, from: "2026-11-01", granularity: WEEK, timeZone: "Europe/Paris",
                      breakdown: "product", filters: [{name: "currency", value: "EUR"}]) {
    dashboard refreshedAt timeZone granularity
    series { metricName dimensions points { timestamp value } }
  }
}"#;

#[test]
fn the_checked_in_sdl_is_the_schema() {
    let sdl = sdl(Subgraph::new(Arc::new(Fake::default()), true).schema());
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema.graphql");
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &sdl).unwrap();
    }
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        sdl == checked_in,
        "schema.graphql differs from the schema: review the change, then run \
         `UPDATE_SCHEMA=1 cargo test -p subgraph the_checked_in_sdl` to update it"
    );
    for directive in [
        "federation/v2",
        "type User @key(fields: \"id\")",
        "type Tutor @key(fields: \"id\", resolvable: false)",
        "type Course @key(fields: \"id\", resolvable: false)",
    ] {
        assert!(sdl.contains(directive), "{directive} missing in\n{sdl}");
    }
}

#[test]
fn dashboards_are_for_admins_only() {
    let fake = Arc::new(Fake::default());
    let (status, body) = post_as(fake.clone(), admin(), DASHBOARD, json!({}));
    assert_eq!(status, 200);
    let d = &body["data"]["getDashboardMetrics"];
    assert_eq!(d["dashboard"], "REVENUE");
    assert_eq!(d["timeZone"], "Europe/Paris");
    assert_eq!(d["granularity"], "WEEK");
    assert_eq!(d["series"][0]["dimensions"], json!({"currency": "EUR"}));
    assert_eq!(d["series"][0]["points"][0]["value"], json!(1250.0));
    let call = fake.calls.lock().unwrap()[0].clone();
    assert!(
        call.contains("Revenue") && call.contains("2026-11-01") && call.contains("Week"),
        "{call}"
    );
    assert!(
        call.contains(r#"("currency", "EUR")"#) && call.contains("product"),
        "{call}"
    );

    for (caller, expected) in [
        (student("u1"), "FORBIDDEN"),
        (Caller::Refused(AuthError::MissingToken), "UNAUTHENTICATED"),
        (Caller::Refused(AuthError::Expired), "UNAUTHENTICATED"),
        (Caller::Misconfigured, "INTERNAL_SERVER_ERROR"),
    ] {
        let fake = Arc::new(Fake::default());
        let (status, body) = post_as(fake.clone(), caller, DASHBOARD, json!({}));
        assert_eq!((status, code(&body)), (200, expected), "{body}");
        assert!(body["data"].is_null(), "{body}");
        assert!(fake.calls.lock().unwrap().is_empty());
    }
}

#[test]
fn backend_errors_map_to_codes_without_details() {
    for (error, expected, message) in [
        (
            BackendError::InvalidInput("tz: Mars/Olympus is not kept".into()),
            "BAD_USER_INPUT",
            "tz: Mars/Olympus is not kept",
        ),
        (
            BackendError::Unavailable("SQLITE_BUSY".into()),
            "SERVICE_UNAVAILABLE",
            "temporarily unavailable; retry",
        ),
        (
            BackendError::Internal("no such table: x".into()),
            "INTERNAL_SERVER_ERROR",
            "internal error",
        ),
    ] {
        let (_, body) = post_as(
            Arc::new(Fake::failing(error)),
            admin(),
            DASHBOARD,
            json!({}),
        );
        assert_eq!(code(&body), expected);
        assert_eq!(body["errors"][0]["message"], message);
    }
}

#[test]
fn refresh_is_a_mutation_for_admins() {
    let q = "mutation { refreshDashboardMetrics { fromSeq toSeq morePending bucketsRecomputed } }";
    let body = post(admin(), q);
    assert_eq!(
        body["data"]["refreshDashboardMetrics"],
        json!({"fromSeq": 3, "toSeq": 9, "morePending": false, "bucketsRecomputed": 12})
    );
    assert_eq!(code(&post(student("u1"), q)), "FORBIDDEN");
}

const TUTORS: &str = r#"query($user: ID!, $limit: Int, $filters: RecommendationFilters) {
  getRecommendedTutors(userId: $user, limit: $limit, filters: $filters) {
    rank score explanation tutor { id }
    recommendation { recommendationId userId confidenceScore generatedAt stale recommendedTutorIds }
  }
}"#;

#[test]
fn students_read_their_own_recommendations() {
    let fake = Arc::new(Fake::default());
    let (_, body) = post_as(
        fake.clone(),
        student("u1"),
        TUTORS,
        json!({"user": "u1", "limit": 2}),
    );
    let tutors = body["data"]["getRecommendedTutors"].as_array().unwrap();
    assert_eq!(tutors.len(), 2);
    assert_eq!(tutors[0]["rank"], 1);
    assert_eq!(tutors[1]["tutor"]["id"], "t2");
    assert_eq!(tutors[1]["explanation"], "because t2");
    assert_eq!(tutors[0]["recommendation"]["recommendationId"], "rec-u1");
    assert_eq!(tutors[0]["recommendation"]["stale"], false);
    assert_eq!(*fake.calls.lock().unwrap(), ["recommendations 1"]);

    let (_, other) = post_as(
        Arc::new(Fake::default()),
        student("u1"),
        TUTORS,
        json!({"user": "u2"}),
    );
    assert_eq!(code(&other), "FORBIDDEN", "{other}");
    let (_, by_admin) = post_as(
        Arc::new(Fake::default()),
        admin(),
        TUTORS,
        json!({"user": "stale"}),
    );
    let first = &by_admin["data"]["getRecommendedTutors"][0];
    assert_eq!(first["recommendation"]["stale"], true);
    let (_, anonymous) = post_as(
        Arc::new(Fake::default()),
        Caller::Refused(AuthError::InvalidToken),
        TUTORS,
        json!({"user": "u1"}),
    );
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");
}

#[test]
fn filters_rank_on_demand_and_limits_are_checked() {
    let fake = Arc::new(Fake::default());
    let (_, body) = post_as(
        fake.clone(),
        admin(),
        TUTORS,
        json!({"user": "u1", "limit": 5, "filters": {"subject": "python"}}),
    );
    let first = &body["data"]["getRecommendedTutors"][0];
    assert_eq!(first["tutor"]["id"], "ranked");
    assert!(first["recommendation"].is_null());
    assert_eq!(
        *fake.calls.lock().unwrap(),
        [r#"rank Tutor u1 Some("python") 5"#]
    );

    for limit in [0, 51, -1] {
        let (_, body) = post_as(
            Arc::new(Fake::default()),
            admin(),
            TUTORS,
            json!({"user": "u1", "limit": limit}),
        );
        assert_eq!(code(&body), "BAD_USER_INPUT");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with("limit")
        );
    }
    let (_, body) = post_as(
        Arc::new(Fake::default()),
        admin(),
        TUTORS,
        json!({"user": "bad id"}),
    );
    assert_eq!(code(&body), "BAD_USER_INPUT");
}

#[test]
fn courses_and_study_plans() {
    let q = r#"{ getRecommendedCourses(userId: "u1") { rank course { id } score }
                getStudyPlan(userId: "u1", goal: "Learn Python for data science") {
                  goal level estimatedHours
                  steps { __typename ... on CourseStep { course { id } title hours }
                          ... on TutorSessionsStep { tutor { id } sessions } }
                  skipped { course { id } reason } } }"#;
    let body = post(student("u1"), q);
    assert_eq!(
        body["data"]["getRecommendedCourses"],
        json!([{"rank": 1, "course": {"id": "c1"}, "score": 0.6}])
    );
    let plan = &body["data"]["getStudyPlan"];
    assert_eq!(plan["level"], "BEGINNER");
    assert_eq!(plan["steps"][0]["__typename"], "CourseStep");
    assert_eq!(plan["steps"][1]["sessions"], 4);
    assert_eq!(plan["skipped"][0]["reason"], "COMPLETED");
    let filtered = post(
        admin(),
        r#"{ getRecommendedCourses(userId: "u1", filters: {level: ADVANCED}) { course { id } recommendation { stale } } }"#,
    );
    assert_eq!(
        filtered["data"]["getRecommendedCourses"][0]["course"]["id"],
        "ranked"
    );
    assert_eq!(
        code(&post(
            student("u2"),
            r#"{ getStudyPlan(userId: "u1", goal: "x") { goal } }"#
        )),
        "FORBIDDEN"
    );
}

const ENTITIES: &str = r#"query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on User { id recommendedTutors(limit: 1) { tutor { id } } recommendedCourses { course { id } } studyPlan(goal: "python") { goal } }
  }
}"#;

#[test]
fn entity_lookups_are_batched_and_in_order() {
    let fake = Arc::new(Fake::default());
    let representations: Vec<Value> = (0..100)
        .map(|i| json!({"__typename": "User", "id": format!("u{i}")}))
        .collect();
    let (status, body) = post_as(
        fake.clone(),
        admin(),
        ENTITIES,
        json!({"representations": representations}),
    );
    assert_eq!(status, 200);
    let users = body["data"]["_entities"].as_array().unwrap();
    assert_eq!(users.len(), 100);
    for (i, user) in users.iter().enumerate() {
        assert_eq!(user["id"], format!("u{i}"));
        assert_eq!(user["recommendedTutors"], json!([{"tutor": {"id": "t1"}}]));
        assert_eq!(user["recommendedCourses"][0]["course"]["id"], "c1");
    }
    let calls = fake.calls.lock().unwrap();
    let batches: Vec<_> = calls
        .iter()
        .filter(|c| c.starts_with("recommendations"))
        .collect();
    assert_eq!(
        batches,
        ["recommendations 100"],
        "one batched call for 100 users"
    );
    assert_eq!(calls.iter().filter(|c| c.starts_with("plan")).count(), 100);
}

#[test]
fn two_root_fields_share_one_lookup() {
    let fake = Arc::new(Fake::default());
    let (status, body) = post_as(
        fake.clone(),
        admin(),
        r#"{ a: getRecommendedTutors(userId: "u1") { rank } b: getRecommendedCourses(userId: "u2") { rank } }"#,
        json!({}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["b"][0]["rank"], 1, "{body}");
    let calls = fake.calls.lock().unwrap();
    assert_eq!(*calls, ["recommendations 2"]);
}

#[test]
fn entity_fields_follow_the_access_rules() {
    let representations =
        json!([{"__typename": "User", "id": "u1"}, {"__typename": "User", "id": "u2"}]);
    let (_, body) = post_as(
        Arc::new(Fake::default()),
        student("u1"),
        r#"query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id recommendedTutors { rank } } } }"#,
        json!({"r": representations}),
    );
    assert_eq!(
        body["data"]["_entities"][0]["recommendedTutors"][0]["rank"],
        1
    );
    // The other user's recommendations are withheld, with an error.
    assert!(
        body["data"]["_entities"][1]["recommendedTutors"].is_null(),
        "{body}"
    );
    assert_eq!(code(&body), "FORBIDDEN");
    assert_eq!(body["errors"].as_array().unwrap().len(), 1);
}

#[test]
fn service_sdl_and_introspection_are_open_to_the_router() {
    let body = post(
        Caller::Refused(AuthError::MissingToken),
        "{ _service { sdl } }",
    );
    assert!(
        body["data"]["_service"]["sdl"]
            .as_str()
            .unwrap()
            .contains("getDashboardMetrics")
    );
    let introspection = post(Caller::Refused(AuthError::MissingToken), INTROSPECTION);
    assert!(introspection["errors"].is_null(), "{introspection}");
    assert!(
        introspection["data"]["__schema"]["types"]
            .as_array()
            .unwrap()
            .len()
            > 20
    );

    let closed = Subgraph::new(Arc::new(Fake::default()), false);
    let body = json!({"query": "{ __schema { types { name } } }"}).to_string();
    let response = block_on(closed.serve(
        HttpRequest {
            method: "POST",
            query_string: None,
            content_type: Some("application/json"),
            body: body.as_bytes(),
        },
        admin(),
    ));
    let answer: Value = serde_json::from_str(&response.body).unwrap();
    assert!(answer["data"]["__schema"].is_null(), "{answer}");
}

#[test]
fn depth_and_complexity_are_limited() {
    let deep = r#"{ _entities(representations: []) { ... on User { recommendedTutors { recommendation { userId } } } } }"#;
    let shallow = build_schema_with(Arc::new(Fake::default()), true, 3, MAX_COMPLEXITY);
    let answer = block_on(shallow.execute(deep));
    assert!(
        answer.errors[0].message.contains("too deep"),
        "{:?}",
        answer.errors
    );
    let answer = block_on(build_schema(Arc::new(Fake::default()), true).execute(deep));
    assert!(answer.errors.is_empty(), "{:?}", answer.errors);

    // Two points each (`_service`, `sdl`).
    let wide: String = (0..MAX_COMPLEXITY / 2 + 1)
        .map(|i| format!("a{i}: _service {{ sdl }} "))
        .collect();
    let body = post(admin(), &format!("{{ {wide} }}"));
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("complex"),
        "{body}"
    );
}

fn serve(
    method: &str,
    query_string: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> HttpResponse {
    let subgraph = Subgraph::new(Arc::new(Fake::default()), true);
    block_on(subgraph.serve(
        HttpRequest {
            method,
            query_string,
            content_type,
            body,
        },
        admin(),
    ))
}

#[test]
fn http_methods_bodies_and_statuses() {
    let get = serve(
        "GET",
        Some("query=%7B%20_service%20%7B%20sdl%20%7D%20%7D"),
        None,
        b"",
    );
    assert_eq!(get.status, 200);
    assert!(get.body.contains("sdl"));

    let mutation = serve(
        "GET",
        Some("query=mutation%7BrefreshDashboardMetrics%7BtoSeq%7D%7D"),
        None,
        b"",
    );
    assert_eq!((mutation.status, mutation.allow), (405, Some("POST")));
    assert_eq!(serve("GET", None, None, b"").status, 400);
    assert_eq!(
        serve("GET", Some("query=x&variables=%7Bnot"), None, b"").status,
        400
    );
    let put = serve("PUT", None, None, b"");
    assert_eq!((put.status, put.allow), (405, Some("GET, POST")));
    assert_eq!(serve("POST", None, Some("text/plain"), b"{}").status, 415);
    assert_eq!(serve("POST", None, None, b"{}").status, 415);
    let bad = serve("POST", None, Some("application/json"), b"{\"query\": 12");
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("not a GraphQL request"), "{}", bad.body);
    let big = vec![b' '; MAX_BODY_BYTES + 1];
    assert_eq!(
        serve("POST", None, Some("application/json"), &big).status,
        413
    );

    let batch = serve(
        "POST",
        None,
        Some("application/graphql-response+json"),
        br#"[{"query": "{ __typename }"}, {"query": "{ _service { sdl } }"}]"#,
    );
    let answers: Value = serde_json::from_str(&batch.body).unwrap();
    assert_eq!(answers[0]["data"]["__typename"], "Query");
    assert!(answers[1]["data"]["_service"]["sdl"].is_string());

    let syntax = serve(
        "POST",
        None,
        Some("application/json"),
        br#"{"query": "{ nope"}"#,
    );
    assert_eq!(syntax.status, 200);
    assert!(syntax.body.contains("errors"));
}

#[test]
fn a_document_is_validated_in_full_once_and_bad_variables_still_fail() {
    let fake = Arc::new(Fake::default());
    let subgraph = Subgraph::new(fake.clone(), true);
    let ask = |query: &str, variables: Value| -> Value {
        let (status, body) = post_to(&subgraph, admin(), query, variables);
        assert_eq!(status, 200);
        body
    };
    let query = "query($u: ID!, $l: Int) { getRecommendedTutors(userId: $u, limit: $l) { rank } }";
    let calls = || fake.calls.lock().unwrap().len();

    // Fully validated, then in the fast mode: the same answers.
    for _ in 0..2 {
        let body = ask(query, json!({"u": "stu-1", "l": 2}));
        assert_eq!(body["data"]["getRecommendedTutors"][1]["rank"], 2, "{body}");
    }
    // A bad variable for a known document still fails, before the backend is asked: as
    // the field reads its arguments (the error has the field's path), not in validation.
    let before = calls();
    for variables in [json!({"u": "stu-1", "l": "two"}), json!({"l": 2})] {
        let body = ask(query, variables);
        assert_eq!(
            body["errors"][0]["path"],
            json!(["getRecommendedTutors"]),
            "{body}"
        );
        assert!(body["data"].is_null(), "{body}");
    }
    assert_eq!(calls(), before);

    // A document that failed validation is validated in full again (and fails again).
    let unknown = "{ getRecommendedTutors(userId: \"stu-1\") { nope } }";
    for _ in 0..2 {
        let body = ask(unknown, json!({}));
        let error = &body["errors"][0];
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|m| m.contains("nope"))
                && error["path"].is_null(),
            "{body}"
        );
    }
    assert_eq!(calls(), before);
}

#[test]
fn a_short_backend_answer_is_an_internal_error() {
    struct Short;
    impl Backend for Short {
        fn dashboard(&self, _: DashboardArgs) -> Result<DashboardMetrics, BackendError> {
            unreachable!()
        }
        fn refresh_metrics(&self) -> Result<MetricsRefresh, BackendError> {
            unreachable!()
        }
        fn recommendations(&self, _: &[String]) -> Vec<Result<StoredRecommendation, BackendError>> {
            Vec::new()
        }
        fn rank(
            &self,
            _: ItemKind,
            _: &str,
            _: &RecommendationFilters,
            _: u32,
        ) -> Result<Vec<RankedItem>, BackendError> {
            unreachable!()
        }
        fn study_plan(&self, _: &str, _: &str) -> Result<StudyPlan, BackendError> {
            unreachable!()
        }
    }
    let (_, body) = post_to(
        &Subgraph::new(Arc::new(Short), true),
        admin(),
        r#"{ getRecommendedTutors(userId: "u1") { rank } }"#,
        json!({}),
    );
    assert_eq!(code(&body), "INTERNAL_SERVER_ERROR", "{body}");
}

const INTROSPECTION: &str = r#"query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}"#;
