//! How big a history to generate, over which period, from which seed.

use chrono::{DateTime, Months, NaiveDate, Utc};

/// Parameters of one generated history. Everything the generator produces is
/// a pure function of this value.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoConfig {
    /// Seed of every random choice; equal configs give equal histories.
    pub seed: u64,
    /// How many students sign up over the period.
    pub students: u32,
    /// How many tutors sign up over the period.
    pub tutors: u32,
    /// How many courses tutors plan to publish (some may fall after `end`).
    pub courses: u32,
    /// Length of the period in calendar months.
    pub months: u32,
    /// End of the period (exclusive); no event is at or after it.
    pub end: DateTime<Utc>,
}

/// The default `end` of the presets: 2026-05-01T00:00:00Z (fixed, so tests
/// and re-runs are reproducible; the CLI passes today instead).
pub fn default_end() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(2026, 5, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .unwrap_or(DateTime::UNIX_EPOCH)
}

impl DemoConfig {
    /// A fast history for tests: 50 students, 10 tutors, 15 courses, 2 months
    /// (about 800 events, every event type present).
    pub fn small() -> DemoConfig {
        DemoConfig {
            seed: 42,
            students: 50,
            tutors: 10,
            courses: 15,
            months: 2,
            end: default_end(),
        }
    }

    /// The README's starting point: 2,000 students, 150 tutors, 80 courses
    /// over 6 months (about 72,000 events; generated in well under a second
    /// in release builds).
    pub fn standard() -> DemoConfig {
        DemoConfig {
            seed: 42,
            students: 2_000,
            tutors: 150,
            courses: 80,
            months: 6,
            end: default_end(),
        }
    }

    /// Multiplies the number of students, tutors and courses by `factor`;
    /// each count stays >= 1. Event volume grows linearly with it (standard
    /// scaled by 30 is about 2.2 million events).
    pub fn scaled(mut self, factor: f64) -> DemoConfig {
        let scale = |n: u32| ((f64::from(n) * factor).round() as u32).max(1);
        self.students = scale(self.students);
        self.tutors = scale(self.tutors);
        self.courses = scale(self.courses);
        self
    }

    /// The same config with another seed.
    pub fn with_seed(mut self, seed: u64) -> DemoConfig {
        self.seed = seed;
        self
    }

    /// The same config with another end instant.
    pub fn with_end(mut self, end: DateTime<Utc>) -> DemoConfig {
        self.end = end;
        self
    }

    /// Start of the period: `months` calendar months before `end`.
    pub fn start(&self) -> DateTime<Utc> {
        self.end
            .checked_sub_months(Months::new(self.months))
            .unwrap_or(self.end)
    }
}

impl Default for DemoConfig {
    fn default() -> DemoConfig {
        DemoConfig::standard()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_builders() {
        let small = DemoConfig::small();
        assert_eq!(
            (small.students, small.tutors, small.courses, small.months),
            (50, 10, 15, 2)
        );
        assert_eq!(DemoConfig::default(), DemoConfig::standard());
        let big = DemoConfig::standard().scaled(2.5);
        assert_eq!((big.students, big.tutors, big.courses), (5_000, 375, 200));
        assert_eq!(DemoConfig::small().scaled(0.0001).tutors, 1);
        assert_eq!(small.clone().with_seed(7).seed, 7);
        assert_eq!(small.start().to_rfc3339(), "2026-03-01T00:00:00+00:00");
        let end = DateTime::UNIX_EPOCH;
        assert_eq!(small.with_end(end).end, end);
    }
}
