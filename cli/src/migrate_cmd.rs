//! `ocsfmap migrate`: creates the ClickHouse database and tables (run at deploy time, not
//! by the functions).

use std::time::Duration;

use anyhow::Context;
use ocsfmap::store::{Tables, MIGRATIONS};
use ocsfmap_edge::clickhouse::{self, ClickHouseConfig};
use ocsfmap_edge::env::Env;

#[derive(clap::Args)]
pub struct Args {
    /// ClickHouse HTTP endpoint, e.g. http://127.0.0.1:8123.
    #[arg(long, env = "CLICKHOUSE_URL")]
    clickhouse_url: Option<String>,
    #[arg(long, env = "CLICKHOUSE_DATABASE", default_value = "default")]
    database: String,
    #[arg(long, env = "CLICKHOUSE_USER")]
    user: Option<String>,
    #[arg(long, env = "CLICKHOUSE_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    #[arg(long, env = "EVENTS_TABLE", default_value = "events")]
    events_table: String,
    #[arg(long, env = "OVERRIDES_TABLE", default_value = "overrides")]
    overrides_table: String,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 60)]
    timeout_secs: u64,
    /// Print the statements instead of running them (no connection needed).
    #[arg(long)]
    print_sql: bool,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let tables = Tables {
        events: a.events_table.clone(),
        overrides: a.overrides_table.clone(),
        ..Tables::default()
    };
    if a.print_sql {
        for m in MIGRATIONS {
            println!("-- {}: {}\n{};\n", m.id, m.name, m.sql(&tables)?);
        }
        return Ok(());
    }
    let url = a.clickhouse_url.context("--clickhouse-url (or CLICKHOUSE_URL) is required")?;
    // The same validation as the functions (names, URL scheme).
    let mut pairs = vec![
        ("CLICKHOUSE_URL", url),
        ("CLICKHOUSE_DATABASE", a.database),
        ("EVENTS_TABLE", a.events_table),
        ("OVERRIDES_TABLE", a.overrides_table),
    ];
    pairs.extend(a.user.map(|u| ("CLICKHOUSE_USER", u)));
    pairs.extend(a.password.map(|p| ("CLICKHOUSE_PASSWORD", p)));
    let cfg = ClickHouseConfig::from_env(&Env::from_pairs(pairs))?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let applied = rt
        .block_on(async {
            tokio::time::timeout(Duration::from_secs(a.timeout_secs), clickhouse::migrate(&cfg))
                .await
        })
        .map_err(|_| anyhow::anyhow!("migration did not finish within {} s", a.timeout_secs))?
        .with_context(|| format!("migrating {} database {}", cfg.url, cfg.database))?;
    if applied.is_empty() {
        println!("{} database {}: up to date", cfg.url, cfg.database);
    }
    for m in applied {
        println!("applied {}: {}", m.id, m.name);
    }
    Ok(())
}
