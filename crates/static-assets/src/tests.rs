//! The responses a browser sees, one rule per test.

use super::*;

static FILES: [Asset; 3] = [
    Asset::new(
        "index.html",
        b"<!doctype html><title>x</title>",
        Some(b"GZ-INDEX"),
    ),
    Asset::new("app.js", b"export {};", Some(b"GZ-APP")),
    Asset::new("logo.png", b"\x89PNG", None),
];
const SITE: Site = Site::new("/admin", &FILES);

fn get(path: &str) -> Reply {
    SITE.respond(&Request {
        method: "GET",
        path,
        ..Request::default()
    })
}

#[test]
fn root_and_bare_mount_redirect_to_the_index() {
    for path in ["/", "/admin"] {
        let reply = get(path);
        assert_eq!(reply.status, 308, "{path}");
        assert_eq!(reply.header("location"), Some("/admin/"));
        assert!(reply.body.is_empty());
    }
}

#[test]
fn the_mount_serves_the_index_with_its_type_validator_and_policy() {
    let reply = get("/admin/");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, FILES[0].body);
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(reply.header("cache-control"), Some("no-cache"));
    assert_eq!(reply.header("vary"), Some("Accept-Encoding"));
    assert_eq!(reply.header("etag"), Some(FILES[0].etag().as_str()));
    assert_eq!(reply.header("content-length"), Some("31"));
    assert!(
        reply
            .header("content-security-policy")
            .unwrap()
            .contains("default-src 'self'")
    );
    assert_eq!(reply.header("content-encoding"), None);
}

#[test]
fn files_by_name_and_unknown_paths() {
    assert_eq!(
        get("/admin/app.js").header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(get("/admin/app.js").header("content-security-policy"), None);
    for path in [
        "/admin/missing.js",
        "/adminx",
        "/other",
        "/admin/app.js/x",
        "/admin//app.js",
    ] {
        let reply = get(path);
        assert_eq!(reply.status, 404, "{path}");
        assert_eq!(reply.body, b"Not found\n");
    }
}

#[test]
fn gzip_only_when_accepted_and_available() {
    let request = |path, accept| {
        SITE.respond(&Request {
            method: "GET",
            path,
            accept_encoding: accept,
            if_none_match: None,
        })
    };
    let gz = request("/admin/app.js", Some("gzip, br"));
    assert_eq!(gz.body, b"GZ-APP");
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(gz.header("content-length"), Some("6"));
    assert_eq!(request("/admin/app.js", Some("br")).body, b"export {};");
    assert_eq!(request("/admin/app.js", None).body, b"export {};");
    let png = request("/admin/logo.png", Some("gzip"));
    assert_eq!(png.body, b"\x89PNG");
    assert_eq!(png.header("content-encoding"), None);
}

#[test]
fn a_current_etag_gets_304_without_a_body() {
    let etag = FILES[1].etag();
    for header in [etag.clone(), format!("\"other\", W/{etag}"), "*".to_owned()] {
        let reply = SITE.respond(&Request {
            method: "GET",
            path: "/admin/app.js",
            accept_encoding: Some("gzip"),
            if_none_match: Some(&header),
        });
        assert_eq!(reply.status, 304, "{header}");
        assert!(reply.body.is_empty());
        assert_eq!(reply.header("etag"), Some(etag.as_str()));
    }
    let stale = SITE.respond(&Request {
        method: "GET",
        path: "/admin/app.js",
        accept_encoding: None,
        if_none_match: Some("\"0000000000000000\""),
    });
    assert_eq!(stale.status, 200);
}

#[test]
fn head_has_the_headers_of_get_and_no_body() {
    let reply = SITE.respond(&Request {
        method: "HEAD",
        path: "/admin/",
        ..Request::default()
    });
    assert_eq!(reply.status, 200);
    assert!(reply.body.is_empty());
    assert_eq!(reply.header("etag"), Some(FILES[0].etag().as_str()));
    assert_eq!(reply.header("content-length"), None);
}

#[test]
fn other_methods_are_refused() {
    for method in ["POST", "PUT", "DELETE"] {
        let reply = SITE.respond(&Request {
            method,
            path: "/admin/",
            ..Request::default()
        });
        assert_eq!(reply.status, 405);
        assert_eq!(reply.header("allow"), Some("GET, HEAD"));
    }
}

#[test]
fn etags_follow_the_content() {
    let a = Asset::new("a.js", b"one", None);
    let b = Asset::new("b.js", b"one", None);
    let c = Asset::new("a.js", b"two", None);
    assert_eq!(a.etag(), b.etag());
    assert_ne!(a.etag(), c.etag());
    assert_eq!(a.etag().len(), 18);
    assert!(SITE.asset("app.js").is_some());
    assert!(SITE.asset("nope").is_none());
}

#[test]
fn content_types_by_extension() {
    let table = [
        ("a.html", "text/html; charset=utf-8"),
        ("a.js", "text/javascript; charset=utf-8"),
        ("a.mjs", "text/javascript; charset=utf-8"),
        ("a.css", "text/css; charset=utf-8"),
        ("a.json", "application/json"),
        ("a.svg", "image/svg+xml"),
        ("a.png", "image/png"),
        ("a.ico", "image/x-icon"),
        ("a.txt", "text/plain; charset=utf-8"),
        ("a.wasm", "application/octet-stream"),
        ("noext", "application/octet-stream"),
    ];
    for (name, want) in table {
        assert_eq!(content_type(name), want, "{name}");
    }
}

#[test]
fn accept_encoding_negotiation() {
    let table = [
        (None, false),
        (Some(""), false),
        (Some("gzip"), true),
        (Some("GZIP;q=0.5"), true),
        (Some("x-gzip"), true),
        (Some("deflate, gzip;q=0"), false),
        (Some("gzip; q=0.0"), false),
        (Some("gzip;q=nonsense"), false),
        (Some("br, *"), true),
        (Some("*;q=0"), false),
        (Some("*, gzip;q=0"), false),
        (Some("br;level=1, deflate"), false),
        (Some("identity"), false),
    ];
    for (header, want) in table {
        assert_eq!(accepts_gzip(header), want, "{header:?}");
    }
}
