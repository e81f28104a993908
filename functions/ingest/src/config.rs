//! Environment configuration, validated once at cold start.

use ocsfmap::ingest::{auth::KeyError, ApiKey, AuthPolicy, ConfigError, Settings};
use ocsfmap_edge::env::{Env, EnvError};
use ocsfmap_edge::secrets::{self, SecretError};

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error(transparent)]
    Settings(#[from] ConfigError),
    #[error(transparent)]
    Env(#[from] EnvError),
    #[error("{var}: {source}")]
    Key { var: &'static str, source: KeyError },
    #[error(transparent)]
    Secret(#[from] SecretError),
}

/// Where the API key comes from.
pub enum KeySource {
    Env(String),
    Secret(String),
    None,
}

pub struct Config {
    pub queue_url: String,
    pub settings: Settings,
    pub key: KeySource,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, InitError> {
        let settings = Settings::from_lookup(|k| env.get(k).map(str::to_string))?;
        let queue_url = env.required("QUEUE_URL", "the URL of the classification queue")?;
        let key = match (env.get("API_KEY"), env.get("API_KEY_SECRET_ARN")) {
            (Some(_), Some(_)) => {
                return Err(EnvError::invalid(
                    "API_KEY_SECRET_ARN",
                    "API_KEY and API_KEY_SECRET_ARN are both set; set only one",
                )
                .into())
            }
            (Some(k), None) => KeySource::Env(k.to_string()),
            (None, Some(arn)) => KeySource::Secret(arn.to_string()),
            (None, None) => KeySource::None,
        };
        Ok(Self { queue_url, settings, key })
    }
}

/// Builds the auth policy, fetching the secret when configured by reference. The secret is
/// the key itself or a JSON object with an `api_key` field.
pub async fn auth_policy(
    key: KeySource,
    allow_unauthenticated: bool,
    aws: &aws_config::SdkConfig,
) -> Result<AuthPolicy, InitError> {
    let (var, secret) = match key {
        KeySource::Env(k) => ("API_KEY", k),
        KeySource::Secret(arn) => (
            "API_KEY_SECRET_ARN",
            secrets::fetch(aws, "API_KEY_SECRET_ARN", &arn, "api_key").await?,
        ),
        KeySource::None if allow_unauthenticated => return Ok(AuthPolicy::Open),
        KeySource::None => return Ok(AuthPolicy::Unconfigured),
    };
    ApiKey::new(&secret).map(AuthPolicy::Key).map_err(|source| InitError::Key { var, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_variable_and_not_the_value() {
        let base = [("QUEUE_URL", "https://sqs.eu-west-1.amazonaws.com/1/q")];
        assert!(Config::from_env(&Env::from_pairs(base)).is_ok());
        let err = |pairs: Vec<(&str, &str)>| {
            Config::from_env(&Env::from_pairs(pairs)).err().map(|e| e.to_string()).unwrap()
        };
        assert!(err(vec![]).contains("QUEUE_URL"));
        let e = err(vec![base[0], ("API_KEY", "k-0123456789abcdef"), ("API_KEY_SECRET_ARN", "a")]);
        assert!(e.contains("API_KEY_SECRET_ARN") && !e.contains("k-0123456789abcdef"), "{e}");
        let e = err(vec![base[0], ("MAX_BODY_BYTES", "lots-of-secret-bytes")]);
        assert!(e.contains("MAX_BODY_BYTES") && !e.contains("secret"), "{e}");
    }
}
