//! The business filters a request may set, and course levels.

use serde::{Deserialize, Serialize};

use crate::index::Kind;

/// A course (or goal) level, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// `beginner`
    Beginner,
    /// `intermediate`
    Intermediate,
    /// `advanced`
    Advanced,
}

impl Level {
    /// Parses `beginner`, `intermediate` or `advanced` (any case).
    pub fn parse(s: &str) -> Option<Level> {
        match s.trim().to_lowercase().as_str() {
            "beginner" => Some(Level::Beginner),
            "intermediate" => Some(Level::Intermediate),
            "advanced" => Some(Level::Advanced),
            _ => None,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Beginner => "beginner",
            Level::Intermediate => "intermediate",
            Level::Advanced => "advanced",
        }
    }

    /// 0, 1 or 2.
    pub fn rank(self) -> i32 {
        self as i32
    }
}

/// What a recommendation request restricts results to. Every field is optional; a result
/// never violates a set one. Filters that do not apply to a kind are ignored for it
/// (`language` for courses, `level` for tutors).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Filters {
    /// A subject the tutor teaches or the course is in (any case).
    pub subject: Option<String>,
    /// A language the tutor teaches in (any case).
    pub language: Option<String>,
    /// The lowest hourly rate or course price, in minor units, inclusive.
    pub min_price: Option<i64>,
    /// The highest hourly rate or course price, in minor units, inclusive.
    pub max_price: Option<i64>,
    /// The currency prices must be in (ISO 4217); set it with a price bound.
    pub currency: Option<String>,
    /// The course level.
    pub level: Option<Level>,
}

/// The attributes filters look at.
#[derive(Debug, Clone, PartialEq)]
pub struct Attributes {
    /// Tutor or course.
    pub kind: Kind,
    /// The tutor's subjects, or the course's one.
    pub subjects: Vec<String>,
    /// The tutor's languages (empty for courses).
    pub languages: Vec<String>,
    /// Hourly rate or price, minor units.
    pub price: i64,
    /// Its currency.
    pub currency: String,
    /// The course's level (`None` for tutors).
    pub level: Option<Level>,
}

impl Filters {
    /// Whether an item passes every filter that applies to its kind.
    pub fn admits(&self, a: &Attributes) -> bool {
        let same = |x: &str, y: &str| x.trim().eq_ignore_ascii_case(y.trim());
        if let Some(subject) = &self.subject
            && !a.subjects.iter().any(|s| same(s, subject))
        {
            return false;
        }
        if let Some(language) = &self.language
            && a.kind == Kind::Tutor
            && !a.languages.iter().any(|l| same(l, language))
        {
            return false;
        }
        if self.min_price.is_some_and(|min| a.price < min)
            || self.max_price.is_some_and(|max| a.price > max)
        {
            return false;
        }
        if let Some(currency) = &self.currency
            && !same(&a.currency, currency)
        {
            return false;
        }
        !(a.kind == Kind::Course && self.level.is_some() && a.level != self.level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tutor() -> Attributes {
        Attributes {
            kind: Kind::Tutor,
            subjects: vec!["Python".into(), "SQL".into()],
            languages: vec!["English".into(), "Spanish".into()],
            price: 4500,
            currency: "USD".into(),
            level: None,
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn filters_by_every_field() {
        let t = tutor();
        assert!(Filters::default().admits(&t));
        let f = |f: Filters| f.admits(&t);
        assert!(f(Filters {
            subject: Some("python ".into()),
            ..Filters::default()
        }));
        assert!(!f(Filters {
            subject: Some("Math".into()),
            ..Filters::default()
        }));
        assert!(f(Filters {
            language: Some("spanish".into()),
            ..Filters::default()
        }));
        assert!(!f(Filters {
            language: Some("French".into()),
            ..Filters::default()
        }));
        assert!(f(Filters {
            min_price: Some(4500),
            max_price: Some(4500),
            ..Filters::default()
        }));
        assert!(!f(Filters {
            max_price: Some(4499),
            ..Filters::default()
        }));
        assert!(!f(Filters {
            min_price: Some(4501),
            ..Filters::default()
        }));
        assert!(!f(Filters {
            currency: Some("EUR".into()),
            ..Filters::default()
        }));
        assert!(f(Filters {
            level: Some(Level::Advanced),
            ..Filters::default()
        }));
        let course = Attributes {
            kind: Kind::Course,
            languages: vec![],
            level: Some(Level::Beginner),
            ..tutor()
        };
        let lang = Filters {
            language: Some("French".into()),
            ..Filters::default()
        };
        assert!(lang.admits(&course));
        let level = |l| Filters {
            level: Some(l),
            ..Filters::default()
        };
        assert!(level(Level::Beginner).admits(&course));
        assert!(!level(Level::Advanced).admits(&course));
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn levels() {
        for l in [Level::Beginner, Level::Intermediate, Level::Advanced] {
            assert_eq!(Level::parse(l.as_str()), Some(l));
        }
        assert_eq!(Level::parse(" Advanced"), Some(Level::Advanced));
        assert_eq!(Level::parse("expert"), None);
        assert!(Level::Beginner < Level::Advanced);
        assert_eq!(Level::Intermediate.rank(), 1);
    }
}
