//! Environment configuration, validated once at cold start.

use ocsfmap::ingest::{auth::KeyError, ApiKey, AuthPolicy, ConfigError, Settings};

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error(transparent)]
    Settings(#[from] ConfigError),
    #[error("{var}: {source}")]
    Key { var: &'static str, source: KeyError },
    #[error("API_KEY and API_KEY_SECRET_ARN are both set; set only one")]
    TwoKeys,
    #[error("reading the API key from Secrets Manager ({arn}) failed: {detail}")]
    Secret { arn: String, detail: String },
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

fn env(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty())
}

impl Config {
    pub fn from_env() -> Result<Self, InitError> {
        let settings = Settings::from_lookup(|k| std::env::var(k).ok())?;
        let queue_url = env("QUEUE_URL").ok_or(ConfigError::Missing { var: "QUEUE_URL" })?;
        let key = match (env("API_KEY"), env("API_KEY_SECRET_ARN")) {
            (Some(_), Some(_)) => return Err(InitError::TwoKeys),
            (Some(k), None) => KeySource::Env(k),
            (None, Some(arn)) => KeySource::Secret(arn.trim().to_string()),
            (None, None) => KeySource::None,
        };
        Ok(Self { queue_url, settings, key })
    }
}

/// Builds the auth policy, fetching the secret when configured by reference.
pub async fn auth_policy(
    key: KeySource,
    allow_unauthenticated: bool,
    aws: &aws_config::SdkConfig,
) -> Result<AuthPolicy, InitError> {
    let (var, secret) = match key {
        KeySource::Env(k) => ("API_KEY", k),
        KeySource::Secret(arn) => ("API_KEY_SECRET_ARN", fetch_secret(aws, &arn).await?),
        KeySource::None if allow_unauthenticated => return Ok(AuthPolicy::Open),
        KeySource::None => return Ok(AuthPolicy::Unconfigured),
    };
    ApiKey::new(&secret).map(AuthPolicy::Key).map_err(|source| InitError::Key { var, source })
}

/// The secret is either the key itself or a JSON object with an `api_key` field.
async fn fetch_secret(aws: &aws_config::SdkConfig, arn: &str) -> Result<String, InitError> {
    let client = aws_sdk_secretsmanager::Client::new(aws);
    let err = |detail: String| InitError::Secret { arn: arn.to_string(), detail };
    let out = client
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| err(aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string()))?;
    let text = out.secret_string().ok_or_else(|| err("the secret has no SecretString".into()))?;
    Ok(key_from_secret(text))
}

fn key_from_secret(text: &str) -> String {
    ocsfmap::text::secret_field(text, "api_key")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_can_be_plain_or_json() {
        assert_eq!(key_from_secret("abc"), "abc");
        assert_eq!(key_from_secret(r#"{"api_key":"xyz"}"#), "xyz");
        assert_eq!(key_from_secret(r#"{"other":"xyz"}"#), r#"{"other":"xyz"}"#);
    }
}
