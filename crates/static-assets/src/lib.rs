//! Serving a fixed set of files that a component carries in its own binary.
//!
//! This crate is for the admin dashboard's static-file component: given the files (each with
//! an optional gzip copy made at build time), a request's method, path and headers, it decides
//! the whole response — redirects to the mount's index, the file, its `Content-Type`, an
//! `ETag` and `304 Not Modified`, `Content-Encoding: gzip` when the client accepts it, `404`
//! and `405`. It is *not* a file server: there is no file system, no directory listing and
//! no range requests (the files are a few tens of kilobytes), and it does no I/O, so the
//! component maps a [`Reply`] to Spin's response and nothing more.
//!
//! ```
//! use static_assets::{Asset, Request, Site};
//!
//! static FILES: [Asset; 1] = [Asset::new("index.html", b"<!doctype html>", None)];
//! let site = Site::new("/admin", &FILES);
//! let reply = site.respond(&Request { method: "GET", path: "/admin/", ..Request::default() });
//! assert_eq!(reply.status, 200);
//! assert_eq!(reply.header("content-type"), Some("text/html; charset=utf-8"));
//! ```

mod encoding;

pub use encoding::accepts_gzip;

/// One file: its name under the mount, its bytes, and optionally the same bytes gzipped.
#[derive(Debug)]
pub struct Asset {
    /// The name under the mount, `app.js` for `/admin/app.js`.
    pub name: &'static str,
    /// The file as built.
    pub body: &'static [u8],
    /// The file gzipped at build time, served to clients that accept it.
    pub gzip: Option<&'static [u8]>,
}

impl Asset {
    /// A file, for a `static` table.
    pub const fn new(name: &'static str, body: &'static [u8], gzip: Option<&'static [u8]>) -> Self {
        Self { name, body, gzip }
    }

    /// A strong validator: FNV-1a of the bytes, so a rebuilt file with new content gets a new
    /// one and an unchanged file keeps it across builds and instances.
    pub fn etag(&self) -> String {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in self.body {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        format!("\"{hash:016x}\"")
    }
}

/// The `Content-Type` of a file name, by its extension.
pub fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// What the component passes in from the HTTP request.
#[derive(Debug, Default, Clone, Copy)]
pub struct Request<'a> {
    /// `GET`, `HEAD`, ...
    pub method: &'a str,
    /// The path, without the query.
    pub path: &'a str,
    /// The `Accept-Encoding` header, if any.
    pub accept_encoding: Option<&'a str>,
    /// The `If-None-Match` header, if any.
    pub if_none_match: Option<&'a str>,
}

/// The response to send: status, headers (lower-case names) and body.
#[derive(Debug, PartialEq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// Header names and values.
    pub headers: Vec<(&'static str, String)>,
    /// The bytes to send (empty for `HEAD`, `304` and redirects).
    pub body: &'static [u8],
}

impl Reply {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    fn text(status: u16, message: &'static str) -> Self {
        Reply {
            status,
            headers: vec![("content-type", content_type("x.txt").to_owned())],
            body: message.as_bytes(),
        }
    }

    fn redirect(location: String) -> Self {
        Reply {
            status: 308,
            headers: vec![("location", location)],
            body: b"",
        }
    }
}

/// The files of one mount (`/admin`), with `index.html` served for the mount itself.
#[derive(Debug)]
pub struct Site {
    mount: &'static str,
    assets: &'static [Asset],
}

/// The file a mount's own path serves.
pub const INDEX: &str = "index.html";

impl Site {
    /// The files served under `mount` (no trailing slash, e.g. `/admin`).
    pub const fn new(mount: &'static str, assets: &'static [Asset]) -> Self {
        Self { mount, assets }
    }

    /// The file named `name`, if the site has it.
    pub fn asset(&self, name: &str) -> Option<&'static Asset> {
        self.assets.iter().find(|a| a.name == name)
    }

    /// The whole response to `request`.
    ///
    /// `/` and the mount without its slash redirect to `{mount}/` (so relative links in the
    /// page resolve under the mount); `{mount}/` is the index; `{mount}/{name}` a file.
    pub fn respond(&self, request: &Request) -> Reply {
        let head = match request.method {
            "GET" => false,
            "HEAD" => true,
            _ => {
                let mut reply = Reply::text(405, "Method not allowed\n");
                reply.headers.push(("allow", "GET, HEAD".to_owned()));
                return reply;
            }
        };
        if request.path == "/" || request.path == self.mount {
            return Reply::redirect(format!("{}/", self.mount));
        }
        let name = match request.path.strip_prefix(self.mount) {
            Some("/") => INDEX,
            Some(rest) => match rest.strip_prefix('/') {
                Some(name) => name,
                None => return Reply::text(404, "Not found\n"),
            },
            None => return Reply::text(404, "Not found\n"),
        };
        match self.asset(name) {
            Some(asset) => serve(asset, request, head),
            None => Reply::text(404, "Not found\n"),
        }
    }
}

/// A file's response: `304` when the client's copy is current, else the file, gzipped if the
/// client accepts it.
fn serve(asset: &'static Asset, request: &Request, head: bool) -> Reply {
    let etag = asset.etag();
    let mut headers = vec![
        // The names carry no content hash, so clients revalidate (a 304 costs no body).
        ("cache-control", "no-cache".to_owned()),
        ("vary", "Accept-Encoding".to_owned()),
        ("x-content-type-options", "nosniff".to_owned()),
    ];
    if asset.name.ends_with(".html") {
        headers.push((
            "content-security-policy",
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'".to_owned(),
        ));
    }
    if request
        .if_none_match
        .is_some_and(|tags| matches_etag(tags, &etag))
    {
        headers.push(("etag", etag));
        return Reply {
            status: 304,
            headers,
            body: b"",
        };
    }
    let body = match asset.gzip {
        Some(gzip) if accepts_gzip(request.accept_encoding) => {
            headers.push(("content-encoding", "gzip".to_owned()));
            gzip
        }
        _ => asset.body,
    };
    headers.push(("content-type", content_type(asset.name).to_owned()));
    headers.push(("etag", etag));
    if head {
        // No length for HEAD: the host would check it against the empty body.
        return Reply {
            status: 200,
            headers,
            body: b"",
        };
    }
    headers.push(("content-length", body.len().to_string()));
    Reply {
        status: 200,
        headers,
        body,
    }
}

/// Whether an `If-None-Match` list names `etag` (weak comparison, as RFC 9110 asks for it).
fn matches_etag(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == etag)
}

#[cfg(test)]
mod tests;
