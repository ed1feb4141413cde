//! The study-plan algorithm over the course graph: the courses that reach a goal, with
//! their prerequisites first, without what the student completed or is past.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::filters::Level;

/// A course as the planner sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanCourse {
    /// The course id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its subject.
    pub subject: String,
    /// Its level.
    pub level: Level,
    /// Estimated hours.
    pub hours: f64,
    /// Course ids to take first.
    pub prerequisites: Vec<String>,
}

/// Why a course of the goal's path is not in the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SkipReason {
    /// The student completed it.
    Completed,
    /// A prerequisite below the student's level: assumed known.
    BelowLevel,
}

/// A course left out of the plan, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkippedCourse {
    /// The course id.
    pub course_id: String,
    /// Why.
    pub reason: SkipReason,
}

/// The courses to take, in order: each target after its prerequisites (depth first, in the
/// order the targets and prerequisites are listed), each course once. Completed courses
/// are skipped with their prerequisites, as are prerequisites below the student's level
/// (a target is never skipped for its level). Unknown prerequisite ids are ignored, and so
/// is an edge that would close a cycle.
pub fn order_courses(
    targets: &[String],
    courses: &HashMap<String, PlanCourse>,
    completed: &HashSet<String>,
    level: Option<Level>,
) -> (Vec<String>, Vec<SkippedCourse>) {
    let mut walk = Walk {
        courses,
        completed,
        level,
        targets: targets.iter().collect(),
        state: HashMap::new(),
        order: Vec::new(),
        skipped: Vec::new(),
    };
    for t in targets {
        walk.visit(t);
    }
    (walk.order, walk.skipped)
}

#[derive(Clone, Copy, PartialEq)]
enum Mark {
    Visiting,
    Done,
}

struct Walk<'a> {
    courses: &'a HashMap<String, PlanCourse>,
    completed: &'a HashSet<String>,
    level: Option<Level>,
    targets: HashSet<&'a String>,
    state: HashMap<String, Mark>,
    order: Vec<String>,
    skipped: Vec<SkippedCourse>,
}

impl Walk<'_> {
    fn visit(&mut self, id: &str) {
        if self.state.contains_key(id) {
            return;
        }
        let Some(course) = self.courses.get(id) else {
            return;
        };
        let reason = if self.completed.contains(id) {
            Some(SkipReason::Completed)
        } else if self.level.is_some_and(|l| course.level < l) && !self.targets.contains(&course.id)
        {
            Some(SkipReason::BelowLevel)
        } else {
            None
        };
        if let Some(reason) = reason {
            self.state.insert(id.to_owned(), Mark::Done);
            self.skipped.push(SkippedCourse {
                course_id: id.to_owned(),
                reason,
            });
            return;
        }
        self.state.insert(id.to_owned(), Mark::Visiting);
        for p in &course.prerequisites {
            self.visit(p);
        }
        self.state.insert(id.to_owned(), Mark::Done);
        self.order.push(id.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn course(id: &str, level: Level, prerequisites: &[&str]) -> PlanCourse {
        PlanCourse {
            id: id.into(),
            title: id.to_uppercase(),
            subject: "Python".into(),
            level,
            hours: 10.0,
            prerequisites: prerequisites.iter().map(|p| p.to_string()).collect(),
        }
    }

    fn catalog(list: Vec<PlanCourse>) -> HashMap<String, PlanCourse> {
        list.into_iter().map(|c| (c.id.clone(), c)).collect()
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn prerequisites_first_completed_and_below_level_skipped() {
        use Level::*;
        let courses = catalog(vec![
            course("py1", Beginner, &[]),
            course("pandas", Intermediate, &["py1"]),
            course("ml", Advanced, &["pandas", "missing"]),
            course("dl", Advanced, &["ml"]),
        ]);
        let none = HashSet::new();
        let targets = vec!["dl".to_string(), "pandas".to_string()];
        let (order, skipped) = order_courses(&targets, &courses, &none, Some(Beginner));
        assert_eq!(order, ["py1", "pandas", "ml", "dl"]);
        assert!(skipped.is_empty());
        let done: HashSet<String> = ["pandas".to_string()].into();
        let (order, skipped) = order_courses(&targets[..1], &courses, &done, None);
        assert_eq!(order, ["ml", "dl"]);
        assert_eq!(skipped[0].reason, SkipReason::Completed);
        let (order, skipped) = order_courses(&targets[..1], &courses, &none, Some(Advanced));
        assert_eq!(order, ["ml", "dl"]);
        assert_eq!(
            skipped[0],
            SkippedCourse {
                course_id: "pandas".into(),
                reason: SkipReason::BelowLevel
            }
        );
        let target_below = vec!["py1".to_string()];
        assert_eq!(
            order_courses(&target_below, &courses, &none, Some(Advanced)).0,
            ["py1"]
        );
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn cycles_and_unknown_targets_end() {
        let courses = catalog(vec![
            course("a", Level::Beginner, &["b"]),
            course("b", Level::Beginner, &["a"]),
        ]);
        let targets = vec!["a".to_string(), "zzz".to_string()];
        let (order, _) = order_courses(&targets, &courses, &HashSet::new(), None);
        assert_eq!(order, ["b", "a"]);
    }
}
