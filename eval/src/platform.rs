//! The demo platform (`crates/demo`'s generator) as an evaluation dataset.
//!
//! The predicted interaction is the **course enrollment**: a student enrolls in a course once,
//! so the next enrollment is always a new item, which is what a recommendation is for (a
//! student books the same tutor again and again, and the library never recommends a tutor
//! already booked). Goals, course completions, course reviews and tutor bookings (which link
//! students to peers and give them subjects) are what the library folds from the same events.

use std::collections::{BTreeMap, HashMap};

use demo::{DemoConfig, DemoEvent, EventType};
use recommend::{Kind, Level};

use crate::dataset::{Dataset, Event, Goal, Item, interned};

/// Generates the history of `config` and keeps what the recommender reads.
pub fn load(config: &DemoConfig) -> Dataset {
    let history: Vec<DemoEvent> = demo::generate(config).collect();
    // The latest publication of a course wins, as in the library's read model.
    let courses: BTreeMap<String, Item> = history
        .iter()
        .filter(|e| e.event_type == EventType::CoursePublished)
        .filter_map(course)
        .map(|c| (c.id.clone(), c))
        .collect();
    let items: Vec<Item> = courses.into_values().collect();
    let item_index: HashMap<&str, usize> = items
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let students = history
        .iter()
        .filter(|e| e.user_id.starts_with("usr_"))
        .map(|e| e.user_id.clone())
        .collect();
    let (users, user_index) = interned(students);
    let mut events = Vec::new();
    for e in &history {
        let item = e
            .prop_str("courseId")
            .and_then(|id| item_index.get(id).copied());
        let user = user_index.get(&e.user_id).copied();
        let event = match (e.event_type, user, item) {
            (EventType::CoursePublished, _, Some(item)) => Event::Published { item },
            (EventType::CourseEnrolled, Some(user), Some(item)) => Event::Took { user, item },
            (EventType::CourseCompleted, Some(user), Some(item)) => Event::Completed { user, item },
            (EventType::ReviewSubmitted, Some(user), Some(item)) => match e.prop_i64("rating") {
                Some(rating) => Event::Reviewed { user, item, rating },
                None => continue,
            },
            (EventType::StudentGoalSet, Some(user), _) => match goal(e) {
                Some(goal) => Event::GoalSet { user, goal },
                None => continue,
            },
            (EventType::SessionBooked, Some(user), _) => match e.prop_str("tutorId") {
                Some(tutor) => Event::Linked {
                    user,
                    key: format!("tutor:{tutor}"),
                    subject: e.prop_str("subject").map(str::to_lowercase),
                },
                None => continue,
            },
            _ => continue,
        };
        events.push(event);
    }
    Dataset {
        name: format!(
            "demo platform ({} students, {} courses, {} months)",
            config.students, config.courses, config.months
        ),
        kind: Some(Kind::Course),
        users,
        items,
        events,
    }
}

fn strings(e: &DemoEvent, key: &str) -> Vec<String> {
    e.properties
        .get(key)
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A published course, with the text the library embeds (`profiles.rs`: title, level,
/// subject, description).
fn course(e: &DemoEvent) -> Option<Item> {
    let (id, title, subject) = (
        e.prop_str("courseId")?,
        e.prop_str("title")?,
        e.prop_str("subject")?,
    );
    let level = e.prop_str("level").unwrap_or_default();
    let description = e.prop_str("description").unwrap_or_default();
    Some(Item {
        id: id.to_owned(),
        label: title.to_owned(),
        text: format!("{title}. A {level} course in {subject}. {description}"),
        subjects: vec![subject.to_lowercase()],
        level: Level::parse(level),
    })
}

/// A goal, with the text the library embeds (`profiles.rs`: the goal and its subjects).
fn goal(e: &DemoEvent) -> Option<Goal> {
    let goal = e.prop_str("goal")?.to_owned();
    let subjects = strings(e, "subjects");
    let text = match subjects.is_empty() {
        true => goal.clone(),
        false => format!("{goal}. Subjects: {}.", subjects.join(", ")),
    };
    Some(Goal {
        goal,
        text,
        subjects: subjects.iter().map(|s| s.to_lowercase()).collect(),
        level: e.prop_str("level").and_then(Level::parse),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_small_preset_has_courses_enrollments_and_goals() {
        let d = load(&DemoConfig::small());
        assert!(!d.items.is_empty() && !d.users.is_empty());
        let took = d
            .events
            .iter()
            .filter(|e| matches!(e, Event::Took { .. }))
            .count();
        let goals = d
            .events
            .iter()
            .filter(|e| matches!(e, Event::GoalSet { .. }))
            .count();
        assert!(took > 0 && goals > 0, "{took} enrollments, {goals} goals");
        // Every enrollment is of a course published before it.
        let mut published = vec![false; d.items.len()];
        for e in &d.events {
            match e {
                Event::Published { item } => published[*item] = true,
                Event::Took { item, .. } => assert!(published[*item]),
                _ => {}
            }
        }
    }
}
