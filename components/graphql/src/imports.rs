//! The metrics and recommend components' typed exports (`wit/metrics`, `wit/recommend`), as
//! the subgraph's [`Backend`]. The manifest satisfies these imports with the components
//! themselves (`[component.graphql.dependencies]`), composed into this one at load time.

use subgraph::types::{
    Course, CourseStep, DashboardMetrics, DashboardType, Granularity, Level, MetricPoint,
    MetricSeries, MetricsRefresh, RecommendationFilters, SkipReason, SkippedCourse, StudyPlan,
    StudyPlanStep, Tutor, TutorSessionsStep,
};
use subgraph::{Backend, BackendError, DashboardArgs, ItemKind, RankedItem, StoredRecommendation};

mod metrics_bindings {
    wit_bindgen::generate!({
        world: "metrics-user",
        path: "../../wit/metrics",
    });
}

mod recommend_bindings {
    wit_bindgen::generate!({
        world: "recommend-user",
        path: "../../wit/recommend",
    });
}

use metrics_bindings::tutoring::metrics::dashboards as m;
use recommend_bindings::tutoring::recommend::recommender as r;

/// The composed metrics and recommend components.
pub struct Components;

impl Backend for Components {
    fn dashboard(&self, args: DashboardArgs) -> Result<DashboardMetrics, BackendError> {
        let query = m::DashboardQuery {
            dashboard: match args.dashboard {
                DashboardType::Overview => m::DashboardType::Overview,
                DashboardType::Engagement => m::DashboardType::Engagement,
                DashboardType::Tutoring => m::DashboardType::Tutoring,
                DashboardType::Revenue => m::DashboardType::Revenue,
                DashboardType::Learning => m::DashboardType::Learning,
            },
            from: args.from,
            to: args.to,
            granularity: args.granularity.map(|g| match g {
                Granularity::Day => m::Granularity::Day,
                Granularity::Week => m::Granularity::Week,
                Granularity::Month => m::Granularity::Month,
            }),
            time_zone: args.time_zone,
            breakdown: args.breakdown,
            filters: args.filters,
        };
        let d = m::get_dashboard(&query).map_err(metrics_error)?;
        Ok(DashboardMetrics {
            dashboard: match d.dashboard {
                m::DashboardType::Overview => DashboardType::Overview,
                m::DashboardType::Engagement => DashboardType::Engagement,
                m::DashboardType::Tutoring => DashboardType::Tutoring,
                m::DashboardType::Revenue => DashboardType::Revenue,
                m::DashboardType::Learning => DashboardType::Learning,
            },
            refreshed_at: d.refreshed_at,
            time_zone: d.time_zone,
            granularity: match d.granularity {
                m::Granularity::Day => Granularity::Day,
                m::Granularity::Week => Granularity::Week,
                m::Granularity::Month => Granularity::Month,
            },
            series: d
                .series
                .into_iter()
                .map(|s| MetricSeries {
                    metric_name: s.metric_name,
                    dimensions: async_graphql::Json(s.dimensions.into_iter().collect()),
                    points: s
                        .points
                        .into_iter()
                        .map(|p| MetricPoint {
                            timestamp: p.timestamp,
                            value: p.value,
                        })
                        .collect::<Vec<_>>()
                        .into(),
                })
                .collect(),
        })
    }

    fn refresh_metrics(&self) -> Result<MetricsRefresh, BackendError> {
        let report = m::refresh().map_err(metrics_error)?;
        Ok(MetricsRefresh {
            from_seq: report.from_seq,
            to_seq: report.to_seq,
            more_pending: report.more_pending,
            zones_rebuilt: report.zones_rebuilt,
            buckets_recomputed: report.buckets_recomputed,
        })
    }

    fn recommendations(
        &self,
        user_ids: &[String],
    ) -> Vec<Result<StoredRecommendation, BackendError>> {
        r::get_many_recommendations(user_ids)
            .into_iter()
            .map(|answer| {
                answer
                    .map_err(recommend_error)
                    .map(|r| StoredRecommendation {
                        recommendation_id: r.recommendation_id,
                        user_id: r.user_id,
                        recommended_tutor_ids: r.recommended_tutor_ids,
                        recommended_course_ids: r.recommended_course_ids,
                        confidence_score: r.confidence_score,
                        generated_at: r.generated_at,
                        stale: r.stale,
                        items: r.items.into_iter().map(item).collect(),
                    })
            })
            .collect()
    }

    fn rank(
        &self,
        kind: ItemKind,
        user_id: &str,
        f: &RecommendationFilters,
        limit: u32,
    ) -> Result<Vec<RankedItem>, BackendError> {
        let filters = r::Filters {
            subject: f.subject.clone(),
            language: f.language.clone(),
            min_price: f.min_price,
            max_price: f.max_price,
            currency: f.currency.clone(),
            level: f.level.map(|l| match l {
                Level::Beginner => r::Level::Beginner,
                Level::Intermediate => r::Level::Intermediate,
                Level::Advanced => r::Level::Advanced,
            }),
        };
        let items = match kind {
            ItemKind::Tutor => r::recommend_tutors(user_id, &filters, limit),
            ItemKind::Course => r::recommend_courses(user_id, &filters, limit),
        }
        .map_err(recommend_error)?;
        Ok(items.into_iter().map(item).collect())
    }

    fn study_plan(&self, user_id: &str, goal: &str) -> Result<StudyPlan, BackendError> {
        let p = r::create_study_plan(user_id, goal).map_err(recommend_error)?;
        Ok(StudyPlan {
            user_id: p.user_id.into(),
            goal: p.goal,
            level: p.level.map(level),
            steps: p
                .steps
                .into_iter()
                .map(|s| match s {
                    r::PlanStep::Course(c) => StudyPlanStep::Course(CourseStep {
                        course: Course {
                            id: c.course_id.into(),
                        },
                        title: c.title,
                        subject: c.subject,
                        level: level(c.level),
                        hours: c.hours,
                    }),
                    r::PlanStep::TutorSessions(t) => {
                        StudyPlanStep::TutorSessions(TutorSessionsStep {
                            tutor: Tutor {
                                id: t.tutor_id.into(),
                            },
                            subject: t.subject,
                            sessions: t.sessions,
                            hours: t.hours,
                            explanation: t.explanation,
                        })
                    }
                })
                .collect(),
            estimated_hours: p.estimated_hours,
            skipped: p
                .skipped
                .into_iter()
                .map(|s| SkippedCourse {
                    course: Course {
                        id: s.course_id.into(),
                    },
                    reason: match s.reason {
                        r::SkipReason::Completed => SkipReason::Completed,
                        r::SkipReason::BelowLevel => SkipReason::BelowLevel,
                    },
                })
                .collect(),
        })
    }
}

fn item(i: r::RecommendedItem) -> RankedItem {
    RankedItem {
        kind: match i.kind {
            r::ItemKind::Tutor => ItemKind::Tutor,
            r::ItemKind::Course => ItemKind::Course,
        },
        id: i.id,
        score: f64::from(i.score),
        explanation: i.explanation,
    }
}

fn level(l: r::Level) -> Level {
    match l {
        r::Level::Beginner => Level::Beginner,
        r::Level::Intermediate => Level::Intermediate,
        r::Level::Advanced => Level::Advanced,
    }
}

fn metrics_error(e: m::Error) -> BackendError {
    match e {
        m::Error::InvalidInput(message) => BackendError::InvalidInput(message),
        m::Error::Unavailable(message) => BackendError::Unavailable(message),
        m::Error::Internal(message) => {
            eprintln!("graphql: metrics: {message}");
            BackendError::Internal(message)
        }
    }
}

fn recommend_error(e: r::Error) -> BackendError {
    match e {
        r::Error::InvalidInput(message) => BackendError::InvalidInput(message),
        r::Error::Unavailable(message) => BackendError::Unavailable(message),
        r::Error::Internal(message) => {
            eprintln!("graphql: recommend: {message}");
            BackendError::Internal(message)
        }
    }
}
