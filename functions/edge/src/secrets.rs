//! Secrets Manager lookups done once at init.

use crate::clickhouse::ClickHouseConfig;

/// Fills `cfg.password` from `CLICKHOUSE_SECRET_ARN` when one is configured. The error
/// names the variable and the ARN, never the secret.
pub async fn resolve_clickhouse_password(
    cfg: &mut ClickHouseConfig,
    aws: &aws_config::SdkConfig,
) -> Result<(), String> {
    let Some(arn) = cfg.password_secret_arn.clone() else { return Ok(()) };
    let secret = aws_sdk_secretsmanager::Client::new(aws)
        .get_secret_value()
        .secret_id(&arn)
        .send()
        .await
        .map_err(|e| {
            format!(
                "CLICKHOUSE_SECRET_ARN={arn}: {}",
                aws_sdk_secretsmanager::error::DisplayErrorContext(e)
            )
        })?;
    let text = secret
        .secret_string()
        .ok_or_else(|| format!("CLICKHOUSE_SECRET_ARN={arn}: the secret has no SecretString"))?;
    cfg.password = Some(password_from_secret(text));
    Ok(())
}

/// A secret is the password itself, or JSON with a `password` field (the shape RDS-style
/// rotation and `create-secret --secret-string '{"password": ...}'` produce).
pub fn password_from_secret(text: &str) -> String {
    ocsfmap::text::secret_field(text, "password")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_json_secrets() {
        assert_eq!(password_from_secret("s3cret"), "s3cret");
        assert_eq!(password_from_secret(r#"{"username":"u","password":"p"}"#), "p");
        assert_eq!(password_from_secret(r#"{"other":1}"#), r#"{"other":1}"#);
    }
}
