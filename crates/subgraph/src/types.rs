//! The schema's object, input and enum types (plain data; the resolvers are in
//! [`crate::schema`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use async_graphql::{Enum, ID, InputObject, Json, SimpleObject, Union};

pub use crate::points::MetricPoints;

/// The admin dashboards.
#[derive(Enum, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DashboardType {
    /// Headline numbers from every area.
    #[default]
    Overview,
    /// Active users, registrations, the conversion funnel and retention cohorts.
    Engagement,
    /// Sessions booked, completed and cancelled, booked hours, top tutors.
    Tutoring,
    /// Revenue, refunds, paying users and ARPPU per currency, top earners.
    Revenue,
    /// Enrollments, lesson and course completions, ratings, top courses.
    Learning,
}

/// The width of a bucket.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    /// Local days.
    Day,
    /// Weeks from Monday.
    Week,
    /// Calendar months.
    Month,
}

/// A dimension a series must have (`currency` = `EUR`, `subject` = `math`).
#[derive(InputObject, Debug, Clone, PartialEq, Eq)]
pub struct DimensionFilter {
    /// The dimension, e.g. `currency`.
    pub name: String,
    /// Its value.
    pub value: String,
}

/// One dashboard's series.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
#[graphql(serial)]
pub struct DashboardMetrics {
    /// Which dashboard.
    pub dashboard: DashboardType,
    /// When the metrics were last refreshed (RFC 3339); null before the first refresh.
    pub refreshed_at: Option<String>,
    /// The buckets' IANA time zone.
    pub time_zone: String,
    /// The buckets' width.
    pub granularity: Granularity,
    /// One series per metric and set of dimensions.
    pub series: Vec<MetricSeries>,
}

/// The points of one metric with one set of dimensions.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
#[graphql(serial)]
pub struct MetricSeries {
    /// The metric's stable snake_case name, e.g. `revenue_net` (docs/METRICS.md).
    pub metric_name: String,
    /// Its dimensions as a JSON object, e.g. `{"currency": "EUR"}`.
    pub dimensions: Json<BTreeMap<String, String>>,
    /// One point per bucket, oldest first.
    pub points: MetricPoints,
}

/// One bucket's value.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
#[graphql(serial)]
pub struct MetricPoint {
    /// The bucket's first instant, RFC 3339 in the dashboard's zone.
    pub timestamp: String,
    /// Counts and money (minor units) are whole numbers; rates are fractions.
    pub value: f64,
}

/// What one GenerateDashboardMetrics run did.
#[derive(SimpleObject, Debug, Clone, PartialEq, Eq)]
#[graphql(serial)]
pub struct MetricsRefresh {
    /// The last ingestion sequence number folded in before the run.
    pub from_seq: i64,
    /// The last one folded in by the run.
    pub to_seq: i64,
    /// Whether events are left for the next run.
    pub more_pending: bool,
    /// Zones built in full by the run.
    pub zones_rebuilt: Vec<String>,
    /// How many buckets were recomputed.
    pub buckets_recomputed: u64,
}

/// A course or goal level.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// No prior knowledge.
    Beginner,
    /// Some.
    Intermediate,
    /// Much.
    Advanced,
}

/// What recommendations are restricted to; every field optional.
#[derive(InputObject, Debug, Clone, Default, PartialEq, Eq)]
pub struct RecommendationFilters {
    /// Only this subject (e.g. `python`).
    pub subject: Option<String>,
    /// Tutors who teach in this language.
    pub language: Option<String>,
    /// The lowest price, in minor units of `currency`.
    pub min_price: Option<i64>,
    /// The highest price, in minor units of `currency`.
    pub max_price: Option<i64>,
    /// The currency of the price bounds (required with one).
    pub currency: Option<String>,
    /// Courses of this level.
    pub level: Option<Level>,
}

impl RecommendationFilters {
    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        *self == RecommendationFilters::default()
    }
}

/// A tutor, resolved by the tutors subgraph.
#[derive(SimpleObject, Debug, Clone, PartialEq, Eq)]
#[graphql(unresolvable, serial)]
pub struct Tutor {
    /// The tutor's user id.
    pub id: ID,
}

/// A course, resolved by the courses subgraph.
#[derive(SimpleObject, Debug, Clone, PartialEq, Eq)]
#[graphql(unresolvable, serial)]
pub struct Course {
    /// The course id.
    pub id: ID,
}

/// A student's stored recommendation.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
#[graphql(serial)]
pub struct Recommendation {
    /// Its id.
    pub recommendation_id: ID,
    /// The student.
    pub user_id: ID,
    /// The tutors, best first.
    pub recommended_tutor_ids: Vec<ID>,
    /// The courses, best first.
    pub recommended_course_ids: Vec<ID>,
    /// How sure the ranker is, 0 to 1.
    pub confidence_score: f64,
    /// When it was generated (RFC 3339).
    pub generated_at: String,
    /// Whether events since call for a new one; it is being regenerated in the background.
    pub stale: bool,
}

/// A recommended tutor.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
#[graphql(serial)]
pub struct RecommendedTutor {
    /// 1 for the best.
    pub rank: i32,
    /// The tutor (its other fields come from the tutors subgraph).
    pub tutor: Tutor,
    /// The hybrid score, 0 to 1.
    pub score: f64,
    /// Why, in a short sentence.
    pub explanation: String,
    /// The stored recommendation it comes from; null when filters had it ranked on demand.
    pub recommendation: Option<Arc<Recommendation>>,
}

/// A recommended course.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
#[graphql(serial)]
pub struct RecommendedCourse {
    /// 1 for the best.
    pub rank: i32,
    /// The course (its other fields come from the courses subgraph).
    pub course: Course,
    /// The hybrid score, 0 to 1.
    pub score: f64,
    /// Why, in a short sentence.
    pub explanation: String,
    /// The stored recommendation it comes from; null when filters had it ranked on demand.
    pub recommendation: Option<Arc<Recommendation>>,
}

/// A personalized path to a goal.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
#[graphql(serial)]
pub struct StudyPlan {
    /// The student.
    pub user_id: ID,
    /// The goal, as given.
    pub goal: String,
    /// The level the plan starts from, when the goal or history tells.
    pub level: Option<Level>,
    /// In order: prerequisites first.
    pub steps: Vec<StudyPlanStep>,
    /// The hours of all steps.
    pub estimated_hours: f64,
    /// Courses of the path left out, and why.
    pub skipped: Vec<SkippedCourse>,
}

/// One step of a study plan.
#[derive(Union, Debug, Clone, PartialEq)]
pub enum StudyPlanStep {
    /// Take a course.
    Course(CourseStep),
    /// Book sessions with a tutor.
    TutorSessions(TutorSessionsStep),
}

/// Take a course.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
#[graphql(serial)]
pub struct CourseStep {
    /// The course.
    pub course: Course,
    /// Its title.
    pub title: String,
    /// Its subject.
    pub subject: String,
    /// Its level.
    pub level: Level,
    /// Its length in hours.
    pub hours: f64,
}

/// Book one-hour sessions with a tutor, after the courses of the subject.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
#[graphql(serial)]
pub struct TutorSessionsStep {
    /// The tutor.
    pub tutor: Tutor,
    /// The subject.
    pub subject: String,
    /// How many sessions.
    pub sessions: u32,
    /// Their hours.
    pub hours: f64,
    /// Why this tutor.
    pub explanation: String,
}

/// Why a course of the path is not in the plan.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// The student completed it.
    Completed,
    /// It is below the student's level.
    BelowLevel,
}

/// A course left out of a plan.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
#[graphql(serial)]
pub struct SkippedCourse {
    /// The course.
    pub course: Course,
    /// Why.
    pub reason: SkipReason,
}
