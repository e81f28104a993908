//! A `clickhouse::Client` for assertions, and a throw-away database per test.
//!
//! The server is the one at `CLICKHOUSE_URL` (default `http://127.0.0.1:8123`):
//! a real ClickHouse, or chfront (ClickHouse's HTTP interface over chDB)
//! started by `scripts/services`. `CLICKHOUSE_USER` / `CLICKHOUSE_PASSWORD`
//! are used when set.

use ::clickhouse::Client;

use crate::{names, services, Result};

pub use crate::services::clickhouse_url as url;

/// A client with the crate's defaults (LZ4 compression, validation on).
/// Fails fast if ClickHouse is not running.
pub async fn client() -> Result<Client> {
    services::require_clickhouse().await?;
    let mut client = Client::default().with_url(url());
    if let Ok(user) = std::env::var("CLICKHOUSE_USER") {
        client = client.with_user(user);
    }
    if let Ok(password) = std::env::var("CLICKHOUSE_PASSWORD") {
        client = client.with_password(password);
    }
    Ok(client)
}

/// A database created for one test; its [`client`](Self::client) uses it by
/// default. Call [`drop_database`](Self::drop_database) at the end of the test.
#[derive(Clone)]
pub struct TestDatabase {
    pub name: String,
    client: Client,
}

impl TestDatabase {
    /// Creates `<prefix>_<unique>`.
    pub async fn create(prefix: &str) -> Result<Self> {
        let name = names::unique_ident(prefix);
        let admin = client().await?;
        admin.query(&format!("CREATE DATABASE `{name}`")).execute().await?;
        let client = admin.with_database(&name);
        Ok(Self { name, client })
    }

    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// Environment for a function process that writes to this database.
    pub fn function_env(&self) -> Vec<(String, String)> {
        vec![
            ("CLICKHOUSE_URL".to_string(), url()),
            ("CLICKHOUSE_DATABASE".to_string(), self.name.clone()),
        ]
    }

    pub async fn drop_database(self) -> Result<()> {
        client()
            .await?
            .query(&format!("DROP DATABASE IF EXISTS `{}`", self.name))
            .execute()
            .await?;
        Ok(())
    }
}
