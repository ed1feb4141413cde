//! Tests of the dashboard request parsing and of the response shape.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::json;

use crate::catalog::Dashboard;
use crate::error::RequestError;
use crate::read::{DashboardQuery, RECORD};
use crate::response::{shape_response, sort_key, write_response};
use crate::settings::Settings;
use crate::store::SqlValue;
use crate::time::Granularity;

fn now() -> chrono::DateTime<chrono::Utc> {
    "2024-05-31T22:30:00Z".parse().expect("now")
}

fn date(text: &str) -> NaiveDate {
    text.parse().expect("date")
}

fn settings() -> Settings {
    Settings::from_variables(Some("Europe/Paris"), None).expect("settings")
}

fn parse(dashboard: &str, query: &str) -> Result<DashboardQuery, RequestError> {
    DashboardQuery::parse(dashboard, Some(query), now(), &settings())
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn defaults() {
    let q = parse("overview", "").expect("query");
    assert_eq!(q.dashboard, Dashboard::Overview);
    assert_eq!(q.granularity, Granularity::Day);
    assert_eq!((q.from, q.to), (date("2024-05-02"), date("2024-05-31")));
    assert_eq!(q.buckets().len(), 30);
    // "Today" is read in the requested zone.
    let paris = parse("overview", "tz=Europe%2FParis").expect("paris");
    assert_eq!(paris.to, date("2024-06-01"));
    let week = parse("engagement", "granularity=week").expect("week");
    assert_eq!(week.from, date("2024-03-11"));
    assert_eq!(week.buckets().len(), 12);
    let month = parse("revenue", "granularity=month").expect("month");
    assert_eq!(month.from, date("2023-06-01"));
    assert_eq!(month.buckets().len(), 12);
    assert_eq!(
        DashboardQuery::parse("learning", None, now(), &settings()).map(|q| q.to),
        Ok(date("2024-05-31"))
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn parameters_table() {
    type Case<'a> = (&'a str, Result<(NaiveDate, NaiveDate, usize), RequestError>);
    let cases: Vec<Case> = vec![
        (
            "from=2024-05-01&to=2024-05-07",
            Ok((date("2024-05-01"), date("2024-05-07"), 7)),
        ),
        (
            "from=2024-05-01T23:30:00-02:00&to=2024-05-02",
            Ok((date("2024-05-02"), date("2024-05-02"), 1)),
        ),
        (
            "from=2024-05-03&to=2024-05-01",
            Err(RequestError::invalid("from", "must not be after to")),
        ),
        (
            "from=yesterday",
            Err(RequestError::invalid(
                "from",
                "expected a date (2024-05-01) or an RFC 3339 date-time",
            )),
        ),
        (
            "granularity=year",
            Err(RequestError::invalid(
                "granularity",
                "expected day, week or month",
            )),
        ),
        (
            "tz=Mars%2FBase",
            Err(RequestError::invalid(
                "tz",
                "unknown IANA time zone \"Mars/Base\"",
            )),
        ),
        (
            "tz=Asia/Tokyo",
            Err(RequestError::invalid(
                "tz",
                "Asia/Tokyo is not kept; use one of UTC, Europe/Paris",
            )),
        ),
        (
            "colour=red",
            Err(RequestError::UnknownParameter("colour".into())),
        ),
        (
            "subject=math&subject=art",
            Err(RequestError::invalid("subject", "given more than once")),
        ),
        (
            "subject=%ZZ",
            Err(RequestError::invalid("%ZZ", "bad percent-encoding")),
        ),
        (
            "subject=%FF",
            Err(RequestError::invalid("%FF", "not UTF-8")),
        ),
        (
            "from=2000-01-01&to=2024-01-01",
            Err(RequestError::invalid(
                "from",
                "the range spans more than 3660 buckets",
            )),
        ),
        (
            "subject=computer+science&&",
            Ok((date("2024-05-02"), date("2024-05-31"), 30)),
        ),
    ];
    for (query, expected) in cases {
        let got = parse("tutoring", query).map(|q| (q.from, q.to, q.buckets().len()));
        assert_eq!(got, expected, "{query}");
    }
    assert_eq!(
        parse("tutoring", "subject=computer+science").map(|q| q.filters["subject"].clone()),
        Ok("computer science".to_owned())
    );
    assert_eq!(
        parse("finance", ""),
        Err(RequestError::UnknownDashboard("finance".into()))
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn sql_and_parameters() {
    let q = parse(
        "revenue",
        "from=2024-05-01&to=2024-05-02&currency=EUR&tz=Europe/Paris",
    )
    .expect("query");
    let (sql, params) = q.sql();
    assert!(
        sql.contains("END) = ?6 AND bucket_start / 7776000000 BETWEEN ?4 / 7776000000 AND (?5 - 1) / 7776000000 AND json_extract"),
        "{sql}"
    );
    assert!(
        sql.ends_with(
            "json_extract(dimensions, '$.currency') = ?7 GROUP BY metric_name, bucket_start / 7776000000"
        ),
        "{sql}"
    );
    assert_eq!(params[0], SqlValue::Text("Europe/Paris".into()));
    assert_eq!(params[1], SqlValue::Text("day".into()));
    assert!(
        params[2]
            .as_str()
            .is_some_and(|m| m.contains("\"revenue_net\""))
    );
    // 2024-05-01T00:00+02:00 to 2024-05-03T00:00+02:00.
    assert_eq!(params[3], SqlValue::Integer(1_714_514_400_000));
    assert_eq!(params[4], SqlValue::Integer(1_714_687_200_000));
    assert_eq!(params[5], SqlValue::Integer(0));
    // Leaderboards are read by the second half, per chunk.
    assert_eq!(params[6], SqlValue::Text("EUR".into()));
    assert_eq!(
        params[7],
        SqlValue::Text(r#"["top_tutors_by_revenue","top_courses_by_revenue"]"#.into())
    );
    assert!(params[2].as_str().is_some_and(|m| !m.contains("top_")));
    assert!(
        sql.contains("json_each(?3)") && sql.contains("json_each(?8)"),
        "{sql}"
    );
    // A dashboard without leaderboards reads them with no second half.
    let (sql, params) = parse("overview", "").expect("query").sql();
    assert!(!sql.contains("UNION") && params.len() == 6, "{sql}");
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn breakdowns() {
    let bits = |query: &str| parse("revenue", query).map(|q| (q.breakdown, q.breakdown_bits()));
    assert_eq!(bits(""), Ok((None, 0)));
    assert_eq!(bits("currency=EUR"), Ok((None, 0)));
    assert_eq!(bits("breakdown=subject"), Ok((Some("subject"), 1)));
    assert_eq!(bits("breakdown=product"), Ok((Some("product"), 2)));
    assert_eq!(bits("breakdown=role"), Ok((Some("role"), 4)));
    assert_eq!(bits("breakdown=courseId"), Ok((Some("courseId"), 8)));
    // A filter on a breakdown key selects that breakdown.
    assert_eq!(bits("subject=math"), Ok((Some("subject"), 1)));
    assert_eq!(
        bits("subject=math&breakdown=subject"),
        Ok((Some("subject"), 1))
    );
    assert_eq!(
        bits("breakdown=tutorId"),
        Err(RequestError::InvalidParameter {
            name: "breakdown".into(),
            message: "expected subject, product, role or courseId".into()
        })
    );
    assert!(matches!(
        bits("breakdown=subject&courseId=c1"),
        Err(RequestError::InvalidParameter { name, .. }) if name == "courseId"
    ));
}

/// A row of [`DashboardQuery::sql`] holding one series: its points as comma-separated
/// `start:value` pairs.
fn series(metric: &str, dims: &str, points: &str) -> Vec<SqlValue> {
    vec![
        SqlValue::Text(metric.into()),
        SqlValue::Text(dims.into()),
        SqlValue::Text(points.into()),
    ]
}

/// A row of [`DashboardQuery::sql`] for a leaderboard: a chunk, series by series, with each
/// point's dimensions.
fn chunk(metric: &str, series: &[(&str, &str)]) -> Vec<SqlValue> {
    let (mut dims, mut points) = (Vec::new(), Vec::new());
    for (d, p) in series {
        for point in p.split(',') {
            dims.push(*d);
            points.push(point);
        }
    }
    vec![
        SqlValue::Text(metric.into()),
        SqlValue::Text(dims.join(&RECORD.to_string())),
        SqlValue::Text(points.join(",")),
    ]
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn response_shape() {
    let q = parse("revenue", "from=2024-05-01&to=2024-05-03").expect("query");
    let day = 86_400_000;
    let d1 = 1_714_521_600_000_i64;
    let d2 = d1 + day;
    let eur = r#"{"currency":"EUR"}"#;
    let rows = vec![
        series("arppu", eur, &format!("{d1}:4500.5")),
        series("revenue_net", eur, &format!("{d2}:-300")),
        series("revenue_gross", eur, &format!("{d1}:4500")),
        // A chunk of several series, as stored (dimensions in text order).
        chunk(
            "top_tutors_by_revenue",
            &[
                (
                    r#"{"currency":"EUR","rank":"10","tutorId":"t9"}"#,
                    &format!("{d1}:5"),
                ),
                (
                    r#"{"currency":"EUR","rank":"2","tutorId":"t2"}"#,
                    &format!("{d1}:50,{d2}:40"),
                ),
            ],
        ),
        series("booked_minutes", "{}", &format!("{d1}:60")),
    ];
    let response =
        shape_response(&q, Some("2024-05-31T22:00:00.000Z".into()), &rows).expect("shape");
    let body = serde_json::to_value(&response).expect("json");
    assert_eq!(body["dashboard"], "REVENUE");
    assert_eq!(body["refreshedAt"], "2024-05-31T22:00:00.000Z");
    assert_eq!(body["timeZone"], "UTC");
    assert_eq!(body["granularity"], "day");
    let names: Vec<&str> = response
        .series
        .iter()
        .map(|s| s.metric_name.as_str())
        .collect();
    // Dashboard order; metrics the dashboard does not show are left out.
    assert_eq!(
        names,
        [
            "revenue_gross",
            "revenue_net",
            "arppu",
            "top_tutors_by_revenue",
            "top_tutors_by_revenue"
        ]
    );
    assert_eq!(
        body["series"][0],
        json!({"metricName": "revenue_gross", "dimensions": {"currency": "EUR"}, "points": [
            {"timestamp": "2024-05-01T00:00:00Z", "value": 4500},
            {"timestamp": "2024-05-02T00:00:00Z", "value": 0},
            {"timestamp": "2024-05-03T00:00:00Z", "value": 0}]})
    );
    assert_eq!(body["series"][1]["points"][1]["value"], -300);
    // Rates are not zero-filled.
    assert_eq!(
        body["series"][2]["points"],
        json!([{"timestamp": "2024-05-01T00:00:00Z", "value": 4500.5}])
    );
    // Ranks in numeric order, each series with its own points.
    assert_eq!(body["series"][3]["dimensions"]["rank"], "2");
    assert_eq!(
        body["series"][3]["points"],
        json!([{"timestamp": "2024-05-01T00:00:00Z", "value": 50},
               {"timestamp": "2024-05-02T00:00:00Z", "value": 40}])
    );
    assert_eq!(body["series"][4]["dimensions"]["tutorId"], "t9");
    assert_eq!(
        body["series"][4]["points"].as_array().map(Vec::len),
        Some(1)
    );
    // A point without its dimensions, or dimensions without their point, is a bad row.
    let mut short = series("arppu", eur, &format!("{d1}:1,{d2}:2,{d2}:3"));
    short[1] = SqlValue::Text(format!("{eur}{RECORD}{eur}"));
    assert!(shape_response(&q, None, &[short]).is_err());
    let mut long = series("arppu", eur, &format!("{d1}:1,{d2}:2"));
    long[1] = SqlValue::Text(format!("{eur}{RECORD}{eur}{RECORD}{eur}"));
    assert!(shape_response(&q, None, &[long]).is_err());
    let bad = vec![vec![SqlValue::Text("dau".into())]];
    assert!(shape_response(&q, None, &bad).is_err());
    let nan = vec![series("arppu", "{}", &format!("{d1}:NaN"))];
    assert!(shape_response(&q, None, &nan).is_err());
    let no_value = vec![series("arppu", "{}", &format!("{d1}"))];
    assert!(shape_response(&q, None, &no_value).is_err());
    let empty = shape_response(&q, None, &[]).expect("empty");
    assert!(empty.series.is_empty() && empty.refreshed_at.is_none());
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn points_in_any_order_and_real_renderings() {
    let q = parse("revenue", "from=2024-05-01&to=2024-05-02").expect("query");
    let d1 = 1_714_521_600_000_i64;
    let d2 = d1 + 86_400_000;
    let eur = r#"{"currency":"EUR"}"#;
    let rows = vec![
        // Reals with 21 significant digits.
        series(
            "arppu",
            eur,
            &format!("{d2}:2.00000000000000000000e+00,{d1}:3.33333333333333314830e-01"),
        ),
        // A series' chunks are one series.
        series("revenue_gross", eur, &format!("{d2}:7")),
        series("revenue_gross", eur, &format!("{d1}:5")),
    ];
    let body = serde_json::to_value(shape_response(&q, None, &rows).expect("shape")).expect("json");
    assert_eq!(
        body["series"],
        json!([
            {"metricName": "revenue_gross", "dimensions": {"currency": "EUR"}, "points": [
                {"timestamp": "2024-05-01T00:00:00Z", "value": 5},
                {"timestamp": "2024-05-02T00:00:00Z", "value": 7}]},
            {"metricName": "arppu", "dimensions": {"currency": "EUR"}, "points": [
                {"timestamp": "2024-05-01T00:00:00Z", "value": 1.0 / 3.0},
                {"timestamp": "2024-05-02T00:00:00Z", "value": 2.0}]}
        ])
    );
    assert!(body["series"][1]["points"][1]["value"].is_f64());
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_json_written_from_rows_is_the_serialized_response() {
    let q = parse("revenue", "from=2024-05-01&to=2024-05-03").expect("query");
    let d1 = 1_714_521_600_000_i64;
    let (d0, d2) = (d1 - 86_400_000, d1 + 86_400_000);
    let rows = vec![
        // Escapes in keys and values, keys out of order, a repeated key (the last wins).
        series(
            "revenue_gross",
            r#"{"subject":"a\"b\u00e9\n","currency":"EUR","currency":"USD"}"#,
            &format!("{d2}:7,{d1}:5"),
        ),
        // Points before and after the requested buckets keep their own timestamps.
        series(
            "revenue_gross",
            r#"{"currency":"EUR"}"#,
            &format!("{d0}:1,{}:2", d2 + 86_400_000 + 3_600_000),
        ),
        series(
            "arppu",
            "{}",
            &format!("{d1}:3.33333333333333314830e-01,{d0}:2"),
        ),
        chunk(
            "top_tutors_by_revenue",
            &[
                (
                    r#"{"currency":"EUR","rank":"10","tutorId":"t\/9"}"#,
                    &format!("{d1}:5"),
                ),
                (
                    r#"{"currency":"EUR","rank":"2","tutorId":"t2"}"#,
                    &format!("{d1}:50,{d2}:40"),
                ),
            ],
        ),
    ];
    for refreshed_at in [None, Some("2024-05-31T22:00:00.000Z")] {
        let typed = shape_response(&q, refreshed_at.map(str::to_owned), &rows).expect("shape");
        let written = write_response(&q, refreshed_at, &rows).expect("write");
        assert_eq!(written, serde_json::to_string(&typed).expect("serialize"));
    }
    let body: serde_json::Value =
        serde_json::from_str(&write_response(&q, None, &rows).expect("write")).expect("json");
    assert_eq!(
        body["series"][1]["dimensions"],
        json!({"currency": "USD", "subject": "a\"b\u{e9}\n"})
    );
    assert_eq!(
        body["series"][0]["points"][0]["timestamp"],
        "2024-04-30T00:00:00Z"
    );
    assert_eq!(
        body["series"][0]["points"].as_array().map(Vec::len),
        Some(5)
    );
    assert_eq!(body["series"][4]["dimensions"]["tutorId"], "t/9");
    // Dimensions that are not an object of strings are a bad row.
    for dims in [r#"{"rank":1}"#, "[]", r#"{"a":"b""#] {
        let rows = vec![series("arppu", dims, &format!("{d1}:1"))];
        assert!(write_response(&q, None, &rows).is_err(), "{dims}");
        assert!(shape_response(&q, None, &rows).is_err(), "{dims}");
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn series_sort_keys_order_as_their_dimensions() {
    // The order the response promises: metric, then dimensions key by key, a value that is
    // an integer after one that is not, integers numerically, then as text.
    type Tuple = (usize, Vec<(String, Option<i64>, String)>);
    let tuple = |rank: usize, dims: &BTreeMap<String, String>| -> Tuple {
        let entries = dims
            .iter()
            .map(|(k, v)| (k.clone(), v.parse().ok(), v.clone()));
        (rank, entries.collect())
    };
    let values = [
        "",
        "a",
        "a\0",
        "a\0b",
        "ab",
        "b",
        "-3",
        "-10",
        "0",
        "2",
        "10",
        "007",
        "9223372036854775807",
        "-9223372036854775808",
    ];
    let mut all = Vec::new();
    for rank in [0, 1, 300] {
        all.push((rank, BTreeMap::new()));
        for key in ["rank", "ra", "rank\0"] {
            for value in values {
                let one = BTreeMap::from([(key.to_owned(), value.to_owned())]);
                all.push((rank, one.clone()));
                let mut two = one;
                two.insert("tutorId".into(), value.to_owned());
                all.push((rank, two));
            }
        }
    }
    let key = |(rank, dims): &(usize, BTreeMap<String, String>)| {
        let mut out = Vec::new();
        sort_key(*rank, dims.iter().map(|(k, v)| (&**k, &**v)), &mut out);
        out
    };
    for a in &all {
        for b in &all {
            assert_eq!(
                key(a).cmp(&key(b)),
                tuple(a.0, &a.1).cmp(&tuple(b.0, &b.1)),
                "{a:?} against {b:?}"
            );
        }
    }
}
