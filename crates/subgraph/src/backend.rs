//! The I/O boundary: what the schema asks of the metrics and recommend components. The
//! `graphql` component implements it over their typed exports (`wit/`); tests implement it
//! in memory.

use crate::types::{
    DashboardMetrics, DashboardType, Granularity, MetricsRefresh, RecommendationFilters, StudyPlan,
};

/// Why a backend call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendError {
    /// The caller's input is wrong; the message names the argument and is safe to show.
    InvalidInput(String),
    /// Busy or temporarily failing: retry.
    Unavailable(String),
    /// Anything else; the message is for the log only.
    Internal(String),
}

/// What the metrics component is asked for: the route's parameters, typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DashboardArgs {
    /// Which dashboard.
    pub dashboard: DashboardType,
    /// The first date (`2024-05-01`) or instant, in `time_zone`.
    pub from: Option<String>,
    /// The last date or instant.
    pub to: Option<String>,
    /// Day (default), week or month.
    pub granularity: Option<Granularity>,
    /// An IANA zone the metrics are kept in.
    pub time_zone: Option<String>,
    /// `subject`, `product`, `role` or `courseId`.
    pub breakdown: Option<String>,
    /// Dimension filters, name and value.
    pub filters: Vec<(String, String)>,
}

/// Tutor or course.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    /// A tutor.
    Tutor,
    /// A course.
    Course,
}

/// One ranked tutor or course, as the recommend component returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedItem {
    /// Tutor or course.
    pub kind: ItemKind,
    /// Its id.
    pub id: String,
    /// The hybrid score, 0 to 1.
    pub score: f64,
    /// Why, in a short sentence.
    pub explanation: String,
}

/// A student's stored recommendation.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecommendation {
    /// Its id.
    pub recommendation_id: String,
    /// The student.
    pub user_id: String,
    /// The tutors, best first.
    pub recommended_tutor_ids: Vec<String>,
    /// The courses, best first.
    pub recommended_course_ids: Vec<String>,
    /// 0 to 1.
    pub confidence_score: f64,
    /// RFC 3339.
    pub generated_at: String,
    /// Events since call for a new one; the recommend component's job regenerates it.
    pub stale: bool,
    /// Tutors then courses, with scores and explanations.
    pub items: Vec<RankedItem>,
}

/// The metrics and recommend components, as the schema uses them. Calls are synchronous:
/// the components' exports are (a composed call runs to completion in the callee).
pub trait Backend: Send + Sync + 'static {
    /// The stored series of one dashboard.
    fn dashboard(&self, args: DashboardArgs) -> Result<DashboardMetrics, BackendError>;
    /// One incremental metrics refresh.
    fn refresh_metrics(&self) -> Result<MetricsRefresh, BackendError>;
    /// The stored recommendations of many students, in the order asked (each generated
    /// first if the student has none).
    fn recommendations(
        &self,
        user_ids: &[String],
    ) -> Vec<Result<StoredRecommendation, BackendError>>;
    /// Up to `limit` tutors or courses ranked now for `filters`.
    fn rank(
        &self,
        kind: ItemKind,
        user_id: &str,
        filters: &RecommendationFilters,
        limit: u32,
    ) -> Result<Vec<RankedItem>, BackendError>;
    /// CreatePersonalizedStudyPlan.
    fn study_plan(&self, user_id: &str, goal: &str) -> Result<StudyPlan, BackendError>;
}
