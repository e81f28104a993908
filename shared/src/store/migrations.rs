//! Ordered schema migrations. Each renders to one idempotent statement for the configured
//! table names; the ledger table records the checksum of every statement applied, so a
//! migration runs once per distinct rendering (renamed tables get created too) and a run
//! interrupted half-way simply resumes.

use sha2::{Digest, Sha256};

use super::{ddl, StoreError, Tables};

pub struct Migration {
    pub id: u32,
    pub name: &'static str,
    render: fn(&Tables) -> Result<String, StoreError>,
}

impl Migration {
    pub fn sql(&self, tables: &Tables) -> Result<String, StoreError> {
        (self.render)(tables)
    }

    /// Checksum of the rendered statement (what the ledger records).
    pub fn checksum(&self, tables: &Tables) -> Result<String, StoreError> {
        let sql = self.sql(tables)?;
        Ok(hex::encode(&Sha256::digest(sql.as_bytes())[..16]))
    }
}

/// All migrations, in the order they must run. Append only: never edit a released one.
pub const MIGRATIONS: &[Migration] = &[
    Migration { id: 1, name: "create events table", render: |t| ddl::create_events(&t.events) },
    Migration {
        id: 2,
        name: "create overrides table",
        render: |t| ddl::create_overrides(&t.overrides),
    },
    Migration {
        id: 3,
        name: "overrides hold shape corrections",
        render: |t| ddl::alter_overrides_for_shapes(&t.overrides),
    },
    Migration { id: 4, name: "create builds table", render: |t| ddl::create_builds(&t.builds) },
    Migration {
        id: 5,
        name: "create lake exports table",
        render: |t| ddl::create_lake_exports(&t.lake_exports),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_increase_and_checksums_follow_table_names() {
        assert!(MIGRATIONS.windows(2).all(|w| w[0].id < w[1].id));
        let a = Tables::default();
        let b = Tables { events: "events_b".into(), ..Tables::default() };
        assert_ne!(MIGRATIONS[0].checksum(&a).unwrap(), MIGRATIONS[0].checksum(&b).unwrap());
        assert_eq!(MIGRATIONS[1].checksum(&a).unwrap(), MIGRATIONS[1].checksum(&b).unwrap());
    }
}
