//! `Accept-Encoding` negotiation: is gzip acceptable?

/// Whether a client with this `Accept-Encoding` header accepts gzip: `gzip` (or `x-gzip`, or
/// `*` when gzip is not named) with a quality above zero. No header means identity only.
///
/// ```
/// assert!(static_assets::accepts_gzip(Some("gzip, deflate, br")));
/// assert!(!static_assets::accepts_gzip(Some("gzip;q=0, br")));
/// assert!(!static_assets::accepts_gzip(None));
/// ```
pub fn accepts_gzip(accept_encoding: Option<&str>) -> bool {
    let Some(header) = accept_encoding else {
        return false;
    };
    let mut wildcard = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let accepted = quality(parts) > 0.0;
        match coding.as_str() {
            "gzip" | "x-gzip" => return accepted,
            "*" => wildcard = Some(accepted),
            _ => {}
        }
    }
    wildcard.unwrap_or(false)
}

/// The `q` parameter among an item's parameters: 1 when absent, 0 when unreadable.
fn quality<'a>(params: impl Iterator<Item = &'a str>) -> f32 {
    for param in params {
        if let Some((key, value)) = param.split_once('=')
            && key.trim().eq_ignore_ascii_case("q")
        {
            return value.trim().parse().unwrap_or(0.0);
        }
    }
    1.0
}
