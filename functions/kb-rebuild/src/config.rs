//! The function's configuration, read and checked once at init.

use std::path::PathBuf;

use ocsfmap::rebuild::{RebuildConfig, RebuildError};
use ocsfmap_edge::clickhouse::ClickHouseConfig;
use ocsfmap_edge::env::{Env, EnvError};

#[derive(Debug, Clone)]
pub struct Config {
    /// The bucket holding sources, versions and the pointer.
    pub bucket: String,
    pub rebuild: RebuildConfig,
    /// all-MiniLM-L6-v2 directory; without it the KB is lexical-only (and builds in seconds).
    pub model_dir: Option<PathBuf>,
    /// Where analyst overrides live; `None` (no `CLICKHOUSE_URL`) builds without them.
    pub clickhouse: Option<ClickHouseConfig>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Env(#[from] EnvError),
    #[error("{0}")]
    Rebuild(String),
}

/// The variable each [`RebuildConfig`] field is read from, so that a setting the rebuild
/// refuses is reported under the name the operator set.
const VARIABLES: &[(&str, &str)] = &[
    ("sources_prefix", "KB_SOURCES_PREFIX"),
    ("versions_prefix", "KB_VERSIONS_PREFIX"),
    ("pointer_key", "KB_POINTER_KEY"),
    ("keep_versions", "KB_KEEP_VERSIONS"),
    ("quality_margin", "KB_QUALITY_MARGIN"),
    ("holdout_every", "KB_HOLDOUT_EVERY"),
    ("max_attempts", "KB_MAX_ATTEMPTS"),
];

fn setting_error(e: RebuildError) -> ConfigError {
    match e {
        RebuildError::BadSetting { field, why } => {
            let var = VARIABLES.iter().find(|(f, _)| *f == field).map_or(field, |(_, v)| *v);
            ConfigError::Env(EnvError::invalid(var, why))
        }
        other => ConfigError::Rebuild(other.to_string()),
    }
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Config, ConfigError> {
        let bucket = env.required(
            "KB_BUCKET",
            "the S3 bucket holding the knowledge base sources, versions and pointer",
        )?;
        let d = RebuildConfig::default();
        let rebuild = RebuildConfig {
            sources_prefix: env.string_or("KB_SOURCES_PREFIX", &d.sources_prefix),
            versions_prefix: env.string_or("KB_VERSIONS_PREFIX", &d.versions_prefix),
            pointer_key: env.string_or("KB_POINTER_KEY", &d.pointer_key),
            keep_versions: env.parse_or("KB_KEEP_VERSIONS", d.keep_versions)?,
            quality_margin: env.parse_or("KB_QUALITY_MARGIN", d.quality_margin)?,
            holdout_every: env.parse_or("KB_HOLDOUT_EVERY", d.holdout_every)?,
            max_attempts: env.parse_or("KB_MAX_ATTEMPTS", d.max_attempts)?,
        };
        rebuild.validate().map_err(setting_error)?;
        let clickhouse = match env.get("CLICKHOUSE_URL") {
            Some(_) => Some(ClickHouseConfig::from_env(env)?),
            None => None,
        };
        Ok(Config {
            bucket,
            rebuild,
            model_dir: env.get("OCSFMAP_MODEL_DIR").map(PathBuf::from),
            clickhouse,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_overrides_and_errors() {
        let c = Config::from_env(&Env::from_pairs([("KB_BUCKET", "kb")])).unwrap();
        assert_eq!(
            (c.bucket.as_str(), c.rebuild.pointer_key.as_str(), c.rebuild.keep_versions),
            ("kb", "kb/current.json", 5)
        );
        assert!(c.clickhouse.is_none() && c.model_dir.is_none());

        let c = Config::from_env(&Env::from_pairs([
            ("KB_BUCKET", "kb"),
            ("KB_KEEP_VERSIONS", "3"),
            ("KB_QUALITY_MARGIN", "0.05"),
            ("KB_HOLDOUT_EVERY", "7"),
            ("CLICKHOUSE_URL", "http://127.0.0.1:8123"),
            ("OVERRIDES_TABLE", "my_overrides"),
        ]))
        .unwrap();
        assert_eq!(
            (c.rebuild.keep_versions, c.rebuild.quality_margin, c.rebuild.holdout_every),
            (3, 0.05, 7)
        );
        assert_eq!(c.clickhouse.unwrap().tables.overrides, "my_overrides");

        let err = |pairs: &[(&str, &str)]| {
            Config::from_env(&Env::from_pairs(pairs.iter().copied())).unwrap_err().to_string()
        };
        assert!(err(&[]).contains("KB_BUCKET"));
        assert!(
            err(&[("KB_BUCKET", "kb"), ("KB_KEEP_VERSIONS", "none")]).contains("KB_KEEP_VERSIONS")
        );
        assert!(err(&[("KB_BUCKET", "kb"), ("KB_KEEP_VERSIONS", "0")]).contains("KB_KEEP_VERSIONS"));
        assert!(err(&[("KB_BUCKET", "kb"), ("KB_HOLDOUT_EVERY", "1")]).contains("KB_HOLDOUT_EVERY"));
        assert!(err(&[("KB_BUCKET", "kb"), ("KB_VERSIONS_PREFIX", "kb")])
            .contains("KB_VERSIONS_PREFIX"));
        assert!(err(&[("KB_BUCKET", "kb"), ("KB_SOURCES_PREFIX", "kb/")])
            .contains("outside the sources prefix"));
        assert!(
            err(&[("KB_BUCKET", "kb"), ("CLICKHOUSE_URL", "db:8123")]).contains("CLICKHOUSE_URL")
        );
    }
}
