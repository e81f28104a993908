//! API Gateway REST (v1), HTTP API (v2) and function URL events ⇄ the shared HTTP model,
//! for every function behind the HTTP API (ingest, review).

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayV2httpRequest};
use aws_lambda_events::http::HeaderMap;
use ocsfmap::ingest::{HttpRequest, HttpResponse, IngestError};
use serde_json::{json, Value};

/// Which payload format carried the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    RestV1,
    HttpV2,
    FunctionUrl,
}

impl Payload {
    pub fn as_str(self) -> &'static str {
        match self {
            Payload::RestV1 => "apigw_v1",
            Payload::HttpV2 => "apigw_v2",
            Payload::FunctionUrl => "function_url",
        }
    }
}

/// Detects the payload format and converts it. `fallback_id` (the Lambda request id) is used
/// when the gateway supplied none.
pub fn to_request(event: Value, fallback_id: &str) -> Result<(Payload, HttpRequest), IngestError> {
    let is_v2 = event.get("version").and_then(Value::as_str) == Some("2.0")
        || event.pointer("/requestContext/http").is_some();
    let bad = |e: serde_json::Error| IngestError::BadEvent { detail: e.to_string() };
    if is_v2 {
        let url = event
            .pointer("/requestContext/domainName")
            .and_then(Value::as_str)
            .is_some_and(|d| d.contains(".lambda-url."));
        // Taken out before the typed conversion, which wants every claim to be a string
        // (API Gateway flattens arrays to "[a b]", but a claim of another JSON type must not
        // make the whole request unreadable).
        let mut event = event;
        let authorizer = event
            .get_mut("requestContext")
            .and_then(Value::as_object_mut)
            .and_then(|c| c.remove("authorizer"));
        let claims = authorizer
            .as_ref()
            .and_then(|a| a.pointer("/jwt/claims"))
            .and_then(Value::as_object)
            .cloned();
        let ev: ApiGatewayV2httpRequest = serde_json::from_value(event).map_err(bad)?;
        let ctx = &ev.request_context;
        let mut query = pairs_from_raw_query(ev.raw_query_string.as_deref().unwrap_or(""));
        if query.is_empty() {
            query = ev
                .query_string_parameters
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        }
        let req = HttpRequest {
            method: ctx.http.method.as_str().to_string(),
            path: ctx.http.path.clone().or(ev.raw_path).unwrap_or_default(),
            headers: headers(&ev.headers),
            query,
            body: ev.body,
            body_is_base64: ev.is_base64_encoded,
            request_id: ctx.request_id.clone().unwrap_or_else(|| fallback_id.to_string()),
            claims,
        };
        let kind = if url { Payload::FunctionUrl } else { Payload::HttpV2 };
        return Ok((kind, req));
    }
    if event.get("httpMethod").is_some() {
        let ev: ApiGatewayProxyRequest = serde_json::from_value(event).map_err(bad)?;
        let mut hdrs = headers(&ev.headers);
        if hdrs.is_empty() {
            hdrs = headers(&ev.multi_value_headers);
        }
        let query = ev
            .query_string_parameters
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let req = HttpRequest {
            method: ev.http_method.as_str().to_string(),
            path: ev.path.unwrap_or_default(),
            headers: hdrs,
            query,
            body: ev.body,
            body_is_base64: ev.is_base64_encoded,
            request_id: ev.request_context.request_id.unwrap_or_else(|| fallback_id.to_string()),
            claims: None,
        };
        return Ok((Payload::RestV1, req));
    }
    Err(IngestError::BadEvent {
        detail: "expected an API Gateway REST (v1), HTTP API (v2) or function URL event".into(),
    })
}

fn headers(map: &HeaderMap) -> Vec<(String, String)> {
    map.iter()
        .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect()
}

/// `a=1&source=okta%3Aprod` → pairs, percent- and plus-decoded.
fn pairs_from_raw_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let hex = |j: usize| b.get(j).and_then(|h| (*h as char).to_digit(16));
        match c {
            b'+' => out.push(b' '),
            b'%' => match (hex(i + 1), hex(i + 2)) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            _ => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The response in the shape all three payload formats accept.
pub fn to_response(resp: HttpResponse) -> Value {
    let headers: serde_json::Map<String, Value> =
        resp.headers.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    json!({
        "statusCode": resp.status,
        "headers": headers,
        "body": resp.body,
        "isBase64Encoded": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> Value {
        let path = format!("{}/../../events/ingest/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn rest_v1_event() {
        let (kind, req) = to_request(sample("apigw-v1-json.json"), "fallback").unwrap();
        assert_eq!(kind, Payload::RestV1);
        assert_eq!(req.method, "POST");
        assert_eq!(req.path, "/v1/logs");
        assert_eq!(req.header("content-type"), Some("application/json"));
        assert_eq!(req.query_param("source"), Some("okta"));
        assert!(req.header("x-api-key").is_some());
        assert!(!req.body_is_base64);
        assert!(req.route_for("ingest").is_ok());
    }

    #[test]
    fn http_v2_gzip_event() {
        let (kind, req) = to_request(sample("apigw-v2-ndjson-gzip.json"), "fallback").unwrap();
        assert_eq!(kind, Payload::HttpV2);
        assert!(req.body_is_base64);
        assert_eq!(req.header("content-encoding"), Some("gzip"));
        assert!(req.route_for("ingest").is_ok());
        assert!(!req.request_id.is_empty() && req.request_id != "fallback");
    }

    #[test]
    fn function_url_event() {
        let (kind, req) = to_request(sample("function-url-text.json"), "fallback").unwrap();
        assert_eq!(kind, Payload::FunctionUrl);
        assert!(req.header("content-type").unwrap().starts_with("text/plain"));
        assert!(req.source_hint().unwrap().is_some());
    }

    #[test]
    fn unknown_events_are_bad_events() {
        let e = to_request(json!({"Records": []}), "x").unwrap_err();
        assert_eq!(e.code(), "bad_event");
        let e = to_request(json!({"httpMethod": 5}), "x").unwrap_err();
        assert_eq!(e.status(), 400);
    }

    #[test]
    fn jwt_claims_come_through_with_their_json_types() {
        let mut ev = sample("apigw-v2-ndjson-gzip.json");
        ev["requestContext"]["authorizer"] = json!({"jwt": {
            "claims": {"email": "a@example.com", "cognito:groups": ["reviewers"]},
            "scopes": null
        }});
        let (_, req) = to_request(ev, "x").unwrap();
        let claims = req.claims.unwrap();
        assert_eq!(claims["cognito:groups"], json!(["reviewers"]));
        let (_, plain) = to_request(sample("apigw-v2-ndjson-gzip.json"), "x").unwrap();
        assert!(plain.claims.is_none());
    }

    #[test]
    fn review_samples_reach_the_review_routes_with_their_claims() {
        for (name, method, path) in [
            ("get-queue.json", "GET", "/v1/review"),
            ("post-correction.json", "POST", "/v1/corrections"),
            ("get-page.json", "GET", "/review"),
        ] {
            let file = format!("{}/../../events/review/{name}", env!("CARGO_MANIFEST_DIR"));
            let ev: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
            let (_, req) = to_request(ev, "x").unwrap();
            assert_eq!((req.method.as_str(), req.path.as_str()), (method, path), "{name}");
            assert_eq!(req.route_for("review").unwrap().path, path, "{name}");
            assert_eq!(req.claims.is_some(), name != "get-page.json", "{name}");
        }
    }

    #[test]
    fn raw_query_is_decoded() {
        assert_eq!(
            pairs_from_raw_query("source=aws%3Acloudtrail&x=a+b&flag"),
            vec![
                ("source".to_string(), "aws:cloudtrail".to_string()),
                ("x".to_string(), "a b".to_string()),
                ("flag".to_string(), String::new())
            ]
        );
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn response_shape() {
        let v = to_response(HttpResponse {
            status: 202,
            headers: vec![("content-type".into(), "application/json".into())],
            body: "{}".into(),
        });
        assert_eq!(v["statusCode"], 202);
        assert_eq!(v["headers"]["content-type"], "application/json");
        assert_eq!(v["isBase64Encoded"], false);
    }
}
