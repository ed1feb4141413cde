//! Static, hand-written content the generator draws from: subjects, names,
//! countries, bio fragments and student goals. Course tracks live in
//! [`courses`].

pub(crate) mod courses;
mod subjects;

pub(crate) use subjects::{SUBJECTS, subject_index};

/// Course and goal levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    Beginner,
    Intermediate,
    Advanced,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Beginner => "beginner",
            Level::Intermediate => "intermediate",
            Level::Advanced => "advanced",
        }
    }
}

pub(crate) const FIRST_NAMES: &[&str] = &[
    "Maria", "James", "Aisha", "Daniel", "Sofia", "Liam", "Priya", "Noah", "Elena", "Mateo",
    "Chloe", "Arjun", "Fatima", "Lucas", "Hannah", "Kenji", "Amara", "Oliver", "Isabel", "Wei",
    "Grace", "Tomás", "Leila", "Ethan", "Nadia", "Samuel", "Camille", "Ravi", "Zoe", "Diego",
    "Ingrid", "Kwame", "Julia", "Marco", "Yuki", "Emma", "Omar", "Clara", "Ben", "Ana", "Lucía",
    "David", "Mei", "Patrick", "Sara", "Jonas", "Adaeze", "Thomas", "Carmen", "Alex",
];

pub(crate) const LAST_NAMES: &[&str] = &[
    "García",
    "Smith",
    "Khan",
    "Müller",
    "Rossi",
    "Johnson",
    "Patel",
    "Nguyen",
    "Dubois",
    "Silva",
    "Kim",
    "O'Brien",
    "Hernández",
    "Williams",
    "Okafor",
    "Tanaka",
    "Novak",
    "Brown",
    "Fernández",
    "Chen",
    "Martin",
    "Kowalski",
    "Haddad",
    "Jones",
    "Lopez",
    "Andersen",
    "Mensah",
    "Taylor",
    "Moreau",
    "Singh",
    "Costa",
    "Murphy",
    "Schmidt",
    "Ivanova",
    "Wilson",
    "Sato",
    "Reyes",
    "Clarke",
    "Bianchi",
    "Ahmed",
];

/// A country users sign up from.
pub(crate) struct Country {
    pub code: &'static str,
    pub tutor_weight: f64,
    pub student_weight: f64,
    pub currency: &'static str,
    /// A language (besides English) tutors from here usually speak.
    pub language: Option<&'static str>,
}

const fn country(
    code: &'static str,
    tutor_weight: f64,
    student_weight: f64,
    currency: &'static str,
    language: Option<&'static str>,
) -> Country {
    Country {
        code,
        tutor_weight,
        student_weight,
        currency,
        language,
    }
}

pub(crate) const COUNTRIES: &[Country] = &[
    country("US", 36.0, 38.0, "USD", None),
    country("GB", 12.0, 10.0, "GBP", None),
    country("CA", 6.0, 7.0, "USD", Some("French")),
    country("IN", 7.0, 8.0, "USD", Some("Hindi")),
    country("DE", 4.0, 5.0, "EUR", Some("German")),
    country("FR", 4.0, 4.0, "EUR", Some("French")),
    country("ES", 5.0, 3.0, "EUR", Some("Spanish")),
    country("IE", 2.0, 2.0, "EUR", None),
    country("NL", 2.0, 2.0, "EUR", Some("Dutch")),
    country("IT", 2.0, 2.0, "EUR", Some("Italian")),
    country("MX", 4.0, 4.0, "USD", Some("Spanish")),
    country("BR", 3.0, 4.0, "USD", Some("Portuguese")),
    country("AU", 4.0, 4.0, "USD", None),
    country("PH", 3.0, 2.0, "USD", Some("Filipino")),
    country("NG", 2.0, 3.0, "USD", Some("Yoruba")),
    country("ZA", 2.0, 2.0, "USD", Some("Afrikaans")),
];

/// Signup channels with relative weights.
pub(crate) const SIGNUP_CHANNELS: &[(&str, f64)] = &[
    ("organic_search", 34.0),
    ("paid_search", 18.0),
    ("referral", 16.0),
    ("social", 14.0),
    ("app_store", 9.0),
    ("partner_school", 5.0),
    ("email", 4.0),
];

pub(crate) const BIO_STYLES: &[&str] = &[
    "Lessons are hands-on: we work on real problems from the first minute.",
    "I believe in lots of practice and immediate, honest feedback.",
    "Every session ends with a short recap and a plan for the week.",
    "I adapt to how you learn, whether that's diagrams, worked examples or discussion.",
    "I break hard topics into small steps and check understanding as we go.",
    "My students say I'm patient, structured and a little obsessed with clear explanations.",
    "We'll set a clear goal in the first lesson and track progress towards it together.",
];

pub(crate) const BIO_CLOSINGS: &[&str] = &[
    "Book a trial lesson and let's make a plan together.",
    "Message me with your goals before our first session.",
    "Looking forward to meeting you!",
    "Students I've worked with have gone on to top universities and new careers.",
    "Flexible evening and weekend slots available.",
    "Beginners are very welcome - no question is too basic.",
];

/// A goal a student can set: text, subjects (primary first) and level.
pub(crate) struct Goal {
    pub text: &'static str,
    pub subjects: &'static [&'static str],
    pub level: Level,
    pub weight: f64,
}

const fn goal(
    text: &'static str,
    subjects: &'static [&'static str],
    level: Level,
    weight: f64,
) -> Goal {
    Goal {
        text,
        subjects,
        level,
        weight,
    }
}

use Level::{Advanced, Beginner, Intermediate};

pub(crate) const GOALS: &[Goal] = &[
    goal(
        "Learn Python for data science",
        &["Python", "Data Science", "Machine Learning"],
        Beginner,
        9.0,
    ),
    goal(
        "Pass the AP Calculus exam",
        &["Mathematics"],
        Intermediate,
        7.0,
    ),
    goal(
        "Speak conversational Spanish for travel",
        &["Spanish"],
        Beginner,
        6.0,
    ),
    goal(
        "Ace the SAT math section",
        &["Mathematics", "Statistics"],
        Intermediate,
        5.0,
    ),
    goal(
        "Prepare for a data analyst job interview",
        &["SQL", "Statistics", "Python"],
        Intermediate,
        4.0,
    ),
    goal(
        "Switch careers into machine learning engineering",
        &["Machine Learning", "Python", "Statistics"],
        Advanced,
        3.0,
    ),
    goal(
        "Build my first web app",
        &["Web Development", "Python"],
        Beginner,
        4.0,
    ),
    goal(
        "Pass IELTS Academic with band 7",
        &["English", "Writing"],
        Intermediate,
        5.0,
    ),
    goal(
        "Improve my business English for meetings",
        &["English"],
        Intermediate,
        3.0,
    ),
    goal(
        "Get through first-year university physics",
        &["Physics", "Mathematics"],
        Intermediate,
        3.0,
    ),
    goal(
        "Understand statistics for my psychology degree",
        &["Statistics"],
        Beginner,
        3.0,
    ),
    goal("Survive organic chemistry", &["Chemistry"], Advanced, 3.0),
    goal(
        "Pass AP Biology with a 5",
        &["Biology", "Chemistry"],
        Intermediate,
        2.5,
    ),
    goal(
        "Read French novels in the original",
        &["French"],
        Advanced,
        1.5,
    ),
    goal(
        "Get ready for a semester in Paris",
        &["French"],
        Beginner,
        2.0,
    ),
    goal(
        "Learn to play my favourite songs on guitar",
        &["Guitar", "Music Theory"],
        Beginner,
        2.5,
    ),
    goal(
        "Understand harmony well enough to write my own songs",
        &["Music Theory", "Guitar"],
        Intermediate,
        1.5,
    ),
    goal(
        "Write SQL reports without asking the data team",
        &["SQL"],
        Beginner,
        2.0,
    ),
    goal(
        "Make my college application essays stand out",
        &["Writing", "English"],
        Intermediate,
        2.5,
    ),
    goal(
        "Finish my thesis with clearer academic writing",
        &["Writing"],
        Advanced,
        1.5,
    ),
    goal(
        "Understand macroeconomics for my MBA",
        &["Economics", "Statistics"],
        Intermediate,
        2.0,
    ),
    goal(
        "Score a 5 on AP US History",
        &["History", "Writing"],
        Intermediate,
        1.5,
    ),
    goal(
        "Help my teenager with high-school chemistry",
        &["Chemistry", "Mathematics"],
        Beginner,
        1.5,
    ),
    goal(
        "Become fluent in Spanish for work",
        &["Spanish"],
        Advanced,
        2.0,
    ),
    goal(
        "Build a portfolio website to get freelance clients",
        &["Web Development"],
        Beginner,
        2.0,
    ),
    goal(
        "Deploy a deep-learning model at work",
        &["Machine Learning", "Python"],
        Advanced,
        1.5,
    ),
    goal("Pass my A-level Physics", &["Physics"], Intermediate, 2.0),
    goal(
        "Analyse survey data in Python and pandas",
        &["Data Science", "Python", "Statistics"],
        Intermediate,
        2.0,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_referenced_subject_exists() {
        for s in SUBJECTS {
            assert!(s.rate.0 < s.rate.1 && !s.hooks.is_empty());
            for r in s.related {
                assert!(subject_index(r).is_some(), "{r}");
            }
        }
        for g in GOALS {
            for s in g.subjects {
                assert!(subject_index(s).is_some(), "{s}");
            }
        }
        for track in courses::TRACKS {
            for c in *track {
                assert!(subject_index(c.subject).is_some(), "{}", c.subject);
            }
        }
        assert_eq!(subject_index("Astrology"), None);
        // The table constructors run at compile time; exercise them at run time too.
        assert_eq!(goal("g", &[], Level::Beginner, 1.0).text, "g");
        assert_eq!(country("XX", 1.0, 1.0, "USD", None).code, "XX");
        assert_eq!(
            courses::course("t", "SQL", Level::Beginner, 1.0, "d").title,
            "t"
        );
        assert_eq!(subjects::subject("S", 1.0, (1, 2), &[], &[]).name, "S");
        assert_eq!(Level::Advanced.as_str(), "advanced");
    }
}
