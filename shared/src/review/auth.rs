//! Who is calling the review API, and may they change the KB.
//!
//! In AWS the HTTP API's JWT authorizer has already verified the token's signature,
//! issuer, audience and expiry; what it cannot say is whether this user of the tenant may
//! correct the engine. So the function also requires a group or a scope claim, and takes
//! `who` from the token. Locally and in tests a separate review key stands in (never the
//! ingest key: the two credentials open disjoint routes).

use serde_json::Value;

use crate::ingest::auth::ApiKey;
use crate::ingest::HttpRequest;

use super::ReviewError;

/// The analyst a request acts for (recorded as `who` on corrections).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub who: String,
}

/// What a JWT's claims must show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimPolicy {
    /// A group the token must carry in `groups_claim` (`cognito:groups`, `groups`, `roles`).
    pub required_group: Option<String>,
    pub groups_claim: String,
    /// A scope the token must carry in `scope` (space-separated) or `scp`.
    pub required_scope: Option<String>,
    /// Claims tried in order for `who` (`email`, then `sub`).
    pub who_claims: Vec<String>,
}

pub enum ReviewAuth {
    /// Claims of a gateway-verified JWT, checked against a policy.
    Jwt(ClaimPolicy),
    /// The local review key (`Authorization: Bearer` or `x-api-key`).
    Key(ApiKey),
    /// Nothing configured: every request is refused (fail closed).
    Unconfigured,
}

impl ReviewAuth {
    /// Checks a request to a `review_credential` route.
    pub fn check(&self, req: &HttpRequest) -> Result<Principal, ReviewError> {
        match self {
            ReviewAuth::Unconfigured => {
                Err(ReviewError::Unauthorized("the review API has no credential configured".into()))
            }
            ReviewAuth::Key(key) => {
                let presented = req
                    .header("authorization")
                    .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
                    .or_else(|| req.header("x-api-key"))
                    .ok_or_else(|| ReviewError::Unauthorized("no review key presented".into()))?;
                if key.matches(presented.trim()) {
                    Ok(Principal { who: "review-key".into() })
                } else {
                    Err(ReviewError::Unauthorized("wrong review key".into()))
                }
            }
            ReviewAuth::Jwt(policy) => {
                let claims = req.claims.as_ref().ok_or_else(|| {
                    ReviewError::Unauthorized(
                        "no verified token (is the JWT authorizer attached to this route?)".into(),
                    )
                })?;
                policy.check(claims)
            }
        }
    }
}

impl ClaimPolicy {
    pub fn check(&self, claims: &serde_json::Map<String, Value>) -> Result<Principal, ReviewError> {
        if self.required_group.is_none() && self.required_scope.is_none() {
            // Every user of the tenant could change the KB: refuse rather than allow.
            return Err(ReviewError::Forbidden(
                "no required group or scope is configured for the review API".into(),
            ));
        }
        let group_ok = self.required_group.as_ref().is_some_and(|g| {
            claims.get(&self.groups_claim).is_some_and(|v| values(v).iter().any(|x| x == g))
        });
        let scope_ok = self.required_scope.as_ref().is_some_and(|s| {
            ["scope", "scp"]
                .iter()
                .filter_map(|c| claims.get(*c))
                .any(|v| values(v).iter().any(|x| x == s))
        });
        if !(group_ok || scope_ok) {
            return Err(ReviewError::Forbidden(
                "the token lacks the group or scope the review API requires".into(),
            ));
        }
        let who = self
            .who_claims
            .iter()
            .filter_map(|c| claims.get(c).and_then(Value::as_str))
            .find(|v| !v.is_empty())
            .ok_or_else(|| ReviewError::Forbidden("the token names no user".into()))?;
        Ok(Principal { who: who.chars().take(200).collect() })
    }
}

/// A multi-valued claim as API Gateway or the issuer spells it: a JSON array, a
/// space-separated string (`scope`), or the gateway's flattened `[a b c]`.
fn values(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        Value::String(s) => s
            .trim_start_matches('[')
            .trim_end_matches(']')
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(group: Option<&str>, scope: Option<&str>) -> ClaimPolicy {
        ClaimPolicy {
            required_group: group.map(str::to_string),
            groups_claim: "cognito:groups".into(),
            required_scope: scope.map(str::to_string),
            who_claims: vec!["email".into(), "sub".into()],
        }
    }

    fn claims(v: Value) -> serde_json::Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn a_group_or_a_scope_is_required_and_who_comes_from_the_token() {
        let p = policy(Some("ocsf-reviewers"), None);
        for groups in [json!(["ocsf-reviewers"]), json!("[admins ocsf-reviewers]")] {
            let c = claims(json!({"email": "a@example.com", "cognito:groups": groups}));
            assert_eq!(p.check(&c).unwrap().who, "a@example.com");
        }
        let other = claims(json!({"email": "b@example.com", "cognito:groups": ["admins"]}));
        assert!(matches!(p.check(&other), Err(ReviewError::Forbidden(_))));
        let s = policy(None, Some("ocsfmap/review"));
        let c = claims(json!({"sub": "u-1", "scope": "openid ocsfmap/review"}));
        assert_eq!(s.check(&c).unwrap().who, "u-1");
        assert!(s.check(&claims(json!({"sub": "u-1", "scope": "openid"}))).is_err());
        assert!(policy(None, None).check(&c).is_err(), "no policy must not mean everyone");
    }

    #[test]
    fn keys_and_missing_credentials() {
        let auth = ReviewAuth::Key(ApiKey::new("review-secret-123456").unwrap());
        let req = |h: &[(&str, &str)]| HttpRequest {
            headers: h.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..Default::default()
        };
        assert!(auth.check(&req(&[("Authorization", "Bearer review-secret-123456")])).is_ok());
        assert!(auth.check(&req(&[("x-api-key", "review-secret-123456")])).is_ok());
        assert!(auth.check(&req(&[("Authorization", "Bearer ingest-key-abcdef")])).is_err());
        assert!(auth.check(&req(&[])).is_err());
        assert!(ReviewAuth::Unconfigured.check(&req(&[])).is_err());
        // A JWT policy without gateway-verified claims refuses.
        let jwt = ReviewAuth::Jwt(policy(Some("g"), None));
        assert!(jwt.check(&req(&[("Authorization", "Bearer eyJ...")])).is_err());
    }
}
