//! The HTTP surface as one table: every route, the function that serves it and who may call
//! it. The table is data (`routes.json`, embedded at build time) so that the deployment
//! checks (`scripts/check-infra`) read the very rows the functions dispatch on; both stacks'
//! API routes must equal it.
//!
//! Paths match on whole segments, after any stage or custom-domain prefix (`/prod/v1/logs`
//! is `/v1/logs`), with one trailing slash allowed; `{name}` matches one segment.

use std::sync::LazyLock;

use serde::Deserialize;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Auth {
    /// The log shippers' API key (`x-api-key` or `Authorization: Bearer`).
    IngestKey,
    /// An analyst's credential for the review API (a JWT in AWS, the review key locally).
    ReviewCredential,
    /// No credential: the review page's static files and its sign-in settings, which hold
    /// nothing secret and must load before anyone has signed in.
    Public,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Route {
    pub method: String,
    pub path: String,
    /// The function that serves it (its crate and binary name under `functions/`).
    pub function: String,
    pub auth: Auth,
    pub summary: String,
}

#[derive(Deserialize)]
struct Table {
    routes: Vec<Route>,
}

/// The embedded table. Its validity is a unit test, so a broken edit fails the build's
/// tests rather than a function at run time.
pub fn table() -> &'static [Route] {
    static TABLE: LazyLock<Vec<Route>> = LazyLock::new(|| {
        let t: Table = serde_json::from_str(include_str!("routes.json"))
            .expect("routes.json is checked by routes::tests");
        t.routes
    });
    &TABLE
}

/// Why a request matches no route.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("no route for this path")]
    NotFound,
    /// The path exists with other methods (the `Allow` header lists them).
    #[error("method not allowed here; allowed: {}", allowed.join(", "))]
    MethodNotAllowed { allowed: Vec<String> },
}

/// The route serving `method` and `path`.
pub fn resolve(method: &str, path: &str) -> Result<&'static Route, RouteError> {
    resolve_in(table(), method, path)
}

fn resolve_in<'t>(routes: &'t [Route], method: &str, path: &str) -> Result<&'t Route, RouteError> {
    let matching: Vec<&Route> = routes.iter().filter(|r| path_matches(&r.path, path)).collect();
    if matching.is_empty() {
        return Err(RouteError::NotFound);
    }
    // When two routes match (a parameter segment, or a stage prefix that makes `/review/x`
    // look like `/{stage}/review/x`), the one with more literal segments wins, then the
    // longer one: `/v1/review/config` over `/v1/review/{signature}` over `/review/{asset}`.
    let best = matching
        .iter()
        .filter(|r| r.method.eq_ignore_ascii_case(method))
        .max_by_key(|r| (literal_segments(&r.path), r.path.split('/').count()));
    best.copied().ok_or_else(|| RouteError::MethodNotAllowed {
        allowed: matching.iter().map(|r| r.method.clone()).collect(),
    })
}

fn literal_segments(route: &str) -> usize {
    route.split('/').filter(|s| !s.is_empty() && !s.starts_with('{')).count()
}

/// Whether the request path ends with the route's segments.
fn path_matches(route: &str, path: &str) -> bool {
    let path = path.strip_suffix('/').unwrap_or(path);
    let want: Vec<&str> = route.split('/').filter(|s| !s.is_empty()).collect();
    let got: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if got.len() < want.len() || path.contains("//") {
        return false;
    }
    let tail = &got[got.len() - want.len()..];
    want.iter().zip(tail).all(|(w, g)| (w.starts_with('{') && w.ends_with('}')) || w == g)
}

/// Path parameters of a matched route (`{id}` → its segment).
pub fn params<'p>(route: &Route, path: &'p str) -> Vec<(String, &'p str)> {
    let path = path.strip_suffix('/').unwrap_or(path);
    let want: Vec<&str> = route.path.split('/').filter(|s| !s.is_empty()).collect();
    let got: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let tail = &got[got.len().saturating_sub(want.len())..];
    want.iter()
        .zip(tail)
        .filter_map(|(w, g)| {
            w.strip_prefix('{').and_then(|n| n.strip_suffix('}')).map(|n| (n.to_string(), *g))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(method: &str, path: &str, function: &str) -> Route {
        Route {
            method: method.into(),
            path: path.into(),
            function: function.into(),
            auth: Auth::ReviewCredential,
            summary: String::new(),
        }
    }

    #[test]
    fn the_embedded_table_is_valid() {
        let t = table();
        assert!(!t.is_empty());
        for r in t {
            // The API is versioned; only the page's own files sit outside `/v1/`.
            assert!(r.path.starts_with("/v1/") || r.auth == Auth::Public, "{r:?}");
            assert!(
                ["GET", "POST", "PUT", "DELETE", "PATCH"].contains(&r.method.as_str()),
                "{r:?}"
            );
            assert!(!r.function.is_empty() && !r.summary.is_empty(), "{r:?}");
            // Every route resolves to itself.
            assert_eq!(resolve(&r.method, &r.path).unwrap(), r);
        }
        let mut keys: Vec<_> = t.iter().map(|r| (&r.method, &r.path)).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), t.len(), "a method and path appear twice");
    }

    #[test]
    fn ingest_route_with_stage_prefix_and_trailing_slash() {
        let r = resolve("POST", "/v1/logs").unwrap();
        assert_eq!((r.function.as_str(), r.auth), ("ingest", Auth::IngestKey));
        assert_eq!(resolve("post", "/prod/v1/logs/").unwrap(), r);
        assert!(matches!(resolve("GET", "/v1/logs"), Err(RouteError::MethodNotAllowed { .. })));
        assert_eq!(resolve("POST", "/v2/logs"), Err(RouteError::NotFound));
        assert_eq!(resolve("POST", "/v1/logsx"), Err(RouteError::NotFound));
        assert_eq!(resolve("POST", "/v1//logs"), Err(RouteError::NotFound));
    }

    #[test]
    fn parameters_methods_and_precedence() {
        let t = vec![
            route("GET", "/v1/corrections", "review"),
            route("POST", "/v1/corrections", "review"),
            route("DELETE", "/v1/corrections/{id}", "review"),
        ];
        let r = resolve_in(&t, "DELETE", "/v1/corrections/0123abc").unwrap();
        assert_eq!(params(r, "/v1/corrections/0123abc"), vec![("id".to_string(), "0123abc")]);
        match resolve_in(&t, "PUT", "/v1/corrections") {
            Err(RouteError::MethodNotAllowed { allowed }) => assert_eq!(allowed, ["GET", "POST"]),
            other => panic!("{other:?}"),
        }
        assert_eq!(resolve_in(&t, "DELETE", "/v1/corrections/a/b"), Err(RouteError::NotFound));
    }

    #[test]
    fn literal_segments_win_over_parameters_and_stage_prefixes() {
        let r = |m, p| resolve(m, p).map(|r| r.path.as_str());
        assert_eq!(r("GET", "/v1/review/config"), Ok("/v1/review/config"));
        assert_eq!(r("GET", "/v1/review/00a1b2c3d4e5f607"), Ok("/v1/review/{signature}"));
        assert_eq!(r("GET", "/prod/v1/review/00a1b2c3d4e5f607"), Ok("/v1/review/{signature}"));
        assert_eq!(r("GET", "/review/app.js"), Ok("/review/{asset}"));
        assert_eq!(r("GET", "/prod/review"), Ok("/review"));
        assert_eq!(r("GET", "/v1/review"), Ok("/v1/review"));
        assert_eq!(resolve("GET", "/v1/review").unwrap().auth, Auth::ReviewCredential);
        assert_eq!(resolve("GET", "/review").unwrap().auth, Auth::Public);
    }
}
