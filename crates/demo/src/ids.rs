//! Stable, seed-derived identifiers such as `usr_3f9a1c0e7b2d4a55`.
//!
//! The n-th id of a kind is `prefix_` + hex of `mix64(n + salt(seed, kind))`;
//! `mix64` is a bijection, so ids of one kind never collide within a history,
//! and different seeds give unrelated ids.

use crate::rng::{fnv1a, mix64};

/// The kinds of ids the generator hands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdKind {
    Event,
    Student,
    Tutor,
    Course,
    Session,
    Payment,
}

impl IdKind {
    const COUNT: usize = 6;

    fn prefix(self) -> &'static str {
        match self {
            IdKind::Event => "evt",
            IdKind::Student => "usr",
            IdKind::Tutor => "tut",
            IdKind::Course => "crs",
            IdKind::Session => "ses",
            IdKind::Payment => "pay",
        }
    }
}

/// Hands out ids in sequence for each kind.
#[derive(Debug, Clone)]
pub(crate) struct Ids {
    seed: u64,
    counters: [u64; IdKind::COUNT],
}

impl Ids {
    pub fn new(seed: u64) -> Ids {
        Ids {
            seed,
            counters: [0; IdKind::COUNT],
        }
    }

    /// The next id of `kind`.
    pub fn next(&mut self, kind: IdKind) -> String {
        let counter = &mut self.counters[kind as usize];
        let n = *counter;
        *counter += 1;
        let salt = mix64(self.seed ^ fnv1a(kind.prefix()));
        format!("{}_{:016x}", kind.prefix(), mix64(n.wrapping_add(salt)))
    }
}

/// The id of lesson `number` (1-based) of a course: `lsn_<course hex>_<nn>`.
pub(crate) fn lesson_id(course_id: &str, number: u32) -> String {
    let hex = course_id.strip_prefix("crs_").unwrap_or(course_id);
    format!("lsn_{hex}_{number:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_prefixed_unique_and_seeded() {
        let mut ids = Ids::new(1);
        let a: Vec<String> = (0..1000).map(|_| ids.next(IdKind::Session)).collect();
        let mut sorted = a.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 1000);
        assert!(a[0].starts_with("ses_") && a[0].len() == 20);
        assert!(ids.next(IdKind::Event).starts_with("evt_"));
        assert_eq!(
            Ids::new(1).next(IdKind::Student),
            Ids::new(1).next(IdKind::Student)
        );
        assert_ne!(
            Ids::new(1).next(IdKind::Student),
            Ids::new(2).next(IdKind::Student)
        );
        for kind in [IdKind::Tutor, IdKind::Course, IdKind::Payment] {
            assert_eq!(ids.next(kind).len(), 20);
        }
        assert_eq!(lesson_id("crs_00ff", 3), "lsn_00ff_03");
    }
}
