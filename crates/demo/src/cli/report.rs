//! Adding up the server's answers into the end-of-run report.

use serde_json::Value;

use crate::send::Delivery;

/// How many rejections the report quotes.
pub const MAX_REJECTIONS_SHOWN: usize = 5;

/// Running totals of a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    /// Events generated (and, for a real run, handed to the sender).
    pub generated: u64,
    /// Batches the server acknowledged.
    pub batches: u64,
    /// Events in acknowledged batches.
    pub sent: u64,
    /// Events the server stored.
    pub accepted: u64,
    /// Events the server already had.
    pub duplicates: u64,
    /// Events the server refused as invalid.
    pub rejected: u64,
    /// Extra attempts needed (retries) over all batches.
    pub retries: u64,
    /// Responses whose counts did not add up to their batch size.
    pub unaccounted_batches: u64,
    /// The first [`MAX_REJECTIONS_SHOWN`] rejections, verbatim.
    pub first_rejections: Vec<Value>,
}

impl Totals {
    /// Adds one acknowledged batch of `events` events.
    pub fn record(&mut self, events: usize, delivery: &Delivery) {
        let response = &delivery.response;
        self.batches += 1;
        self.sent += events as u64;
        self.accepted += response.accepted;
        self.duplicates += response.duplicates;
        self.rejected += response.rejected.len() as u64;
        self.retries += u64::from(delivery.attempts.saturating_sub(1));
        if response.accounted() != events as u64 {
            self.unaccounted_batches += 1;
        }
        let room = MAX_REJECTIONS_SHOWN.saturating_sub(self.first_rejections.len());
        self.first_rejections
            .extend(response.rejected.iter().take(room).cloned());
    }

    /// The human-readable summary printed at the end of a run.
    pub fn report(&self) -> String {
        let mut text = format!(
            "sent {} events in {} batches ({} retries): accepted {}, duplicates {}, rejected {}",
            self.sent, self.batches, self.retries, self.accepted, self.duplicates, self.rejected
        );
        if !self.first_rejections.is_empty() {
            text.push_str("\nfirst rejections:");
            for rejection in &self.first_rejections {
                text.push_str(&format!("\n  {rejection}"));
            }
        }
        if self.unaccounted_batches > 0 {
            text.push_str(&format!(
                "\nwarning: {} responses did not account for every event of their batch",
                self.unaccounted_batches
            ));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::send::IngestResponse;
    use serde_json::json;

    fn delivery(accepted: u64, duplicates: u64, rejected: usize, attempts: u32) -> Delivery {
        Delivery {
            response: IngestResponse {
                accepted,
                duplicates,
                rejected: (0..rejected)
                    .map(|i| json!({ "index": i, "error": "bad" }))
                    .collect(),
            },
            attempts,
        }
    }

    #[test]
    fn totals_add_up_and_report() {
        let mut totals = Totals::default();
        totals.record(10, &delivery(10, 0, 0, 1));
        assert_eq!(
            totals.report(),
            "sent 10 events in 1 batches (0 retries): accepted 10, duplicates 0, rejected 0"
        );
        totals.record(10, &delivery(4, 2, 4, 3));
        totals.record(10, &delivery(5, 0, 4, 1));
        assert_eq!(
            (
                totals.sent,
                totals.accepted,
                totals.duplicates,
                totals.rejected
            ),
            (30, 19, 2, 8)
        );
        assert_eq!((totals.retries, totals.unaccounted_batches), (2, 1));
        assert_eq!(totals.first_rejections.len(), MAX_REJECTIONS_SHOWN);
        let report = totals.report();
        assert!(report.contains("first rejections:\n  {"), "{report}");
        assert_eq!(
            report.matches("\n  {").count(),
            MAX_REJECTIONS_SHOWN,
            "{report}"
        );
        assert!(report.contains("warning: 1 responses"), "{report}");
    }
}
