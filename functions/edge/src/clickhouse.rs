//! ClickHouse at the edge: configuration from the environment, the client, the events sink
//! (one RowBinary insert per batch, with a deduplication token) and the migration runner.

use std::time::Duration;

use clickhouse::Client;
use ocsfmap::classify::DecidedBy;
use ocsfmap::sink::{ClassifiedEvent, EventSink};
use ocsfmap::store::{check_identifier, ddl, StoreError, Tables, MIGRATIONS};
use serde::{Deserialize, Serialize};

use crate::env::{Env, EnvError};

/// Where and how to reach ClickHouse.
#[derive(Debug, Clone)]
pub struct ClickHouseConfig {
    pub url: String,
    pub user: Option<String>,
    pub password: Option<String>,
    /// A Secrets Manager secret holding the password, resolved at init
    /// ([`ClickHouseConfig::resolve_secret`]).
    pub password_secret_arn: Option<String>,
    pub database: String,
    pub tables: Tables,
    /// Bound on one request (sending the data and waiting for the server's answer).
    pub timeout: Duration,
}

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

impl ClickHouseConfig {
    /// Reads `CLICKHOUSE_URL` (required), `CLICKHOUSE_USER`, `CLICKHOUSE_PASSWORD` or
    /// `CLICKHOUSE_SECRET_ARN`,
    /// `CLICKHOUSE_DATABASE` (`default`), `EVENTS_TABLE` (`events`), `OVERRIDES_TABLE`
    /// (`overrides`) and `CLICKHOUSE_TIMEOUT_MS` (10000).
    pub fn from_env(env: &Env) -> Result<Self, EnvError> {
        let url =
            env.required("CLICKHOUSE_URL", "the ClickHouse HTTP endpoint, e.g. https://host:8443")?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(EnvError::invalid("CLICKHOUSE_URL", "must start with http:// or https://"));
        }
        let secret_arn = env.get("CLICKHOUSE_SECRET_ARN").map(str::to_string);
        if secret_arn.is_some() && env.get("CLICKHOUSE_PASSWORD").is_some() {
            return Err(EnvError::invalid(
                "CLICKHOUSE_SECRET_ARN",
                "set either CLICKHOUSE_PASSWORD or CLICKHOUSE_SECRET_ARN, not both",
            ));
        }
        let ident = |name: &str, default: &str| -> Result<String, EnvError> {
            let v = env.string_or(name, default);
            check_identifier(&v).map_err(|_| {
                EnvError::invalid(
                    name,
                    "use letters, digits and underscores, not starting with a digit",
                )
            })?;
            Ok(v)
        };
        Ok(ClickHouseConfig {
            url: url.trim_end_matches('/').to_string(),
            user: env.get("CLICKHOUSE_USER").map(str::to_string),
            password: env.get("CLICKHOUSE_PASSWORD").map(str::to_string),
            password_secret_arn: secret_arn,
            database: ident("CLICKHOUSE_DATABASE", "default")?,
            tables: Tables {
                events: ident("EVENTS_TABLE", "events")?,
                overrides: ident("OVERRIDES_TABLE", "overrides")?,
                ..Tables::default()
            },
            timeout: env.millis_or("CLICKHOUSE_TIMEOUT_MS", DEFAULT_TIMEOUT, 100..=300_000)?,
        })
    }

    /// Fills the password from `CLICKHOUSE_SECRET_ARN` when one is configured.
    pub async fn resolve_secret(
        &mut self,
        aws: &aws_config::SdkConfig,
    ) -> Result<(), crate::secrets::SecretError> {
        if let Some(arn) = self.password_secret_arn.clone() {
            let password =
                crate::secrets::fetch(aws, "CLICKHOUSE_SECRET_ARN", &arn, "password").await?;
            self.password = Some(password);
        }
        Ok(())
    }

    /// A client for the configured database.
    pub fn client(&self) -> Client {
        self.server_client().with_database(&self.database)
    }

    /// A client with no database selected (to create it).
    pub fn server_client(&self) -> Client {
        let mut c = Client::default().with_url(&self.url);
        if let Some(u) = &self.user {
            c = c.with_user(u);
        }
        if let Some(p) = &self.password {
            c = c.with_password(p);
        }
        c
    }
}

/// Maps a client error to the engine's: what a later retry may fix is `Unavailable`.
pub fn store_error(e: clickhouse::error::Error) -> StoreError {
    use clickhouse::error::Error as E;
    // Server-side codes of overload, timeouts and restarts (TIMEOUT_EXCEEDED,
    // TOO_MANY_SIMULTANEOUS_QUERIES, NO_FREE_CONNECTION, SOCKET_TIMEOUT, NETWORK_ERROR,
    // MEMORY_LIMIT_EXCEEDED, TABLE_IS_READ_ONLY, TOO_MANY_PARTS, UNKNOWN_STATUS_OF_INSERT,
    // ABORTED, KEEPER_EXCEPTION).
    const TRANSIENT: [&str; 11] = [
        "Code: 159.",
        "Code: 202.",
        "Code: 203.",
        "Code: 209.",
        "Code: 210.",
        "Code: 241.",
        "Code: 242.",
        "Code: 252.",
        "Code: 319.",
        "Code: 236.",
        "Code: 999.",
    ];
    match e {
        E::Network(_) | E::TimedOut => StoreError::Unavailable(e.to_string()),
        E::BadResponse(ref m) if TRANSIENT.iter().any(|c| m.contains(c)) => {
            StoreError::Unavailable(e.to_string())
        }
        other => StoreError::Rejected(other.to_string()),
    }
}

/// One events-table row as the client writes it (column names and order of
/// [`ddl::create_events`]; timestamps are DateTime64(3) ticks, i.e. milliseconds).
#[derive(clickhouse::Row, Serialize)]
struct EventRecord<'a> {
    #[serde(with = "clickhouse::serde::uuid")]
    event_id: uuid::Uuid,
    received_at: i64,
    event_time: i64,
    classified_at: i64,
    source: &'a str,
    format: &'a str,
    class_uid: u32,
    class_name: &'a str,
    category_uid: u32,
    activity_id: i32,
    type_uid: i64,
    confidence: f32,
    needs_review: bool,
    decided_by: &'a str,
    candidates: &'a [(u32, f32)],
    signature: u64,
    kb_version: &'a str,
    raw: &'a str,
    ocsf_event: &'a str,
}

impl<'a> From<&'a ClassifiedEvent> for EventRecord<'a> {
    fn from(r: &'a ClassifiedEvent) -> Self {
        EventRecord {
            event_id: r.event_id,
            received_at: r.received_at_ms,
            event_time: r.event_time_ms,
            classified_at: r.classified_at_ms,
            source: &r.source,
            format: r.format.as_str(),
            class_uid: r.class_uid,
            class_name: &r.class_name,
            category_uid: r.category_uid,
            activity_id: r.activity_id,
            type_uid: r.type_uid,
            confidence: r.confidence,
            needs_review: r.needs_review,
            decided_by: decided_by_name(r.decided_by),
            candidates: &r.candidates,
            signature: r.signature.0,
            kb_version: &r.kb_version,
            raw: &r.raw,
            ocsf_event: &r.ocsf_event,
        }
    }
}

/// The `decided_by` column's values.
fn decided_by_name(d: DecidedBy) -> &'static str {
    match d {
        DecidedBy::Override => "override",
        DecidedBy::Search => "search",
        DecidedBy::Nothing => "nothing",
    }
}

/// The events table as an [`EventSink`].
#[derive(Clone)]
pub struct ClickHouseSink {
    client: Client,
    table: String,
    timeout: Duration,
}

impl ClickHouseSink {
    pub fn new(cfg: &ClickHouseConfig) -> Self {
        // The OCSF event travels as a string and is parsed into the JSON column by the server.
        let client = cfg.client().with_setting("input_format_binary_read_json_as_string", "1");
        ClickHouseSink { client, table: cfg.tables.events.clone(), timeout: cfg.timeout }
    }
}

impl EventSink for ClickHouseSink {
    async fn write_batch(
        &self,
        rows: &[ClassifiedEvent],
        dedup_token: &str,
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut insert = self
            .client
            .insert::<EventRecord<'_>>(&self.table)
            .await
            .map_err(store_error)?
            // Synchronous insert: the answer means the rows are in a part on disk. The
            // token makes a repeated insert of the same events a no-op on the server.
            .with_setting("async_insert", "0")
            .with_setting("insert_deduplicate", "1")
            .with_setting("insert_deduplication_token", dedup_token)
            .with_timeouts(Some(self.timeout), Some(self.timeout));
        for r in rows {
            insert.write(&EventRecord::from(r)).await.map_err(store_error)?;
        }
        insert.end().await.map_err(store_error)
    }
}

/// A migration applied by [`migrate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub id: u32,
    pub name: &'static str,
}

#[derive(clickhouse::Row, Deserialize)]
struct LedgerRow {
    checksum: String,
}

/// Creates the database and runs the migrations not yet recorded in its ledger, in order.
/// Safe to run again (and concurrently: every statement is idempotent).
pub async fn migrate(cfg: &ClickHouseConfig) -> Result<Vec<Applied>, StoreError> {
    let db = check_identifier(&cfg.database)?;
    cfg.server_client()
        .query(&format!("CREATE DATABASE IF NOT EXISTS `{db}`"))
        .execute()
        .await
        .map_err(store_error)?;
    let client = cfg.client();
    client.query(&ddl::create_migrations_table()).execute().await.map_err(store_error)?;
    let done: Vec<String> = client
        .query(&format!("SELECT checksum FROM `{}`", ddl::MIGRATIONS_TABLE))
        .fetch_all::<LedgerRow>()
        .await
        .map_err(store_error)?
        .into_iter()
        .map(|r| r.checksum)
        .collect();
    let mut applied = Vec::new();
    for m in MIGRATIONS {
        let checksum = m.checksum(&cfg.tables)?;
        if done.contains(&checksum) {
            continue;
        }
        client.query(&m.sql(&cfg.tables)?).execute().await.map_err(store_error)?;
        client
            .query(&format!(
                "INSERT INTO `{}` (id, name, checksum) VALUES (?, ?, ?)",
                ddl::MIGRATIONS_TABLE
            ))
            .bind(m.id)
            .bind(m.name)
            .bind(&checksum)
            .execute()
            .await
            .map_err(store_error)?;
        tracing::info!(id = m.id, name = m.name, database = db, "migration applied");
        applied.push(Applied { id: m.id, name: m.name });
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_from_env_validates_and_names_variables() {
        let ok = Env::from_pairs([
            ("CLICKHOUSE_URL", "http://ch:8123/"),
            ("CLICKHOUSE_DATABASE", "sec"),
            ("CLICKHOUSE_TIMEOUT_MS", "2500"),
        ]);
        let c = ClickHouseConfig::from_env(&ok).unwrap();
        assert_eq!(
            (c.url.as_str(), c.database.as_str(), c.timeout),
            ("http://ch:8123", "sec", Duration::from_millis(2500))
        );
        assert_eq!(c.tables, Tables::default());

        let cases: [(&[(&str, &str)], &str); 6] = [
            (&[], "CLICKHOUSE_URL is required"),
            (&[("CLICKHOUSE_URL", "ch:8123")], "CLICKHOUSE_URL is invalid"),
            (&[("CLICKHOUSE_URL", "http://ch"), ("EVENTS_TABLE", "ev-1")], "EVENTS_TABLE"),
            (
                &[("CLICKHOUSE_URL", "http://ch"), ("CLICKHOUSE_DATABASE", "a;b")],
                "CLICKHOUSE_DATABASE",
            ),
            (
                &[("CLICKHOUSE_URL", "http://ch"), ("CLICKHOUSE_TIMEOUT_MS", "0")],
                "CLICKHOUSE_TIMEOUT_MS",
            ),
            (
                &[
                    ("CLICKHOUSE_URL", "http://ch"),
                    ("CLICKHOUSE_SECRET_ARN", "arn:x"),
                    ("CLICKHOUSE_PASSWORD", "p"),
                ],
                "not both",
            ),
        ];
        for (pairs, want) in cases {
            let err = ClickHouseConfig::from_env(&Env::from_pairs(pairs.iter().copied()))
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{err} should name {want}");
        }
    }

    #[test]
    fn transient_server_errors_are_retryable() {
        use clickhouse::error::Error as E;
        use ocsfmap::failure::Failure;
        assert!(store_error(E::TimedOut).is_retryable());
        assert!(store_error(E::BadResponse("Code: 252. DB::Exception: Too many parts".into()))
            .is_retryable());
        assert!(!store_error(E::BadResponse("Code: 60. DB::Exception: Unknown table".into()))
            .is_retryable());
    }
}
