//! The HTTP request as ingest sees it, independent of which API Gateway payload carried it.

use super::response::IngestError;
use crate::routes::{self, Route, RouteError};

/// One HTTP request. The function crate fills it from API Gateway v1/v2 or function URL events.
#[derive(Clone, Default)]
pub struct HttpRequest {
    /// Upper-case method, e.g. `POST`.
    pub method: String,
    /// Path as received; a stage prefix (`/prod/v1/logs`) is tolerated.
    pub path: String,
    /// Header names in any case; lookups ignore case.
    pub headers: Vec<(String, String)>,
    /// Decoded query parameters.
    pub query: Vec<(String, String)>,
    /// Body text as delivered by the gateway (base64 when `body_is_base64`).
    pub body: Option<String>,
    pub body_is_base64: bool,
    /// Gateway or Lambda request id, echoed in responses and logs.
    pub request_id: String,
    /// Claims of a JWT the gateway's authorizer verified (`requestContext.authorizer.jwt
    /// .claims`); `None` when the route has no authorizer.
    pub claims: Option<serde_json::Map<String, serde_json::Value>>,
}

// Hand-written so that credentials and record contents never reach a log line.
impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                let secret =
                    k.eq_ignore_ascii_case("x-api-key") || k.eq_ignore_ascii_case("authorization");
                (k.as_str(), if secret { "<redacted>" } else { v.as_str() })
            })
            .collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("headers", &headers)
            .field("query", &self.query)
            .field("body_len", &self.body.as_ref().map(String::len))
            .field("body_is_base64", &self.body_is_base64)
            .field("request_id", &self.request_id)
            .field("claims", &self.claims.as_ref().map(|c| c.keys().collect::<Vec<_>>()))
            .finish()
    }
}

/// Header naming the record source when the query has no `source=`.
pub const SOURCE_HEADER: &str = "x-ocsfmap-source";
const MAX_SOURCE_CHARS: usize = 128;

impl HttpRequest {
    /// First value of a header, name compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// First value of a query parameter.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The route of the table ([`crate::routes`]) this request is for, when `function`
    /// serves it; else 404, or 405 naming the methods the path allows.
    pub fn route_for(&self, function: &str) -> Result<&'static Route, IngestError> {
        match routes::resolve(&self.method, &self.path) {
            Ok(r) if r.function == function => Ok(r),
            Ok(_) | Err(RouteError::NotFound) => {
                Err(IngestError::NotFound { path: truncate(&self.path, 200) })
            }
            Err(RouteError::MethodNotAllowed { allowed }) => Err(IngestError::MethodNotAllowed {
                method: truncate(&self.method, 20),
                allowed: allowed.join(", "),
            }),
        }
    }

    /// The source hint from `?source=` or the `x-ocsfmap-source` header, if any.
    /// It is copied into every envelope, so it is limited to a short, printable token.
    pub fn source_hint(&self) -> Result<Option<String>, IngestError> {
        let raw = self.query_param("source").or_else(|| self.header(SOURCE_HEADER));
        let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        let ok_char = |c: char| c.is_ascii_alphanumeric() || "._:/-@+".contains(c);
        if raw.chars().count() > MAX_SOURCE_CHARS || !raw.chars().all(ok_char) {
            return Err(IngestError::InvalidSourceHint { max_chars: MAX_SOURCE_CHARS });
        }
        Ok(Some(raw.to_ascii_lowercase()))
    }
}

fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, path: &str) -> HttpRequest {
        HttpRequest { method: method.into(), path: path.into(), ..Default::default() }
    }

    #[test]
    fn routes() {
        assert!(req("POST", "/v1/logs").route_for("ingest").is_ok());
        assert!(req("post", "/prod/v1/logs/").route_for("ingest").is_ok());
        assert_eq!(req("GET", "/v1/logs").route_for("ingest").unwrap_err().status(), 405);
        assert_eq!(req("POST", "/v2/logs").route_for("ingest").unwrap_err().status(), 404);
        assert_eq!(req("POST", "/v1/logsx").route_for("ingest").unwrap_err().status(), 404);
        // A route of the table that another function serves is not found here.
        assert_eq!(req("POST", "/v1/logs").route_for("review").unwrap_err().status(), 404);
    }

    #[test]
    fn source_hint_from_query_then_header() {
        let mut r = req("POST", "/v1/logs");
        assert_eq!(r.source_hint().unwrap(), None);
        r.headers.push(("X-Ocsfmap-Source".into(), "Okta".into()));
        assert_eq!(r.source_hint().unwrap().as_deref(), Some("okta"));
        r.query.push(("source".into(), "aws:cloudtrail".into()));
        assert_eq!(r.source_hint().unwrap().as_deref(), Some("aws:cloudtrail"));
    }

    #[test]
    fn hostile_source_hints_are_refused() {
        for bad in ["a b", "x\ny", "<script>", &"a".repeat(129)] {
            let mut r = req("POST", "/v1/logs");
            r.query.push(("source".into(), bad.to_string()));
            assert_eq!(r.source_hint().unwrap_err().status(), 400, "{bad:?}");
        }
    }

    #[test]
    fn debug_redacts_keys_and_body() {
        let r = HttpRequest {
            headers: vec![
                ("X-Api-Key".into(), "supersecretvalue".into()),
                ("Authorization".into(), "Bearer supersecretvalue".into()),
            ],
            body: Some("record contents".into()),
            ..Default::default()
        };
        let s = format!("{r:?}");
        assert!(!s.contains("supersecretvalue") && !s.contains("record contents"), "{s}");
    }
}
