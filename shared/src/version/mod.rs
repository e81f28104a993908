//! Events in the OCSF version a consumer is pinned to.
//!
//! Classification and event building use the KB's schema (1.8.0); an [`OutputVersion`]
//! then rewrites each event to a target version read from that version's own schema
//! export (PyPI `ocsf-json-schema` ships one per release; `scripts/fetch-assets` unpacks
//! them next to `$OCSF_SCHEMA`). What changed between versions is never written down here:
//! the target's classes, objects, attributes, enums and profiles decide.
//!
//! Defined outcomes (docs/ocsf-versions.md):
//! - a class the target lacks: the event becomes a Base Event (class 0, activity Other) and
//!   the original `class_uid`, `class_name`, `category_uid`, `category_name`, `type_uid`
//!   go under `unmapped` as `ocsf.<name>`;
//! - an activity the target's class lacks: activity 99 (Other), the original id under
//!   `unmapped["ocsf.activity_id"]`;
//! - an attribute the target does not define (or with another kind, enum value, range or
//!   an undeclared profile): under `unmapped`, keyed by the source field it was mapped
//!   from or `ocsf.<path>`; nothing is dropped.

mod convert;
pub(crate) mod target;

use std::path::{Path, PathBuf};

pub use convert::Conversion;

use crate::event::{Ev, MappedField};
use target::TargetSchema;

#[derive(Debug, thiserror::Error)]
pub enum VersionError {
    #[error("`{0}` is not an OCSF release version (expected MAJOR.MINOR.PATCH, e.g. 1.3.0)")]
    Malformed(String),
    #[error("no OCSF {version} schema export at {path}: run scripts/fetch-assets (it unpacks every release's export next to $OCSF_SCHEMA) or point at the file")]
    Missing { version: String, path: PathBuf },
    #[error("cannot read the OCSF schema export {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("the OCSF schema export {path} is for version {found}, not the {wanted} asked for")]
    WrongVersion { path: String, found: String, wanted: String },
}

/// Checks a version string's form: `1.3.0`, not `1.3`, `v1.3.0` or a release candidate.
pub fn parse_version(v: &str) -> Result<(u32, u32, u32), VersionError> {
    let bad = || VersionError::Malformed(v.chars().take(40).collect());
    let mut it = v.split('.');
    let mut n = || -> Result<u32, VersionError> {
        let part = it.next().ok_or_else(bad)?;
        if part.is_empty() || part.len() > 4 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        part.parse().map_err(|_| bad())
    };
    let parsed = (n()?, n()?, n()?);
    if it.next().is_some() {
        return Err(bad());
    }
    Ok(parsed)
}

/// The export for `version` in a directory of exports named `<version>.json` (the layout
/// PyPI `ocsf-json-schema` ships).
pub fn export_path(dir: &Path, version: &str) -> Result<PathBuf, VersionError> {
    parse_version(version)?;
    let path = dir.join(format!("{version}.json"));
    if path.is_file() {
        Ok(path)
    } else {
        Err(VersionError::Missing { version: version.to_string(), path })
    }
}

/// Rewrites events built against the KB's schema to one target OCSF version.
#[derive(Debug)]
pub struct OutputVersion {
    target: TargetSchema,
}

impl OutputVersion {
    /// From the target version's schema export (bytes); `wanted` must match its `version`.
    /// `name` is used in error messages.
    pub fn from_export(bytes: &[u8], wanted: &str, name: &str) -> Result<Self, VersionError> {
        parse_version(wanted)?;
        let unreadable = |reason: String| VersionError::Unreadable { path: name.into(), reason };
        let root: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| unreadable(e.to_string()))?;
        let target = TargetSchema::parse(&root).map_err(unreadable)?;
        if target.version != wanted {
            return Err(VersionError::WrongVersion {
                path: name.into(),
                found: target.version,
                wanted: wanted.into(),
            });
        }
        Ok(OutputVersion { target })
    }

    pub fn load(path: &Path, wanted: &str) -> Result<Self, VersionError> {
        let bytes = std::fs::read(path).map_err(|e| VersionError::Unreadable {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::from_export(&bytes, wanted, &path.display().to_string())
    }

    pub fn version(&self) -> &str {
        &self.target.version
    }

    /// The target's classes, objects and attributes (the lake's columns come from them).
    pub(crate) fn target(&self) -> &TargetSchema {
        &self.target
    }

    /// True when the target version has this class.
    pub fn has_class(&self, class_uid: u32) -> bool {
        self.target.classes.contains_key(&class_uid)
    }

    /// Rewrites `event` (built against the KB's schema) to the target version in place.
    /// `mapped` names the source field behind each attribute (values that move out go under
    /// it); `reference_ms` is the time "unknown" timestamps get (the ingest time).
    pub fn convert(&self, event: &mut Ev, mapped: &[MappedField], reference_ms: i64) -> Conversion {
        convert::convert(&self.target, event, mapped, reference_ms)
    }
}

#[cfg(test)]
mod tests;
