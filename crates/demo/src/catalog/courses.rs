//! Course tracks: each track is a prerequisite chain, published in order by
//! one tutor (step `n` requires step `n - 1`).

use super::Level::{self, Advanced, Beginner, Intermediate};

/// One course of a track.
pub(crate) struct CourseSpec {
    pub title: &'static str,
    pub subject: &'static str,
    pub level: Level,
    pub hours: f64,
    pub description: &'static str,
}

pub(super) const fn course(
    title: &'static str,
    subject: &'static str,
    level: Level,
    hours: f64,
    description: &'static str,
) -> CourseSpec {
    CourseSpec {
        title,
        subject,
        level,
        hours,
        description,
    }
}

/// Prerequisite chains, most popular first.
#[rustfmt::skip]
pub(crate) const TRACKS: &[&[CourseSpec]] = &[
    &[
        course("Python Foundations", "Python", Beginner, 12.0,
            "Variables, control flow, functions and files: write small, useful Python programs from scratch and learn to read error messages without panic."),
        course("Data Analysis with pandas", "Data Science", Intermediate, 16.0,
            "Load, clean, reshape and visualise real datasets with pandas and matplotlib, ending with a reproducible analysis notebook."),
        course("Machine Learning with scikit-learn", "Machine Learning", Advanced, 20.0,
            "Regression, classification, cross-validation and feature engineering with scikit-learn, built around three end-to-end projects."),
        course("Deep Learning with PyTorch", "Machine Learning", Advanced, 24.0,
            "Tensors, autograd, CNNs and transformers in PyTorch; train, evaluate and ship a model you understand line by line."),
    ],
    &[
        course("Precalculus Refresher", "Mathematics", Beginner, 10.0,
            "Functions, graphs, exponentials, logarithms and trigonometry: the toolkit you need before starting calculus."),
        course("Calculus I: Limits and Derivatives", "Mathematics", Intermediate, 18.0,
            "Limits, continuity, derivative rules and applications such as optimisation and related rates, with hundreds of worked problems."),
        course("Calculus II: Integrals and Series", "Mathematics", Advanced, 18.0,
            "Integration techniques, areas and volumes, sequences and power series, aligned with the AP Calculus BC syllabus."),
    ],
    &[
        course("Spanish for Absolute Beginners", "Spanish", Beginner, 15.0,
            "Greetings, numbers, ordering food and asking for directions: your first hundred hours of Spanish, compressed into practical dialogues."),
        course("Conversational Spanish", "Spanish", Intermediate, 20.0,
            "Past tenses, storytelling and everyday conversation practice so you can hold your own with native speakers while travelling."),
        course("Spanish Grammar in Depth: The Subjunctive and Beyond", "Spanish", Advanced, 16.0,
            "Master the subjunctive, conditional sentences and register so your Spanish sounds natural at work and in writing."),
    ],
    &[
        course("SQL Fundamentals", "SQL", Beginner, 8.0,
            "SELECT, WHERE, JOIN and GROUP BY on a realistic e-commerce database; answer business questions without waiting for the data team."),
        course("Advanced SQL: Window Functions and Query Tuning", "SQL", Intermediate, 10.0,
            "Window functions, CTEs, indexes and reading query plans, so your reports are correct and fast on millions of rows."),
    ],
    &[
        course("English Grammar Essentials", "English", Beginner, 12.0,
            "Tenses, articles, prepositions and the mistakes that give learners away, with short daily exercises and speaking drills."),
        course("IELTS Academic Preparation", "English", Intermediate, 20.0,
            "Strategies for all four IELTS papers, timed practice tests and detailed feedback on your writing and speaking."),
        course("Business English for Meetings and Presentations", "English", Advanced, 12.0,
            "Lead meetings, negotiate and present with confidence, using the phrases and structures native speakers rely on."),
    ],
    &[
        course("Introduction to Probability", "Statistics", Beginner, 10.0,
            "Counting, conditional probability, random variables and the key distributions, explained with simulations and games."),
        course("Statistical Inference and Hypothesis Testing", "Statistics", Intermediate, 14.0,
            "Confidence intervals, t-tests, chi-square and p-values done right, with examples from psychology and medicine."),
        course("Regression Modelling in Practice", "Statistics", Advanced, 16.0,
            "Linear and logistic regression, diagnostics and interpretation, so you can defend every number in your report."),
    ],
    &[
        course("HTML and CSS Foundations", "Web Development", Beginner, 10.0,
            "Semantic HTML, the box model, flexbox and grid: build and publish a responsive personal site."),
        course("JavaScript for the Web", "Web Development", Intermediate, 16.0,
            "The DOM, events, fetch and modern JavaScript syntax, culminating in an interactive single-page app."),
        course("Full-Stack Apps with React and Node", "Web Development", Advanced, 24.0,
            "Components, state, REST APIs, authentication and deployment: ship a complete web application with a database."),
    ],
    &[
        course("Mechanics: Motion and Forces", "Physics", Beginner, 14.0,
            "Kinematics, Newton's laws, energy and momentum, with problem-solving strategies for exams and labs."),
        course("Electricity and Magnetism", "Physics", Intermediate, 16.0,
            "Electric fields, circuits, magnetism and induction, building intuition before the equations."),
        course("Introduction to Quantum Physics", "Physics", Advanced, 14.0,
            "Wave-particle duality, the Schrödinger equation and the hydrogen atom, for students heading into university physics."),
    ],
    &[
        course("General Chemistry Essentials", "Chemistry", Beginner, 14.0,
            "Atoms, bonding, stoichiometry and reactions, with clear explanations of the topics most students find confusing."),
        course("Organic Chemistry I", "Chemistry", Intermediate, 18.0,
            "Structure, nomenclature, stereochemistry and the core reaction mechanisms, taught as patterns rather than memorisation."),
        course("Organic Chemistry II: Reactions and Synthesis", "Chemistry", Advanced, 18.0,
            "Carbonyl chemistry, aromatic reactions and multi-step synthesis problems, with MCAT-style practice."),
    ],
    &[
        course("French A1: First Steps", "French", Beginner, 15.0,
            "Pronunciation, everyday vocabulary and the present tense, so you can introduce yourself and get around in France."),
        course("French A2-B1: Everyday Conversations", "French", Intermediate, 20.0,
            "Past and future tenses, opinions and small talk, with weekly conversation practice on real-life topics."),
        course("French B2: Reading Literature and the Press", "French", Advanced, 18.0,
            "Read Camus, Ernaux and Le Monde in the original, expanding vocabulary and mastering literary tenses."),
    ],
    &[
        course("Guitar from Zero: Chords and Strumming", "Guitar", Beginner, 10.0,
            "Open chords, smooth changes and strumming patterns; play ten well-known songs by the end of the course."),
        course("Fingerstyle Guitar", "Guitar", Intermediate, 12.0,
            "Travis picking, arpeggios and arranging melodies with accompaniment for solo acoustic guitar."),
        course("Lead Guitar: Scales and Soloing", "Guitar", Advanced, 14.0,
            "Pentatonic and modal scales, bends, vibrato and phrasing so your solos tell a story."),
    ],
    &[
        course("Music Theory Basics: Notes, Scales and Keys", "Music Theory", Beginner, 8.0,
            "Read notation, understand intervals, scales and key signatures, and train your ear from day one."),
        course("Harmony and Chord Progressions", "Music Theory", Intermediate, 12.0,
            "Diatonic harmony, cadences, voice leading and the progressions behind pop, rock and classical music."),
        course("Jazz Harmony and Improvisation", "Music Theory", Advanced, 14.0,
            "Extended chords, ii-V-I progressions, reharmonisation and improvising over standards."),
    ],
    &[
        course("Cell Biology Foundations", "Biology", Beginner, 12.0,
            "Cells, membranes, metabolism and cell division, with diagrams and active-recall practice."),
        course("Genetics and Evolution", "Biology", Intermediate, 14.0,
            "Mendelian genetics, DNA, gene expression and natural selection, with data-analysis questions."),
        course("AP Biology Exam Prep", "Biology", Advanced, 16.0,
            "Full review of the AP Biology units, free-response strategy and timed practice exams."),
    ],
    &[
        course("Clear Writing Fundamentals", "Writing", Beginner, 8.0,
            "Plain sentences, strong paragraphs and ruthless editing: write emails and reports people actually read."),
        course("Academic Essay Writing", "Writing", Intermediate, 12.0,
            "Thesis statements, argument structure, using sources and citation, with feedback on two full essays."),
        course("Writing Your Thesis", "Writing", Advanced, 14.0,
            "Plan, draft and revise a dissertation chapter by chapter, including literature reviews and academic style."),
    ],
    &[
        course("Principles of Microeconomics", "Economics", Beginner, 12.0,
            "Supply and demand, elasticity, market structures and market failure, with current real-world examples."),
        course("Principles of Macroeconomics", "Economics", Intermediate, 12.0,
            "GDP, inflation, unemployment, monetary and fiscal policy, aligned with AP Macroeconomics."),
        course("Introductory Econometrics", "Economics", Advanced, 16.0,
            "Causal questions with regression, instrumental variables and difference-in-differences on real policy data."),
    ],
    &[
        course("World History: Ancient Civilizations", "History", Beginner, 10.0,
            "Mesopotamia, Egypt, Greece, Rome, China and India: how the first civilisations rose, traded and fell."),
        course("Modern European History, 1789 to Today", "History", Intermediate, 14.0,
            "Revolutions, empires, two world wars and the European project, with practice in source analysis."),
    ],
    &[
        course("Statistics for Data Science", "Data Science", Beginner, 10.0,
            "Descriptive statistics, sampling, A/B testing and correlation versus causation for aspiring analysts."),
        course("Data Visualisation and Storytelling", "Data Science", Intermediate, 10.0,
            "Choose the right chart, design clean dashboards and present findings that change decisions."),
    ],
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_climb_in_level_and_are_well_formed() {
        for track in TRACKS {
            assert!(!track.is_empty());
            for pair in track.windows(2) {
                assert!(pair[0].level <= pair[1].level, "{}", pair[1].title);
            }
            for c in *track {
                assert!(c.hours > 0.0 && c.description.len() > 40, "{}", c.title);
            }
        }
    }
}
