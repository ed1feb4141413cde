//! Counting a stream of events (for the CLI's dry run and summaries).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};

use crate::event::{DemoEvent, EventType};

/// Per-type counts and the time span of a set of events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventCounts {
    /// Number of events of each type that occurred at least once.
    pub by_type: BTreeMap<EventType, u64>,
    /// Earliest timestamp seen.
    pub first: Option<DateTime<Utc>>,
    /// Latest timestamp seen.
    pub last: Option<DateTime<Utc>>,
}

impl EventCounts {
    /// Counts one more event.
    pub fn add(&mut self, event: &DemoEvent) {
        *self.by_type.entry(event.event_type).or_default() += 1;
        self.first = Some(
            self.first
                .map_or(event.timestamp, |f| f.min(event.timestamp)),
        );
        self.last = Some(
            self.last
                .map_or(event.timestamp, |l| l.max(event.timestamp)),
        );
    }

    /// Total number of events.
    pub fn total(&self) -> u64 {
        self.by_type.values().sum()
    }

    /// Count of one type (0 if absent).
    pub fn get(&self, event_type: EventType) -> u64 {
        self.by_type.get(&event_type).copied().unwrap_or(0)
    }
}

impl<'a> FromIterator<&'a DemoEvent> for EventCounts {
    fn from_iter<I: IntoIterator<Item = &'a DemoEvent>>(events: I) -> EventCounts {
        let mut counts = EventCounts::default();
        events.into_iter().for_each(|e| counts.add(e));
        counts
    }
}

impl fmt::Display for EventCounts {
    /// One line per type in catalog order, then the total and time span.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for t in EventType::ALL {
            writeln!(f, "  {:<24}{:>10}", t.as_str(), self.get(t))?;
        }
        write!(f, "  {:<24}{:>10}", "total", self.total())?;
        if let (Some(first), Some(last)) = (self.first, self.last) {
            write!(
                f,
                "\n  from {} to {}",
                crate::envelope_time(&first),
                crate::envelope_time(&last)
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DemoConfig, generate};

    #[test]
    fn counts_and_renders() {
        let events: Vec<DemoEvent> = generate(&DemoConfig::small()).take(500).collect();
        let counts: EventCounts = events.iter().collect();
        assert_eq!(counts.total(), 500);
        assert_eq!(counts.first, Some(events[0].timestamp));
        assert_eq!(counts.last, Some(events[499].timestamp));
        let text = counts.to_string();
        assert!(
            text.contains("user_registered") && text.contains("total") && text.contains("from ")
        );
        assert_eq!(EventCounts::default().get(EventType::ReviewSubmitted), 0);
        assert!(!EventCounts::default().to_string().contains("from"));
    }
}
