//! What the evaluation knows of a platform: a catalog of items with the text they are embedded
//! from, and one time-ordered list of events (publications, interactions, reviews, goals).

use recommend::{Kind, Level};

/// One recommendable item.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Item {
    /// The platform's id.
    pub id: String,
    /// What explanations call it (a course title, a movie title).
    pub label: String,
    /// The text its vector is embedded from.
    pub text: String,
    /// Its subjects (a course's subject; a movie's genres), lower-cased.
    pub subjects: Vec<String>,
    /// A course's level.
    pub level: Option<Level>,
}

/// A goal a student states.
#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    /// The goal as the student wrote it (quoted in explanations).
    pub goal: String,
    /// The text its vector is embedded from (the goal and its subjects, as the library
    /// builds it).
    pub text: String,
    /// The subjects named with it, lower-cased.
    pub subjects: Vec<String>,
    /// The level the student states.
    pub level: Option<Level>,
}

/// What happened, with users and items as indices into [`Dataset::users`] and
/// [`Dataset::items`].
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// An item enters the catalog: from now on it may be recommended.
    Published {
        /// The item.
        item: usize,
    },
    /// A user takes an item (enrolls in a course, rates a movie): the interaction that is
    /// held out and predicted.
    Took {
        /// Who.
        user: usize,
        /// What.
        item: usize,
    },
    /// A user completes an item (a course), for the completion rate.
    Completed {
        /// Who.
        user: usize,
        /// What.
        item: usize,
    },
    /// A user rates an item, 1 to 5; a later rating of the same item replaces it.
    Reviewed {
        /// Who.
        user: usize,
        /// What.
        item: usize,
        /// The stars.
        rating: i64,
    },
    /// A user states a goal.
    GoalSet {
        /// Who.
        user: usize,
        /// The goal.
        goal: Goal,
    },
    /// A user interacts with something of the other kind (a tutor booking): it links the
    /// user to peers, and its subject becomes one of theirs.
    Linked {
        /// Who.
        user: usize,
        /// The other item's key (`tutor:<id>`).
        key: String,
        /// The subject of the interaction.
        subject: Option<String>,
    },
}

/// A platform's catalog and history, in time order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    /// Its name in reports.
    pub name: String,
    /// Which of the ranker's scoring paths its items take.
    pub kind: Option<Kind>,
    /// User ids, sorted (an index's order is its id's order, as in SQL).
    pub users: Vec<String>,
    /// The catalog, sorted by id.
    pub items: Vec<Item>,
    /// Every event, in time order (ties keep the source's order).
    pub events: Vec<Event>,
}

impl Dataset {
    /// The scoring path of the items (courses unless told otherwise).
    pub fn kind(&self) -> Kind {
        self.kind.unwrap_or(Kind::Course)
    }
}

/// Interns ids: sorted, so that an index's order is its id's order.
pub(crate) fn interned(
    mut ids: Vec<String>,
) -> (Vec<String>, std::collections::HashMap<String, usize>) {
    ids.sort();
    ids.dedup();
    let index = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.clone(), i))
        .collect();
    (ids, index)
}
