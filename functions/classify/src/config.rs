//! The function's configuration, read and checked once at init.

use std::path::PathBuf;
use std::time::Duration;

use ocsfmap::classify;
use ocsfmap::pipeline::{KbHolderConfig, ProcessorConfig};
use ocsfmap_edge::clickhouse::ClickHouseConfig;
use ocsfmap_edge::env::{Env, EnvError};

#[derive(Debug, Clone)]
pub struct Config {
    pub clickhouse: ClickHouseConfig,
    /// Bucket holding the knowledge base pointer and artifacts.
    pub kb_bucket: String,
    pub kb: KbHolderConfig,
    /// Directory of the embedding model; without it classification is lexical-only.
    pub model_dir: Option<PathBuf>,
    pub processor: ProcessorConfig,
    /// The OCSF version events are emitted in, when not the KB's own.
    pub output: Option<OutputConfig>,
}

/// `OCSF_OUTPUT_VERSION` and where its schema export is in the KB bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputConfig {
    pub version: String,
    /// The version's export (PyPI `ocsf-json-schema`'s `<version>.json`), in `kb_bucket`.
    pub export_key: String,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, EnvError> {
        let clickhouse = ClickHouseConfig::from_env(env)?;
        let kb_bucket = env.required(
            "KB_BUCKET",
            "the S3 bucket holding the knowledge base (pointer and artifacts)",
        )?;
        let pointer_key = env.string_or("KB_POINTER_KEY", "kb/current.json");
        if pointer_key.starts_with('/') {
            return Err(EnvError::invalid("KB_POINTER_KEY", "an S3 key has no leading slash"));
        }
        let model_dir = env.get("OCSFMAP_MODEL_DIR").map(PathBuf::from);
        if let Some(dir) = &model_dir {
            if !dir.is_dir() {
                return Err(EnvError::invalid("OCSFMAP_MODEL_DIR", "not a directory"));
            }
        }
        let review_threshold = env.f32_in(
            "CONFIDENCE_THRESHOLD",
            classify::Config::default().review_threshold,
            0.0..=1.0,
        )?;
        let default_threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let threads: usize = env.parse_or("CLASSIFY_THREADS", default_threads)?;
        if !(1..=64).contains(&threads) {
            return Err(EnvError::invalid("CLASSIFY_THREADS", "must be between 1 and 64"));
        }
        let kb = KbHolderConfig {
            pointer_key,
            cache_dir: Some(PathBuf::from(env.string_or("KB_CACHE_DIR", "/tmp/ocsfmap-kb"))),
            check_interval: env.millis_or(
                "KB_CHECK_INTERVAL_MS",
                Duration::from_secs(10),
                0..=3_600_000,
            )?,
            classify: classify::Config { review_threshold, ..classify::Config::default() },
        };
        let processor = ProcessorConfig {
            // The whole insert, not each of its steps, is bounded by the ClickHouse timeout.
            insert_timeout: clickhouse.timeout,
            deadline_margin: env.millis_or(
                "DEADLINE_MARGIN_MS",
                Duration::from_millis(1500),
                100..=60_000,
            )?,
            threads,
            // Set at init, once its schema export is read from the KB bucket.
            output: None,
        };
        let output = match env.get("OCSF_OUTPUT_VERSION").map(str::trim).filter(|v| !v.is_empty()) {
            None => None,
            Some(v) => {
                ocsfmap::version::parse_version(v)
                    .map_err(|e| EnvError::invalid("OCSF_OUTPUT_VERSION", e.to_string()))?;
                let export_key =
                    env.string_or("OCSF_OUTPUT_EXPORT_KEY", &format!("ocsf/exports/{v}.json"));
                if export_key.starts_with('/') {
                    return Err(EnvError::invalid(
                        "OCSF_OUTPUT_EXPORT_KEY",
                        "an S3 key has no leading slash",
                    ));
                }
                Some(OutputConfig { version: v.to_string(), export_key })
            }
        };
        Ok(Config { clickhouse, kb_bucket, kb, model_dir, processor, output })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![("CLICKHOUSE_URL", "http://127.0.0.1:8123"), ("KB_BUCKET", "kb-bucket")]
    }

    #[test]
    fn defaults_and_overrides() {
        let c = Config::from_env(&Env::from_pairs(base())).unwrap();
        assert_eq!(
            (c.kb_bucket.as_str(), c.kb.pointer_key.as_str()),
            ("kb-bucket", "kb/current.json")
        );
        assert_eq!(c.kb.cache_dir, Some(PathBuf::from("/tmp/ocsfmap-kb")));
        assert_eq!(c.kb.classify.review_threshold, classify::Config::default().review_threshold);
        assert_eq!(c.processor.insert_timeout, c.clickhouse.timeout);
        assert!(c.model_dir.is_none());
        assert!(c.output.is_none(), "the KB's own version unless asked");

        let mut v = base();
        v.extend([
            ("CONFIDENCE_THRESHOLD", "0.8"),
            ("KB_CHECK_INTERVAL_MS", "0"),
            ("CLASSIFY_THREADS", "3"),
            ("CLICKHOUSE_TIMEOUT_MS", "4000"),
            ("OCSF_OUTPUT_VERSION", "1.3.0"),
        ]);
        let c = Config::from_env(&Env::from_pairs(v)).unwrap();
        assert_eq!(
            (c.kb.classify.review_threshold, c.kb.check_interval, c.processor.threads),
            (0.8, Duration::ZERO, 3)
        );
        assert_eq!(c.processor.insert_timeout, Duration::from_millis(4000));
        assert_eq!(
            c.output,
            Some(OutputConfig {
                version: "1.3.0".into(),
                export_key: "ocsf/exports/1.3.0.json".into()
            })
        );
    }

    #[test]
    fn errors_name_the_variable() {
        let cases: [(&str, &str, &str); 7] = [
            ("OCSF_OUTPUT_VERSION", "1.3", "OCSF_OUTPUT_VERSION"),
            ("OCSF_OUTPUT_VERSION", "latest", "OCSF_OUTPUT_VERSION"),
            ("CONFIDENCE_THRESHOLD", "1.5", "CONFIDENCE_THRESHOLD"),
            ("CONFIDENCE_THRESHOLD", "high", "CONFIDENCE_THRESHOLD"),
            ("OCSFMAP_MODEL_DIR", "/nonexistent/model", "OCSFMAP_MODEL_DIR"),
            ("CLASSIFY_THREADS", "0", "CLASSIFY_THREADS"),
            ("KB_POINTER_KEY", "/kb/current.json", "KB_POINTER_KEY"),
        ];
        for (k, val, want) in cases {
            let mut v = base();
            v.push((k, val));
            let err = Config::from_env(&Env::from_pairs(v)).unwrap_err().to_string();
            assert!(err.contains(want), "{err}");
        }
        let err = Config::from_env(&Env::from_pairs([("CLICKHOUSE_URL", "http://x")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("KB_BUCKET"), "{err}");
    }
}
