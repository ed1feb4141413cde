//! The cast of a generated history: tutors, courses and students, with the
//! times they join and the traits that drive their behaviour. Built once, up
//! front (memory is proportional to the number of people, not of events).

mod courses;
mod people;

#[cfg(test)]
pub(crate) use courses::lesson_count;
pub(crate) use people::bio;

use crate::calendar::{DAY, day_floor, keep_day};
use crate::catalog::{Level, SUBJECTS};
use crate::config::DemoConfig;
use crate::ids::Ids;
use crate::rng::Rng;

/// A tutor and their (mutable) profile.
pub(crate) struct Tutor {
    pub id: String,
    pub name: String,
    pub country: &'static str,
    pub channel: &'static str,
    /// Subject indices, primary first.
    pub subjects: Vec<usize>,
    pub languages: Vec<&'static str>,
    pub currency: &'static str,
    pub bio: String,
    /// 0..1: drives ratings and how often students pick them.
    pub quality: f64,
    pub registered_at: i64,
    /// First `tutor_profile_updated`; not bookable before it.
    pub profile_at: i64,
    /// Hourly rate history in minor units: `(effective from, rate)`, ascending.
    pub rates: Vec<(i64, i64)>,
}

impl Tutor {
    /// Hourly rate (minor units) in effect at `t`.
    pub fn rate_at(&self, t: i64) -> i64 {
        self.rates
            .iter()
            .take_while(|(from, _)| *from <= t)
            .last()
            .or(self.rates.first())
            .map_or(0, |(_, rate)| *rate)
    }

    /// Subject names, primary first.
    pub fn subject_names(&self) -> Vec<&'static str> {
        self.subjects.iter().map(|&s| SUBJECTS[s].name).collect()
    }
}

/// A course as its tutor will publish it.
pub(crate) struct Course {
    pub id: String,
    /// Index of the publishing tutor.
    pub publisher: usize,
    pub title: &'static str,
    pub description: &'static str,
    pub subject: usize,
    pub level: Level,
    pub hours: f64,
    pub lessons: u32,
    pub price: i64,
    pub currency: &'static str,
    /// Course indices that must be completed first.
    pub prerequisites: Vec<usize>,
    /// Course indices that list this one as a prerequisite.
    pub next: Vec<usize>,
    pub published_at: i64,
}

/// A student: fixed traits plus simulation state.
pub(crate) struct Student {
    pub id: String,
    pub country: &'static str,
    pub channel: &'static str,
    pub registered_at: i64,
    /// `(set at, goal index)`, ascending; the first is set right after sign-up.
    pub goals: Vec<(i64, usize)>,
    pub level: Level,
    /// After this instant the student starts nothing new.
    pub churn_at: i64,
    pub sessions_per_week: f64,
    /// Daily propensity to start a course when not busy with one.
    pub course_appetite: f64,
    /// `(subject, tutor)` the student likes to rebook.
    pub favorites: Vec<(usize, usize)>,
    pub next_booking_after: i64,
    /// Busy with a course until then.
    pub busy_until: i64,
    pub enrolled: Vec<usize>,
    /// `(course, completed at)`.
    pub completed: Vec<(usize, i64)>,
}

/// Everyone in the history, with lookup tables.
pub(crate) struct World {
    pub tutors: Vec<Tutor>,
    pub courses: Vec<Course>,
    pub students: Vec<Student>,
    pub tutors_by_subject: Vec<Vec<usize>>,
    /// Courses without prerequisites, by subject.
    pub entry_courses_by_subject: Vec<Vec<usize>>,
    /// Indices sorted by `registered_at` / `published_at`.
    pub tutor_order: Vec<usize>,
    pub student_order: Vec<usize>,
    pub course_order: Vec<usize>,
}

/// The time window being generated, in Unix seconds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub start: i64,
    pub end: i64,
}

impl Window {
    pub fn from_config(config: &DemoConfig) -> Window {
        Window {
            start: config.start().timestamp(),
            end: config.end.timestamp(),
        }
    }

    /// Length in seconds (at least 1, so fractions of it are well defined).
    pub fn span(&self) -> i64 {
        (self.end - self.start).max(1)
    }

    /// An instant `fraction` of the way through the window.
    pub fn at(&self, fraction: f64) -> i64 {
        self.start + (self.span() as f64 * fraction.clamp(0.0, 1.0)) as i64
    }

    /// A day (midnight) near `fraction` of the way through, thinned so
    /// weekdays are likelier than weekends.
    pub fn seasonal_day(&self, rng: &mut Rng, mut fraction: impl FnMut(&mut Rng) -> f64) -> i64 {
        let mut day = day_floor(self.at(fraction(rng)));
        for _ in 0..8 {
            if keep_day(rng, day) {
                break;
            }
            day = day_floor(self.at(fraction(rng)));
        }
        day
    }

    /// Clamps `t` into the window (to `start` if the window is empty).
    pub fn clamp(&self, t: i64) -> i64 {
        t.min(self.end - 1).max(self.start)
    }
}

impl World {
    /// Builds the whole cast for `config`.
    pub fn build(config: &DemoConfig, rng: &mut Rng, ids: &mut Ids) -> World {
        let window = Window::from_config(config);
        let tutors = people::tutors(config.tutors, window, rng, ids);
        let mut tutors_by_subject = vec![Vec::new(); SUBJECTS.len()];
        for (i, t) in tutors.iter().enumerate() {
            for &s in &t.subjects {
                tutors_by_subject[s].push(i);
            }
        }
        let courses = courses::courses(config.courses, &tutors, &tutors_by_subject, rng, ids);
        let mut entry_courses_by_subject = vec![Vec::new(); SUBJECTS.len()];
        for (i, c) in courses.iter().enumerate() {
            if c.prerequisites.is_empty() {
                entry_courses_by_subject[c.subject].push(i);
            }
        }
        let students = people::students(config.students, window, &tutors_by_subject, rng, ids);
        let order = |keys: Vec<i64>| {
            let mut idx: Vec<usize> = (0..keys.len()).collect();
            idx.sort_by_key(|&i| (keys[i], i));
            idx
        };
        World {
            tutor_order: order(tutors.iter().map(|t| t.registered_at).collect()),
            student_order: order(students.iter().map(|s| s.registered_at).collect()),
            course_order: order(courses.iter().map(|c| c.published_at).collect()),
            tutors,
            courses,
            students,
            tutors_by_subject,
            entry_courses_by_subject,
        }
    }
}

/// Rounds `value` to the nearest multiple of `step` (at least one step).
pub(crate) fn round_to(value: f64, step: i64) -> i64 {
    (((value / step as f64).round() as i64).max(1)) * step
}

/// A random fraction in `[0, 1)` whose density ramps up linearly, ending at
/// `1 + growth` times its initial value (platform growth for sign-ups).
pub(crate) fn ramp_fraction(rng: &mut Rng, growth: f64) -> f64 {
    let u = rng.f64();
    if growth <= 0.0 {
        return u;
    }
    // Inverse CDF of density (1 + growth * x) on [0, 1].
    let total = 1.0 + growth / 2.0;
    (-1.0 + (1.0 + 2.0 * growth * u * total).sqrt()) / growth
}

/// Whole days between two instants (for readability in generators).
pub(crate) fn days(n: f64) -> i64 {
    (n * DAY as f64) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(round_to(1234.0, 500), 1000);
        assert_eq!(round_to(10.0, 500), 500);
        let mut rng = Rng::new(3);
        let n = 20_000;
        let late = (0..n)
            .filter(|_| ramp_fraction(&mut rng, 2.0) > 0.5)
            .count();
        // Density 1 + 2x: P(x > 0.5) = (2 - 0.75) / 2 = 0.625.
        assert!((late as f64 / n as f64 - 0.625).abs() < 0.02, "{late}");
        assert!((0.0..1.0).contains(&ramp_fraction(&mut rng, 0.0)));
        assert_eq!(days(1.5), 129_600);
        let w = Window {
            start: 0,
            end: 10 * DAY,
        };
        assert_eq!(w.clamp(-5), 0);
        assert_eq!(w.clamp(20 * DAY), 10 * DAY - 1);
        assert_eq!(w.at(2.0), 10 * DAY);
    }

    #[test]
    fn rate_history_lookup() {
        let mut ids = Ids::new(1);
        let mut rng = Rng::new(1);
        let config = DemoConfig::small();
        let world = World::build(&config, &mut rng, &mut ids);
        let mut tutor =
            people::tutors(1, Window::from_config(&config), &mut rng, &mut ids).remove(0);
        tutor.rates = vec![(100, 5000), (200, 5500)];
        assert_eq!(tutor.rate_at(50), 5000);
        assert_eq!(tutor.rate_at(150), 5000);
        assert_eq!(tutor.rate_at(250), 5500);
        assert!(!tutor.subject_names().is_empty());
        assert_eq!(world.tutors.len(), 10);
        assert_eq!(world.students.len(), 50);
        assert_eq!(world.courses.len(), 15);
    }
}
