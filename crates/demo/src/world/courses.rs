//! Generating courses: whole prerequisite tracks, each published step by step
//! by one tutor.

use super::people::currency_factor;
use super::{Course, Tutor, days};
use crate::calendar::{Clock, HOUR, day_floor, time_in_day};
use crate::catalog::courses::{CourseSpec, TRACKS};
use crate::catalog::{Level, subject_index};
use crate::ids::{IdKind, Ids};
use crate::rng::Rng;

/// Lessons in a course of `hours` hours (about 90 minutes each, 4..=24).
pub(crate) fn lesson_count(hours: f64) -> u32 {
    ((hours / 1.5).round() as u32).clamp(4, 24)
}

/// List price in minor units: $5–9 an hour of content, more for advanced
/// courses, ending in 9 (e.g. 7900 = 79.00).
fn price(rng: &mut Rng, spec: &CourseSpec, currency: &str) -> i64 {
    let level = match spec.level {
        Level::Beginner => 1.0,
        Level::Intermediate => 1.2,
        Level::Advanced => 1.45,
    };
    let major = spec.hours * rng.uniform(5.0, 9.0) * level * currency_factor(currency);
    let tens = (major / 10.0).round() as i64;
    (tens * 10 - 1).max(19) * 100
}

/// A tutor for a track: one teaching its first subject if possible, then one
/// teaching any of its subjects, else anyone; better tutors publish more.
fn publisher(
    rng: &mut Rng,
    track: &[CourseSpec],
    tutors: &[Tutor],
    tutors_by_subject: &[Vec<usize>],
) -> usize {
    let candidates = track
        .iter()
        .filter_map(|c| subject_index(c.subject))
        .map(|s| &tutors_by_subject[s])
        .find(|list| !list.is_empty());
    match candidates {
        Some(list) => {
            let weights: Vec<f64> = list.iter().map(|&t| tutors[t].quality).collect();
            list[rng.weighted(&weights)]
        }
        None => rng.below(tutors.len() as u64) as usize,
    }
}

/// `n` courses (fewer only if there are no tutors). Tracks are used most
/// popular first, then drawn again at random (several tutors may offer a
/// course of the same name, as on real platforms).
pub(super) fn courses(
    n: u32,
    tutors: &[Tutor],
    tutors_by_subject: &[Vec<usize>],
    rng: &mut Rng,
    ids: &mut Ids,
) -> Vec<Course> {
    let mut courses: Vec<Course> = Vec::new();
    if tutors.is_empty() {
        return courses;
    }
    let track_weights: Vec<f64> = (0..TRACKS.len())
        .map(|i| 1.0 / (1.0 + 0.15 * i as f64))
        .collect();
    let mut round = 0;
    while courses.len() < n as usize {
        let track = match TRACKS.get(round) {
            Some(track) => *track,
            None => TRACKS[rng.weighted(&track_weights)],
        };
        round += 1;
        let by = publisher(rng, track, tutors, tutors_by_subject);
        let tutor = &tutors[by];
        let mut prev: Option<usize> = None;
        for spec in track.iter().take(n as usize - courses.len()) {
            let (lower, earliest) = match prev {
                None => (
                    tutor.profile_at,
                    tutor.profile_at + HOUR + days(rng.exp(10.0)),
                ),
                Some(p) => {
                    let after = courses[p].published_at;
                    (after, after + days(2.0 + rng.exp(12.0)))
                }
            };
            let published_at = time_in_day(rng, day_floor(earliest), Clock::Browse).max(lower + 60);
            let index = courses.len();
            courses.push(Course {
                id: ids.next(IdKind::Course),
                publisher: by,
                title: spec.title,
                description: spec.description,
                subject: subject_index(spec.subject).unwrap_or(0),
                level: spec.level,
                hours: spec.hours,
                lessons: lesson_count(spec.hours),
                price: price(rng, spec, tutor.currency),
                currency: tutor.currency,
                prerequisites: prev.into_iter().collect(),
                next: Vec::new(),
                published_at,
            });
            if let Some(p) = prev {
                courses[p].next.push(index);
            }
            prev = Some(index);
        }
    }
    courses
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lesson_counts_and_prices() {
        assert_eq!(lesson_count(1.0), 4);
        assert_eq!(lesson_count(12.0), 8);
        assert_eq!(lesson_count(100.0), 24);
        let mut rng = Rng::new(2);
        let spec = &TRACKS[0][0];
        for _ in 0..100 {
            let p = price(&mut rng, spec, "USD");
            assert!(p >= 1900 && p % 1000 == 900, "{p}");
        }
    }

    #[test]
    fn no_tutors_means_no_courses_and_missing_subjects_fall_back() {
        let mut rng = Rng::new(2);
        let mut ids = Ids::new(2);
        assert!(courses(5, &[], &[], &mut rng, &mut ids).is_empty());
        let empty = vec![Vec::new(); crate::catalog::SUBJECTS.len()];
        let tutor = Tutor {
            id: "tut_x".into(),
            name: "A B".into(),
            country: "US",
            channel: "email",
            subjects: vec![0],
            languages: vec!["English"],
            currency: "USD",
            bio: String::new(),
            quality: 0.5,
            registered_at: 0,
            profile_at: 10,
            rates: vec![(10, 5000)],
        };
        let made = courses(40, &[tutor], &empty, &mut rng, &mut ids);
        assert_eq!(made.len(), 40);
        assert!(made.iter().all(|c| c.publisher == 0 && c.published_at > 10));
    }
}
