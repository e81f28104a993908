//! The function's configuration, read and checked once at init.

use ocsfmap::lake::export::{ExportConfig, MAX_INTERVAL_MS, MIN_INTERVAL_MS};
use ocsfmap::lake::{parse_sources, Depth, FileOptions, Layout};
use ocsfmap_edge::clickhouse::ClickHouseConfig;
use ocsfmap_edge::env::{Env, EnvError};
use ocsfmap_edge::lake::LakeAccess;

#[derive(Debug, Clone)]
pub struct Config {
    pub clickhouse: ClickHouseConfig,
    /// The KB bucket, which holds the OCSF schema export of the events' version.
    pub kb_bucket: String,
    pub ocsf_version: String,
    pub export_key: String,
    pub access: LakeAccess,
    pub layout: Layout,
    pub export: ExportConfig,
}

fn optional(env: &Env, name: &str) -> Option<String> {
    env.get(name).map(str::trim).filter(|v| !v.is_empty()).map(String::from)
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, EnvError> {
        let clickhouse = ClickHouseConfig::from_env(env)?;
        let kb_bucket = env.required("KB_BUCKET", "the bucket holding the OCSF schema exports")?;
        // The version the classify function emits: the columns are that version's.
        let ocsf_version = optional(env, "OCSF_OUTPUT_VERSION").unwrap_or_else(|| "1.8.0".into());
        ocsfmap::version::parse_version(&ocsf_version)
            .map_err(|e| EnvError::invalid("OCSF_OUTPUT_VERSION", e.to_string()))?;
        let export_key =
            env.string_or("OCSF_OUTPUT_EXPORT_KEY", &format!("ocsf/exports/{ocsf_version}.json"));
        let bucket = env.required("LAKE_BUCKET", "the Security Lake bucket")?;
        let region = optional(env, "LAKE_REGION")
            .or_else(|| optional(env, "AWS_REGION"))
            .ok_or_else(|| EnvError::invalid("LAKE_REGION", "not set, and no AWS_REGION"))?;
        let account = env.required("LAKE_ACCOUNT_ID", "the accountId partition value")?;
        let sources = parse_sources(&env.required(
            "LAKE_SOURCES",
            "CLASS_UID=SOURCE_NAME pairs: the custom source of each exported class",
        )?)
        .map_err(|e| EnvError::invalid("LAKE_SOURCES", e.to_string()))?;
        if sources.is_empty() {
            return Err(EnvError::invalid("LAKE_SOURCES", "names no class"));
        }
        let prefix = env.string_or("LAKE_PREFIX", "");
        let layout = Layout::new(&prefix, &region, &account, sources).map_err(|e| {
            let var = match e {
                ocsfmap::lake::LayoutError::Region(_) => "LAKE_REGION",
                ocsfmap::lake::LayoutError::Account(_) => "LAKE_ACCOUNT_ID",
                ocsfmap::lake::LayoutError::Prefix(_) => "LAKE_PREFIX",
                _ => "LAKE_SOURCES",
            };
            EnvError::invalid(var, e.to_string())
        })?;
        let role_arn = optional(env, "LAKE_ROLE_ARN");
        let external_id = optional(env, "LAKE_EXTERNAL_ID");
        if external_id.is_some() && role_arn.is_none() {
            return Err(EnvError::invalid("LAKE_EXTERNAL_ID", "set without LAKE_ROLE_ARN"));
        }
        let access = LakeAccess {
            bucket,
            role_arn,
            external_id,
            kms_key_arn: optional(env, "LAKE_KMS_KEY_ARN"),
        };
        let minutes: i64 = env.parse_or("LAKE_INTERVAL_MINUTES", 60)?;
        let interval_ms = minutes * 60_000;
        if !(MIN_INTERVAL_MS..=MAX_INTERVAL_MS).contains(&interval_ms)
            || MAX_INTERVAL_MS % interval_ms != 0
        {
            return Err(EnvError::invalid(
                "LAKE_INTERVAL_MINUTES",
                "5 to 1440, dividing a day (5, 10, 15, 30, 60, ... 1440)",
            ));
        }
        let omit_raw = match optional(env, "LAKE_OMIT_RAW").as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => return Err(EnvError::invalid("LAKE_OMIT_RAW", "true or false")),
        };
        let export = ExportConfig {
            interval_ms,
            // Inserts land within classify's timeout (60 s) of `classified_at`; three
            // minutes leave room for a retried batch.
            lag_ms: 180_000,
            max_intervals: 12,
            files: FileOptions { depth: Depth::default(), omit_raw },
            events_table: clickhouse.tables.events.clone(),
            ledger_table: clickhouse.tables.lake_exports.clone(),
        };
        Ok(Config { clickhouse, kb_bucket, ocsf_version, export_key, access, layout, export })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            ("CLICKHOUSE_URL", "http://127.0.0.1:8123"),
            ("KB_BUCKET", "kb"),
            ("LAKE_BUCKET", "aws-security-data-lake-eu-west-1-x"),
            ("LAKE_REGION", "eu-west-1"),
            ("LAKE_ACCOUNT_ID", "111122223333"),
            ("LAKE_SOURCES", "3002=ocsfmap-authentication"),
        ]
    }

    #[test]
    fn defaults() {
        let c = Config::from_env(&Env::from_pairs(base())).unwrap();
        assert_eq!(c.ocsf_version, "1.8.0");
        assert_eq!(c.export_key, "ocsf/exports/1.8.0.json");
        assert_eq!(c.export.interval_ms, 3_600_000);
        assert!(!c.export.files.omit_raw);
        assert_eq!(c.layout.source(3002), Some("ocsfmap-authentication"));
        assert_eq!(c.access.role_arn, None);
    }

    #[test]
    fn errors_name_the_variable() {
        for (k, v) in [
            ("LAKE_INTERVAL_MINUTES", "3"),
            ("LAKE_INTERVAL_MINUTES", "7"),
            ("LAKE_SOURCES", "3002=a b"),
            ("LAKE_SOURCES", ""),
            ("LAKE_ACCOUNT_ID", "12"),
            ("LAKE_OMIT_RAW", "yes"),
            ("LAKE_EXTERNAL_ID", "x"),
            ("OCSF_OUTPUT_VERSION", "1.3"),
        ] {
            let mut env = base();
            env.retain(|(n, _)| *n != k);
            env.push((k, v));
            let e = Config::from_env(&Env::from_pairs(env)).unwrap_err().to_string();
            assert!(e.contains(k), "{k}={v}: {e}");
        }
    }
}
