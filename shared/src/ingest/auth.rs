//! API key check. Both sides are hashed with SHA-256 and the digests compared in constant time,
//! so neither the key's bytes nor its length can be learned from response timing.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::request::HttpRequest;
use super::response::IngestError;

/// The configured key, kept only as its digest. `Debug` never shows it.
#[derive(Clone)]
pub struct ApiKey {
    digest: [u8; 32],
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// The configured key is unusable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("the API key is empty")]
    Empty,
    #[error("the API key is shorter than {min} characters")]
    TooShort { min: usize },
}

/// Keys shorter than this are refused at start-up: they are guessable.
pub const MIN_KEY_CHARS: usize = 16;

impl ApiKey {
    /// Surrounding whitespace (e.g. a newline from a secrets file) is not part of the key.
    pub fn new(secret: &str) -> Result<Self, KeyError> {
        let secret = secret.trim();
        if secret.is_empty() {
            return Err(KeyError::Empty);
        }
        if secret.chars().count() < MIN_KEY_CHARS {
            return Err(KeyError::TooShort { min: MIN_KEY_CHARS });
        }
        Ok(Self { digest: Sha256::digest(secret.as_bytes()).into() })
    }

    /// Constant-time comparison of a presented key with the configured one.
    pub fn matches(&self, presented: &str) -> bool {
        let d: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        d.ct_eq(&self.digest).into()
    }
}

/// Who may send records.
#[derive(Debug, Clone)]
pub enum AuthPolicy {
    /// Requests must carry this key.
    Key(ApiKey),
    /// Explicitly opted out (`ALLOW_UNAUTHENTICATED=true`), e.g. behind a private gateway.
    Open,
    /// No key configured and no opt-out: every request is refused.
    Unconfigured,
}

impl AuthPolicy {
    /// Checks the request's `x-api-key` or `Authorization: Bearer` header.
    pub fn check(&self, req: &HttpRequest) -> Result<(), IngestError> {
        match self {
            AuthPolicy::Open => Ok(()),
            AuthPolicy::Unconfigured => Err(IngestError::AuthNotConfigured),
            AuthPolicy::Key(key) => match presented_key(req) {
                None => Err(IngestError::MissingApiKey),
                Some(k) if key.matches(k) => Ok(()),
                Some(_) => Err(IngestError::WrongApiKey),
            },
        }
    }
}

fn presented_key(req: &HttpRequest) -> Option<&str> {
    if let Some(k) = req.header("x-api-key").map(str::trim).filter(|k| !k.is_empty()) {
        return Some(k);
    }
    let auth = req.header("authorization")?.trim();
    let (scheme, rest) = auth.split_once(' ')?;
    let key = rest.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !key.is_empty()).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "k3y-0123456789abcdef";

    fn req(headers: &[(&str, &str)]) -> HttpRequest {
        HttpRequest {
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..HttpRequest::default()
        }
    }

    fn policy() -> AuthPolicy {
        AuthPolicy::Key(ApiKey::new(KEY).unwrap())
    }

    #[test]
    fn accepts_the_key_in_either_header() {
        assert!(policy().check(&req(&[("x-api-key", KEY)])).is_ok());
        let bearer = format!("Bearer {KEY}");
        assert!(policy().check(&req(&[("authorization", &bearer)])).is_ok());
        let lower = format!("bearer   {KEY} ");
        assert!(policy().check(&req(&[("authorization", &lower)])).is_ok());
    }

    #[test]
    fn missing_key_is_401_and_wrong_key_is_403() {
        let e = policy().check(&req(&[])).unwrap_err();
        assert_eq!(e.status(), 401);
        let e = policy().check(&req(&[("x-api-key", "")])).unwrap_err();
        assert_eq!(e.status(), 401);
        let e = policy().check(&req(&[("authorization", "Basic abc")])).unwrap_err();
        assert_eq!(e.status(), 401);
        for wrong in ["k3y-0123456789abcdeF", "k3y-0123456789abcde", "k3y-0123456789abcdef0", "x"] {
            let e = policy().check(&req(&[("x-api-key", wrong)])).unwrap_err();
            assert_eq!(e.status(), 403, "{wrong}");
        }
    }

    #[test]
    fn comparison_is_on_fixed_size_digests() {
        // Constant time is a property of the code path, not something a timed test can
        // prove: what we can check is that keys of any length go through the same 32-byte
        // digest comparison and that a prefix of the key does not match.
        let k = ApiKey::new(KEY).unwrap();
        assert!(k.matches(KEY));
        assert!(!k.matches(&KEY[..KEY.len() - 1]));
        assert!(!k.matches(&"a".repeat(10_000)));
        assert!(!k.matches(""));
    }

    #[test]
    fn unconfigured_refuses_and_open_allows() {
        let e = AuthPolicy::Unconfigured.check(&req(&[("x-api-key", KEY)])).unwrap_err();
        assert_eq!(e.status(), 500);
        assert!(AuthPolicy::Open.check(&req(&[])).is_ok());
    }

    #[test]
    fn weak_keys_are_refused_and_debug_hides_the_key() {
        assert_eq!(ApiKey::new("  \n").unwrap_err(), KeyError::Empty);
        assert!(matches!(ApiKey::new("short"), Err(KeyError::TooShort { .. })));
        let k = ApiKey::new(&format!("{KEY}\n")).unwrap();
        assert!(k.matches(KEY));
        assert!(!format!("{k:?} {:?}", policy()).contains(KEY));
    }
}
