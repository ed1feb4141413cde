//! The day-by-day simulation behind [`DemoEvents`].
//!
//! Each simulated day decides what everyone starts that day (sign-ups,
//! profile edits, publications, bookings, enrolments) and schedules the
//! consequences (payments, completions, lessons, reviews…) at their future
//! instants in a priority queue. After a day is simulated, every queued event
//! before the next midnight is final (later days only create later events),
//! so it is emitted in time order. Memory holds the cast plus pending events,
//! never the whole history.

#[cfg(test)]
mod causality_tests;
mod learning;
#[cfg(test)]
mod tests;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use chrono::DateTime;
use serde_json::{Map, Value, json};

use crate::calendar::{Clock, DAY, HOUR, MINUTE, day_activity, day_floor, time_in_day};
use crate::catalog::{GOALS, SUBJECTS};
use crate::config::DemoConfig;
use crate::event::{DemoEvent, EventType};
use crate::ids::{IdKind, Ids};
use crate::rng::Rng;
use crate::world::{Window, World, round_to};

/// An event waiting for its instant.
struct Pending {
    at: i64,
    seq: u64,
    user: String,
    kind: EventType,
    properties: Map<String, Value>,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Pending) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Pending) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    fn cmp(&self, other: &Pending) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// `json!({...})` as a property map.
fn props(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The simulation state.
struct Sim {
    world: World,
    rng: Rng,
    ids: Ids,
    window: Window,
    queue: BinaryHeap<Reverse<Pending>>,
    seq: u64,
    /// Midnight of the next day to simulate.
    day: i64,
    next_tutor: usize,
    next_student: usize,
    next_course: usize,
    /// Students signed up and not yet churned.
    active: Vec<usize>,
    done: bool,
}

impl Sim {
    fn schedule(&mut self, at: i64, user: &str, kind: EventType, properties: Value) {
        self.seq += 1;
        self.queue.push(Reverse(Pending {
            at,
            seq: self.seq,
            user: user.to_string(),
            kind,
            properties: props(properties),
        }));
    }

    /// Simulates the next day and moves every final event into `out`;
    /// `false` once the history is exhausted.
    fn step(&mut self, out: &mut VecDeque<DemoEvent>) -> bool {
        if self.done {
            return false;
        }
        let day = self.day;
        if day >= self.window.end {
            self.flush(self.window.end, out);
            self.queue.clear();
            self.done = true;
            return true;
        }
        self.simulate_day(day);
        self.day += DAY;
        self.flush((day + DAY).min(self.window.end), out);
        true
    }

    fn flush(&mut self, before: i64, out: &mut VecDeque<DemoEvent>) {
        while self.queue.peek().is_some_and(|p| p.0.at < before) {
            let Some(Reverse(p)) = self.queue.pop() else {
                break;
            };
            out.push_back(DemoEvent {
                event_id: self.ids.next(IdKind::Event),
                user_id: p.user,
                event_type: p.kind,
                timestamp: DateTime::from_timestamp(p.at, 0).unwrap_or_default(),
                properties: p.properties,
            });
        }
    }

    fn simulate_day(&mut self, day: i64) {
        let day_end = day + DAY;
        while let Some(&t) = self.world.tutor_order.get(self.next_tutor) {
            if self.world.tutors[t].registered_at >= day_end {
                break;
            }
            self.tutor_signs_up(t);
            self.next_tutor += 1;
        }
        while let Some(&c) = self.world.course_order.get(self.next_course) {
            if self.world.courses[c].published_at >= day_end {
                break;
            }
            self.publish_course(c);
            self.next_course += 1;
        }
        for i in 0..self.next_tutor {
            let t = self.world.tutor_order[i];
            let chance = day_activity(day) / 60.0;
            if self.world.tutors[t].profile_at < day && self.rng.chance(chance) {
                let at = time_in_day(&mut self.rng, day, Clock::Browse);
                self.tutor_edits_profile(t, at);
            }
        }
        while let Some(&s) = self.world.student_order.get(self.next_student) {
            if self.world.students[s].registered_at >= day_end {
                break;
            }
            self.student_signs_up(s, day_end);
            self.active.push(s);
            self.next_student += 1;
        }
        let students = &self.world.students;
        self.active.retain(|&s| students[s].churn_at > day);
        for i in 0..self.active.len() {
            let s = self.active[i];
            let student = &self.world.students[s];
            if student.registered_at >= day {
                continue;
            }
            let (churn_at, appetite) = (student.churn_at, student.course_appetite);
            let activity = day_activity(day);
            if self.rng.chance(student.sessions_per_week / 7.0 * activity) {
                let at = time_in_day(&mut self.rng, day, Clock::Browse);
                if at < churn_at {
                    self.book_session(s, at);
                }
            }
            if self.rng.chance(appetite * 0.12 * activity) {
                let at = time_in_day(&mut self.rng, day, Clock::Browse);
                if at < churn_at && at >= self.world.students[s].busy_until {
                    self.enroll(s, at);
                }
            }
        }
    }

    fn tutor_signs_up(&mut self, t: usize) {
        let tutor = &self.world.tutors[t];
        let (id, at, profile_at) = (tutor.id.clone(), tutor.registered_at, tutor.profile_at);
        let registration = json!({
            "role": "tutor",
            "country": tutor.country,
            "signupChannel": tutor.channel,
        });
        self.schedule(at, &id, EventType::UserRegistered, registration);
        self.schedule_profile(t, profile_at);
    }

    fn schedule_profile(&mut self, t: usize, at: i64) {
        let tutor = &self.world.tutors[t];
        let profile = json!({
            "name": tutor.name,
            "subjects": tutor.subject_names(),
            "bio": tutor.bio,
            "languages": tutor.languages,
            "hourlyRate": tutor.rate_at(at),
            "currency": tutor.currency,
        });
        let id = tutor.id.clone();
        self.schedule(at, &id, EventType::TutorProfileUpdated, profile);
    }

    /// A later profile edit: usually a rate change, sometimes a new bio.
    fn tutor_edits_profile(&mut self, t: usize, at: i64) {
        let rng = &mut self.rng;
        let tutor = &mut self.world.tutors[t];
        if rng.chance(0.5) {
            let factor = if rng.chance(0.85) {
                rng.uniform(1.03, 1.12)
            } else {
                rng.uniform(0.88, 0.97)
            };
            let rate = round_to(tutor.rate_at(at) as f64 * factor, 100);
            tutor.rates.push((at, rate));
        }
        if rng.chance(0.3) {
            let first = tutor.name.split(' ').next().unwrap_or_default().to_string();
            tutor.bio = crate::world::bio(rng, &first, &tutor.subjects);
        }
        self.schedule_profile(t, at);
    }

    fn publish_course(&mut self, c: usize) {
        let course = &self.world.courses[c];
        let prerequisites: Vec<&str> = course
            .prerequisites
            .iter()
            .map(|&p| self.world.courses[p].id.as_str())
            .collect();
        let event = json!({
            "courseId": course.id,
            "title": course.title,
            "description": course.description,
            "subject": SUBJECTS[course.subject].name,
            "level": course.level.as_str(),
            "prerequisites": prerequisites,
            "hours": course.hours,
            "price": course.price,
            "currency": course.currency,
        });
        let (at, by) = (
            course.published_at,
            self.world.tutors[course.publisher].id.clone(),
        );
        self.schedule(at, &by, EventType::CoursePublished, event);
    }

    /// Sign-up, goals, and (for the keen) a first booking the same day.
    fn student_signs_up(&mut self, s: usize, day_end: i64) {
        let student = &self.world.students[s];
        let id = student.id.clone();
        let registration = json!({
            "role": "student",
            "country": student.country,
            "signupChannel": student.channel,
        });
        let goals = student.goals.clone();
        let level = student.level.as_str();
        self.schedule(
            student.registered_at,
            &id,
            EventType::UserRegistered,
            registration,
        );
        for (at, g) in goals.iter().copied() {
            let goal = json!({
                "goal": GOALS[g].text,
                "subjects": GOALS[g].subjects,
                "level": level,
            });
            self.schedule(at, &id, EventType::StudentGoalSet, goal);
        }
        if let Some(&(goal_at, _)) = goals.first()
            && self.rng.chance(0.35)
        {
            let at = goal_at + self.rng.range(10 * MINUTE, 3 * HOUR);
            if at < day_end {
                self.book_session(s, at);
            }
        }
    }
}

/// The generated history as a time-ordered stream of events.
///
/// Created by [`generate`]; generation happens lazily, one simulated day at
/// a time, so arbitrarily large histories stream in bounded memory.
pub struct DemoEvents {
    sim: Sim,
    out: VecDeque<DemoEvent>,
}

impl Iterator for DemoEvents {
    type Item = DemoEvent;

    fn next(&mut self) -> Option<DemoEvent> {
        loop {
            if let Some(event) = self.out.pop_front() {
                return Some(event);
            }
            if !self.sim.step(&mut self.out) {
                return None;
            }
        }
    }
}

/// Generates the history described by `config` (deterministic: the same
/// config always yields the same events, in the same order, with the same ids).
pub fn generate(config: &DemoConfig) -> DemoEvents {
    let mut rng = Rng::new(config.seed);
    let mut ids = Ids::new(config.seed);
    let world = World::build(config, &mut rng, &mut ids);
    let window = Window::from_config(config);
    DemoEvents {
        sim: Sim {
            world,
            rng,
            ids,
            window,
            queue: BinaryHeap::new(),
            seq: 0,
            day: day_floor(window.start),
            next_tutor: 0,
            next_student: 0,
            next_course: 0,
            active: Vec::new(),
            done: false,
        },
        out: VecDeque::new(),
    }
}
