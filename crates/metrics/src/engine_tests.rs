//! The engine against a real SQLite: one scenario per metric family.

use serde_json::json;

use crate::read::DashboardMetric;
use crate::refresh::refresh;
use crate::settings::Settings;
use crate::test_store::{TestStore, block_on, event};

fn now() -> chrono::DateTime<chrono::Utc> {
    "2024-06-01T00:00:00Z".parse().expect("now")
}

#[test]
fn smoke() {
    block_on(async {
        let mut store = TestStore::new().await;
        store
            .ingest(&[
                event("e1", "u1", "user_registered", "2024-05-01T09:00:00Z", json!({"role": "student"})),
                event("e2", "u1", "session_booked", "2024-05-01T10:00:00Z", json!({"sessionId": "s1", "tutorId": "t1", "subject": "math", "startsAt": "2024-05-03T16:00:00.000Z", "amount": 4500, "currency": "EUR"})),
                event("e3", "u1", "payment_succeeded", "2024-05-01T10:01:00Z", json!({"paymentId": "p1", "amount": 4500, "currency": "EUR", "product": "session", "sessionId": "s1"})),
            ])
            .await;
        let report = refresh(&mut store, &Settings::default(), now())
            .await
            .expect("refresh");
        assert_eq!(report.to_seq, 3);
        let rows: Vec<DashboardMetric> = store.metrics("UTC", "day").await;
        for r in &rows {
            println!(
                "{} {} {:?} {}",
                r.metric_name, r.timestamp, r.dimensions, r.value
            );
        }
        assert!(!rows.is_empty());
    });
}
