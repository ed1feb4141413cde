//! What the platform knows at one instant: the events replayed up to a cut, folded the way
//! the library's read models fold them (`docs/RECOMMENDATIONS.md`, "Read models").

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::dataset::{Dataset, Event, Goal};

/// The read models at a cut, advanced event by event.
pub struct State<'d> {
    dataset: &'d Dataset,
    /// Events applied so far.
    pub applied: usize,
    /// Items in the catalog.
    pub published: Vec<bool>,
    /// Per user, the items taken, oldest first.
    pub history: Vec<Vec<usize>>,
    /// Per user, the items taken or completed: never recommended.
    pub taken: Vec<HashSet<usize>>,
    /// Per item, who took it, by id order.
    pub takers: Vec<BTreeSet<usize>>,
    /// Per user, the other-kind items they touched (tutors booked).
    pub links: Vec<BTreeSet<String>>,
    /// Per other-kind item, who touched it, by id order.
    pub linked: HashMap<String, BTreeSet<usize>>,
    /// Per item, the users who completed it.
    pub completions: Vec<BTreeSet<usize>>,
    /// Per item, the latest rating of each user.
    pub reviews: Vec<HashMap<usize, i64>>,
    /// Per user, their goals, latest first (setting a goal again moves it first).
    pub goals: Vec<Vec<Goal>>,
    /// Per user, the subjects of their goals and bookings.
    pub subjects: Vec<BTreeSet<String>>,
    /// Per user, everything they took, completed or touched, each once, the latest touch
    /// last (the library orders a student's items by their latest interaction).
    pub touched: Vec<Vec<Touch>>,
}

/// Something a user interacted with: an item of the dataset or one of the other kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Touch {
    /// An item of the dataset.
    Item(usize),
    /// An item of the other kind, by key (`tutor:<id>`).
    Link(String),
}

impl<'d> State<'d> {
    /// The state before any event.
    pub fn new(dataset: &'d Dataset) -> State<'d> {
        let (users, items) = (dataset.users.len(), dataset.items.len());
        State {
            dataset,
            applied: 0,
            published: vec![false; items],
            history: vec![Vec::new(); users],
            taken: vec![HashSet::new(); users],
            takers: vec![BTreeSet::new(); items],
            links: vec![BTreeSet::new(); users],
            linked: HashMap::new(),
            completions: vec![BTreeSet::new(); items],
            reviews: vec![HashMap::new(); items],
            goals: vec![Vec::new(); users],
            subjects: vec![BTreeSet::new(); users],
            touched: vec![Vec::new(); users],
        }
    }

    /// Applies the events before index `cut` not applied yet.
    pub fn advance_to(&mut self, cut: usize) {
        let events = &self.dataset.events;
        while self.applied < cut.min(events.len()) {
            self.apply(&events[self.applied]);
            self.applied += 1;
        }
    }

    fn apply(&mut self, event: &Event) {
        match event {
            Event::Published { item } => self.published[*item] = true,
            Event::Took { user, item } => {
                if self.taken[*user].insert(*item) || !self.history[*user].contains(item) {
                    self.history[*user].push(*item);
                }
                self.takers[*item].insert(*user);
                self.touch(*user, Touch::Item(*item));
            }
            Event::Completed { user, item } => {
                self.completions[*item].insert(*user);
                self.taken[*user].insert(*item);
                self.touch(*user, Touch::Item(*item));
            }
            Event::Reviewed { user, item, rating } => {
                self.reviews[*item].insert(*user, *rating);
            }
            Event::GoalSet { user, goal } => {
                let goals = &mut self.goals[*user];
                goals.retain(|g| g.goal != goal.goal);
                goals.insert(0, goal.clone());
                self.subjects[*user].extend(goal.subjects.iter().cloned());
            }
            Event::Linked { user, key, subject } => {
                self.links[*user].insert(key.clone());
                self.linked.entry(key.clone()).or_default().insert(*user);
                self.subjects[*user].extend(subject.iter().cloned());
                self.touch(*user, Touch::Link(key.clone()));
            }
        }
    }

    fn touch(&mut self, user: usize, touch: Touch) {
        let touched = &mut self.touched[user];
        touched.retain(|t| *t != touch);
        touched.push(touch);
    }

    /// Who took or touched `touch`, by id order.
    pub fn takers_of(&self, touch: &Touch) -> Option<&BTreeSet<usize>> {
        match touch {
            Touch::Item(item) => self.takers.get(*item),
            Touch::Link(key) => self.linked.get(key),
        }
    }

    /// Sum and count of an item's ratings.
    pub fn ratings(&self, item: usize) -> (i64, i64) {
        let r = &self.reviews[item];
        (r.values().sum(), r.len() as i64)
    }

    /// How many users took an item (bookings or enrollments).
    pub fn popularity(&self, item: usize) -> i64 {
        self.takers[item].len() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_up_to_a_cut_only() {
        let d = Dataset {
            users: vec!["u".into(), "v".into()],
            items: vec![Default::default(); 2],
            events: vec![
                Event::Published { item: 0 },
                Event::Took { user: 0, item: 0 },
                Event::Reviewed {
                    user: 0,
                    item: 0,
                    rating: 2,
                },
                Event::Reviewed {
                    user: 0,
                    item: 0,
                    rating: 5,
                },
                Event::Published { item: 1 },
                Event::Took { user: 1, item: 1 },
            ],
            ..Dataset::default()
        };
        let mut s = State::new(&d);
        s.advance_to(5);
        assert_eq!(s.published, [true, true]);
        assert_eq!(s.history[0], [0]);
        assert_eq!(s.touched[0], [Touch::Item(0)]);
        assert_eq!((s.ratings(0), s.popularity(0)), ((5, 1), 1));
        assert!(s.history[1].is_empty() && s.popularity(1) == 0);
        s.advance_to(99);
        assert_eq!(s.popularity(1), 1);
    }
}
