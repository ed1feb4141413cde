//! Spin's HTTP routing: exact routes and `/...` wildcards, the most specific match winning.

/// One route of the router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The route as the manifest writes it, with the base path applied (`/probe/...`).
    pub raw: String,
    /// The route without its wildcard suffix (`/probe`).
    pub prefix: String,
    /// Whether it ends in `/...`.
    pub wildcard: bool,
    /// The component serving it.
    pub component: String,
}

/// What a request path matched.
#[derive(Debug, PartialEq, Eq)]
pub struct RouteMatch<'a> {
    /// The matched route.
    pub route: &'a Route,
    /// The rest of the path after a wildcard's prefix; empty for an exact route.
    pub path_info: String,
}

/// Routes ordered by specificity.
#[derive(Debug, Default, Clone)]
pub struct Router {
    routes: Vec<Route>,
}

impl Router {
    /// Builds a router from `(route, component)` pairs under `base`. A route declared twice keeps
    /// its first component, as Spin does, and the duplicate is returned so it can be reported.
    pub fn new<'a>(
        base: &str,
        routes: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> (Self, Vec<String>) {
        let mut router = Router::default();
        let mut duplicates = Vec::new();
        for (route, component) in routes {
            let raw = join(base, route);
            let (prefix, wildcard) = match raw.strip_suffix("/...") {
                Some(prefix) => (prefix.to_owned(), true),
                None => (raw.clone(), false),
            };
            let prefix = if prefix.len() > 1 {
                prefix.trim_end_matches('/').to_owned()
            } else {
                prefix
            };
            if router
                .routes
                .iter()
                .any(|r| r.prefix == prefix && r.wildcard == wildcard)
            {
                duplicates.push(raw);
                continue;
            }
            router.routes.push(Route {
                raw,
                prefix,
                wildcard,
                component: component.to_owned(),
            });
        }
        // Exact routes first, then wildcards from the longest prefix down.
        router
            .routes
            .sort_by_key(|r| (r.wildcard, std::cmp::Reverse(r.prefix.len())));
        (router, duplicates)
    }

    /// The most specific route for a request path (without its query).
    pub fn route(&self, path: &str) -> Option<RouteMatch<'_>> {
        self.routes.iter().find_map(|route| {
            if !route.wildcard {
                return (path == route.prefix
                    || (path.len() == route.prefix.len() + 1
                        && path.starts_with(&route.prefix)
                        && path.ends_with('/')))
                .then(|| RouteMatch {
                    route,
                    path_info: String::new(),
                });
            }
            let prefix = route.prefix.trim_end_matches('/');
            let rest = path.strip_prefix(prefix)?;
            (rest.is_empty() || rest.starts_with('/')).then(|| RouteMatch {
                route,
                path_info: rest.to_owned(),
            })
        })
    }

    /// All routes, most specific first.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }
}

fn join(base: &str, route: &str) -> String {
    let base = base.trim_end_matches('/');
    if route == "/" && !base.is_empty() {
        return base.to_owned();
    }
    format!("{base}{route}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Router {
        Router::new(
            "/",
            [
                ("/...", "fallback"),
                ("/probe/...", "probe"),
                ("/probe/exact", "exact"),
                ("/probe/deeper/...", "deeper"),
                ("/events", "events"),
                ("/events", "duplicate"),
            ],
        )
        .0
    }

    #[test]
    fn the_most_specific_route_wins() {
        let r = router();
        let table = [
            ("/probe/exact", "exact", ""),
            ("/probe/exact/", "exact", ""),
            ("/probe/exact/more", "probe", "/exact/more"),
            ("/probe/headers", "probe", "/headers"),
            ("/probe", "probe", ""),
            ("/probe/deeper/x", "deeper", "/x"),
            ("/prober", "fallback", "/prober"),
            ("/events", "events", ""),
            ("/events/x", "fallback", "/events/x"),
            ("/", "fallback", "/"),
        ];
        for (path, component, info) in table {
            let m = r.route(path).unwrap();
            assert_eq!(
                (m.route.component.as_str(), m.path_info.as_str()),
                (component, info),
                "{path}"
            );
        }
    }

    #[test]
    fn unknown_paths_do_not_match_without_a_catch_all() {
        let (r, dups) = Router::new("/", [("/a", "a"), ("/b/...", "b"), ("/a", "again")]);
        assert_eq!(dups, ["/a"]);
        assert!(r.route("/c").is_none());
        assert!(r.route("/bb").is_none());
        assert_eq!(r.route("/b").unwrap().route.component, "b");
        assert_eq!(r.routes().len(), 2);
    }

    #[test]
    fn base_paths_prefix_every_route() {
        let (r, _) = Router::new("/api/", [("/x/...", "x"), ("/", "root")]);
        assert_eq!(r.route("/api/x/1").unwrap().route.raw, "/api/x/...");
        assert_eq!(r.route("/api").unwrap().route.component, "root");
        assert!(r.route("/x/1").is_none());
    }
}
