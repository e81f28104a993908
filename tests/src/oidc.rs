//! A local OpenID Connect issuer for the review page's sign-in test: the authorization-code
//! flow with PKCE (S256) and opaque access tokens. `/authorize` signs in, without a form,
//! whoever [`MockIssuer::sign_in_as`] named and redirects back with a one-time code;
//! `/token` exchanges the code when the verifier matches the challenge. dev-stack's gateway
//! then plays API Gateway's JWT authorizer: [`MockIssuer::claims`] of a token it issued, or
//! a 401 (what the deployed stack checks with the issuer's signature, issuer and audience).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;

pub const CLIENT_ID: &str = "ocsfmap-review-local";
/// The group the local stack's review function requires.
pub const REVIEWERS: &str = "ocsf-reviewers";

struct Grant {
    challenge: String,
    redirect_uri: String,
    claims: Value,
}

#[derive(Default)]
struct State {
    user: Value,
    codes: HashMap<String, Grant>,
    tokens: HashMap<String, Value>,
}

pub struct MockIssuer {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl MockIssuer {
    pub async fn start() -> std::io::Result<MockIssuer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(handle(req, &state).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(MockIssuer { addr, state, task })
    }

    pub fn issuer(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Who the next `/authorize` signs in (their token's claims).
    pub fn sign_in_as(&self, claims: Value) {
        self.lock().user = claims;
    }

    /// The claims of an access token this issuer gave out.
    pub fn claims(&self, token: &str) -> Option<Value> {
        self.lock().tokens.get(token).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for MockIssuer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A code or token nobody can guess from the last one (a test issuer: time-ordered ids
/// hashed, not a CSPRNG).
fn random() -> String {
    let seed = format!("{}-{}", uuid::Uuid::now_v7(), std::process::id());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(seed.as_bytes()))
}

fn pairs(text: &str) -> HashMap<String, String> {
    url_pairs(text).into_iter().collect()
}

fn url_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (b[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(v)) => {
                out.push(v);
                i += 2;
            }
            (c, _) => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

type Reply = Response<Full<Bytes>>;

fn json_reply(status: u16, v: Value, origin: Option<&str>) -> Reply {
    let mut r = Response::new(Full::new(Bytes::from(v.to_string())));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let h = r.headers_mut();
    h.insert("content-type", hyper::header::HeaderValue::from_static("application/json"));
    h.insert("cache-control", hyper::header::HeaderValue::from_static("no-store"));
    // The page calls the token endpoint from its own origin, as with a real issuer.
    if let Some(o) = origin.and_then(|o| hyper::header::HeaderValue::from_str(o).ok()) {
        h.insert("access-control-allow-origin", o);
    }
    r
}

async fn handle(req: Request<Incoming>, state: &Mutex<State>) -> Reply {
    let origin = req.headers().get("origin").and_then(|v| v.to_str().ok()).map(str::to_string);
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    match (req.method().as_str(), path.as_str()) {
        ("GET", "/authorize") => {
            let q = pairs(&query);
            let (Some(redirect), Some(challenge), Some(st)) =
                (q.get("redirect_uri"), q.get("code_challenge"), q.get("state"))
            else {
                return json_reply(400, json!({"error": "invalid_request"}), None);
            };
            if q.get("client_id").map(String::as_str) != Some(CLIENT_ID)
                || q.get("code_challenge_method").map(String::as_str) != Some("S256")
                || q.get("response_type").map(String::as_str) != Some("code")
            {
                return json_reply(400, json!({"error": "invalid_request"}), None);
            }
            let code = random();
            let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
            let claims = s.user.clone();
            s.codes.insert(
                code.clone(),
                Grant { challenge: challenge.clone(), redirect_uri: redirect.clone(), claims },
            );
            let location = format!("{redirect}?code={}&state={}", encode(&code), encode(st));
            let mut r = Response::new(Full::new(Bytes::new()));
            *r.status_mut() = StatusCode::FOUND;
            if let Ok(v) = hyper::header::HeaderValue::from_str(&location) {
                r.headers_mut().insert("location", v);
            }
            r
        }
        ("POST", "/token") => {
            let body = match Limited::new(req.into_body(), 64 * 1024).collect().await {
                Ok(b) => b.to_bytes(),
                Err(_) => {
                    return json_reply(400, json!({"error": "invalid_request"}), origin.as_deref())
                }
            };
            let f = pairs(&String::from_utf8_lossy(&body));
            let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
            let Some(grant) = f.get("code").and_then(|c| s.codes.remove(c)) else {
                return json_reply(400, json!({"error": "invalid_grant"}), origin.as_deref());
            };
            let verifier = f.get("code_verifier").cloned().unwrap_or_default();
            let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(Sha256::digest(verifier.as_bytes()));
            if expected != grant.challenge
                || f.get("redirect_uri") != Some(&grant.redirect_uri)
                || f.get("client_id").map(String::as_str) != Some(CLIENT_ID)
                || f.get("grant_type").map(String::as_str) != Some("authorization_code")
            {
                return json_reply(
                    400,
                    json!({"error": "invalid_grant", "error_description": "PKCE verification failed"}),
                    origin.as_deref(),
                );
            }
            let token = random();
            s.tokens.insert(token.clone(), grant.claims);
            json_reply(
                200,
                json!({"access_token": token, "token_type": "Bearer", "expires_in": 3600}),
                origin.as_deref(),
            )
        }
        _ => json_reply(404, json!({"error": "not_found"}), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding() {
        assert_eq!(decode("a%2Fb+c"), "a/b c");
        assert_eq!(decode("%zz%4"), "%zz%4");
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
    }
}
