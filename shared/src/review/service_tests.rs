//! The service's routing, credentials, CORS and refusals, with a store that fails the test
//! if a refused request reaches it (what the store answers is covered against a real
//! ClickHouse in tests/it/review.rs).

use std::sync::Arc;

use serde_json::Value;

use super::auth::ClaimPolicy;
use super::*;
use crate::ingest::{ApiKey, HttpRequest};
use crate::pipeline::kb_holder::{ActiveKb, KbUnavailable};
use crate::store::review::{Param, Sql};
use crate::store::{StoreError, Tables};

/// Panics if used: every request in these tests must be answered before the store.
struct NoStore;

impl Sql for NoStore {
    async fn select(&self, sql: &str, _: &[(&str, Param)]) -> Result<Vec<Value>, StoreError> {
        panic!("a refused request reached the store: {sql:.60}")
    }
    async fn insert_json(&self, t: &str, _: &[&str], _: &[Value]) -> Result<(), StoreError> {
        panic!("a refused request wrote to {t}")
    }
}

struct NoKb;

impl KbSource for NoKb {
    async fn current(&self) -> Result<Arc<ActiveKb>, KbUnavailable> {
        Err(KbUnavailable::NotPublished { key: "kb/current.json".into() })
    }
}

const KEY: &str = "review-key-for-unit-tests";

fn service(auth: ReviewAuth, origin: Option<&str>) -> ReviewService<NoStore, NoKb, NoRebuild> {
    ReviewService {
        sql: NoStore,
        tables: Tables::default(),
        kb: NoKb,
        rebuild: NoRebuild,
        auth,
        cursor: CursorKey::new(&"c".repeat(40)).unwrap(),
        page: PageSettings {
            sign_in: serde_json::json!({"auth": "key"}),
            token_origin: None,
            allowed_origin: origin.map(str::to_string),
        },
    }
}

fn req(method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> HttpRequest {
    HttpRequest {
        method: method.into(),
        path: path.into(),
        headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        body: body.map(str::to_string),
        request_id: "t".into(),
        ..Default::default()
    }
}

fn with_query(mut r: HttpRequest, q: &[(&str, &str)]) -> HttpRequest {
    r.query = q.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    r
}

fn error(r: &crate::ingest::HttpResponse) -> (u16, String, String) {
    let v: Value = serde_json::from_str(&r.body).unwrap();
    let s = |k: &str| v["error"][k].as_str().unwrap_or("").to_string();
    (r.status, s("code"), s("field"))
}

#[tokio::test]
async fn refusals_come_before_the_store_and_name_the_problem() {
    let s = service(ReviewAuth::Key(ApiKey::new(KEY).unwrap()), None);
    let bearer = format!("Bearer {KEY}");
    let auth = [("authorization", bearer.as_str())];
    let cases: Vec<(HttpRequest, u16, &str, &str)> = vec![
        (req("GET", "/v1/review", &[], None), 401, "unauthorized", ""),
        (
            req("GET", "/v1/review", &[("authorization", "Bearer ingest-key-0123456789")], None),
            401,
            "unauthorized",
            "",
        ),
        (
            req("GET", "/v1/review", &[("x-api-key", "wrong-key-0123456789")], None),
            401,
            "unauthorized",
            "",
        ),
        (req("PUT", "/v1/review", &auth, None), 405, "method_not_allowed", ""),
        (req("GET", "/v1/nope", &auth, None), 404, "not_found", ""),
        (req("POST", "/v1/logs", &auth, Some("{}")), 404, "not_found", ""),
        (
            with_query(req("GET", "/v1/review", &auth, None), &[("days", "0")]),
            400,
            "bad_input",
            "days",
        ),
        (
            with_query(req("GET", "/v1/review", &auth, None), &[("cursor", "forged.cursor")]),
            400,
            "bad_input",
            "cursor",
        ),
        (req("GET", "/v1/review/zzzz", &auth, None), 400, "bad_input", "signature"),
        (req("DELETE", "/v1/corrections/xyz", &auth, None), 400, "bad_input", "signature"),
        // Corrections need the KB's schema to check the class: without a KB, 503, nothing written.
        (
            req("POST", "/v1/corrections", &auth, Some(r#"{"signature":"01","class_uid":1001}"#)),
            503,
            "unavailable",
            "",
        ),
        (req("GET", "/v1/classes", &auth, None), 503, "unavailable", ""),
    ];
    for (r, status, code, field) in cases {
        let got = s.handle(&r, 0).await;
        assert_eq!(
            error(&got),
            (status, code.to_string(), field.to_string()),
            "{} {} {:?}",
            r.method,
            r.path,
            r.query
        );
    }
    let unauthorized = s.handle(&req("GET", "/v1/stats", &[], None), 0).await;
    assert!(unauthorized.headers.iter().any(|(k, _)| k == "www-authenticate"));
}

#[tokio::test]
async fn a_token_without_the_required_group_is_forbidden() {
    let policy = ClaimPolicy {
        required_group: Some("ocsf-reviewers".into()),
        groups_claim: "cognito:groups".into(),
        required_scope: None,
        who_claims: vec!["email".into(), "sub".into()],
    };
    let s = service(ReviewAuth::Jwt(policy), None);
    let mut r = req("GET", "/v1/stats", &[("authorization", "Bearer eyJ...")], None);
    r.claims = serde_json::json!({"sub": "u1", "cognito:groups": "[admins]"}).as_object().cloned();
    assert_eq!(error(&s.handle(&r, 0).await).0, 403);
    r.claims = None;
    assert_eq!(error(&s.handle(&r, 0).await).0, 401, "no verified claims: no authorizer ran");
}

#[tokio::test]
async fn the_page_is_public_with_its_csp_and_cors_names_one_origin() {
    let s = service(ReviewAuth::Unconfigured, Some("https://review.example.com"));
    for path in
        ["/review", "/prod/review", "/review/app.js", "/review/app.css", "/v1/review/config"]
    {
        let r = s.handle(&req("GET", path, &[], None), 0).await;
        assert_eq!(r.status, 200, "{path}");
    }
    let page = s.handle(&req("GET", "/review", &[], None), 0).await;
    assert!(page
        .headers
        .iter()
        .any(|(k, v)| k == "content-security-policy" && v.contains("default-src 'none'")));
    assert_eq!(s.handle(&req("GET", "/review/other.js", &[], None), 0).await.status, 404);
    let from = |origin: &'static str| req("GET", "/v1/review/config", &[("origin", origin)], None);
    let ok = s.handle(&from("https://review.example.com"), 0).await;
    assert!(ok
        .headers
        .iter()
        .any(|(k, v)| k == "access-control-allow-origin" && v == "https://review.example.com"));
    let other = s.handle(&from("https://evil.example.net"), 0).await;
    assert!(!other.headers.iter().any(|(k, _)| k == "access-control-allow-origin"));
    // Unconfigured credentials refuse every data route.
    assert_eq!(
        s.handle(&req("GET", "/v1/review", &[("authorization", "Bearer x")], None), 0).await.status,
        401
    );
}
