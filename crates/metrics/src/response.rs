//! The response of `GET /metrics/{dashboard}`: the series [`DashboardQuery::sql`] reads (a row
//! per series and chunk, or per chunk for leaderboards), shaped as JSON.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Number;

use crate::catalog::{Dashboard, metric};
use crate::error::{MetricsError, at};
use crate::read::{DashboardQuery, RECORD};
use crate::store::{Row, SqlStore, SqlValue};
use crate::time::Zone;

/// The body of `GET /metrics/{dashboard}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DashboardResponse {
    /// `OVERVIEW`, `ENGAGEMENT`, ...
    pub dashboard: Dashboard,
    /// When the last refresh ran (RFC 3339), `None` before the first.
    pub refreshed_at: Option<String>,
    /// The buckets' time zone.
    pub time_zone: String,
    /// `day`, `week` or `month`.
    pub granularity: &'static str,
    /// One series per metric and dimension set.
    pub series: Vec<Series>,
}

/// The points of one metric with one set of dimensions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Series {
    /// The metric, e.g. `revenue_net`.
    pub metric_name: String,
    /// Its dimensions, e.g. `{"currency": "EUR", "product": "course"}`.
    pub dimensions: BTreeMap<String, String>,
    /// One point per bucket, oldest first.
    pub points: Vec<Point>,
}

/// One bucket's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// The bucket's first instant, RFC 3339 in the request's zone.
    pub timestamp: String,
    /// The value: an integer for counts and money (minor units), a number for rates.
    pub value: Number,
}

/// A stored metric row: `metricName`, `value`, `timestamp` (the bucket start) and
/// `dimensions`.
#[derive(Debug, Clone, PartialEq)]
pub struct DashboardMetric {
    /// The metric.
    pub metric_name: String,
    /// The bucket's first instant, ms since the epoch.
    pub timestamp: i64,
    /// The dimensions.
    pub dimensions: BTreeMap<String, String>,
    /// The value.
    pub value: Number,
}

impl DashboardMetric {
    /// Parses a row of `metric_name, bucket_start, dimensions, value`.
    pub fn from_row(row: &Row) -> Option<DashboardMetric> {
        let [name, start, dims, value] = row.as_slice() else {
            return None;
        };
        Some(DashboardMetric {
            metric_name: name.as_str()?.to_owned(),
            timestamp: start.as_i64()?,
            dimensions: serde_json::from_str(dims.as_str()?).ok()?,
            value: match value {
                SqlValue::Integer(i) => Number::from(*i),
                SqlValue::Real(f) => Number::from_f64(*f)?,
                _ => return None,
            },
        })
    }
}

/// Reads a dashboard: its series and the last refresh time, shaped as the response.
pub async fn read_dashboard<S: SqlStore>(
    store: &mut S,
    query: &DashboardQuery,
) -> Result<DashboardResponse, MetricsError> {
    let (rows, refreshed_at) = read_rows(store, query).await?;
    shape_response(query, refreshed_at, &rows)
}

/// Shapes rows of [`DashboardQuery::sql`] (`metric_name, dimensions, points`, per series or,
/// for leaderboards, per chunk with each point's dimensions) as the response: series in the
/// dashboard's metric order, then by dimensions (numbers in numeric order); counts and sums
/// have a point (0 if missing) for every bucket, other metrics only where they have a value.
///
/// Linear in the series and points: each series' dimensions are parsed once, each bucket's
/// timestamp formatted once, and zero-filling merges two sorted lists.
pub fn shape_response(
    query: &DashboardQuery,
    refreshed_at: Option<String>,
    rows: &[Row],
) -> Result<DashboardResponse, MetricsError> {
    let shaped = Shaped::new(query, rows)?;
    let series = shaped
        .series
        .into_iter()
        .map(|grouped| {
            let mut points = Vec::with_capacity(grouped.points.len());
            shaped
                .timeline
                .each_point(grouped.zero_fill, grouped.points, |timestamp, value| {
                    points.push(Point {
                        timestamp: timestamp.to_owned(),
                        value,
                    })
                });
            Series {
                metric_name: grouped.metric_name.to_owned(),
                dimensions: grouped
                    .dimensions
                    .into_iter()
                    .map(|(k, v)| (k.0.into_owned(), v.0.into_owned()))
                    .collect(),
                points,
            }
        })
        .collect();
    Ok(DashboardResponse {
        dashboard: query.dashboard,
        refreshed_at,
        time_zone: query.zone.name().to_owned(),
        granularity: query.granularity.as_str(),
        series,
    })
}

/// Reads a dashboard as [`read_dashboard`] does, as the JSON text of its response: the
/// bytes `serde_json` makes of the [`DashboardResponse`], written straight from the rows.
/// A year of daily leaderboards is over 10,000 series of one or two points; building their
/// structures to serialize them took twice the SQL's time.
pub async fn read_dashboard_json<S: SqlStore>(
    store: &mut S,
    query: &DashboardQuery,
) -> Result<String, MetricsError> {
    let (rows, refreshed_at) = read_rows(store, query).await?;
    write_response(query, refreshed_at.as_deref(), &rows)
}

/// The JSON text of [`shape_response`]'s response, written from the rows.
pub fn write_response(
    query: &DashboardQuery,
    refreshed_at: Option<&str>,
    rows: &[Row],
) -> Result<String, MetricsError> {
    let mut out = Vec::new();
    write_head(&mut out, query, refreshed_at);
    write_tail(&mut out, query, rows)?;
    into_text(out)
}

/// `{"dashboard":…,"refreshedAt":…`: the start of the response, which the rows do not
/// decide ([`write_tail`] writes the rest).
pub(crate) fn write_head(out: &mut Vec<u8>, query: &DashboardQuery, refreshed_at: Option<&str>) {
    out.extend_from_slice(b"{\"dashboard\":");
    put(out, &query.dashboard);
    out.extend_from_slice(b",\"refreshedAt\":");
    put(out, &refreshed_at);
}

/// `,"timeZone":…,"series":[…]}`: the rest of the response, from the query and its rows.
pub(crate) fn write_tail(
    out: &mut Vec<u8>,
    query: &DashboardQuery,
    rows: &[Row],
) -> Result<(), MetricsError> {
    let shaped = Shaped::new(query, rows)?;
    let points: usize = shaped.series.iter().map(|s| s.points.len()).sum();
    out.reserve(256 + 80 * shaped.series.len() + 48 * points);
    out.extend_from_slice(b",\"timeZone\":");
    put(out, query.zone.name());
    out.extend_from_slice(b",\"granularity\":");
    put(out, query.granularity.as_str());
    out.extend_from_slice(b",\"series\":[");
    for (i, grouped) in shaped.series.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"metricName\":");
        put(out, grouped.metric_name);
        out.extend_from_slice(b",\"dimensions\":{");
        for (j, (key, value)) in grouped.dimensions.iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            put(out, &*key.0);
            out.push(b':');
            put(out, &*value.0);
        }
        out.extend_from_slice(b"},\"points\":[");
        let mut first = true;
        shaped
            .timeline
            .each_point(grouped.zero_fill, grouped.points, |timestamp, value| {
                if !std::mem::take(&mut first) {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"timestamp\":");
                put(out, timestamp);
                out.extend_from_slice(b",\"value\":");
                put(out, &value);
                out.push(b'}');
            });
        out.extend_from_slice(b"]}");
    }
    out.extend_from_slice(b"]}");
    Ok(())
}

/// The written response as text (it is UTF-8: JSON written from UTF-8 rows).
pub(crate) fn into_text(out: Vec<u8>) -> Result<String, MetricsError> {
    String::from_utf8(out).map_err(|_| MetricsError::BadRow { step: "dashboard" })
}

/// Appends `value` as JSON, as `serde_json` serializes it in a struct.
fn put(out: &mut Vec<u8>, value: &(impl Serialize + ?Sized)) {
    // Strings, numbers (never NaN: `Number` cannot hold one) and `null` into memory: no
    // error is possible.
    let _ = serde_json::to_writer(out, value);
}

/// The rows of the query's series, and when the last refresh ran.
async fn read_rows<S: SqlStore>(
    store: &mut S,
    query: &DashboardQuery,
) -> Result<(Vec<Row>, Option<String>), MetricsError> {
    let state = ReadState::read(store).await?;
    let rows = query_rows(store, query).await?;
    Ok((rows, state.refreshed_at))
}

/// The rows of [`DashboardQuery::sql`].
pub(crate) async fn query_rows<S: SqlStore>(
    store: &mut S,
    query: &DashboardQuery,
) -> Result<Vec<Row>, MetricsError> {
    let (sql, params) = query.sql();
    store.query(&sql, &params).await.map_err(at("dashboard"))
}

/// The refresh state a read reports and caches by.
pub(crate) struct ReadState {
    /// When the last refresh ran (`refreshedAt`).
    pub refreshed_at: Option<String>,
    /// The served metrics' version (`metric_version`), `None` before a run that set one.
    pub version: Option<String>,
}

impl ReadState {
    /// Reads it in one statement. Read before the rows, so a version is never newer than
    /// the rows read after it.
    pub async fn read<S: SqlStore>(store: &mut S) -> Result<ReadState, MetricsError> {
        let rows = store
            .query(
                "SELECT (SELECT refreshed_at FROM metric_state WHERE id = 1), \
                        (SELECT version FROM metric_version WHERE id = 1)",
                &[],
            )
            .await
            .map_err(at("refreshed at"))?;
        let text = |i: usize| {
            rows.first()
                .and_then(|r| r.get(i))
                .and_then(SqlValue::as_str)
                .map(str::to_owned)
        };
        Ok(ReadState {
            refreshed_at: text(0),
            version: text(1),
        })
    }
}

/// The response's series, grouped and in order, borrowing the rows' text.
struct Shaped<'r> {
    series: Vec<Grouped<'r>>,
    timeline: Timeline,
}

/// One series: its metric, its dimensions, and its stored points.
struct Grouped<'r> {
    metric_name: &'static str,
    zero_fill: bool,
    dimensions: BTreeMap<Text<'r>, Text<'r>>,
    points: Vec<(i64, Number)>,
}

impl<'r> Shaped<'r> {
    fn new(query: &DashboardQuery, rows: &'r [Row]) -> Result<Shaped<'r>, MetricsError> {
        let bad = || MetricsError::BadRow { step: "dashboard" };
        let order = query.dashboard.metrics();
        // The points of each series, by metric (its rank in the dashboard) and dimensions
        // text, in the order the query returns them (oldest first).
        let mut grouped: HashMap<(usize, &str), usize> = HashMap::new();
        let mut points_of: Vec<Vec<(i64, Number)>> = Vec::new();
        for row in rows {
            let [name, dimensions, points] = row.as_slice() else {
                return Err(bad());
            };
            let (name, dimensions, points) = (
                name.as_str().ok_or_else(bad)?,
                dimensions.as_str().ok_or_else(bad)?,
                points.as_str().ok_or_else(bad)?,
            );
            let Some(rank) = order.iter().position(|n| *n == name) else {
                continue;
            };
            // One series' dimensions, or each point's (a leaderboard's chunk). A series'
            // points are consecutive: look it up once per run of them.
            let one = !dimensions.contains(RECORD);
            let mut each = dimensions.split(RECORD);
            let mut current = ("", usize::MAX);
            for point in points.split(',') {
                let dims = if one {
                    dimensions
                } else {
                    each.next().ok_or_else(bad)?
                };
                if current.1 == usize::MAX || current.0 != dims {
                    let next = points_of.len();
                    let series = *grouped.entry((rank, dims)).or_insert(next);
                    if series == next {
                        points_of.push(Vec::new());
                    }
                    current = (dims, series);
                }
                points_of[current.1].push(parse_point(point).ok_or_else(bad)?);
            }
            if !one && each.next().is_some() {
                return Err(bad());
            }
        }
        let zero_fill: Vec<bool> = order
            .iter()
            .map(|name| metric(name).is_some_and(|spec| spec.zero_fill))
            .collect();
        // By metric, then dimensions key by key, values that are integers (ranks, offsets)
        // in numeric order: one byte key per series, so a comparison is one `memcmp`.
        let mut keys = Vec::new();
        let mut keyed = Vec::with_capacity(grouped.len());
        for ((rank, dims), points) in grouped {
            let dimensions: BTreeMap<Text, Text> = serde_json::from_str(dims).map_err(|_| bad())?;
            let start = keys.len();
            sort_key(
                rank,
                dimensions.iter().map(|(k, v)| (&*k.0, &*v.0)),
                &mut keys,
            );
            keyed.push((
                start..keys.len(),
                Grouped {
                    metric_name: order[rank],
                    zero_fill: zero_fill[rank],
                    dimensions,
                    points: std::mem::take(&mut points_of[points]),
                },
            ));
        }
        keyed.sort_unstable_by(|a, b| keys[a.0.clone()].cmp(&keys[b.0.clone()]));
        let series = keyed.into_iter().map(|(_, series)| series).collect();
        let buckets = query.buckets();
        let labels = buckets.iter().map(|b| query.zone.format(b.start)).collect();
        Ok(Shaped {
            series,
            timeline: Timeline {
                zone: query.zone,
                starts: buckets.iter().map(|b| b.start).collect(),
                labels,
            },
        })
    }
}

/// A string of a series' dimensions, borrowed from the row's text unless it has escapes.
#[derive(Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(transparent)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

/// Parses a point as [`DashboardQuery::sql`] encodes it (see [`crate::catalog::POINT_SQL`]):
/// `start:value`, the value an integer, or a real in exponent notation that reads back as the
/// same double.
fn parse_point(text: &str) -> Option<(i64, Number)> {
    let (start, value) = text.split_once(':')?;
    let value = match value.parse::<i64>() {
        Ok(i) => Number::from(i),
        Err(_) => Number::from_f64(value.parse().ok()?)?,
    };
    Some((start.parse().ok()?, value))
}

/// The requested buckets' starts and their formatted timestamps.
struct Timeline {
    zone: Zone,
    starts: Vec<i64>,
    labels: Vec<String>,
}

impl Timeline {
    /// Calls `f` with each point of a series, from its stored ones (in any order), with its
    /// timestamp: every bucket's (0 where none is stored) when `zero_fill`, else those
    /// stored.
    fn each_point(
        &self,
        zero_fill: bool,
        mut points: Vec<(i64, Number)>,
        mut f: impl FnMut(&str, Number),
    ) {
        if !points.is_sorted_by_key(|(t, _)| *t) {
            points.sort_by_key(|(t, _)| *t);
        }
        // A stored point outside the requested buckets keeps its own timestamp.
        let mut emit = |t: i64, label: Option<&str>, value| match label {
            Some(label) => f(label, value),
            None => f(&self.zone.format(t), value),
        };
        if !zero_fill {
            for (t, value) in points {
                let label = self.starts.binary_search(&t).ok().map(|i| &*self.labels[i]);
                emit(t, label, value);
            }
            return;
        }
        let mut points = points.into_iter().peekable();
        for (&start, label) in self.starts.iter().zip(&self.labels) {
            while let Some((t, value)) = points.next_if(|(t, _)| *t < start) {
                emit(t, None, value);
            }
            let value = match points.next_if(|(t, _)| *t == start) {
                Some((_, value)) => value,
                None => Number::from(0),
            };
            emit(start, Some(label), value);
        }
        for (t, value) in points {
            emit(t, None, value);
        }
    }
}

/// Appends the sort key of a series to `out`: bytes whose order is that of `(rank, [(key,
/// value as an integer if it is one, value)])`, so that keys compare with one `memcmp`.
///
/// Each string is escaped (`0x00` as `0x00 0xff`) and ends with `0x00 0x01`, so a string
/// sorts before its extensions; `None` (tag 1) before any integer (tag 2, then the integer
/// big-endian with its sign bit flipped).
pub(crate) fn sort_key<'a>(
    rank: usize,
    dims: impl IntoIterator<Item = (&'a str, &'a str)>,
    out: &mut Vec<u8>,
) {
    fn text(s: &str, out: &mut Vec<u8>) {
        for &b in s.as_bytes() {
            out.push(b);
            if b == 0 {
                out.push(0xff);
            }
        }
        out.extend_from_slice(&[0, 1]);
    }
    out.extend_from_slice(&(rank as u64).to_be_bytes());
    for (key, value) in dims {
        text(key, out);
        match value.parse::<i64>() {
            Ok(n) => {
                out.push(2);
                out.extend_from_slice(&((n as u64) ^ (1 << 63)).to_be_bytes());
            }
            Err(_) => out.push(1),
        }
        text(value, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn dimensions_borrow_the_rows_text_unless_escaped() {
        let plain: BTreeMap<Text, Text> =
            serde_json::from_str(r#"{"rank":"1","tutorId":"t1"}"#).expect("plain");
        assert!(
            plain
                .iter()
                .all(|(k, v)| matches!((&k.0, &v.0), (Cow::Borrowed(_), Cow::Borrowed(_))))
        );
        let escaped: BTreeMap<Text, Text> =
            serde_json::from_str(r#"{"subject":"a\nb"}"#).expect("escaped");
        let (key, value) = escaped.iter().next().expect("entry");
        assert!(matches!(key.0, Cow::Borrowed("subject")));
        assert!(matches!(&value.0, Cow::Owned(v) if v == "a\nb"));
    }
}
