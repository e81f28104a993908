//! `lake-export`: on a schedule, classified events from ClickHouse become Parquet files in
//! the Amazon Security Lake custom-source layout, one interval at a time, exactly once
//! (`ocsfmap::lake::export`; docs/lake.md). ClickHouse stays the primary store: this
//! function only reads it, and writes its ledger of exported intervals.
//!
//! Events: the EventBridge schedule (exports every finished interval not exported yet), or
//! `{"interval_start": "2026-12-07T10:00:00Z"}` to export one interval again (an operator's
//! re-run: it replaces that interval's files).

mod config;

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use ocsfmap::blob::BlobStore;
use ocsfmap::failure::{Disposition, Failure};
use ocsfmap::lake::export::{ExportError, Exporter};
use ocsfmap::version::OutputVersion;
use ocsfmap_edge::aws::{sdk_config, Budget};
use ocsfmap_edge::env::Env;
use ocsfmap_edge::lake::S3LakeStore;
use ocsfmap_edge::lambda::{self, diagnostic, BoxError};
use ocsfmap_edge::s3::S3BlobStore;
use ocsfmap_edge::sql::ClickHouseSql;
use serde_json::{json, Value};

use config::Config;

struct App {
    cfg: Config,
    sql: ClickHouseSql,
    lake: S3LakeStore,
    version: OutputVersion,
}

impl App {
    fn exporter(&self) -> Exporter<'_, ClickHouseSql, S3LakeStore> {
        Exporter {
            sql: &self.sql,
            lake: &self.lake,
            layout: &self.cfg.layout,
            version: &self.version,
            cfg: &self.cfg.export,
        }
    }

    async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
        let failed = |e: ExportError| {
            tracing::error!(error = %e, disposition = ?e.disposition(), "lake export failed; the interval is exported again by the next run");
            let kind = match e.disposition() {
                Disposition::Retry => "Unavailable",
                Disposition::Permanent => "ExportFailed",
            };
            diagnostic(e.disposition(), kind, &e)
        };
        let reports = match forced_interval(&event.payload) {
            Some(Ok(start)) if start % self.cfg.export.interval_ms != 0 => {
                return Err(diagnostic(
                    Disposition::Permanent,
                    "BadEvent",
                    format!(
                        "interval_start is not at an interval boundary ({} ms)",
                        self.cfg.export.interval_ms
                    ),
                ))
            }
            Some(Ok(start)) => vec![self.exporter().export(start).await.map_err(failed)?],
            Some(Err(e)) => return Err(diagnostic(Disposition::Permanent, "BadEvent", e)),
            None => self.exporter().run_due(ocsfmap::pipeline::now_ms()).await.map_err(failed)?,
        };
        Ok(json!({ "intervals": reports }))
    }
}

/// An operator's `{"interval_start": RFC 3339}` (aligned to the interval), if the event is one.
fn forced_interval(payload: &Value) -> Option<Result<i64, String>> {
    let text = payload.get("interval_start")?;
    let parsed = text
        .as_str()
        .and_then(|t| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        })
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64);
    Some(parsed.ok_or_else(|| format!("interval_start {text}: expected an RFC 3339 time")))
}

async fn init() -> Result<App, BoxError> {
    let mut cfg = Config::from_env(&Env::from_process())?;
    let aws = sdk_config(Budget::JOB).await;
    cfg.clickhouse.resolve_secret(&aws).await?;
    let kb = S3BlobStore::from_sdk_config(&aws, cfg.kb_bucket.clone());
    let export = kb.get(&cfg.export_key).await.map_err(|e| {
        format!(
            "OCSF_OUTPUT_VERSION={}: cannot read its schema export s3://{}/{}: {e}",
            cfg.ocsf_version, cfg.kb_bucket, cfg.export_key
        )
    })?;
    let version = OutputVersion::from_export(&export.bytes, &cfg.ocsf_version, &cfg.export_key)
        .map_err(|e| format!("OCSF_OUTPUT_VERSION: {e}"))?;
    // A source for a class the version does not have could never receive a file.
    if let Some(c) = cfg.layout.sources.keys().find(|c| !version.has_class(**c)) {
        return Err(format!("LAKE_SOURCES: OCSF {} has no class {c}", cfg.ocsf_version).into());
    }
    let sql = ClickHouseSql::new(cfg.clickhouse.client());
    let lake = S3LakeStore::new(&aws, &cfg.access).await;
    tracing::info!(
        lake_bucket = %cfg.access.bucket,
        prefix = %cfg.layout.prefix,
        sources = ?cfg.layout.sources,
        interval_ms = cfg.export.interval_ms,
        omit_raw = cfg.export.files.omit_raw,
        assumes_role = cfg.access.role_arn.is_some(),
        ocsf_version = %cfg.ocsf_version,
        "lake-export configured"
    );
    Ok(App { cfg, sql, lake, version })
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let app = lambda::start("lake-export", init()).await?;
    let app = &app;
    lambda_runtime::run(service_fn(move |ev: LambdaEvent<Value>| app.handle(ev))).await
}
