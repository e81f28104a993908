//! The review page: three files of our own (no build step, no third-party code), embedded
//! in the binary and served with a strict Content-Security-Policy, so that even a page bug
//! could not run a script smuggled in through a log record.

use crate::ingest::HttpResponse;

const INDEX: &str = include_str!("page/index.html");
const APP_JS: &str = include_str!("page/app.js");
const APP_CSS: &str = include_str!("page/app.css");

/// The CSP of every page response. `connect-src` adds the OIDC token endpoint's origin
/// (the page exchanges its authorization code there), nothing else.
pub fn csp(token_origin: Option<&str>) -> String {
    let connect = match token_origin {
        Some(o) => format!("'self' {o}"),
        None => "'self'".into(),
    };
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src {connect}; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// The page or one of its assets; `None` for anything else.
pub fn asset(name: Option<&str>, token_origin: Option<&str>) -> Option<HttpResponse> {
    let (body, content_type) = match name {
        None => (INDEX, "text/html; charset=utf-8"),
        Some("app.js") => (APP_JS, "text/javascript; charset=utf-8"),
        Some("app.css") => (APP_CSS, "text/css; charset=utf-8"),
        Some(_) => return None,
    };
    Some(HttpResponse {
        status: 200,
        headers: vec![
            ("content-type".into(), content_type.into()),
            ("content-security-policy".into(), csp(token_origin)),
            ("x-content-type-options".into(), "nosniff".into()),
            ("referrer-policy".into(), "no-referrer".into()),
            ("x-frame-options".into(), "DENY".into()),
            ("cache-control".into(), "no-cache".into()),
        ],
        body: body.to_string(),
    })
}

/// The origin (`https://host[:port]`) of an absolute URL, for `connect-src`.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if !(scheme == "https" || scheme == "http") {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?;
    let clean = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    clean.then(|| format!("{scheme}://{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_and_assets_carry_the_csp() {
        let page = asset(None, Some("https://login.example.com")).unwrap();
        let csp = &page.headers.iter().find(|(k, _)| k == "content-security-policy").unwrap().1;
        assert!(csp.contains("script-src 'self';") && csp.contains("https://login.example.com"));
        assert!(!csp.contains("unsafe"), "{csp}");
        assert!(asset(Some("app.js"), None).is_some() && asset(Some("../x"), None).is_none());
        // Our own code only: no script or style from elsewhere, no inline script.
        assert!(!INDEX.contains("http://") && !INDEX.contains("https://"));
        assert!(!INDEX.contains("<script>") && !INDEX.contains("style="), "inline script or style");
        let handler = INDEX.match_indices(" on").any(|(i, _)| {
            let rest = &INDEX[i + 3..];
            let name = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_lowercase()).len();
            name > 0 && rest[name..].starts_with('=')
        });
        assert!(!handler, "an inline event handler attribute");
        for bad in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("] {
            assert!(!APP_JS.contains(bad), "app.js uses {bad}");
        }
    }

    #[test]
    fn origins() {
        assert_eq!(
            origin_of("https://a.example.com/oauth2/token").as_deref(),
            Some("https://a.example.com")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:9000/t?x").as_deref(),
            Some("http://127.0.0.1:9000")
        );
        assert_eq!(origin_of("javascript:alert(1)"), None);
        assert_eq!(origin_of("https://a b/"), None);
    }
}
