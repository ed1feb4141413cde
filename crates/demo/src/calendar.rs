//! Time helpers and the platform's rhythms: weekday seasonality and the
//! hour-of-day curves of browsing (bookings, sign-ups) and of lessons.
//!
//! Internally the generator keeps time as Unix seconds (`i64`).

use crate::rng::Rng;

/// Seconds per minute.
pub(crate) const MINUTE: i64 = 60;
/// Seconds per hour.
pub(crate) const HOUR: i64 = 3_600;
/// Seconds per day.
pub(crate) const DAY: i64 = 86_400;

/// Midnight (UTC) of the day containing `ts`.
pub(crate) fn day_floor(ts: i64) -> i64 {
    ts - ts.rem_euclid(DAY)
}

/// Day of week of `ts`, Monday = 0 … Sunday = 6 (1970-01-01 was a Thursday).
pub(crate) fn weekday(ts: i64) -> usize {
    (ts.div_euclid(DAY) + 3).rem_euclid(7) as usize
}

/// Relative activity per weekday (Mon..Sun): weekday peaks, a quiet
/// Saturday and a Sunday that is saved by its evening.
pub(crate) const WEEKDAY_ACTIVITY: [f64; 7] = [1.12, 1.15, 1.10, 1.02, 0.85, 0.60, 0.78];

/// Activity of the day containing `ts`, relative to an average day (mean 1).
pub(crate) fn day_activity(ts: i64) -> f64 {
    let mean = WEEKDAY_ACTIVITY.iter().sum::<f64>() / 7.0;
    WEEKDAY_ACTIVITY[weekday(ts)] / mean
}

/// Which hour-of-day curve an action follows.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Clock {
    /// Browsing the site: sign-ups, bookings, purchases, reviews.
    Browse,
    /// Taking lessons: session start times and course lessons.
    Lesson,
}

#[rustfmt::skip]
const BROWSE_WEEKDAY: [f64; 24] = [
    0.3, 0.15, 0.1, 0.1, 0.1, 0.2, 0.5, 0.9, 1.1, 1.2, 1.2, 1.3,
    1.6, 1.5, 1.2, 1.2, 1.3, 1.5, 1.9, 2.2, 2.3, 2.0, 1.4, 0.7,
];
#[rustfmt::skip]
const BROWSE_SATURDAY: [f64; 24] = [
    0.5, 0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.4, 0.7, 1.0, 1.3, 1.5,
    1.5, 1.4, 1.3, 1.3, 1.2, 1.2, 1.2, 1.1, 1.0, 0.9, 0.8, 0.6,
];
#[rustfmt::skip]
const BROWSE_SUNDAY: [f64; 24] = [
    0.4, 0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9,
    0.9, 0.9, 0.9, 1.0, 1.2, 1.7, 2.8, 3.4, 3.6, 3.0, 1.7, 0.8,
];
#[rustfmt::skip]
const LESSON_WEEKDAY: [f64; 24] = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 0.4, 0.6, 0.7, 0.8, 0.8,
    0.9, 0.8, 0.9, 1.3, 1.8, 2.2, 2.4, 2.3, 1.9, 1.2, 0.5, 0.1,
];
#[rustfmt::skip]
const LESSON_SATURDAY: [f64; 24] = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.2, 0.7, 1.3, 1.6, 1.6,
    1.3, 1.2, 1.3, 1.3, 1.2, 1.0, 0.9, 0.8, 0.6, 0.4, 0.2, 0.0,
];
#[rustfmt::skip]
const LESSON_SUNDAY: [f64; 24] = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 0.4, 0.8, 1.0, 1.0,
    0.9, 0.9, 1.0, 1.1, 1.4, 1.8, 2.4, 2.6, 2.2, 1.4, 0.5, 0.0,
];

fn hour_curve(clock: Clock, day: i64) -> &'static [f64; 24] {
    match (clock, weekday(day)) {
        (Clock::Browse, 5) => &BROWSE_SATURDAY,
        (Clock::Browse, 6) => &BROWSE_SUNDAY,
        (Clock::Browse, _) => &BROWSE_WEEKDAY,
        (Clock::Lesson, 5) => &LESSON_SATURDAY,
        (Clock::Lesson, 6) => &LESSON_SUNDAY,
        (Clock::Lesson, _) => &LESSON_WEEKDAY,
    }
}

/// A random instant (whole seconds) within the day starting at `day`,
/// following the hour-of-day curve of `clock`.
pub(crate) fn time_in_day(rng: &mut Rng, day: i64, clock: Clock) -> i64 {
    let hour = rng.weighted(hour_curve(clock, day)) as i64;
    day + hour * HOUR + rng.range(0, HOUR)
}

/// A bookable slot (on the hour or half hour) within the day starting at `day`.
pub(crate) fn slot_in_day(rng: &mut Rng, day: i64) -> i64 {
    let hour = rng.weighted(hour_curve(Clock::Lesson, day)) as i64;
    day + hour * HOUR + rng.range(0, 2) * 30 * MINUTE
}

/// Whether to keep a candidate day, thinning weekends relative to weekdays.
pub(crate) fn keep_day(rng: &mut Rng, day: i64) -> bool {
    let max = WEEKDAY_ACTIVITY.iter().copied().fold(0.0, f64::max);
    rng.chance(WEEKDAY_ACTIVITY[weekday(day)] / max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekdays_and_floors() {
        assert_eq!(weekday(0), 3); // Thursday
        assert_eq!(weekday(4 * DAY), 0); // Monday 1970-01-05
        assert_eq!(weekday(-DAY), 2);
        assert_eq!(day_floor(DAY + 5), DAY);
        assert_eq!(day_floor(-5), -DAY);
        let mean: f64 = (0..7).map(|d| day_activity(d * DAY)).sum::<f64>() / 7.0;
        assert!((mean - 1.0).abs() < 1e-9);
    }

    #[test]
    fn sampled_times_stay_in_their_day() {
        let mut rng = Rng::new(1);
        for d in 0..14 {
            let day = d * DAY;
            for _ in 0..50 {
                let t = time_in_day(&mut rng, day, Clock::Browse);
                assert!((day..day + DAY).contains(&t));
                let l = time_in_day(&mut rng, day, Clock::Lesson);
                assert!((day..day + DAY).contains(&l));
                let s = slot_in_day(&mut rng, day);
                assert!((day..day + DAY).contains(&s) && s % (30 * MINUTE) == 0);
            }
        }
        let kept = (0..1000).filter(|_| keep_day(&mut rng, 4 * DAY)).count();
        assert!(kept > 950, "Mondays are almost always kept: {kept}");
    }
}
