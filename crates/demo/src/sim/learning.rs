//! What students do: book sessions with tutors in their goal subjects, buy
//! and work through courses in prerequisite order, pay, cancel, get refunds
//! and leave reviews.

use serde_json::json;

use super::Sim;
use crate::calendar::{Clock, DAY, HOUR, MINUTE, day_floor, keep_day, slot_in_day, time_in_day};
use crate::catalog::{GOALS, SUBJECTS, subject_index};
use crate::encode::envelope_time;
use crate::event::EventType;
use crate::ids::{IdKind, lesson_id};
use crate::rng::Rng;
use crate::world::{days, round_to};

/// Share of sessions that get cancelled.
pub(crate) const CANCEL_RATE: f64 = 0.12;
/// Share of cancellations that are refunded (the rest become credit).
const CANCEL_REFUND_RATE: f64 = 0.25;
/// Share of course purchases refunded within a few days.
const COURSE_REFUND_RATE: f64 = 0.04;
/// Share of bookings outside the student's goal subjects.
const EXPLORE_RATE: f64 = 0.08;
/// How many tutors a student compares before booking.
const SHORTLIST: usize = 12;

/// A 1–5 rating from someone whose quality is `quality` (0..1): mostly 4s
/// and 5s, worse for weaker tutors.
pub(crate) fn rating(rng: &mut Rng, quality: f64) -> i64 {
    (rng.normal(3.3 + 1.7 * quality, 0.75).round() as i64).clamp(1, 5)
}

impl Sim {
    /// Subjects of the goals `s` had set by `at`, primary ones weighted up.
    fn goal_subjects(&self, s: usize, at: i64) -> Vec<(usize, f64)> {
        let mut subjects: Vec<(usize, f64)> = Vec::new();
        for &(_, g) in self.world.students[s]
            .goals
            .iter()
            .filter(|(set, _)| *set < at)
        {
            let indices = GOALS[g]
                .subjects
                .iter()
                .filter_map(|name| subject_index(name));
            for (i, index) in indices.enumerate() {
                let weight = if i == 0 { 3.0 } else { 1.0 };
                match subjects.iter_mut().find(|(x, _)| *x == index) {
                    Some(entry) => entry.1 += weight,
                    None => subjects.push((index, weight)),
                }
            }
        }
        subjects
    }

    fn pick_subject(&mut self, s: usize, at: i64) -> Option<usize> {
        let subjects = self.goal_subjects(s, at);
        if subjects.is_empty() {
            return None;
        }
        if self.rng.chance(EXPLORE_RATE) {
            let weights: Vec<f64> = SUBJECTS.iter().map(|x| x.weight).collect();
            return Some(self.rng.weighted(&weights));
        }
        let weights: Vec<f64> = subjects.iter().map(|(_, w)| *w).collect();
        Some(subjects[self.rng.weighted(&weights)].0)
    }

    /// The student's favourite for `subject` most of the time, otherwise the
    /// best-looking of a shortlist of bookable tutors.
    fn pick_tutor(&mut self, s: usize, subject: usize, at: i64) -> Option<usize> {
        let tutors = &self.world.tutors;
        let favorite = self.world.students[s]
            .favorites
            .iter()
            .find(|(x, _)| *x == subject)
            .map(|(_, t)| *t);
        if let Some(t) = favorite.filter(|_| self.rng.chance(0.8)) {
            return Some(t);
        }
        let all = &self.world.tutors_by_subject[subject];
        let shortlist: Vec<usize> = (0..SHORTLIST.min(all.len()))
            .filter_map(|_| self.rng.pick(all).copied())
            .filter(|&t| tutors[t].profile_at < at)
            .collect();
        let weights: Vec<f64> = shortlist
            .iter()
            .map(|&t| 0.1 + tutors[t].quality * tutors[t].quality)
            .collect();
        if shortlist.is_empty() {
            return None;
        }
        Some(shortlist[self.rng.weighted(&weights)])
    }

    /// A session start at least two hours after `at`, usually a few days
    /// out, more often on weekdays, on a lesson-hours slot.
    fn session_start(&mut self, at: i64) -> i64 {
        let lead = [0, 1, 2, 3, 4, 5, 6, 7, 10, 14];
        let weights = [0.05, 0.2, 0.2, 0.15, 0.1, 0.08, 0.07, 0.1, 0.03, 0.02];
        let mut day = day_floor(at) + lead[self.rng.weighted(&weights)] * DAY;
        if !keep_day(&mut self.rng, day) {
            day += DAY;
        }
        loop {
            let start = slot_in_day(&mut self.rng, day);
            if start >= at + 2 * HOUR {
                return start;
            }
            day += DAY;
        }
    }

    pub(super) fn book_session(&mut self, s: usize, at: i64) {
        if at < self.world.students[s].next_booking_after {
            return;
        }
        let Some(subject) = self.pick_subject(s, at) else {
            return;
        };
        let Some(t) = self.pick_tutor(s, subject, at) else {
            return;
        };
        let minutes = [60, 30, 45, 90][self.rng.weighted(&[0.7, 0.08, 0.1, 0.12])];
        let tutor = &self.world.tutors[t];
        let amount = round_to(tutor.rate_at(at) as f64 * minutes as f64 / 60.0, 50);
        let (tutor_id, currency, quality) = (tutor.id.clone(), tutor.currency, tutor.quality);
        let student_id = self.world.students[s].id.clone();
        let starts = self.session_start(at);
        let session_id = self.ids.next(IdKind::Session);
        let payment_id = self.ids.next(IdKind::Payment);
        let subject_name = SUBJECTS[subject].name;
        let session =
            json!({ "sessionId": session_id, "tutorId": tutor_id, "subject": subject_name });
        let mut booking = session.clone();
        booking["startsAt"] = json!(envelope_time(
            &chrono::DateTime::from_timestamp(starts, 0).unwrap_or_default()
        ));
        booking["amount"] = json!(amount);
        booking["currency"] = json!(currency);
        self.schedule(at, &student_id, EventType::SessionBooked, booking);
        let paid_at = at + self.rng.range(5, 60);
        let payment = json!({
            "paymentId": payment_id, "amount": amount, "currency": currency,
            "product": "session", "sessionId": session_id,
        });
        self.schedule(paid_at, &student_id, EventType::PaymentSucceeded, payment);

        if self.rng.chance(CANCEL_RATE) {
            let cancelled_at = self.rng.range(at + 10 * MINUTE, starts - HOUR);
            let by = if self.rng.chance(0.82) {
                &student_id
            } else {
                &tutor_id
            };
            self.schedule(cancelled_at, by, EventType::SessionCancelled, session);
            if self.rng.chance(CANCEL_REFUND_RATE) {
                let refund_at = cancelled_at + self.rng.range(10 * MINUTE, 36 * HOUR);
                let refund =
                    json!({ "paymentId": payment_id, "amount": amount, "currency": currency });
                self.schedule(refund_at, &student_id, EventType::PaymentRefunded, refund);
            }
        } else {
            let completed_at = starts + minutes * MINUTE;
            self.schedule(
                completed_at,
                &student_id,
                EventType::SessionCompleted,
                session,
            );
            let mut liked = true;
            if self.rng.chance(0.42) {
                let stars = rating(&mut self.rng, quality);
                liked = stars >= 4;
                let review_at = completed_at + self.rng.range(10 * MINUTE, 2 * DAY);
                let review = json!({ "rating": stars, "tutorId": tutor_id });
                self.schedule(review_at, &student_id, EventType::ReviewSubmitted, review);
            }
            let favorites = &mut self.world.students[s].favorites;
            favorites.retain(|(x, _)| *x != subject);
            if liked {
                favorites.push((subject, t));
            }
        }
        let gap = 6 * HOUR + days(self.rng.exp(1.5));
        self.world.students[s].next_booking_after = at + gap;
    }

    /// Courses `s` may start at `at`: follow-ups of completed courses, and
    /// entry courses in their goal subjects (sometimes any subject).
    fn course_candidates(&mut self, s: usize, at: i64) -> Vec<(usize, f64)> {
        let student = &self.world.students[s];
        let courses = &self.world.courses;
        let ready = |c: usize| {
            courses[c].published_at < at
                && !student.enrolled.contains(&c)
                && courses[c].prerequisites.iter().all(|p| {
                    student
                        .completed
                        .iter()
                        .any(|(done, when)| done == p && *when < at)
                })
        };
        let mut candidates: Vec<(usize, f64)> = Vec::new();
        for &(done, _) in &student.completed {
            for &next in &courses[done].next {
                if ready(next) {
                    candidates.push((next, 3.0));
                }
            }
        }
        let mut subjects: Vec<usize> = self
            .goal_subjects(s, at)
            .into_iter()
            .map(|(x, _)| x)
            .collect();
        if self.rng.chance(EXPLORE_RATE) {
            subjects = vec![self.rng.below(SUBJECTS.len() as u64) as usize];
        }
        for subject in subjects {
            let entries = &self.world.entry_courses_by_subject[subject];
            for _ in 0..SHORTLIST.min(entries.len()) {
                if let Some(&c) = self.rng.pick(entries)
                    && ready(c)
                    && !candidates.iter().any(|(x, _)| *x == c)
                {
                    let quality = self.world.tutors[courses[c].publisher].quality;
                    candidates.push((c, 0.2 + quality));
                }
            }
        }
        candidates
    }

    /// Buys course and works through its lessons, possibly dropping out,
    /// getting a refund, completing it and reviewing it.
    pub(super) fn enroll(&mut self, s: usize, at: i64) {
        let candidates = self.course_candidates(s, at);
        let weights: Vec<f64> = candidates.iter().map(|(_, w)| *w).collect();
        let Some(&(c, _)) = candidates.get(self.rng.weighted(&weights)) else {
            return;
        };
        let course = &self.world.courses[c];
        let (course_id, price, currency, lessons) = (
            course.id.clone(),
            course.price,
            course.currency,
            course.lessons,
        );
        let quality = self.world.tutors[course.publisher].quality;
        let student_id = self.world.students[s].id.clone();
        let churn_at = self.world.students[s].churn_at;
        let payment_id = self.ids.next(IdKind::Payment);
        let payment = json!({
            "paymentId": payment_id, "amount": price, "currency": currency,
            "product": "course", "courseId": course_id,
        });
        self.schedule(at, &student_id, EventType::PaymentSucceeded, payment);
        let enrolled_at = at + self.rng.range(3, 30);
        self.schedule(
            enrolled_at,
            &student_id,
            EventType::CourseEnrolled,
            json!({ "courseId": course_id }),
        );
        self.world.students[s].enrolled.push(c);

        let refunded = self.rng.chance(COURSE_REFUND_RATE);
        let planned = if refunded {
            self.rng.range(0, 3) as u32
        } else {
            lessons
        };
        let per_week = self.rng.uniform(1.5, 4.0);
        let mut last = enrolled_at;
        let mut done = 0;
        let mut horizon = false;
        for number in 1..=planned.min(lessons) {
            let drop = match number {
                1 => 0.08,
                2 | 3 => 0.06,
                _ => 0.035,
            };
            if !refunded && self.rng.chance(drop) {
                break;
            }
            let gap = if number == 1 {
                self.rng.range(10 * MINUTE, 2 * DAY)
            } else {
                days(self.rng.exp(7.0 / per_week)).clamp(2 * HOUR, 21 * DAY)
            };
            let mut day = day_floor(last + gap);
            if !keep_day(&mut self.rng, day) {
                day += DAY;
            }
            let mut lesson_at = time_in_day(&mut self.rng, day, Clock::Lesson);
            if lesson_at <= last + 10 * MINUTE {
                lesson_at = last + 10 * MINUTE + self.rng.range(0, 2 * HOUR);
            }
            horizon = lesson_at >= self.window.end;
            if horizon || lesson_at > churn_at + 7 * DAY {
                break;
            }
            let lesson =
                json!({ "courseId": course_id, "lessonId": lesson_id(&course_id, number) });
            self.schedule(lesson_at, &student_id, EventType::LessonCompleted, lesson);
            last = lesson_at;
            done = number;
        }

        let student = &mut self.world.students[s];
        student.busy_until = if horizon { self.window.end } else { last + DAY };
        if refunded {
            let refund_at = last + self.rng.range(HOUR, 3 * DAY);
            let refund = json!({ "paymentId": payment_id, "amount": price, "currency": currency });
            self.schedule(refund_at, &student_id, EventType::PaymentRefunded, refund);
        } else if done == lessons {
            let completed_at = last + self.rng.range(20, 300);
            student.completed.push((c, completed_at));
            student.busy_until = completed_at;
            self.schedule(
                completed_at,
                &student_id,
                EventType::CourseCompleted,
                json!({ "courseId": course_id }),
            );
            if self.rng.chance(0.5) {
                let stars = rating(&mut self.rng, quality);
                let review_at = completed_at + self.rng.range(10 * MINUTE, 4 * DAY);
                let review = json!({ "rating": stars, "courseId": course_id });
                self.schedule(review_at, &student_id, EventType::ReviewSubmitted, review);
            }
        }
    }
}
