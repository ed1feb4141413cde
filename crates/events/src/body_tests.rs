//! Tests (table-driven: case tuples are spelled out inline).
#![allow(clippy::type_complexity)]

use super::*;
use crate::request::Route;
use crate::test_support::{gzip, received_at};

fn req<'a>(
    route: Route,
    ct: Option<&'a str>,
    headers: &'a [(&'a str, &'a str)],
) -> IncomingBody<'a> {
    IncomingBody {
        route,
        content_type: ct,
        content_encoding: None,
        headers,
        body: b"",
        received_at: received_at(),
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn media_type_parsing() {
    assert_eq!(
        media_type("Application/JSON; Charset=\"UTF-8\""),
        MediaType {
            essence: "application/json".into(),
            charset: Some("utf-8".into())
        }
    );
    assert_eq!(
        media_type("application/json;foo=bar"),
        MediaType {
            essence: "application/json".into(),
            charset: None
        }
    );
    assert_eq!(media_type("").essence, "");
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn select_format_table() {
    let ce: &[(&str, &str)] = &[("ce-specversion", "1.0")];
    let none: &[(&str, &str)] = &[];
    // (route, content type, headers, expected format or status)
    let cases: Vec<(Route, Option<&str>, &[(&str, &str)], Result<Format, u16>)> = vec![
        (
            Route::Events,
            Some("application/json"),
            none,
            Ok(Format::Native),
        ),
        (
            Route::Events,
            Some("application/json; charset=utf-8"),
            none,
            Ok(Format::Native),
        ),
        (
            Route::Events,
            Some("application/json;charset=UTF8"),
            none,
            Ok(Format::Native),
        ),
        (
            Route::Events,
            Some("application/json; charset=latin1"),
            none,
            Err(415),
        ),
        (
            Route::Events,
            Some("application/cloudevents+json"),
            none,
            Ok(Format::CloudEvent),
        ),
        (
            Route::Events,
            Some("application/cloudevents+json; charset=utf-8"),
            ce,
            Ok(Format::CloudEvent),
        ),
        (
            Route::Events,
            Some("application/cloudevents-batch+json"),
            none,
            Ok(Format::CloudEventBatch),
        ),
        (
            Route::Events,
            Some("application/json"),
            ce,
            Ok(Format::CloudEventBinary),
        ),
        (
            Route::Events,
            Some("application/vnd.tutoring+json"),
            ce,
            Ok(Format::CloudEventBinary),
        ),
        (
            Route::Events,
            Some("application/vnd.tutoring+json"),
            none,
            Err(415),
        ),
        (Route::Events, Some("text/plain"), ce, Err(415)),
        (Route::Events, Some("text/plain"), none, Err(415)),
        (
            Route::Events,
            Some("application/x-www-form-urlencoded"),
            none,
            Err(415),
        ),
        (Route::Events, None, none, Err(415)),
        (
            Route::SegmentBatch,
            Some("application/json"),
            none,
            Ok(Format::Segment),
        ),
        (
            Route::SegmentTrack,
            Some("text/plain;charset=UTF-8"),
            none,
            Ok(Format::Segment),
        ),
        (
            Route::SegmentIdentify,
            Some("application/x-www-form-urlencoded"),
            none,
            Ok(Format::Segment),
        ),
        (
            Route::SegmentBatch,
            Some("application/cloudevents+json"),
            none,
            Err(415),
        ),
        (
            Route::SegmentBatch,
            Some("multipart/form-data"),
            none,
            Err(415),
        ),
        (Route::SegmentBatch, None, none, Err(415)),
    ];
    for (route, ct, headers, expected) in cases {
        let got = select_format(&req(route, ct, headers));
        match expected {
            Ok(format) => assert_eq!(got, Ok(format), "{route:?} {ct:?}"),
            Err(status) => {
                let err = got.unwrap_err();
                assert_eq!(err.status_code(), status, "{route:?} {ct:?}");
                assert_eq!(err.code(), "unsupported_media_type");
            }
        }
    }
    let msg = select_format(&req(Route::Events, None, none))
        .unwrap_err()
        .to_string();
    assert!(msg.starts_with("missing content-type on /events"), "{msg}");
    let msg = select_format(&req(Route::SegmentBatch, Some("image/png"), none))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("\"image/png\"") && msg.contains("/v1/batch"),
        "{msg}"
    );
    let msg = select_format(&req(
        Route::Events,
        Some("application/json; charset=latin1"),
        none,
    ))
    .unwrap_err()
    .to_string();
    assert!(msg.contains("charset \"latin1\""), "{msg}");
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn json_only_labels() {
    assert!(!json_only_if_it_looks_like_json(Some(
        "application/json; charset=utf-8"
    )));
    assert!(json_only_if_it_looks_like_json(Some("text/plain")));
    assert!(json_only_if_it_looks_like_json(Some(
        "application/x-www-form-urlencoded"
    )));
    assert!(!json_only_if_it_looks_like_json(None));
    let r = req(
        Route::SegmentBatch,
        Some("application/x-www-form-urlencoded"),
        &[],
    );
    let err = not_json_error(&r);
    assert_eq!(err.status_code(), 415);
    assert!(err.to_string().contains("only when the body is JSON"));
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn decode_table() {
    let json = br#"{"a":1}"#.to_vec();
    let gz = gzip(&json);
    let gzgz = gzip(&gz);
    let cases: Vec<(&[u8], Option<&str>, Result<Vec<u8>, &str>)> = vec![
        (&json, None, Ok(json.clone())),
        (&json, Some("identity"), Ok(json.clone())),
        (&json, Some(""), Ok(json.clone())),
        (&gz, Some("gzip"), Ok(json.clone())),
        (&gz, Some("GZIP"), Ok(json.clone())),
        (&gz, Some("x-gzip"), Ok(json.clone())),
        (&gz, None, Ok(json.clone())), // sniffed magic bytes
        (&gz, Some("identity, gzip"), Ok(json.clone())),
        (&gzgz, Some("gzip, gzip"), Ok(json.clone())),
        (&json, Some("gzip"), Err("invalid_gzip")),
        (&gz[..gz.len() - 4], Some("gzip"), Err("invalid_gzip")),
        (&gz, Some("br"), Err("unsupported_encoding")),
        (&gz, Some("gzip, deflate"), Err("unsupported_encoding")),
    ];
    for (body, encoding, expected) in cases {
        let got = decode(body, encoding, 1024).map(|c| c.into_owned());
        match expected {
            Ok(bytes) => assert_eq!(got, Ok(bytes), "{encoding:?}"),
            Err(code) => assert_eq!(got.unwrap_err().code(), code, "{encoding:?}"),
        }
    }
    let err = decode(&gz, Some("br"), 1024).unwrap_err();
    assert_eq!(err.status_code(), 415);
    assert!(err.to_string().contains("\"br\""));
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn decode_stops_at_limit_for_zip_bombs() {
    let bomb = gzip(&vec![b' '; 10 * 1024 * 1024]);
    assert!(bomb.len() < 20 * 1024, "compressed size {}", bomb.len());
    let err = decode(&bomb, Some("gzip"), 1024 * 1024).unwrap_err();
    assert_eq!(
        err,
        IngestError::DecompressedTooLarge { limit: 1024 * 1024 }
    );
    assert_eq!(err.status_code(), 413);
    // exactly at the limit is fine
    let exact = gzip(&[b'x'; 100]);
    assert_eq!(decode(&exact, Some("gzip"), 100).unwrap().len(), 100);
    assert!(decode(&exact, Some("gzip"), 99).is_err());
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn parse_json_reports_positions() {
    let cases: Vec<(&[u8], Result<serde_json::Value, (&str, usize, usize)>)> = vec![
        (b"{\"a\": 1}", Ok(serde_json::json!({"a": 1}))),
        (b"\xEF\xBB\xBF[1]", Ok(serde_json::json!([1]))),
        (b"", Err(("empty_body", 0, 0))),
        (b"  \n ", Err(("empty_body", 0, 0))),
        (b"{\"a\": 1,\n  \"b\": }", Err(("invalid_json", 2, 8))),
        (b"not json", Err(("invalid_json", 1, 2))),
        (b"{\"a\": \"\xff\"}", Err(("invalid_json", 1, 8))),
        (b"[1] [2]", Err(("invalid_json", 1, 5))),
    ];
    for (input, expected) in cases {
        let got = parse_json(input);
        match expected {
            Ok(v) => assert_eq!(got, Ok(v)),
            Err((code, line, column)) => {
                let err = got.unwrap_err();
                assert_eq!(err.code(), code, "{:?}", String::from_utf8_lossy(input));
                if let IngestError::InvalidJson {
                    line: l,
                    column: c,
                    reason,
                } = &err
                {
                    assert_eq!((*l, *c), (line, column), "{reason}");
                    assert!(!reason.contains(" at line "), "{reason}");
                }
            }
        }
    }
    let msg = parse_json(b"{\"a\": 1,\n  \"b\": }")
        .unwrap_err()
        .to_string();
    assert_eq!(
        msg,
        "request body is not valid JSON at line 2, column 8: expected value"
    );
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn looks_like_json_and_compact_len() {
    assert!(looks_like_json(b"  {"));
    assert!(looks_like_json(b"\xEF\xBB\xBF["));
    assert!(!looks_like_json(b"a=1&b=2"));
    assert!(!looks_like_json(b""));
    let v = serde_json::json!({"a": [1, "x"], "b": null});
    assert_eq!(compact_len(&v), serde_json::to_vec(&v).unwrap().len());
}
