//! Classified record → OCSF event: base attributes, source fields mapped onto the class's
//! attributes (each with the source field it came from), everything else under `unmapped`,
//! then validation against the schema with repair (offending values moved to `unmapped`).
//!
//! [`build`] works on its own; a long-lived [`Mapper`] adds a bounded cache of mapping plans
//! keyed by record shape and class, which is what keeps a warm record under 10 µs.
//!
//! The event is an [`Ev`] tree (key-sorted vectors, schema names borrowed): its JSON text is
//! what `serde_json::Value` would write; [`Ev::to_value`] gives the `Value` when one is needed.

mod assemble;
mod concepts;
mod extract;
pub(crate) mod fasthash;
mod index;
pub(crate) mod keys;
mod mapping;
mod memo;
mod products;
mod rules;
pub mod severity;
pub mod time;
mod tree;
mod validate;

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::classify::Decision;
use crate::parse::Record;
use crate::schema::Schema;

pub use products::Products;
pub use tree::{Ev, Key, Obj};
pub use validate::{ErrorKind, ValidationError};

/// What the pipeline knows about a record besides its text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventContext {
    /// Becomes `metadata.uid`.
    pub event_id: Option<uuid::Uuid>,
    /// Ingest time (epoch ms): the fallback for `time`, and the year of year-less timestamps.
    pub received_at_ms: i64,
    /// Where the record came from (ingest source label); becomes `metadata.log_name` when the
    /// record names no log of its own.
    pub source: Option<String>,
}

/// One source field placed on an OCSF attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappedField {
    /// OCSF attribute path, e.g. `src_endpoint.ip` (borrowed from the mapping plan).
    pub attribute: std::borrow::Cow<'static, str>,
    /// Record field key it came from, e.g. `id.orig_h`.
    pub source: Arc<str>,
}

/// The event plus what happened while building it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OcsfEvent {
    /// The event; `Display` / serde give its JSON, [`Ev::to_value`] a `serde_json::Value`.
    pub event: Ev,
    /// Values moved to `unmapped` (or defaults filled in) so the event validates.
    pub repairs: usize,
    /// Validation errors found before repair, one line each.
    pub errors: Vec<String>,
    /// False when `time` fell back to the ingest time.
    pub time_from_record: bool,
    pub mapped: Vec<MappedField>,
}

/// Builds an event without a plan cache (plans are computed per call). Without the raw
/// text, `raw_data` is the parsed fields as one JSON object; prefer [`build_raw`].
pub fn build(
    schema: &Schema,
    record: &Record,
    decision: &Decision,
    ctx: &EventContext,
) -> OcsfEvent {
    let plan = mapping::plan(schema, record, decision, &Products::default());
    assemble::assemble(schema, &index::Index::new(schema), None, &plan, record, None, ctx)
}

/// [`build`] with the record's original text, which becomes `raw_data`.
pub fn build_raw(
    schema: &Schema,
    raw: &str,
    record: &Record,
    decision: &Decision,
    ctx: &EventContext,
) -> OcsfEvent {
    let plan = mapping::plan(schema, record, decision, &Products::default());
    assemble::assemble(schema, &index::Index::new(schema), None, &plan, record, Some(raw), ctx)
}

/// Checks an event against class `class_uid` of `schema`. Never panics.
pub fn validate(
    schema: &Schema,
    class_uid: u32,
    event: &serde_json::Value,
) -> Vec<ValidationError> {
    validate::validate(schema, class_uid, &Ev::from(event))
}

/// Exact-key variants kept per shape signature.
const PLAN_VARIANTS: usize = 8;

/// Default number of (shape, class) plans a [`Mapper`] keeps.
pub const DEFAULT_PLAN_CACHE: usize = 4096;

/// Event builder for a long-lived process: owns the schema and caches mapping plans per
/// record shape (`decision.signature`) and class. Build one per knowledge-base version.
pub struct Mapper {
    schema: Arc<Schema>,
    index: index::Index,
    products: Products,
    /// Plans per (shape, class, activity); a few variants each, because records of one
    /// shape signature can still differ in their exact keys (array lengths, optional fields).
    plans: Mutex<lru::LruCache<PlanKey, Vec<Arc<mapping::Plan>>, fasthash::FastBuild>>,
    /// Event skeletons that validated clean.
    memo: memo::Memo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct PlanKey {
    signature: u64,
    class_uid: u32,
    activity_id: i64,
}

impl Mapper {
    /// Copies the schema once; use [`Mapper::from_arc`] to share one.
    pub fn new(schema: &Schema) -> Self {
        Self::from_arc(Arc::new(schema.clone()), DEFAULT_PLAN_CACHE)
    }

    pub fn from_arc(schema: Arc<Schema>, cache_capacity: usize) -> Self {
        let cap = NonZeroUsize::new(cache_capacity.max(1)).unwrap_or(NonZeroUsize::MIN);
        let index = index::Index::new(&schema);
        Mapper {
            schema,
            index,
            products: Products::default(),
            plans: Mutex::new(lru::LruCache::with_hasher(cap, fasthash::FastBuild::default())),
            memo: memo::Memo::default(),
        }
    }

    /// The mapper for a knowledge base: its schema, and products named by its pack.
    pub fn for_kb(kb: &crate::kb::KnowledgeBase) -> Self {
        Mapper::new(kb.schema()).with_products(Products::from_kb(kb))
    }

    /// Names `metadata.product` (and vendor) from these products when a decision's evidence
    /// points at one; see [`Products::from_pack`] / [`Products::from_kb`].
    pub fn with_products(mut self, products: Products) -> Self {
        self.products = products;
        if let Ok(mut c) = self.plans.lock() {
            c.clear();
        }
        self
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// See [`build`]; the plan for the record's shape comes from the cache when warm.
    pub fn build(&self, record: &Record, decision: &Decision, ctx: &EventContext) -> OcsfEvent {
        let plan = self.plan_for(record, decision);
        assemble::assemble(&self.schema, &self.index, Some(&self.memo), &plan, record, None, ctx)
    }

    /// See [`build_raw`].
    pub fn build_raw(
        &self,
        raw: &str,
        record: &Record,
        decision: &Decision,
        ctx: &EventContext,
    ) -> OcsfEvent {
        let plan = self.plan_for(record, decision);
        assemble::assemble(
            &self.schema,
            &self.index,
            Some(&self.memo),
            &plan,
            record,
            Some(raw),
            ctx,
        )
    }

    /// [`Mapper::build_raw`] with a plan made afresh and full validation, bypassing both
    /// caches (to check them).
    pub fn build_fresh(
        &self,
        raw: &str,
        record: &Record,
        decision: &Decision,
        ctx: &EventContext,
    ) -> OcsfEvent {
        let plan = mapping::plan(&self.schema, record, decision, &self.products);
        assemble::assemble(&self.schema, &self.index, None, &plan, record, Some(raw), ctx)
    }

    pub fn validate(&self, class_uid: u32, event: &serde_json::Value) -> Vec<ValidationError> {
        self.validate_event(class_uid, &Ev::from(event))
    }

    /// [`Mapper::validate`] for an event as the builder holds it.
    pub fn validate_event(&self, class_uid: u32, event: &Ev) -> Vec<ValidationError> {
        validate::validate_with(&self.index, &self.schema, class_uid, event)
    }

    /// Plans cached so far.
    pub fn cached_plans(&self) -> usize {
        self.plans.lock().map(|c| c.len()).unwrap_or(0)
    }

    fn plan_for(&self, record: &Record, decision: &Decision) -> Arc<mapping::Plan> {
        let signature = decision.signature.0;
        let key =
            PlanKey { signature, class_uid: decision.class_uid, activity_id: decision.activity_id };
        // Value classes on the stack for records of up to 64 fields.
        let mut stack = [0u8; 64];
        let heap: Vec<u8>;
        let classes: &[u8] = if record.fields.len() <= stack.len() {
            for (c, f) in stack.iter_mut().zip(&record.fields) {
                *c = mapping::value_class(&f.value);
            }
            &stack[..record.fields.len()]
        } else {
            heap = record.fields.iter().map(|f| mapping::value_class(&f.value)).collect();
            &heap
        };
        if let Ok(mut c) = self.plans.lock() {
            if let Some(p) =
                c.get(&key).and_then(|v| v.iter().find(|p| p.fits_exact(record, classes)))
            {
                return p.clone();
            }
        }
        let p = Arc::new(mapping::plan(&self.schema, record, decision, &self.products));
        if let Ok(mut c) = self.plans.lock() {
            match c.get_mut(&key) {
                Some(v) => {
                    if v.len() >= PLAN_VARIANTS {
                        v.remove(0);
                    }
                    v.push(p.clone());
                }
                None => {
                    c.put(key, vec![p.clone()]);
                }
            }
        }
        p
    }
}
