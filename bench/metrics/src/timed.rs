//! A store that records how long each statement takes, to find where a run spends its time.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use metrics::{Row, SqlStore, SqlValue, StoreError};
use sql_store::LibsqlStore;

/// A [`LibsqlStore`] that times its statements, and counts the rows each one writes.
pub struct Timed {
    inner: LibsqlStore,
    spent: Vec<(String, Duration)>,
    written: HashMap<String, i64>,
}

impl Timed {
    /// Times statements on `inner`.
    pub fn new(inner: LibsqlStore) -> Timed {
        Timed {
            inner,
            spent: Vec::new(),
            written: HashMap::new(),
        }
    }

    /// The untimed store.
    pub fn inner(&mut self) -> &mut LibsqlStore {
        &mut self.inner
    }

    /// Forgets the statements timed so far.
    pub fn clear(&mut self) {
        self.spent.clear();
        self.written.clear();
    }

    /// The time spent in statements since the last call (or `clear`), then forgets them.
    pub fn take_total(&mut self) -> Duration {
        self.written.clear();
        self.spent.drain(..).map(|(_, d)| d).sum()
    }

    /// Prints (when `print`) the statements that took longest since the last report,
    /// summed over repeats of the same SQL, then forgets them.
    pub fn report(&mut self, print: bool, title: &str) {
        if print {
            let mut by_sql: HashMap<&str, (Duration, usize)> = HashMap::new();
            for (sql, spent) in &self.spent {
                let entry = by_sql.entry(sql).or_default();
                entry.0 += *spent;
                entry.1 += 1;
            }
            let mut sorted: Vec<_> = by_sql.into_iter().collect();
            sorted.sort_by_key(|(_, (spent, _))| std::cmp::Reverse(*spent));
            let total: Duration = self.spent.iter().map(|(_, d)| *d).sum();
            eprintln!("## {title}: {} statements, {total:.2?}", self.spent.len());
            for (sql, (spent, n)) in sorted.iter().take(40) {
                let short: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
                // Many statements share these openings: show what tells them apart.
                let short = SHARED
                    .iter()
                    .fold(short, |s, (long, brief)| s.replace(long, brief));
                let short: String = short.chars().take(260).collect();
                let rows = self.written.get(*sql).copied().unwrap_or(0);
                eprintln!("{spent:>10.2?} x{n:<3} {rows:>8}r {short}");
            }
            let mut by_rows: Vec<(&String, &i64)> = self.written.iter().collect();
            by_rows.sort_by_key(|(_, rows)| std::cmp::Reverse(**rows));
            let rows: i64 = self.written.values().sum();
            eprintln!("## {title}: {rows} rows written; the statements writing most");
            for (sql, rows) in by_rows.iter().take(20) {
                let short: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
                let short: String = short.chars().take(160).collect();
                eprintln!("{rows:>10}r {short}");
            }
        }
        self.clear();
    }
}

/// Openings many of the engine's statements share, and how a profile shows them.
const SHARED: [(&str, &str); 2] = [
    (
        "WITH b AS MATERIALIZED (SELECT json_extract(value, '$[0]') AS start, \
         json_extract(value, '$[1]') AS stop FROM json_each(?3))",
        "WITH b(…)",
    ),
    (
        "INSERT INTO dashboard_metrics (zone, granularity, metric_name, bucket_start, \
         dimensions, value) SELECT ?1, ?2, m, s, d, v FROM (",
        "INSERT … FROM (",
    ),
];

impl SqlStore for Timed {
    async fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<(), StoreError> {
        let started = Instant::now();
        let result = self.inner.execute(sql, params).await;
        self.spent.push((sql.to_owned(), started.elapsed()));
        // Rows the statement inserted, updated or deleted (untimed).
        let writes = ["INSERT", "UPDATE", "DELETE", "WITH"];
        if result.is_ok() && writes.iter().any(|w| sql.trim_start().starts_with(w)) {
            let rows = self.inner.query("SELECT changes()", &[]).await?;
            let changed = rows
                .first()
                .and_then(|r| r.first())
                .and_then(SqlValue::as_i64);
            *self.written.entry(sql.to_owned()).or_default() += changed.unwrap_or(0);
        }
        result
    }

    async fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        let started = Instant::now();
        let result = self.inner.query(sql, params).await;
        self.spent.push((sql.to_owned(), started.elapsed()));
        result
    }
}
