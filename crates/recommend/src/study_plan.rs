//! CreatePersonalizedStudyPlan: a goal text becomes ordered courses and tutor sessions.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sql_store::SqlStore;

use crate::embed::Embedder;
use crate::embed_cache::embed_cached;
use crate::error::RecommendError;
use crate::filters::{Filters, Level};
use crate::generate::{NEAREST_SHARDS, recommend};
use crate::index::{IndexCache, Kind};
use crate::plan::{PlanCourse, SkippedCourse, order_courses};
use crate::profiles::goal_text;
use crate::sql::{Cols, query};
use crate::student::{self, Goal};

/// Courses of the index searched for the goal.
const SEARCHED: usize = 20;
/// The most target courses a plan aims at.
const TARGETS: usize = 3;
/// A course is a target if its similarity is at least this share of the best one's.
const TARGET_SHARE: f32 = 0.8;
/// Course hours per one-hour tutor session.
const HOURS_PER_SESSION: f64 = 8.0;
/// Sessions when no course fits the goal.
const SESSIONS_WITHOUT_COURSES: u32 = 6;

/// A personalized path to a goal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StudyPlan {
    /// The student.
    pub user_id: String,
    /// The goal, as given.
    pub goal: String,
    /// The student's level, from their latest goal.
    pub level: Option<Level>,
    /// What to do, in order.
    pub steps: Vec<PlanStep>,
    /// The total of the steps' hours.
    pub estimated_hours: f64,
    /// Courses of the path left out (completed, or below the student's level).
    pub skipped: Vec<SkippedCourse>,
}

/// One step of a [`StudyPlan`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum PlanStep {
    /// Take a course.
    Course {
        /// The course id.
        course_id: String,
        /// Its title.
        title: String,
        /// Its subject.
        subject: String,
        /// Its level.
        level: Level,
        /// Its estimated hours.
        hours: f64,
    },
    /// Book one-hour sessions with a tutor, after the courses of the subject.
    TutorSessions {
        /// The recommended tutor.
        tutor_id: String,
        /// The subject.
        subject: String,
        /// How many one-hour sessions.
        sessions: u32,
        /// Their hours.
        hours: f64,
        /// Why this tutor.
        explanation: String,
    },
}

/// Plans the path from what `user_id` did so far to `goal`: the courses nearest to the goal
/// are the targets, their prerequisites come first ([`order_courses`]), completed courses
/// and prerequisites below the student's level are skipped, and after each subject's
/// courses one tutor (the best for the goal in that subject) gets a session per
/// [`HOURS_PER_SESSION`] course hours.
pub async fn study_plan<S: SqlStore, E: Embedder>(
    store: &mut S,
    cache: &mut IndexCache,
    embedder: &mut E,
    user_id: &str,
    goal: &str,
) -> Result<StudyPlan, RecommendError> {
    cache.catalog.sync(store).await?;
    let mut student = student::load(store, embedder, user_id).await?;
    let level = student.level();
    let vector = embed_cached(store, embedder, &[goal_text(goal, &[])]).await?;
    let q = vector.into_iter().next().map(|(_, v)| v);
    student.query = q.clone();
    // A tutor the student already knows is a fine choice for a plan.
    student.taken = student.completed.clone();
    student.goals.insert(
        0,
        Goal {
            text: goal.to_owned(),
            subjects: Vec::new(),
            level,
        },
    );

    let mut targets = Vec::new();
    if let (Some(q), Some((_, manifest))) = (&q, cache.manifest(store, Kind::Course).await?) {
        let view = cache
            .view(store, Kind::Course, &manifest.nearest(q, NEAREST_SHARDS))
            .await?;
        let hits = view.search(q, SEARCHED);
        let best = hits.first().map_or(0.0, |h| h.1);
        targets = hits
            .into_iter()
            .filter(|(_, s)| *s > 0.0 && *s >= best * TARGET_SHARE)
            .take(TARGETS)
            .map(|(id, _)| id)
            .collect();
    }
    let courses = load_closure(store, &targets).await?;
    let (order, skipped) = order_courses(&targets, &courses, &student.completed, level);

    let mut steps = Vec::new();
    let mut subjects: Vec<(String, f64)> = Vec::new();
    for id in &order {
        let Some(c) = courses.get(id) else { continue };
        match subjects.iter_mut().find(|(s, _)| *s == c.subject) {
            Some((_, hours)) => *hours += c.hours,
            None => subjects.push((c.subject.clone(), c.hours)),
        }
        steps.push(PlanStep::Course {
            course_id: c.id.clone(),
            title: c.title.clone(),
            subject: c.subject.clone(),
            level: c.level,
            hours: c.hours,
        });
    }
    if subjects.is_empty() {
        subjects.push((String::new(), 0.0));
    }
    for (subject, hours) in subjects {
        let filters = Filters {
            subject: (!subject.is_empty()).then(|| subject.clone()),
            ..Filters::default()
        };
        let Some(tutor) = recommend(store, cache, &student, Kind::Tutor, &filters, 1)
            .await?
            .into_iter()
            .next()
        else {
            continue;
        };
        let sessions = if hours > 0.0 {
            ((hours / HOURS_PER_SESSION).ceil() as u32).max(1)
        } else {
            SESSIONS_WITHOUT_COURSES
        };
        let step = PlanStep::TutorSessions {
            tutor_id: tutor.id,
            subject: subject.clone(),
            sessions,
            hours: f64::from(sessions),
            explanation: tutor.explanation,
        };
        // After the subject's last course.
        let at = steps
            .iter()
            .rposition(|s| matches!(s, PlanStep::Course { subject: s, .. } if *s == subject))
            .map_or(steps.len(), |i| i + 1);
        steps.insert(at, step);
    }
    let estimated_hours = steps
        .iter()
        .map(|s| match s {
            PlanStep::Course { hours, .. } | PlanStep::TutorSessions { hours, .. } => *hours,
        })
        .sum();
    Ok(StudyPlan {
        user_id: user_id.to_owned(),
        goal: goal.to_owned(),
        level,
        steps,
        estimated_hours,
        skipped,
    })
}

/// The courses `ids` and all their prerequisites, transitively.
async fn load_closure<S: SqlStore>(
    store: &mut S,
    ids: &[String],
) -> Result<HashMap<String, PlanCourse>, RecommendError> {
    let mut courses: HashMap<String, PlanCourse> = HashMap::new();
    let mut wanted: Vec<String> = ids.to_vec();
    while !wanted.is_empty() {
        let rows = query(
            store,
            "SELECT course_id, title, subject, level, hours, prerequisites FROM rec_courses \
             WHERE course_id IN (SELECT value FROM json_each(?1))",
            &[crate::json_param(&wanted)],
            "plan courses",
        )
        .await?;
        wanted.clear();
        for r in &rows {
            let c = Cols::new(r, "plan courses");
            let course = PlanCourse {
                id: c.str(0)?.to_owned(),
                title: c.str(1)?.to_owned(),
                subject: c.str(2)?.to_owned(),
                level: Level::parse(c.str(3)?).unwrap_or(Level::Beginner),
                hours: c.f64(4)?,
                prerequisites: c.strings(5)?,
            };
            wanted.extend(
                course
                    .prerequisites
                    .iter()
                    .filter(|p| !courses.contains_key(*p) && !ids.contains(p))
                    .cloned(),
            );
            courses.insert(course.id.clone(), course);
        }
        wanted.retain(|p| !courses.contains_key(p));
        wanted.sort();
        wanted.dedup();
    }
    Ok(courses)
}
