//! Rebuilding and publishing the knowledge base from its sources in an object store.
//!
//! One run: read the pointer (and its ETag) → gather the sources (schema export, JSONL
//! example and knowledge files) and the analyst overrides → hash them; unchanged inputs end
//! the run → build the KB exactly as the CLI does → quality gate against the current version
//! ([`gate`]) → write the artifact under its content hash, then move the pointer with a
//! conditional write ([`publish`]) → keep the last N versions.
//!
//! Nothing is written before the gate passes, and the pointer only moves with
//! `If-Match` on the ETag read at the start (or `If-None-Match: *` when there was none), so a
//! failed, refused or outraced run leaves the serving version exactly as it was. A run that
//! loses the pointer race starts over from the new pointer (bounded by `max_attempts`).

pub mod gate;
pub mod inputs;
pub mod publish;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use crate::blob::{BlobError, BlobStore};
use crate::embed::{EmbedError, Embedder};
use crate::failure::{Disposition, Failure};
use crate::kb::{self, artifact, BuildOptions, KbError};
use crate::store::review::BuildRow;
pub use crate::store::OverrideSource;
use crate::store::{Overrides, StoreError};

pub use gate::{GateReport, Holdout};
pub use inputs::{Gathered, SourceKind, SourceLayout};
pub use publish::Current;

/// Where things live in the bucket and how strict the gate is.
#[derive(Debug, Clone)]
pub struct RebuildConfig {
    /// Prefix of the inputs (`kb/sources/`): `schema/*.json`, `examples/**.jsonl`, `knowledge/**.jsonl`.
    pub sources_prefix: String,
    /// Prefix of the immutable artifacts (`kb/versions/`).
    pub versions_prefix: String,
    /// The pointer object `classify` reads (`kb/current.json`).
    pub pointer_key: String,
    /// Versions kept (the pointer's version is always kept on top of these).
    pub keep_versions: usize,
    /// Largest accepted drop in held-back accuracy (0.02 = two points).
    pub quality_margin: f64,
    /// One labelled record in `holdout_every` is held back for the gate.
    pub holdout_every: u32,
    /// Runs of the whole cycle when the pointer race is lost.
    pub max_attempts: u32,
}

impl Default for RebuildConfig {
    fn default() -> Self {
        RebuildConfig {
            sources_prefix: "kb/sources/".into(),
            versions_prefix: "kb/versions/".into(),
            pointer_key: "kb/current.json".into(),
            keep_versions: 5,
            quality_margin: 0.02,
            holdout_every: 5,
            max_attempts: 3,
        }
    }
}

impl RebuildConfig {
    /// Checks values a typo could make dangerous (deleting everything, gating nothing).
    pub fn validate(&self) -> Result<(), RebuildError> {
        let bad = |field: &'static str, why: String| Err(RebuildError::BadSetting { field, why });
        for (field, name, p) in [
            ("sources_prefix", "sources prefix", &self.sources_prefix),
            ("versions_prefix", "versions prefix", &self.versions_prefix),
        ] {
            if p.is_empty() || !p.ends_with('/') {
                return bad(field, format!("the {name} must be a non-empty folder ending in `/`"));
            }
        }
        if self.pointer_key.is_empty() || self.pointer_key.ends_with('/') {
            return bad("pointer_key", "the pointer key must name an object".into());
        }
        let outside = "the pointer and the versions must live outside the sources prefix (a write there would trigger a rebuild)";
        if self.pointer_key.starts_with(&self.sources_prefix) {
            return bad("pointer_key", outside.into());
        }
        if self.versions_prefix.starts_with(&self.sources_prefix) {
            return bad("versions_prefix", outside.into());
        }
        if self.keep_versions == 0 {
            return bad("keep_versions", "must be at least 1".into());
        }
        if !(0.0..=1.0).contains(&self.quality_margin) {
            return bad("quality_margin", "a share of accuracy, between 0 and 1".into());
        }
        if self.holdout_every < 2 {
            return bad(
                "holdout_every",
                "must be at least 2 (1 would hold back every record)".into(),
            );
        }
        if self.max_attempts == 0 {
            return bad("max_attempts", "must be at least 1".into());
        }
        Ok(())
    }
}

/// No overrides (local runs, deployments without ClickHouse).
pub struct NoOverrides;

impl OverrideSource for NoOverrides {
    async fn fetch_overrides(&self) -> Result<Overrides, StoreError> {
        Ok(Overrides::default())
    }

    async fn record_build(&self, _: &BuildRow) -> Result<(), StoreError> {
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    #[error("configuration: {0}")]
    Config(String),
    /// A setting of [`RebuildConfig`] is unusable; `field` is its name there, so the
    /// caller can name the variable or flag it came from.
    #[error("{field}: {why}")]
    BadSetting { field: &'static str, why: String },
    /// A source object is unusable; `object` is its key, `line` the JSONL line when known.
    #[error("broken KB input {object}{}: {what}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    BrokenInput { object: String, line: Option<usize>, what: String },
    #[error("no OCSF schema export under {prefix} (expected one `*.json` object)")]
    NoSchema { prefix: String },
    #[error("several OCSF schema exports under {prefix}: {keys:?}; keep exactly one")]
    SeveralSchemas { prefix: String, keys: Vec<String> },
    #[error("reading analyst overrides: {0}")]
    Overrides(#[from] StoreError),
    #[error("object store: {0}")]
    Blob(#[from] BlobError),
    #[error("embedding: {0}")]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Kb(#[from] KbError),
    #[error("the pointer {pointer_key} kept moving under us: gave up after {attempts} attempts")]
    Contention { pointer_key: String, attempts: u32 },
}

/// Worth retrying later: transient store trouble and contention; broken inputs are not.
impl Failure for RebuildError {
    fn disposition(&self) -> Disposition {
        match self {
            RebuildError::Blob(e) => e.disposition(),
            RebuildError::Overrides(e) => e.disposition(),
            RebuildError::Contention { .. } => Disposition::Retry,
            _ => Disposition::Permanent,
        }
    }
}

/// What a run did. Serialised as the function's response.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// The inputs hash equals the pointer's: nothing built, nothing written.
    Unchanged { version: String, inputs_hash: String },
    /// The inputs changed but built the artifact already serving (a comment, a reordering):
    /// only the pointer's `inputs_hash` was refreshed so later runs stop here early.
    SameContent { version: String, inputs_hash: String },
    /// A new version is serving.
    Published {
        version: String,
        key: String,
        content_hash: String,
        inputs_hash: String,
        previous_version: Option<String>,
        gate: GateReport,
        /// Old artifacts removed by retention.
        deleted: Vec<String>,
    },
    /// The candidate scored worse than the serving version by more than the margin.
    Refused {
        current_version: String,
        candidate_content_hash: String,
        inputs_hash: String,
        gate: GateReport,
    },
}

/// Runs rebuilds against one store. Build it once (the embedder is loaded once).
pub struct Rebuilder<'a, S, O> {
    pub store: &'a S,
    pub overrides: &'a O,
    pub embedder: Option<Arc<Embedder>>,
    pub cfg: RebuildConfig,
}

/// A candidate that passed the gate (or needs no gate), ready to be committed.
pub struct Plan {
    pub current: Current,
    pub artifact: Vec<u8>,
    pub header: artifact::KbHeader,
    pub inputs_hash: String,
    pub gate: GateReport,
    pub overrides_through_ms: i64,
}

/// What [`Rebuilder::prepare`] decided. One exists per rebuild run, so the size of the
/// unboxed variant costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum Prepared {
    /// Nothing to write (unchanged inputs, or refused by the gate).
    Done {
        outcome: Outcome,
        overrides_through_ms: i64,
    },
    Commit(Box<Plan>),
}

impl<S: BlobStore, O: OverrideSource> Rebuilder<'_, S, O> {
    /// One full run, starting over (bounded) when another run moved the pointer first.
    pub async fn run(&self) -> Result<Outcome, RebuildError> {
        self.cfg.validate()?;
        for attempt in 1..=self.cfg.max_attempts {
            let current = publish::read_pointer(self.store, &self.cfg.pointer_key).await?;
            let plan = match self.prepare(current).await? {
                Prepared::Done { outcome, overrides_through_ms } => {
                    self.record(&outcome, overrides_through_ms).await;
                    return Ok(outcome);
                }
                Prepared::Commit(plan) => plan,
            };
            let through = plan.overrides_through_ms;
            match self.commit(*plan).await? {
                Some(outcome) => {
                    self.record(&outcome, through).await;
                    return Ok(outcome);
                }
                None => {
                    tracing::warn!(attempt, pointer = %self.cfg.pointer_key, "another rebuild moved the pointer first; starting over")
                }
            }
        }
        Err(RebuildError::Contention {
            pointer_key: self.cfg.pointer_key.clone(),
            attempts: self.cfg.max_attempts,
        })
    }

    /// Records the run for the review queue. Best effort: the KB is what matters, and a
    /// missing record only leaves corrections shown as pending until the next run.
    async fn record(&self, outcome: &Outcome, overrides_through_ms: i64) {
        let row = build_row(outcome, overrides_through_ms, crate::pipeline::now_ms());
        if let Err(e) = self.overrides.record_build(&row).await {
            tracing::warn!(error = %e, outcome = %row.outcome, "could not record the run in the builds table");
        }
    }

    /// Gathers, hashes, builds and gates against `current`; writes nothing.
    pub async fn prepare(&self, current: Current) -> Result<Prepared, RebuildError> {
        let started = Instant::now();
        let layout = SourceLayout::new(&self.cfg.sources_prefix);
        let gathered = inputs::gather(self.store, &layout, self.overrides).await?;
        let model = self.embedder.as_ref().map(|e| e.model_id().to_string());
        let inputs_hash = gathered.inputs_hash(model.as_deref());
        if let Some(p) = current.pointer.as_ref().filter(|p| p.inputs_hash == inputs_hash) {
            tracing::info!(version = p.version(), %inputs_hash, "inputs unchanged: nothing to publish");
            return Ok(Prepared::Done {
                outcome: Outcome::Unchanged { version: p.version().to_string(), inputs_hash },
                overrides_through_ms: gathered.overrides_through_ms,
            });
        }

        let overrides_through_ms = gathered.overrides_through_ms;
        let parsed = gathered.parse()?;
        let holdout = Holdout::new(self.cfg.holdout_every);
        let slice = holdout.slice(&parsed.examples, &parsed.overrides);
        let schema = parsed.schema;
        let build_started = Instant::now();
        let body = kb::build(
            schema,
            BuildOptions {
                examples: parsed.examples,
                pack: parsed.pack,
                products: parsed.products,
                overrides: parsed.overrides,
                embedder: self.embedder.as_deref(),
                progress: None,
            },
        )?;
        let (artifact, header) = artifact::to_bytes(&body)?;
        tracing::info!(
            content_hash = %header.content_hash,
            docs = body.docs.len(),
            bytes = artifact.len(),
            build_ms = build_started.elapsed().as_millis() as u64,
            "candidate built"
        );

        let same = current.pointer.as_ref().is_some_and(|p| p.content_hash == header.content_hash);
        let gate = if same {
            GateReport::skipped(slice.len(), "the candidate is the serving version")
        } else {
            let baseline = publish::load_current(self.store, &current).await?;
            gate::evaluate(
                &body,
                baseline.as_ref().map(|kb| &kb.body),
                &slice,
                self.embedder.clone(),
                self.cfg.quality_margin,
            )
        };
        tracing::info!(
            held_back = gate.held_back,
            candidate_accuracy = ?gate.candidate_accuracy,
            current_accuracy = ?gate.current_accuracy,
            margin = self.cfg.quality_margin,
            passed = gate.passed,
            prepare_ms = started.elapsed().as_millis() as u64,
            "quality gate"
        );
        if !gate.passed {
            let current_version =
                current.pointer.as_ref().map(|p| p.version().to_string()).unwrap_or_default();
            tracing::warn!(
                candidate_accuracy = ?gate.candidate_accuracy,
                current_accuracy = ?gate.current_accuracy,
                margin = self.cfg.quality_margin,
                %current_version,
                candidate = %header.content_hash,
                "candidate refused: held-back accuracy dropped by more than the margin; the current version keeps serving"
            );
            return Ok(Prepared::Done {
                outcome: Outcome::Refused {
                    current_version,
                    candidate_content_hash: header.content_hash,
                    inputs_hash,
                    gate,
                },
                overrides_through_ms,
            });
        }
        Ok(Prepared::Commit(Box::new(Plan {
            current,
            artifact,
            header,
            inputs_hash,
            gate,
            overrides_through_ms,
        })))
    }

    /// Writes the artifact and moves the pointer; `Ok(None)` when another run moved the
    /// pointer since `plan.current` was read (nothing of ours is serving then).
    pub async fn commit(&self, plan: Plan) -> Result<Option<Outcome>, RebuildError> {
        let Plan { current, artifact, header, inputs_hash, gate, .. } = plan;
        let same = current.pointer.as_ref().is_some_and(|p| p.content_hash == header.content_hash);
        let key = publish::version_key(&self.cfg.versions_prefix, &header.content_hash);
        let accuracy = if same {
            current.pointer.as_ref().and_then(|p| p.accuracy)
        } else {
            gate.candidate_accuracy
        };
        let pointer = crate::kb::pointer::Pointer {
            key: key.clone(),
            content_hash: header.content_hash.clone(),
            inputs_hash: inputs_hash.clone(),
            ocsf_version: header.ocsf_version.clone(),
            published_at: header.built_at.clone(),
            accuracy,
        };
        if !publish::publish(self.store, &self.cfg, &current, &key, artifact, &pointer).await? {
            return Ok(None);
        }
        let version = pointer.version().to_string();
        if same {
            tracing::info!(%version, %inputs_hash, "inputs changed but the artifact did not: pointer refreshed, nothing new published");
            return Ok(Some(Outcome::SameContent { version, inputs_hash }));
        }
        let previous_version = current.pointer.as_ref().map(|p| p.version().to_string());
        tracing::info!(%version, %key, previous = ?previous_version, accuracy = ?gate.candidate_accuracy, "published a new knowledge base version");
        let deleted = match publish::retain(self.store, &self.cfg).await {
            Ok(d) => d,
            Err(e) => {
                // The new version is serving; old artifacts wait for the next run.
                tracing::warn!(error = %e, "retention failed");
                Vec::new()
            }
        };
        Ok(Some(Outcome::Published {
            version,
            key,
            content_hash: header.content_hash,
            inputs_hash,
            previous_version,
            gate,
            deleted,
        }))
    }
}

/// The builds-table row for a run's outcome.
pub fn build_row(outcome: &Outcome, overrides_through_ms: i64, now_ms: i64) -> BuildRow {
    let (name, version, reason) = match outcome {
        Outcome::Unchanged { version, .. } => ("unchanged", version.clone(), String::new()),
        Outcome::SameContent { version, .. } => ("same_content", version.clone(), String::new()),
        Outcome::Published { version, .. } => ("published", version.clone(), String::new()),
        Outcome::Refused { current_version, gate, .. } => {
            let pct = |a: Option<f64>| a.map_or("-".to_string(), |a| format!("{:.1}%", a * 100.0));
            let reason = format!(
                "quality gate: held-back accuracy {} against the serving version's {} on {} records (margin {:.1} points)",
                pct(gate.candidate_accuracy),
                pct(gate.current_accuracy),
                gate.held_back,
                gate.margin * 100.0
            );
            ("refused", current_version.clone(), reason)
        }
    };
    BuildRow {
        at_ms: now_ms,
        outcome: name.into(),
        kb_version: version,
        overrides_through_ms,
        reason,
    }
}
