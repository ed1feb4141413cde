//! The `tutoring:recommend/recommender` export (`wit/recommend/recommend.wit`): the
//! operations of the HTTP routes, typed, for another component of the app (the GraphQL
//! subgraph) that imports it as a Spin component dependency. No authentication here: the
//! importing component verifies its caller and decides whose data it asks for.
//!
//! The functions are synchronous, as the interface declares them, so they run on
//! [`SyncSpinStore`] and the (synchronous) [`SpinEmbedder`], driven by
//! [`sql_store::run_ready`], as the cron export does.

use std::sync::atomic::Ordering;

use chrono::{SecondsFormat, Utc};
use recommend::plan::SkipReason as LibSkipReason;
use recommend::request::{self, RequestError};
use recommend::{IndexCache, Kind, RecommendError};
use sql_store::spin::SyncSpinStore;

use crate::SCHEMA_READY;
use crate::cache::CacheGuard;
use crate::embedder::SpinEmbedder;

wit_bindgen::generate!({
    world: "recommend-provider",
    path: "../../wit/recommend",
});

use exports::tutoring::recommend::recommender::{
    CourseStep, Error, Filters, Guest, ItemKind, Level, PlanStep, Recommendation, RecommendedItem,
    SkipReason, SkippedCourse, StudyPlan, TutorSessionsStep,
};

struct Recommender;

impl Guest for Recommender {
    fn get_recommendations(user_id: String) -> Result<Recommendation, Error> {
        request::user_id(&user_id).map_err(invalid)?;
        with_store(async |store, cache, embedder| {
            stored_or_new(store, cache, embedder, &user_id).await
        })
    }

    fn get_many_recommendations(user_ids: Vec<String>) -> Vec<Result<Recommendation, Error>> {
        let answers = with_store(async |store, cache, embedder| {
            let mut answers = Vec::with_capacity(user_ids.len());
            for user_id in &user_ids {
                answers.push(match request::user_id(user_id) {
                    Err(e) => Err(invalid(e)),
                    Ok(_) => stored_or_new(store, cache, embedder, user_id)
                        .await
                        .map_err(failure),
                });
            }
            Ok(answers)
        });
        match answers {
            Ok(answers) => answers,
            Err(e) => user_ids.iter().map(|_| Err(e.clone())).collect(),
        }
    }

    fn recommend_tutors(
        user_id: String,
        filters: Filters,
        limit: u32,
    ) -> Result<Vec<RecommendedItem>, Error> {
        items(Kind::Tutor, user_id, filters, limit)
    }

    fn recommend_courses(
        user_id: String,
        filters: Filters,
        limit: u32,
    ) -> Result<Vec<RecommendedItem>, Error> {
        items(Kind::Course, user_id, filters, limit)
    }

    fn create_study_plan(user_id: String, goal: String) -> Result<StudyPlan, Error> {
        let body = serde_json::json!({ "userId": user_id, "goal": goal }).to_string();
        let req = request::StudyPlanRequest::parse(body.as_bytes()).map_err(invalid)?;
        request::user_id(&req.user_id).map_err(invalid)?;
        with_store(async |store, cache, embedder| {
            let p = recommend::study_plan(store, cache, embedder, &req.user_id, &req.goal).await?;
            Ok(StudyPlan {
                user_id: p.user_id,
                goal: p.goal,
                level: p.level.map(level),
                steps: p.steps.into_iter().map(step).collect(),
                estimated_hours: p.estimated_hours,
                skipped: p
                    .skipped
                    .into_iter()
                    .map(|s| SkippedCourse {
                        course_id: s.course_id,
                        reason: match s.reason {
                            LibSkipReason::Completed => SkipReason::Completed,
                            LibSkipReason::BelowLevel => SkipReason::BelowLevel,
                        },
                    })
                    .collect(),
            })
        })
    }
}

fn items(
    kind: Kind,
    user_id: String,
    f: Filters,
    limit: u32,
) -> Result<Vec<RecommendedItem>, Error> {
    request::user_id(&user_id).map_err(invalid)?;
    let limit = request::limit(limit).map_err(invalid)?;
    let filters = request::filters(
        kind,
        recommend::Filters {
            subject: f.subject,
            language: f.language,
            min_price: f.min_price,
            max_price: f.max_price,
            currency: f.currency,
            level: f.level.map(|l| match l {
                Level::Beginner => recommend::Level::Beginner,
                Level::Intermediate => recommend::Level::Intermediate,
                Level::Advanced => recommend::Level::Advanced,
            }),
        },
    )
    .map_err(invalid)?;
    with_store(async |store, cache, embedder| {
        let ranked = match kind {
            Kind::Tutor => {
                recommend::recommend_tutors(store, cache, embedder, &user_id, &filters, limit)
                    .await?
            }
            Kind::Course => {
                recommend::recommend_courses(store, cache, embedder, &user_id, &filters, limit)
                    .await?
            }
        };
        Ok(ranked.into_iter().map(item).collect())
    })
}

/// The student's stored recommendation (with its `stale` mark), generated first if there is
/// none.
async fn stored_or_new(
    store: &mut SyncSpinStore,
    cache: &mut IndexCache,
    embedder: &mut SpinEmbedder,
    user_id: &str,
) -> Result<Recommendation, RecommendError> {
    let served = match recommend::recommendations_for(store, user_id).await? {
        Some(served) => served,
        None => {
            recommend::generate_recommendations(store, cache, embedder, user_id, Utc::now()).await?
        }
    };
    let (r, stale) = (served.recommendation, served.stale);
    Ok(Recommendation {
        recommendation_id: r.recommendation_id,
        user_id: r.user_id,
        recommended_tutor_ids: r.recommended_tutor_ids,
        recommended_course_ids: r.recommended_course_ids,
        confidence_score: r.confidence_score,
        generated_at: r.generated_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        items: r.items.into_iter().map(item).collect(),
        stale,
    })
}

/// Runs `f` on the database, the instance's index cache and the model, in one poll.
fn with_store<T>(
    f: impl AsyncFnOnce(
        &mut SyncSpinStore,
        &mut IndexCache,
        &mut SpinEmbedder,
    ) -> Result<T, RecommendError>,
) -> Result<T, Error> {
    let mut store = SyncSpinStore::open("default", &[]).map_err(|e| {
        eprintln!("recommend interface: {e}");
        Error::Unavailable(format!("the recommendation store is unavailable: {e}"))
    })?;
    let mut cache = CacheGuard::take();
    let work = async {
        if !SCHEMA_READY.load(Ordering::Acquire) {
            recommend::ensure_schema(&mut store).await?;
            SCHEMA_READY.store(true, Ordering::Release);
        }
        f(&mut store, &mut cache, &mut SpinEmbedder).await
    };
    let value = sql_store::run_ready(work)
        .map_err(|e| Error::Internal(e.to_string()))?
        .map_err(failure)?;
    // Done, outside any transaction: the next call reuses the connection and its page cache.
    store.release();
    Ok(value)
}

fn failure(e: RecommendError) -> Error {
    eprintln!("recommend interface: {e}");
    if e.is_retryable() {
        Error::Unavailable(e.to_string())
    } else {
        Error::Internal(e.to_string())
    }
}

fn invalid(e: RequestError) -> Error {
    Error::InvalidInput(e.to_string())
}

fn level(l: recommend::Level) -> Level {
    match l {
        recommend::Level::Beginner => Level::Beginner,
        recommend::Level::Intermediate => Level::Intermediate,
        recommend::Level::Advanced => Level::Advanced,
    }
}

fn item(i: recommend::RecommendedItem) -> RecommendedItem {
    RecommendedItem {
        kind: match i.kind {
            Kind::Tutor => ItemKind::Tutor,
            Kind::Course => ItemKind::Course,
        },
        id: i.id,
        score: i.score,
        explanation: i.explanation,
    }
}

fn step(s: recommend::PlanStep) -> PlanStep {
    match s {
        recommend::PlanStep::Course {
            course_id,
            title,
            subject,
            level: l,
            hours,
        } => PlanStep::Course(CourseStep {
            course_id,
            title,
            subject,
            level: level(l),
            hours,
        }),
        recommend::PlanStep::TutorSessions {
            tutor_id,
            subject,
            sessions,
            hours,
            explanation,
        } => PlanStep::TutorSessions(TutorSessionsStep {
            tutor_id,
            subject,
            sessions,
            hours,
            explanation,
        }),
    }
}

export!(Recommender);
