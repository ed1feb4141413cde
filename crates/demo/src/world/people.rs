//! Generating tutors and students.

use super::{Student, Tutor, Window, days, ramp_fraction, round_to};
use crate::calendar::{Clock, MINUTE, time_in_day};
use crate::catalog::{
    BIO_CLOSINGS, BIO_STYLES, COUNTRIES, Country, FIRST_NAMES, GOALS, LAST_NAMES, Level,
    SIGNUP_CHANNELS, SUBJECTS, subject_index,
};
use crate::ids::{IdKind, Ids};
use crate::rng::Rng;

/// Extra languages tutors sometimes list.
const EXTRA_LANGUAGES: &[&str] = &[
    "Spanish",
    "French",
    "German",
    "Mandarin",
    "Portuguese",
    "Arabic",
];

/// How prices in `currency` compare with USD list prices (a tutor charging
/// $60 typically charges about £48 or €55).
pub(super) fn currency_factor(currency: &str) -> f64 {
    match currency {
        "GBP" => 0.8,
        "EUR" => 0.92,
        _ => 1.0,
    }
}

fn country_by_code(code: &str) -> Option<&'static Country> {
    COUNTRIES.iter().find(|c| c.code == code)
}

fn pick_country(rng: &mut Rng, tutor: bool) -> &'static Country {
    let weights: Vec<f64> = COUNTRIES
        .iter()
        .map(|c| {
            if tutor {
                c.tutor_weight
            } else {
                c.student_weight
            }
        })
        .collect();
    &COUNTRIES[rng.weighted(&weights)]
}

fn pick_channel(rng: &mut Rng) -> &'static str {
    let weights: Vec<f64> = SIGNUP_CHANNELS.iter().map(|(_, w)| *w).collect();
    SIGNUP_CHANNELS[rng.weighted(&weights)].0
}

/// The language a language subject teaches, if it is one.
fn taught_language(subject: usize) -> Option<&'static str> {
    match SUBJECTS[subject].name {
        name @ ("Spanish" | "French" | "English") => Some(name),
        _ => None,
    }
}

/// A first-person tutor bio built from the subject's hooks and style lines.
pub(crate) fn bio(rng: &mut Rng, first_name: &str, subjects: &[usize]) -> String {
    let Some(primary) = subjects.first().map(|&s| &SUBJECTS[s]) else {
        return format!("Hi, I'm {first_name}.");
    };
    let years = rng.range(2, 16);
    let hook = rng.pick(primary.hooks).copied().unwrap_or("teaching");
    let style = rng.pick(BIO_STYLES).copied().unwrap_or_default();
    let closing = rng.pick(BIO_CLOSINGS).copied().unwrap_or_default();
    let opener = match rng.below(3) {
        0 => format!("Hi, I'm {first_name}! I have {years} years of experience {hook}."),
        1 => format!(
            "{} tutor with {years} years of experience {hook}.",
            primary.name
        ),
        _ => format!("I'm {first_name}, and I've spent {years} years {hook}."),
    };
    let others: Vec<&str> = subjects[1..].iter().map(|&s| SUBJECTS[s].name).collect();
    let also = if others.is_empty() {
        String::new()
    } else {
        format!(" I also teach {}.", others.join(" and "))
    };
    format!("{opener} {style}{also} {closing}")
}

fn tutor_country(rng: &mut Rng, primary: usize) -> &'static Country {
    let native = match SUBJECTS[primary].name {
        "Spanish" => Some(if rng.chance(0.5) { "ES" } else { "MX" }),
        "French" => Some("FR"),
        _ => None,
    };
    match native.filter(|_| rng.chance(0.6)).and_then(country_by_code) {
        Some(country) => country,
        None => pick_country(rng, true),
    }
}

fn tutor_subjects(rng: &mut Rng, primary: usize) -> Vec<usize> {
    let mut subjects = vec![primary];
    for _ in 0..rng.weighted(&[0.45, 0.4, 0.15]) {
        let related = rng
            .pick(SUBJECTS[primary].related)
            .and_then(|r| subject_index(r));
        if let Some(s) = related.filter(|s| !subjects.contains(s)) {
            subjects.push(s);
        }
    }
    subjects
}

fn tutor_languages(rng: &mut Rng, country: &Country, subjects: &[usize]) -> Vec<&'static str> {
    let mut languages = vec!["English"];
    let mut add = |l: &'static str| {
        if !languages.contains(&l) {
            languages.push(l);
        }
    };
    subjects
        .iter()
        .filter_map(|&s| taught_language(s))
        .for_each(&mut add);
    country.language.into_iter().for_each(&mut add);
    if rng.chance(0.15)
        && let Some(&extra) = rng.pick(EXTRA_LANGUAGES)
    {
        add(extra);
    }
    languages
}

/// `n` tutors: half join in the launch fortnight, the rest over the period.
/// The first ones cover the subjects in order of popularity.
pub(super) fn tutors(n: u32, window: Window, rng: &mut Rng, ids: &mut Ids) -> Vec<Tutor> {
    let mut by_weight: Vec<usize> = (0..SUBJECTS.len()).collect();
    by_weight.sort_by(|a, b| SUBJECTS[*b].weight.total_cmp(&SUBJECTS[*a].weight));
    let weights: Vec<f64> = SUBJECTS.iter().map(|s| s.weight).collect();
    let launch = (days(10.0) as f64 / window.span() as f64).min(0.12);
    (0..n as usize)
        .map(|i| {
            let primary = by_weight
                .get(i)
                .copied()
                .unwrap_or_else(|| rng.weighted(&weights));
            let subjects = tutor_subjects(rng, primary);
            let country = tutor_country(rng, primary);
            let languages = tutor_languages(rng, country, &subjects);
            let first = rng.pick(FIRST_NAMES).copied().unwrap_or("Alex");
            let last = rng.pick(LAST_NAMES).copied().unwrap_or("Smith");
            let quality = rng.normal(0.72, 0.17).clamp(0.05, 1.0);
            let (lo, hi) = SUBJECTS[primary].rate;
            let major = rng.uniform(f64::from(lo), f64::from(hi))
                * (0.85 + 0.3 * quality)
                * currency_factor(country.currency);
            let rate = round_to(major * 100.0, 500);
            let day = if rng.chance(0.5) {
                window.seasonal_day(rng, |r| r.uniform(0.0, launch))
            } else {
                window.seasonal_day(rng, |r| ramp_fraction(r, 1.0) * 0.85)
            };
            let registered_at = window.clamp(time_in_day(rng, day, Clock::Browse));
            let profile_at = registered_at + rng.range(5 * MINUTE, 90 * MINUTE);
            Tutor {
                id: ids.next(IdKind::Tutor),
                bio: bio(rng, first, &subjects),
                name: format!("{first} {last}"),
                country: country.code,
                channel: pick_channel(rng),
                subjects,
                languages,
                currency: country.currency,
                quality,
                registered_at,
                profile_at,
                rates: vec![(profile_at, rate)],
            }
        })
        .collect()
}

fn pick_goal(rng: &mut Rng, weights: &[f64], not: Option<usize>) -> usize {
    let mut goal = rng.weighted(weights);
    for _ in 0..4 {
        if Some(goal) != not {
            break;
        }
        goal = rng.weighted(weights);
    }
    goal
}

fn pick_level(rng: &mut Rng, usual: Level) -> Level {
    if rng.chance(0.75) {
        return usual;
    }
    [Level::Beginner, Level::Intermediate, Level::Advanced][rng.below(3) as usize]
}

/// `n` students signing up at a growing pace, each with a goal (whose
/// subjects have tutors, when possible), a study habit and a lifetime.
pub(super) fn students(
    n: u32,
    window: Window,
    tutors_by_subject: &[Vec<usize>],
    rng: &mut Rng,
    ids: &mut Ids,
) -> Vec<Student> {
    let taught = |name: &str| subject_index(name).is_some_and(|s| !tutors_by_subject[s].is_empty());
    let weights: Vec<f64> = GOALS
        .iter()
        .map(|g| {
            if g.subjects.first().is_some_and(|s| taught(s)) {
                g.weight
            } else {
                0.0
            }
        })
        .collect();
    (0..n)
        .map(|_| {
            let day = window.seasonal_day(rng, |r| ramp_fraction(r, 2.0));
            let registered_at = window.clamp(time_in_day(rng, day, Clock::Browse));
            let goal = pick_goal(rng, &weights, None);
            let mut goals = vec![(registered_at + rng.range(MINUTE, 30 * MINUTE), goal)];
            let lifetime = if rng.chance(0.15) {
                days(rng.uniform(3.0, 21.0))
            } else {
                days(14.0 + rng.exp(100.0))
            };
            let churn_at = registered_at + lifetime;
            if rng.chance(0.12) {
                let at = registered_at + days(rng.uniform(10.0, 60.0));
                let second = pick_goal(rng, &weights, Some(goal));
                if at < churn_at && second != goal {
                    goals.push((at, second));
                }
            }
            let course_first = rng.chance(0.25);
            let habit = rng.normal(0.45, 0.6).exp().clamp(0.1, 6.0);
            let country = pick_country(rng, false);
            Student {
                id: ids.next(IdKind::Student),
                country: country.code,
                channel: pick_channel(rng),
                registered_at,
                level: pick_level(rng, GOALS[goal].level),
                goals,
                churn_at,
                sessions_per_week: if course_first { habit * 0.25 } else { habit },
                course_appetite: if course_first {
                    rng.uniform(0.5, 1.0)
                } else {
                    rng.uniform(0.05, 0.45)
                },
                favorites: Vec::new(),
                next_booking_after: registered_at,
                busy_until: registered_at,
                enrolled: Vec::new(),
                completed: Vec::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bios_read_like_bios() {
        let mut rng = Rng::new(5);
        let python = subject_index("Python").expect("python");
        let sql = subject_index("SQL").expect("sql");
        for _ in 0..20 {
            let text = bio(&mut rng, "Maria", &[python, sql]);
            assert!(text.contains("I also teach SQL."), "{text}");
            assert!(text.len() > 80);
        }
        assert_eq!(bio(&mut rng, "Maria", &[]), "Hi, I'm Maria.");
        assert_eq!(currency_factor("GBP"), 0.8);
    }

    #[test]
    fn language_tutors_speak_their_language() {
        let mut rng = Rng::new(8);
        let spanish = subject_index("Spanish").expect("spanish");
        for _ in 0..50 {
            let country = tutor_country(&mut rng, spanish);
            let langs = tutor_languages(&mut rng, country, &[spanish]);
            assert!(langs.contains(&"Spanish") && langs.contains(&"English"));
            let mut dedup = langs.clone();
            dedup.dedup();
            assert_eq!(dedup.len(), langs.len());
        }
    }
}
