//! The review function's configuration (docs/review.md lists every variable). Errors name
//! the variable and never repeat its value.

use std::path::PathBuf;
use std::time::Duration;

use ocsfmap::pipeline::KbHolderConfig;
use ocsfmap::review::page::origin_of;
use ocsfmap::review::{ClaimPolicy, PageSettings};
use ocsfmap_edge::clickhouse::ClickHouseConfig;
use ocsfmap_edge::env::{Env, EnvError};
use serde_json::json;

/// How analysts authenticate.
pub enum AuthMode {
    /// API Gateway's JWT authorizer verified the token; the function checks the claims.
    Jwt(ClaimPolicy),
    /// A review key from `REVIEW_API_KEY` or the secret `REVIEW_KEY_SECRET_ARN` (local, tests).
    Key { env_value: Option<String>, secret_arn: Option<String> },
}

pub struct Config {
    pub clickhouse: ClickHouseConfig,
    pub kb_bucket: String,
    pub kb: KbHolderConfig,
    pub auth: AuthMode,
    pub cursor_key: Option<String>,
    pub cursor_secret_arn: Option<String>,
    pub page: PageSettings,
    pub rebuild_queue_url: Option<String>,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, EnvError> {
        let clickhouse = ClickHouseConfig::from_env(env)?;
        let kb_bucket = env.required("KB_BUCKET", "the bucket holding the knowledge base")?;
        let pointer_key = env.string_or("KB_POINTER_KEY", "kb/current.json");
        if pointer_key.starts_with('/') {
            return Err(EnvError::invalid("KB_POINTER_KEY", "an S3 key has no leading slash"));
        }
        let kb = KbHolderConfig {
            pointer_key,
            cache_dir: Some(PathBuf::from(env.string_or("KB_CACHE_DIR", "/tmp/ocsfmap-kb"))),
            check_interval: Duration::from_secs(30),
            // The same threshold as classify, so "now" flags review as classify would.
            classify: ocsfmap::classify::Config {
                review_threshold: env.f32_in(
                    "CONFIDENCE_THRESHOLD",
                    ocsfmap::classify::Config::default().review_threshold,
                    0.0..=1.0,
                )?,
                ..ocsfmap::classify::Config::default()
            },
        };
        let some = |name: &str| env.get(name).filter(|v| !v.is_empty()).map(str::to_string);
        let mode = env.string_or("REVIEW_AUTH", "jwt");
        let (auth, sign_in, token_origin) = match mode.as_str() {
            "jwt" => {
                let policy = ClaimPolicy {
                    required_group: some("REVIEW_REQUIRED_GROUP"),
                    groups_claim: env.string_or("REVIEW_GROUPS_CLAIM", "cognito:groups"),
                    required_scope: some("REVIEW_REQUIRED_SCOPE"),
                    who_claims: vec![env.string_or("REVIEW_WHO_CLAIM", "email"), "sub".into()],
                };
                if policy.required_group.is_none() && policy.required_scope.is_none() {
                    return Err(EnvError::invalid(
                        "REVIEW_REQUIRED_GROUP",
                        "set REVIEW_REQUIRED_GROUP or REVIEW_REQUIRED_SCOPE: without one, every user of the identity provider could change the KB",
                    ));
                }
                let issuer =
                    env.required("OIDC_ISSUER", "the OIDC issuer the JWT authorizer trusts")?;
                let token_endpoint = env.required(
                    "OIDC_TOKEN_ENDPOINT",
                    "where the page exchanges its authorization code",
                )?;
                let token_origin = origin_of(&token_endpoint).ok_or_else(|| {
                    EnvError::invalid("OIDC_TOKEN_ENDPOINT", "must be an http(s) URL")
                })?;
                let sign_in = json!({
                    "auth": "oidc",
                    "issuer": issuer,
                    "client_id": env.required("OIDC_CLIENT_ID", "the page's OIDC client id")?,
                    "authorization_endpoint": env.required("OIDC_AUTHORIZATION_ENDPOINT", "where the page sends the analyst to sign in")?,
                    "token_endpoint": token_endpoint,
                    "scope": env.string_or("OIDC_SCOPE", "openid email"),
                });
                (AuthMode::Jwt(policy), sign_in, Some(token_origin))
            }
            "key" => {
                let env_value = some("REVIEW_API_KEY");
                let secret_arn = some("REVIEW_KEY_SECRET_ARN");
                if env_value.is_some() && secret_arn.is_some() {
                    return Err(EnvError::invalid(
                        "REVIEW_KEY_SECRET_ARN",
                        "set REVIEW_API_KEY or REVIEW_KEY_SECRET_ARN, not both",
                    ));
                }
                (AuthMode::Key { env_value, secret_arn }, json!({"auth": "key"}), None)
            }
            _ => return Err(EnvError::invalid("REVIEW_AUTH", "jwt or key")),
        };
        let cursor_key = some("REVIEW_CURSOR_KEY");
        let cursor_secret_arn = some("REVIEW_CURSOR_SECRET_ARN");
        if cursor_key.is_none() && cursor_secret_arn.is_none() {
            return Err(EnvError::invalid(
                "REVIEW_CURSOR_SECRET_ARN",
                "set REVIEW_CURSOR_SECRET_ARN (or REVIEW_CURSOR_KEY locally): cursors are signed",
            ));
        }
        let allowed_origin = match some("PAGE_ORIGIN") {
            None => None,
            Some(o) => {
                Some(origin_of(&o).filter(|clean| clean == o.trim_end_matches('/')).ok_or_else(
                    || {
                        EnvError::invalid(
                            "PAGE_ORIGIN",
                            "an origin such as https://review.example.com",
                        )
                    },
                )?)
            }
        };
        Ok(Config {
            clickhouse,
            kb_bucket,
            kb,
            auth,
            cursor_key,
            cursor_secret_arn,
            page: PageSettings { sign_in, token_origin, allowed_origin },
            rebuild_queue_url: some("REBUILD_QUEUE_URL"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            ("CLICKHOUSE_URL", "http://127.0.0.1:8123"),
            ("KB_BUCKET", "kb"),
            ("REVIEW_AUTH", "key"),
            ("REVIEW_API_KEY", "review-key-0123456789"),
            ("REVIEW_CURSOR_KEY", "cursor-key-0123456789-0123456789-0123"),
        ]
    }

    fn err(extra: &[(&'static str, &'static str)], drop: &[&str]) -> String {
        let mut pairs = base();
        pairs.retain(|(k, _)| !drop.contains(k));
        pairs.extend_from_slice(extra);
        Config::from_env(&Env::from_pairs(pairs)).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn key_mode_and_refusals_name_the_variable() {
        assert!(Config::from_env(&Env::from_pairs(base())).is_ok());
        assert!(err(&[("REVIEW_AUTH", "none")], &["REVIEW_AUTH"]).contains("REVIEW_AUTH"));
        assert!(err(&[], &["REVIEW_CURSOR_KEY"]).contains("REVIEW_CURSOR_SECRET_ARN"));
        let e = err(&[("PAGE_ORIGIN", "https://x.example.com/page?secret")], &[]);
        assert!(e.contains("PAGE_ORIGIN") && !e.contains("secret"), "{e}");
        // The deployed mode fails closed: a JWT deployment without a group or scope.
        let e = err(
            &[
                ("REVIEW_AUTH", "jwt"),
                ("OIDC_ISSUER", "https://idp.example.com"),
                ("OIDC_CLIENT_ID", "c"),
                ("OIDC_AUTHORIZATION_ENDPOINT", "https://idp.example.com/authorize"),
                ("OIDC_TOKEN_ENDPOINT", "https://idp.example.com/token"),
            ],
            &["REVIEW_AUTH"],
        );
        assert!(e.contains("REVIEW_REQUIRED_GROUP"), "{e}");
    }

    #[test]
    fn jwt_mode_serves_the_sign_in_settings() {
        let mut pairs = base();
        pairs.retain(|(k, _)| *k != "REVIEW_AUTH");
        pairs.extend([
            ("REVIEW_AUTH", "jwt"),
            ("REVIEW_REQUIRED_GROUP", "ocsf-reviewers"),
            ("OIDC_ISSUER", "https://idp.example.com"),
            ("OIDC_CLIENT_ID", "client-1"),
            ("OIDC_AUTHORIZATION_ENDPOINT", "https://idp.example.com/authorize"),
            ("OIDC_TOKEN_ENDPOINT", "https://idp.example.com/oauth2/token"),
        ]);
        let c = Config::from_env(&Env::from_pairs(pairs)).unwrap();
        assert_eq!(c.page.sign_in["auth"], "oidc");
        assert_eq!(c.page.token_origin.as_deref(), Some("https://idp.example.com"));
        assert!(matches!(c.auth, AuthMode::Jwt(_)));
    }
}
