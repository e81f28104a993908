//! Secrets Manager lookups, done once at init. A secret is either the value itself or a
//! JSON object holding it under a named field (the shape `create-secret --secret-string
//! '{"password": ...}'` and RDS-style rotation produce). Errors name the variable and the
//! ARN, never the secret.

/// Names the variable, not its value (the rule for every configuration error).
#[derive(Debug, thiserror::Error)]
#[error("{var}: reading the secret failed: {detail}")]
pub struct SecretError {
    pub var: &'static str,
    pub arn: String,
    pub detail: String,
}

/// Reads the secret `arn` (configured in `var`) and returns its `field`, or the whole
/// string when it is not JSON with that field.
pub async fn fetch(
    aws: &aws_config::SdkConfig,
    var: &'static str,
    arn: &str,
    field: &str,
) -> Result<String, SecretError> {
    let err = |detail: String| SecretError { var, arn: arn.to_string(), detail };
    let out = aws_sdk_secretsmanager::Client::new(aws)
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| err(aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string()))?;
    let text = out.secret_string().ok_or_else(|| err("the secret has no SecretString".into()))?;
    Ok(field_of(text, field))
}

pub fn field_of(text: &str, field: &str) -> String {
    ocsfmap::text::secret_field(text, field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_json_secrets() {
        assert_eq!(field_of("s3cret", "password"), "s3cret");
        assert_eq!(field_of(r#"{"username":"u","password":"p"}"#, "password"), "p");
        assert_eq!(field_of(r#"{"other":1}"#, "password"), r#"{"other":1}"#);
        assert_eq!(field_of(r#"{"api_key":"xyz"}"#, "api_key"), "xyz");
    }
}
