//! Record → class, activity and confidence.
//!
//! Order of precedence: an analyst override for the record's exact shape, then the
//! decision cache for that shape, then hybrid search over the knowledge base with the
//! scores of each class's best documents combined.

mod activity;
pub mod calibrate;

use std::collections::{HashMap, HashSet};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::embed::Embedder;
use crate::features::{self, Features};
use crate::kb::{Doc, DocKind, KnowledgeBase};
use crate::parse::{self, Format, Record};
use crate::search::{self, Hit, Mode};

#[derive(Debug, Clone)]
pub struct Config {
    pub mode: Mode,
    /// Below this confidence a decision is flagged for review.
    pub review_threshold: f32,
    /// Shapes remembered by the decision cache.
    pub cache_capacity: usize,
    /// Candidates reported per decision.
    pub top_k: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config { mode: Mode::Hybrid, review_threshold: 0.6, cache_capacity: 10_000, top_k: 5 }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub class_uid: u32,
    pub score: f32,
}

/// A document that contributed to the decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub kind: DocKind,
    pub source: String,
    pub title: String,
    pub score: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecidedBy {
    Override,
    Search,
    /// No document matched at all.
    Nothing,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub class_uid: u32,
    pub class_name: String,
    pub category_uid: u32,
    pub activity_id: i64,
    pub activity_name: String,
    pub type_uid: i64,
    pub confidence: f32,
    pub needs_review: bool,
    pub candidates: Vec<Candidate>,
    pub evidence: Vec<Evidence>,
    pub decided_by: DecidedBy,
    pub format: Format,
    /// Shape signature, hex.
    pub signature: String,
    /// True when this decision came from the shape cache.
    #[serde(default)]
    pub cached: bool,
}

pub struct Classifier<K = Arc<KnowledgeBase>> {
    kb: K,
    embedder: Option<Arc<Embedder>>,
    cfg: Config,
    cache: Mutex<lru::LruCache<u64, Decision>>,
    /// class → activity → count over labelled documents (fallback activity).
    activity_prior: HashMap<u32, HashMap<i64, usize>>,
}

/// How much each kind of document counts: a labelled record of a real product says more
/// about a similar record than a class's prose does.
fn kind_weight(k: DocKind) -> f32 {
    match k {
        DocKind::Override => 1.0,
        DocKind::Example => 1.0,
        DocKind::Pack => 1.0,
        DocKind::Class => 0.8,
    }
}

/// Weight of an analyst override that looks like the record: same field names and the same
/// discriminating values (event id, event name, action), so most likely the same event type
/// of the same source. A correction speaks for the records like it more than anything else
/// in the KB.
const OVERRIDE_SHAPE_BOOST: f32 = 5.0;
/// Weight of an override of another shape. It shares the source's host names, accounts and
/// field names, which are rare in the KB and so inflate its lexical score, yet it is about
/// another event type: it must not outvote the documents about this one.
const OVERRIDE_OTHER_SHAPE: f32 = 0.2;

/// What the classifier compares a labelled document's shape with.
pub(crate) struct QueryShape<'a> {
    keys: HashSet<&'a str>,
    discriminators: Vec<String>,
}

impl<'a> QueryShape<'a> {
    pub(crate) fn new(keys: &'a [String], discriminators: Vec<String>) -> Self {
        QueryShape { keys: keys.iter().map(String::as_str).collect(), discriminators }
    }

    /// 0..1: Jaccard overlap of field-name tokens when the discriminating values are the
    /// same (the same event type), else 0.
    fn similarity(&self, d: &Doc) -> f32 {
        if self.keys.is_empty() || d.key_tokens.is_empty() || self.discriminators != d.discriminators {
            return 0.0;
        }
        let inter = d.key_tokens.iter().filter(|t| self.keys.contains(t.as_str())).count() as f32;
        let union = self.keys.len() as f32 + d.key_tokens.len() as f32 - inter;
        // Squared: records of one log share most field names; the same event type shares nearly all.
        if union > 0.0 { (inter / union).powi(2) } else { 0.0 }
    }
}

/// How much a retrieved document counts for a record of shape `q`.
fn doc_weight(d: &Doc, q: &QueryShape) -> f32 {
    if d.kind == DocKind::Override { OVERRIDE_OTHER_SHAPE + OVERRIDE_SHAPE_BOOST * q.similarity(d) } else { kind_weight(d.kind) }
}

/// Weights of a class's 1st, 2nd, ... best documents in its score.
const RANK_DECAY: [f32; 4] = [1.0, 0.5, 0.25, 0.125];

impl<'a> Classifier<&'a KnowledgeBase> {
    /// A classifier over a borrowed KB with no model and a tiny cache, for calibration fitting.
    pub(crate) fn bare(kb: &'a KnowledgeBase, cfg: Config) -> Self {
        let cap = NonZeroUsize::MIN;
        Classifier { kb, embedder: None, cfg, cache: Mutex::new(lru::LruCache::new(cap)), activity_prior: HashMap::new() }
    }
}

impl<K: std::ops::Deref<Target = KnowledgeBase>> Classifier<K> {
    /// Class → combined score of its best documents, best first, for given terms and vector.
    pub(crate) fn rank_classes(&self, terms: &[String], shape: &QueryShape, vector: Option<&[f32]>, allowed: &dyn Fn(usize) -> bool) -> Vec<(u32, f32)> {
        let hits = search::search(&self.kb, terms, vector, self.cfg.mode, allowed);
        self.class_scores(&hits, shape)
    }
}

impl Classifier {
    pub fn new(kb: Arc<KnowledgeBase>, embedder: Option<Arc<Embedder>>, mut cfg: Config) -> Self {
        let dense_ok = embedder.is_some() && kb.has_embeddings();
        if cfg.mode != Mode::Lexical && !dense_ok {
            tracing::warn!(
                model = embedder.is_some(),
                kb_embeddings = kb.has_embeddings(),
                "dense index unavailable (no model directory, or the KB was built without one): running lexical-only"
            );
            cfg.mode = Mode::Lexical;
        }
        if let (Some(e), Some(m)) = (&embedder, &kb.header.embedding_model) {
            if e.model_id() != m {
                tracing::warn!(model = e.model_id(), kb_model = %m, "model differs from the one the KB was built with");
            }
        }
        let mut activity_prior: HashMap<u32, HashMap<i64, usize>> = HashMap::new();
        for d in kb.docs() {
            if let (DocKind::Example | DocKind::Pack | DocKind::Override, Some(a)) = (d.kind, d.activity_id) {
                *activity_prior.entry(d.class_uid).or_default().entry(a).or_default() += 1;
            }
        }
        let cap = NonZeroUsize::new(cfg.cache_capacity.max(1)).unwrap_or(NonZeroUsize::MIN);
        Classifier { kb, embedder: if dense_ok { embedder } else { None }, cfg, cache: Mutex::new(lru::LruCache::new(cap)), activity_prior }
    }
}

impl<K: std::ops::Deref<Target = KnowledgeBase>> Classifier<K> {

    pub fn kb(&self) -> &KnowledgeBase {
        &self.kb
    }

    pub fn mode(&self) -> Mode {
        self.cfg.mode
    }

    /// Classifies one raw record (parsing it first).
    pub fn classify(&self, raw: &str) -> Decision {
        self.classify_record(&parse::parse(raw))
    }

    /// Classifies a parsed record, reusing the decision for its shape when cached.
    pub fn classify_record(&self, record: &Record) -> Decision {
        let f = features::extract(record);
        if let Some(d) = self.cache.lock().ok().and_then(|mut c| c.get(&f.signature).cloned()) {
            return Decision { cached: true, ..d };
        }
        let d = self.decide(record.format, &f, &|_| true, true);
        if let Ok(mut c) = self.cache.lock() {
            c.put(f.signature, d.clone());
        }
        d
    }

    /// Classifies without the cache, searching only documents `allowed` admits and, when
    /// `use_overrides` is false, ignoring override shapes (evaluation).
    pub fn classify_filtered(&self, record: &Record, allowed: &dyn Fn(usize) -> bool, use_overrides: bool) -> Decision {
        let f = features::extract(record);
        self.decide(record.format, &f, allowed, use_overrides)
    }

    pub fn cache_len(&self) -> usize {
        self.cache.lock().map(|c| c.len()).unwrap_or(0)
    }

    fn decide(&self, format: Format, f: &Features, allowed: &dyn Fn(usize) -> bool, use_overrides: bool) -> Decision {
        let signature = format!("{:016x}", f.signature);
        if use_overrides {
            if let Some(&(class_uid, activity)) = self.kb.overrides.get(&f.signature) {
                return self.finish(format, f, class_uid, activity, 1.0, vec![Candidate { class_uid, score: 1.0 }], Vec::new(), DecidedBy::Override, &[], signature);
            }
        }
        let terms = f.lexical_terms();
        let vector = match &self.embedder {
            Some(e) if self.cfg.mode != Mode::Lexical => match e.embed(&f.dense_text) {
                Ok(v) => Some(v),
                Err(err) => {
                    tracing::warn!(error = %err, "embedding failed; lexical only for this record");
                    None
                }
            },
            _ => None,
        };
        let hits = search::search(&self.kb, &terms, vector.as_deref(), self.cfg.mode, allowed);
        if hits.is_empty() {
            let cands = vec![Candidate { class_uid: 0, score: 1.0 }];
            return self.finish(format, f, 0, None, 0.0, cands, Vec::new(), DecidedBy::Nothing, &[], signature);
        }
        let shape = QueryShape::new(&f.key_tokens, f.discriminator_pairs());
        let ranked = self.class_scores(&hits, &shape);
        let scores: Vec<f32> = ranked.iter().map(|(_, s)| *s).collect();
        let probs = calibrate::softmax(&scores);
        let candidates: Vec<Candidate> =
            ranked.iter().zip(&probs).take(self.cfg.top_k).map(|((c, _), p)| Candidate { class_uid: *c, score: *p }).collect();
        let (class_uid, _) = ranked[0];
        let confidence = calibrate::confidence(&scores, &probs, self.kb.body.calibrator.as_ref());
        let evidence: Vec<Evidence> = hits
            .iter()
            .filter(|h| self.kb.docs()[h.doc].class_uid == class_uid)
            .take(3)
            .map(|h| {
                let d = &self.kb.docs()[h.doc];
                Evidence { kind: d.kind, source: d.source.clone(), title: d.title.clone(), score: h.score }
            })
            .collect();
        self.finish(format, f, class_uid, None, confidence, candidates, evidence, DecidedBy::Search, &hits, signature)
    }

    /// Class → combined score of its best documents, best first.
    fn class_scores(&self, hits: &[Hit], shape: &QueryShape) -> Vec<(u32, f32)> {
        let mut weighted: Vec<(u32, f32)> = hits
            .iter()
            .map(|h| {
                let d = &self.kb.docs()[h.doc];
                (d.class_uid, doc_weight(d, shape) * h.score)
            })
            .collect();
        weighted.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut per_class: HashMap<u32, (usize, f32)> = HashMap::new();
        for (c, s) in weighted {
            let e = per_class.entry(c).or_insert((0, 0.0));
            if let Some(w) = RANK_DECAY.get(e.0) {
                e.1 += w * s;
                e.0 += 1;
            }
        }
        let mut ranked: Vec<(u32, f32)> = per_class.into_iter().map(|(c, (_, s))| (c, s)).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
    }

    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        format: Format,
        f: &Features,
        class_uid: u32,
        activity: Option<i64>,
        confidence: f32,
        candidates: Vec<Candidate>,
        evidence: Vec<Evidence>,
        decided_by: DecidedBy,
        hits: &[Hit],
        signature: String,
    ) -> Decision {
        let schema = self.kb.schema();
        let class = schema.class(class_uid).or_else(|| schema.class(0));
        let (class_name, category_uid) = class.map(|c| (c.caption.clone(), c.category_uid)).unwrap_or(("Base Event".into(), 0));
        let activity_id = match (activity, class) {
            (Some(a), _) => a,
            (None, Some(c)) => {
                let shape = QueryShape::new(&f.key_tokens, f.discriminator_pairs());
                let mut neighbours: Vec<(Option<i64>, f32)> = hits
                    .iter()
                    .filter_map(|h| {
                        let d = &self.kb.docs()[h.doc];
                        (d.class_uid == class_uid && d.kind != DocKind::Class).then(|| (d.activity_id, doc_weight(d, &shape) * h.score))
                    })
                    .collect();
                neighbours.sort_by(|a, b| b.1.total_cmp(&a.1));
                neighbours.truncate(5);
                activity::choose(c, f, &neighbours, self.activity_prior.get(&class_uid))
            }
            (None, None) => 0,
        };
        let activity_name = class.and_then(|c| c.activity(activity_id)).map(|a| a.caption.clone()).unwrap_or_default();
        Decision {
            class_uid,
            class_name,
            category_uid,
            activity_id,
            activity_name,
            type_uid: class_uid as i64 * 100 + activity_id,
            confidence,
            needs_review: confidence < self.cfg.review_threshold,
            candidates,
            evidence,
            decided_by,
            format,
            signature,
            cached: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::artifact::KbHeader;
    use crate::testutil::{labeled, mini_body};

    fn classifier(overrides: Vec<crate::kb::sources::Labeled>, cap: usize) -> Classifier {
        let body = mini_body(overrides);
        let header = KbHeader::describe(&body, String::new());
        let kb = Arc::new(KnowledgeBase::from_body(header, body));
        Classifier::new(kb, None, Config { cache_capacity: cap, ..Config::default() })
    }

    #[test]
    fn nearest_examples_decide_class_and_activity() {
        let c = classifier(Vec::new(), 16);
        let d = c.classify(r#"{"eventName":"ConsoleLogin","userName":"bob","sourceIPAddress":"203.0.113.4"}"#);
        assert_eq!((d.class_uid, d.activity_id, d.type_uid), (3002, 1, 300201));
        assert_eq!(d.class_name, "Authentication");
        assert_eq!(d.category_uid, 3);
        assert_eq!(d.decided_by, DecidedBy::Search);
        assert!(d.candidates.len() > 1 && d.candidates[0].class_uid == 3002);
        assert!(!d.evidence.is_empty());
        let d = c.classify(r#"{"action":"deny","src_ip":"192.0.2.7","dst_ip":"198.51.100.3","dst_port":443,"protocol":"tcp"}"#);
        assert_eq!((d.class_uid, d.activity_id), (4001, 5));
    }

    #[test]
    fn a_record_matching_nothing_is_base_event() {
        let c = classifier(Vec::new(), 16);
        let d = c.classify("zzqx qqzz");
        assert_eq!(d.class_uid, 0);
        assert_eq!(d.decided_by, DecidedBy::Nothing);
        assert!(d.needs_review);
    }

    #[test]
    fn shape_cache_reuses_decisions_and_is_bounded() {
        let c = classifier(Vec::new(), 2);
        let a = c.classify(r#"{"eventName":"ConsoleLogin","userName":"bob"}"#);
        assert!(!a.cached);
        let b = c.classify(r#"{"eventName":"ConsoleLogin","userName":"carol"}"#);
        assert!(b.cached, "same shape must come from the cache");
        assert_eq!(a.class_uid, b.class_uid);
        let other = c.classify(r#"{"eventName":"DeleteBucket","bucketName":"x"}"#);
        assert!(!other.cached);
        c.classify(r#"{"action":"deny","src_ip":"192.0.2.7"}"#);
        assert_eq!(c.cache_len(), 2);
        // The first shape was evicted (capacity 2), so it is searched again.
        assert!(!c.classify(r#"{"eventName":"ConsoleLogin","userName":"dave"}"#).cached);
    }

    #[test]
    fn an_override_wins_for_its_shape_only() {
        let raw = r#"{"eventName":"ConsoleLogin","userName":"alice","sourceIPAddress":"192.0.2.1"}"#;
        let c = classifier(vec![labeled(raw, 6003, 99, "analyst")], 16);
        let d = c.classify(r#"{"eventName":"ConsoleLogin","userName":"zed","sourceIPAddress":"198.51.100.1"}"#);
        assert_eq!((d.class_uid, d.activity_id, d.decided_by), (6003, 99, DecidedBy::Override));
        assert_eq!(d.confidence, 1.0);
        let d = c.classify(r#"{"eventName":"DeleteBucket","bucketName":"b"}"#);
        assert_eq!(d.decided_by, DecidedBy::Search);
    }
}
