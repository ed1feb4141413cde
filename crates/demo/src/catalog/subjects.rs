//! The subjects of the platform, with demand, typical rates and bio hooks.

/// A subject tutors teach and students learn.
pub(crate) struct SubjectInfo {
    pub name: &'static str,
    /// Relative popularity (demand and supply).
    pub weight: f64,
    /// Typical hourly rate range, in major currency units.
    pub rate: (u32, u32),
    /// Subjects a tutor of this one often also teaches.
    pub related: &'static [&'static str],
    /// "…years of experience <hook>." fragments for bios.
    pub hooks: &'static [&'static str],
}

pub(super) const fn subject(
    name: &'static str,
    weight: f64,
    rate: (u32, u32),
    related: &'static [&'static str],
    hooks: &'static [&'static str],
) -> SubjectInfo {
    SubjectInfo {
        name,
        weight,
        rate,
        related,
        hooks,
    }
}

pub(crate) const SUBJECTS: &[SubjectInfo] = &[
    subject(
        "Python",
        10.0,
        (35, 90),
        &["Data Science", "Web Development", "SQL"],
        &[
            "writing production Python at a fintech startup",
            "teaching Python to career changers at a coding bootcamp",
            "automating data pipelines in Python for a logistics company",
        ],
    ),
    subject(
        "Mathematics",
        10.0,
        (30, 80),
        &["Statistics", "Physics"],
        &[
            "teaching high-school and AP Calculus",
            "preparing students for the SAT and ACT math sections",
            "as a university teaching assistant for linear algebra and calculus",
        ],
    ),
    subject(
        "English",
        8.0,
        (20, 55),
        &["Writing", "History"],
        &[
            "teaching English as a second language to adults",
            "coaching IELTS and TOEFL candidates",
            "teaching English literature at secondary school",
        ],
    ),
    subject(
        "Spanish",
        7.0,
        (18, 45),
        &["English"],
        &[
            "teaching Spanish at a language school in Madrid",
            "helping travellers and expats get conversational in Spanish",
            "preparing students for the DELE exams",
        ],
    ),
    subject(
        "Data Science",
        6.0,
        (45, 110),
        &["Python", "Statistics", "Machine Learning"],
        &[
            "as a data scientist in e-commerce and healthcare",
            "building dashboards and forecasting models for retail teams",
            "mentoring junior analysts through their first data projects",
        ],
    ),
    subject(
        "Statistics",
        5.0,
        (35, 85),
        &["Mathematics", "Data Science", "Economics"],
        &[
            "teaching introductory statistics to psychology and biology majors",
            "as a biostatistician on clinical trials",
            "helping graduate students with research methods and R",
        ],
    ),
    subject(
        "Web Development",
        5.0,
        (40, 95),
        &["Python"],
        &[
            "building React and Node.js applications for agencies",
            "shipping web products as a full-stack engineer",
            "teaching HTML, CSS and JavaScript at a community college",
        ],
    ),
    subject(
        "Machine Learning",
        4.0,
        (60, 130),
        &["Python", "Data Science", "Statistics"],
        &[
            "training and deploying machine-learning models in production",
            "as an ML researcher working on computer vision",
            "running applied deep-learning workshops for engineers",
        ],
    ),
    subject(
        "Physics",
        4.0,
        (35, 85),
        &["Mathematics", "Chemistry"],
        &[
            "teaching A-level and AP Physics",
            "as a physics PhD researcher in condensed matter",
            "tutoring first-year university mechanics and electromagnetism",
        ],
    ),
    subject(
        "Chemistry",
        4.0,
        (35, 80),
        &["Biology", "Physics"],
        &[
            "teaching general and organic chemistry to pre-med students",
            "as a lab chemist in pharmaceutical research",
            "helping high-school students through chemistry and the MCAT",
        ],
    ),
    subject(
        "French",
        4.0,
        (20, 50),
        &["English", "Spanish"],
        &[
            "teaching French at an Alliance Française",
            "preparing students for the DELF and DALF exams",
            "helping professionals relocate to France and Quebec",
        ],
    ),
    subject(
        "SQL",
        3.5,
        (40, 90),
        &["Python", "Data Science"],
        &[
            "writing analytics SQL on Postgres, BigQuery and Snowflake",
            "as a database engineer tuning slow queries",
            "teaching SQL to marketing and finance teams",
        ],
    ),
    subject(
        "Biology",
        3.5,
        (30, 75),
        &["Chemistry"],
        &[
            "teaching AP and IB Biology",
            "as a molecular biology researcher",
            "coaching pre-med students through biology coursework",
        ],
    ),
    subject(
        "Guitar",
        3.0,
        (25, 60),
        &["Music Theory"],
        &[
            "playing and teaching acoustic and electric guitar",
            "gigging with bands and teaching fingerstyle",
            "teaching guitar at a music school",
        ],
    ),
    subject(
        "Writing",
        3.0,
        (30, 75),
        &["English", "History"],
        &[
            "editing academic papers and grant applications",
            "as a journalist and copy editor",
            "coaching college application essays",
        ],
    ),
    subject(
        "Economics",
        2.5,
        (35, 85),
        &["Statistics", "Mathematics"],
        &[
            "teaching AP Macroeconomics and Microeconomics",
            "as an economist at a policy think tank",
            "helping MBA students with managerial economics",
        ],
    ),
    subject(
        "Music Theory",
        2.0,
        (25, 60),
        &["Guitar"],
        &[
            "teaching harmony and ear training at a conservatory",
            "arranging and composing for film and games",
            "preparing students for ABRSM theory grades",
        ],
    ),
    subject(
        "History",
        2.0,
        (25, 65),
        &["Writing", "English"],
        &[
            "teaching AP US History and World History",
            "as a museum educator",
            "helping students write research papers on modern Europe",
        ],
    ),
];

/// Index of a subject by name.
pub(crate) fn subject_index(name: &str) -> Option<usize> {
    SUBJECTS.iter().position(|s| s.name == name)
}
