//! Small helpers over [`SqlStore`]: transactions, typed single values, row readers.

use sql_store::{Row, SqlStore, SqlValue};

use crate::error::{RecommendError, at};

/// Runs `body` in a transaction ([`sql_store::transaction`]), naming the failed step.
pub(crate) async fn transaction<S: SqlStore, T>(
    store: &mut S,
    body: impl AsyncFnOnce(&mut S) -> Result<T, RecommendError>,
) -> Result<T, RecommendError> {
    sql_store::transaction(store, |step, e| at(step)(e), body).await
}

/// Runs a statement, naming the step in the error.
pub(crate) async fn exec<S: SqlStore>(
    store: &mut S,
    sql: &str,
    params: &[SqlValue],
    step: &'static str,
) -> Result<(), RecommendError> {
    store.execute(sql, params).await.map_err(at(step))
}

/// Runs a query, naming the step in the error.
pub(crate) async fn query<S: SqlStore>(
    store: &mut S,
    sql: &str,
    params: &[SqlValue],
    step: &'static str,
) -> Result<Vec<Row>, RecommendError> {
    store.query(sql, params).await.map_err(at(step))
}

/// The first column of the first row as an integer (`None` for no row or `NULL`).
pub(crate) async fn single_i64<S: SqlStore>(
    store: &mut S,
    sql: &str,
    params: &[SqlValue],
    step: &'static str,
) -> Result<Option<i64>, RecommendError> {
    let rows = query(store, sql, params, step).await?;
    Ok(rows
        .first()
        .and_then(|r| r.first())
        .and_then(SqlValue::as_i64))
}

/// Reads the columns of one row by position, failing with [`RecommendError::BadRow`].
pub(crate) struct Cols<'a> {
    row: &'a Row,
    step: &'static str,
}

impl<'a> Cols<'a> {
    pub(crate) fn new(row: &'a Row, step: &'static str) -> Self {
        Cols { row, step }
    }

    fn bad(&self) -> RecommendError {
        RecommendError::BadRow { step: self.step }
    }

    pub(crate) fn str(&self, i: usize) -> Result<&'a str, RecommendError> {
        self.row
            .get(i)
            .and_then(SqlValue::as_str)
            .ok_or_else(|| self.bad())
    }

    pub(crate) fn opt_str(&self, i: usize) -> Option<&'a str> {
        self.row.get(i).and_then(SqlValue::as_str)
    }

    pub(crate) fn i64(&self, i: usize) -> Result<i64, RecommendError> {
        self.row
            .get(i)
            .and_then(SqlValue::as_i64)
            .ok_or_else(|| self.bad())
    }

    pub(crate) fn f64(&self, i: usize) -> Result<f64, RecommendError> {
        self.row
            .get(i)
            .and_then(SqlValue::as_f64)
            .ok_or_else(|| self.bad())
    }

    pub(crate) fn blob(&self, i: usize) -> Result<&'a [u8], RecommendError> {
        self.row
            .get(i)
            .and_then(SqlValue::as_blob)
            .ok_or_else(|| self.bad())
    }

    /// A JSON array of strings (a malformed array is a bad row).
    pub(crate) fn strings(&self, i: usize) -> Result<Vec<String>, RecommendError> {
        serde_json::from_str(self.str(i)?).map_err(|_| self.bad())
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::test_support::{TestStore, block_on};

    #[test]
    fn rollback_on_error_and_row_readers() {
        block_on(async {
            let mut store = TestStore::new().await;
            exec(&mut store, "CREATE TABLE t (x)", &[], "t")
                .await
                .expect("t");
            let failed: Result<(), _> = transaction(&mut store, async |s: &mut TestStore| {
                exec(s, "INSERT INTO t VALUES (1)", &[], "insert").await?;
                Err(RecommendError::BadRow { step: "test" })
            })
            .await;
            assert!(failed.is_err());
            let n = single_i64(&mut store, "SELECT count(*) FROM t", &[], "n").await;
            assert_eq!(n.expect("n"), Some(0));
            let row: Row = vec![SqlValue::Text("[\"a\"]".into()), SqlValue::Null];
            let cols = Cols::new(&row, "r");
            assert_eq!(cols.strings(0).expect("json"), vec!["a".to_string()]);
            assert!(cols.i64(1).is_err() && cols.f64(1).is_err() && cols.blob(0).is_err());
            assert!(cols.str(1).is_err() && cols.opt_str(1).is_none());
            let bad: Row = vec![SqlValue::Text("{".into())];
            assert!(Cols::new(&bad, "r").strings(0).is_err());
        });
    }
}
