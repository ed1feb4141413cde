//! Extracting the ingest key a client presents (checking it is the component's job).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};

/// The key presented by a client, from (in order of precedence):
///
/// - `Authorization: Bearer KEY`;
/// - `Authorization: Basic base64(KEY:)` — Segment/RudderStack SDKs send the write key
///   as the username with an empty password; when the username is empty the password
///   is used instead;
/// - an API-key header value (e.g. `X-API-Key: KEY`).
///
/// Scheme names are case-insensitive and surrounding whitespace is ignored. Returns
/// `None` when no usable key is present (an unknown scheme, bad base64, blank key).
pub fn credentials_from_headers(
    authorization: Option<&str>,
    api_key_header: Option<&str>,
) -> Option<String> {
    authorization
        .and_then(from_authorization)
        .or_else(|| non_blank(api_key_header?))
}

fn from_authorization(header: &str) -> Option<String> {
    let (scheme, rest) = header.trim().split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return non_blank(rest);
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD
        .decode(rest)
        .or_else(|_| STANDARD_NO_PAD.decode(rest))
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':').unwrap_or((&text, ""));
    non_blank(user).or_else(|| non_blank(password))
}

fn non_blank(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn credentials_table() {
        let basic = |s: &str| format!("Basic {}", STANDARD.encode(s));
        let unpadded = format!("basic {}", STANDARD_NO_PAD.encode("wk_1:"));
        let cases: Vec<(Option<String>, Option<&str>, Option<&str>)> = vec![
            (Some("Bearer key-1".into()), None, Some("key-1")),
            (
                Some("bearer   key-1  ".into()),
                Some("other"),
                Some("key-1"),
            ),
            (Some(basic("wk_123:")), None, Some("wk_123")),
            (Some(basic("wk_123")), None, Some("wk_123")),
            (Some(basic(":secret")), None, Some("secret")),
            (Some(basic("user:pass")), None, Some("user")),
            (Some(unpadded), None, Some("wk_1")),
            (Some(basic(":")), None, None),
            (Some(basic(":")), Some("hdr"), Some("hdr")),
            (Some("Basic !!!".into()), None, None),
            (
                Some(format!("Basic {}", STANDARD.encode([0xff, 0xfe]))),
                None,
                None,
            ),
            (Some("Bearer    ".into()), None, None),
            (Some("Bearer".into()), None, None),
            (Some("Digest abc".into()), Some("k"), Some("k")),
            (None, Some("  api-key "), Some("api-key")),
            (None, Some(""), None),
            (None, None, None),
        ];
        for (authorization, header, expected) in cases {
            assert_eq!(
                credentials_from_headers(authorization.as_deref(), header).as_deref(),
                expected,
                "{authorization:?} {header:?}"
            );
        }
    }
}
