//! Tamper-evident page cursors: the keyset position and a digest of the filters it belongs
//! to, signed with HMAC-SHA256. A cursor edited by hand, made under other filters or by
//! another deployment is refused with a 400 rather than silently paging somewhere else.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::review::After;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of MAC kept (128 bits: forgery stays out of reach, cursors stay short).
const MAC_BYTES: usize = 16;
const MAX_CURSOR_CHARS: usize = 1024;

#[derive(Clone)]
pub struct CursorKey(Vec<u8>);

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(<redacted>)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    #[error("the cursor key must be at least 32 characters")]
    WeakKey,
    #[error("the cursor is malformed, was altered, or belongs to other filters")]
    Invalid,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    a: After,
    /// Digest of the filters the cursor was made under.
    f: String,
}

impl CursorKey {
    pub fn new(secret: &str) -> Result<Self, CursorError> {
        if secret.chars().count() < 32 {
            return Err(CursorError::WeakKey);
        }
        Ok(CursorKey(secret.as_bytes().to_vec()))
    }

    fn mac(&self, data: &[u8]) -> Vec<u8> {
        let mut m = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length");
        m.update(data);
        m.finalize().into_bytes()[..MAC_BYTES].to_vec()
    }

    pub fn sign(&self, after: &After, filters: &str) -> String {
        let p = Payload { a: after.clone(), f: digest(filters) };
        let body = serde_json::to_vec(&p).unwrap_or_default();
        format!("{}.{}", B64.encode(&body), B64.encode(self.mac(&body)))
    }

    pub fn verify(&self, cursor: &str, filters: &str) -> Result<After, CursorError> {
        if cursor.len() > MAX_CURSOR_CHARS {
            return Err(CursorError::Invalid);
        }
        let (body, mac) = cursor.split_once('.').ok_or(CursorError::Invalid)?;
        let body = B64.decode(body).map_err(|_| CursorError::Invalid)?;
        let mac = B64.decode(mac).map_err(|_| CursorError::Invalid)?;
        let mut m = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length");
        m.update(&body);
        // Constant-time comparison of the truncated tag.
        m.verify_truncated_left(&mac).map_err(|_| CursorError::Invalid)?;
        if mac.len() != MAC_BYTES {
            return Err(CursorError::Invalid);
        }
        let p: Payload = serde_json::from_slice(&body).map_err(|_| CursorError::Invalid)?;
        if p.f != digest(filters) {
            return Err(CursorError::Invalid);
        }
        Ok(p.a)
    }
}

fn digest(filters: &str) -> String {
    hex::encode(&Sha256::digest(filters.as_bytes())[..8])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::Signature;

    fn after() -> After {
        After { count: 42, signature: Signature(0xdead_beef), source: "fw<edge>".into() }
    }

    #[test]
    fn round_trip_and_tampering() {
        let k = CursorKey::new(&"k".repeat(40)).unwrap();
        let c = k.sign(&after(), "days=7");
        assert_eq!(k.verify(&c, "days=7").unwrap(), after());
        assert_eq!(k.verify(&c, "days=8"), Err(CursorError::Invalid), "other filters");
        let other = CursorKey::new(&"x".repeat(40)).unwrap();
        assert_eq!(other.verify(&c, "days=7"), Err(CursorError::Invalid), "other key");
        // Flip one character of the body: the MAC no longer matches.
        let (body, mac) = c.split_once('.').unwrap();
        let mut b = body.as_bytes().to_vec();
        b[3] = if b[3] == b'A' { b'B' } else { b'A' };
        let forged = format!("{}.{mac}", String::from_utf8(b).unwrap());
        assert_eq!(k.verify(&forged, "days=7"), Err(CursorError::Invalid));
        for junk in ["", ".", "abc", "a.b", &"x".repeat(5000), "e30.AAAA"] {
            assert_eq!(k.verify(junk, "days=7"), Err(CursorError::Invalid), "{junk:.20}");
        }
        assert_eq!(CursorKey::new("short").unwrap_err(), CursorError::WeakKey);
    }

    proptest::proptest! {
        #[test]
        fn any_cursor_text_is_refused_or_read_never_a_panic(text in ".{0,300}") {
            let k = CursorKey::new(&"k".repeat(40)).unwrap();
            proptest::prop_assert!(k.verify(&text, "days=7").is_err());
        }
    }
}
