//! Record → class, activity and confidence.
//!
//! Order of precedence: an analyst override for the record's exact shape, then the
//! decision cache for that shape, then [`Classifier::rank`]: hybrid search over the knowledge
//! base with the scores of each class's best documents combined, joined by evidence that
//! needs no document about the record's product (class statistics over all products, the
//! schema's own class descriptions, and the subjects a class requires), weighted as fitted at
//! KB build time ([`calibrate`]).

mod activity;
pub mod calibrate;
pub(crate) mod class_model;
pub(crate) mod cues;
pub mod explain;
mod rule;
pub(crate) mod schema_text;
pub(crate) mod session;

use std::collections::{HashMap, HashSet};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::embed::Embedder;
use crate::features::{self, Features};
use crate::kb::{Doc, DocKind, KnowledgeBase};
use crate::parse::{self, Format, Record};
use crate::schema::Class;
use crate::search::{self, Hit, Mode};
use crate::signature::Signature;

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
    /// Shape signature (hex in JSON).
    pub signature: Signature,
    /// True when this decision came from the shape cache.
    #[serde(default)]
    pub cached: bool,
    /// The KB document (an index into this classifier's KB) whose activity rule picks the
    /// activity record by record ([`rule`]); not part of the decision's JSON.
    #[serde(skip)]
    pub activity_rule_doc: Option<usize>,
}

impl Decision {
    /// Sets the activity, its name in `class` and the type uid that follows from them.
    fn set_activity(&mut self, class: Option<&Class>, activity_id: i64) {
        self.activity_id = activity_id;
        self.activity_name = class
            .and_then(|c| c.activity(activity_id))
            .map(|a| a.caption.clone())
            .unwrap_or_default();
        self.type_uid = i64::from(self.class_uid) * 100 + activity_id;
    }
}

pub struct Classifier<K = Arc<KnowledgeBase>> {
    kb: K,
    embedder: Option<Arc<Embedder>>,
    cfg: Config,
    cache: Mutex<lru::LruCache<Signature, Decision>>,
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

/// Weight of a document naming the record's event (its rare event name or id, whole): it is
/// about this very event type, where a document that merely shares words is not.
const EVENT_MATCH: f32 = 2.0;
/// Weight of a labelled record of the same log (most field names shared) that does not name
/// the record's event: same product, another event type, whose class says little about this one.
const OTHER_EVENT_SAME_LOG: f32 = 0.5;
/// A whole discriminating value found in at most this many documents names one event type;
/// more common ones (`Management`, `AwsApiCall`) name a family.
const EVENT_TERM_MAX_DF: usize = 8;
/// Weight of a document (record or pack entry) when the record's event is named by no
/// document: each is about another event type, so none speaks for this one.
const UNSEEN_EVENT_OTHER: f32 = 0.25;
/// A whole-log pack entry is about the record's log when this share of its field-name
/// tokens are the record's, or this share of the record's are its (records often carry a
/// subset of a log's fields).
const SAME_LOG_SHARE: f32 = 0.5;
/// ... and at least this many tokens are shared.
const SAME_LOG_MIN_SHARED: usize = 3;
/// Field-name tokens of the syslog header (as the parser names its fields, and as pack
/// writers name them: `program`, `pid`). Every line log carries them whatever wrote the line,
/// so they say which transport a record came by, not which log it is: two programs' lines
/// share all of them.
const TRANSPORT_KEY_TOKENS: &[&str] = &[
    "priority",
    "facility",
    "severity",
    "timestamp",
    "hostname",
    "host",
    "app",
    "name",
    "appname",
    "program",
    "procid",
    "pid",
    "msgid",
    "message",
];
/// Keys whose value names the program that wrote a line (the syslog tag): a line log's
/// identity when its field names are only the transport's.
const PROGRAM_KEYS: &[&str] = &["app_name", "program"];

/// What the classifier compares a retrieved document's shape with.
pub(crate) struct QueryShape<'a> {
    keys: HashSet<&'a str>,
    /// The field-name tokens that name the record's log: `keys` without the transport's
    /// ([`TRANSPORT_KEY_TOKENS`]).
    log_keys: HashSet<&'a str>,
    /// The whole-value term of the program that wrote the line (`=filterlog`), if named.
    program: Option<String>,
    /// The KB's lexical index: how common a field-name token is.
    lexical: &'a crate::search::lexical::Bm25,
    discriminators: Vec<String>,
    /// The record's rarest whole discriminating value in the KB, when rare enough to name
    /// one event type.
    event_term: Option<String>,
    /// The record names its event (`eventName`, `action`, ...) and no document of the KB
    /// names it: an event type the KB has never seen, from a log it may well know.
    unseen_event: bool,
    /// Which of its log's whole-log entries speak for the record ([`Classifier::log_entries`]).
    family: Family,
    /// The class the analysts' corrections of this record's log follow, when that is the
    /// class of the log's whole-log entry ([`Classifier::log_convention`]).
    convention: Option<u32>,
    /// The class the unseen event's own verb names (a sign-in or sign-out, [`session`]): its
    /// class document outranks the log's whole-log entries of other classes.
    verb_class: Option<u32>,
}

impl<'a> QueryShape<'a> {
    /// `event_terms` are the whole values of the fields naming the event
    /// ([`features::is_event_key`]); only documents `allowed` admits count.
    pub(crate) fn new(
        kb: &'a KnowledgeBase,
        event_terms: &[String],
        keys: &'a [String],
        discriminators: Vec<String>,
        allowed: &dyn Fn(usize) -> bool,
    ) -> Self {
        let df = |t: &str| {
            kb.lexical.docs(t).filter(|&i| allowed(i)).take(EVENT_TERM_MAX_DF + 1).count()
        };
        let dfs: Vec<(usize, &String)> = event_terms.iter().map(|t| (df(t), t)).collect();
        let names_one = |df: &usize| (1..=EVENT_TERM_MAX_DF).contains(df);
        let event_term = dfs
            .iter()
            .filter(|(df, _)| names_one(df))
            .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
            .map(|(_, t)| (*t).clone());
        // Values in many documents (`AwsApiCall`) name a family, not the event: they neither
        // name it nor make it unseen.
        let unseen_event = dfs.iter().any(|(df, _)| *df == 0) && event_term.is_none();
        let program = discriminators
            .iter()
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| PROGRAM_KEYS.contains(k))
            .and_then(|(_, v)| features::whole_value_term(v));
        let mut shape = QueryShape {
            keys: keys.iter().map(String::as_str).collect(),
            log_keys: keys
                .iter()
                .map(String::as_str)
                .filter(|t| program.is_none() || !is_transport_key(t))
                .collect(),
            program,
            lexical: &kb.lexical,
            discriminators,
            event_term,
            unseen_event,
            family: Family::Any,
            convention: None,
            verb_class: None,
        };
        // A local name (`CONNECT`, `4625`) that only other logs' documents carry is, for this
        // log, an event nobody described: MySQL's `connect` says nothing about an HTTP CONNECT.
        if let Some(t) = shape.event_term.as_deref().filter(|t| features::is_local_term(t)) {
            if !kb.lexical.docs(t).any(|i| allowed(i) && shape.same_log(&kb.docs()[i])) {
                shape.event_term = None;
                shape.unseen_event = true;
            }
        }
        shape
    }

    /// The record is decided by its log's whole-log entries: no document names its event, or
    /// the analysts map its log as a whole.
    fn by_whole_log(&self) -> bool {
        self.unseen_event || self.convention.is_some()
    }

    /// The record names its event: a document names it too, or none does.
    fn names_event(&self) -> bool {
        self.event_term.is_some() || self.unseen_event
    }

    /// True when a document's field names and the record's are mostly the same log's: one
    /// side's tokens largely found on the other, each token weighed by its rarity in the KB
    /// (`id`, `type`, `name`, `source` are in every log and say nothing about which). The
    /// syslog header's names are left out ([`TRANSPORT_KEY_TOKENS`]); when one side has no
    /// other field names (a plain line), the log is the program that wrote it.
    fn same_log(&self, d: &Doc) -> bool {
        let line = self.program.is_some();
        let doc_keys = d.key_tokens.iter().filter(|t| !line || !is_transport_key(t));
        if self.log_keys.is_empty() || doc_keys.clone().next().is_none() {
            return d.kind != DocKind::Class
                && self.program.as_ref().is_some_and(|p| d.terms.contains(p));
        }
        let idf = |t: &str| self.lexical.idf(t);
        let (mut shared_n, mut shared_w, mut doc_w) = (0usize, 0.0f32, 0.0f32);
        for t in doc_keys {
            let w = idf(t);
            doc_w += w;
            if self.log_keys.contains(t.as_str()) {
                shared_n += 1;
                shared_w += w;
            }
        }
        let rec_w: f32 = self.log_keys.iter().map(|t| idf(t)).sum();
        let share =
            (shared_w / doc_w.max(f32::MIN_POSITIVE)).max(shared_w / rec_w.max(f32::MIN_POSITIVE));
        shared_n >= SAME_LOG_MIN_SHARED && share >= SAME_LOG_SHARE
    }

    /// A whole-log entry that speaks for the record: about its log and, when the log's
    /// entries tell families apart, about its family.
    fn log_entry(&self, d: &Doc) -> bool {
        d.any_event && self.same_log(d) && self.family.admits(d)
    }

    /// Jaccard overlap of field-name tokens with a labelled record.
    fn key_jaccard(&self, d: &Doc) -> f32 {
        if self.keys.is_empty() || d.key_tokens.is_empty() {
            return 0.0;
        }
        let inter = d.key_tokens.iter().filter(|t| self.keys.contains(t.as_str())).count() as f32;
        let union = self.keys.len() as f32 + d.key_tokens.len() as f32 - inter;
        if union > 0.0 {
            inter / union
        } else {
            0.0
        }
    }

    /// 0..1: the squared field-name overlap when the discriminating values are the same (the
    /// same event type), else 0. Squared: records of one log share most field names; the
    /// same event type shares nearly all.
    fn similarity(&self, d: &Doc) -> f32 {
        if self.discriminators != d.discriminators {
            return 0.0;
        }
        self.key_jaccard(d).powi(2)
    }
}

fn is_transport_key(t: &str) -> bool {
    TRANSPORT_KEY_TOKENS.contains(&t)
}

/// Whole-log entries with values are for the records carrying one of them (a family of the
/// log's events); the entry without values is the log's default.
#[derive(Debug)]
enum Family {
    /// The log has no families: all its whole-log entries.
    Any,
    /// The entries listing one of these values: the whole-value terms of the record's
    /// discriminating values (`=awsconsolesignin`).
    Own(Vec<String>),
    /// The record is in no family: the entries without values.
    Default,
}

impl Family {
    fn admits(&self, d: &Doc) -> bool {
        let mut values = d.terms.iter().filter(|t| t.starts_with('='));
        match self {
            Family::Any => true,
            Family::Own(own) => values.any(|t| own.contains(t)),
            Family::Default => values.next().is_none(),
        }
    }
}

/// How much a retrieved document counts for a record of shape `q`.
fn doc_weight(d: &Doc, q: &QueryShape) -> f32 {
    doc_weight_why(d, q).0
}

/// Which rule set a document's weight ([`doc_weight`]), for `--explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightRule {
    /// An analyst's correction, boosted by how much it looks like the record.
    Override,
    /// The pack's entry for the record's whole log, which speaks for its unnamed events.
    WholeLogEntry,
    /// Another document while the record is decided by its whole log.
    WholeLogOther,
    /// The class the unseen event's name says by its verb (a sign-in or sign-out).
    EventVerb,
    /// The document names the record's event.
    EventMatch,
    /// A record of the same log about another event.
    OtherEventSameLog,
    /// The document's kind weight only.
    Kind,
}

/// [`doc_weight`] and the rule that set it: one function for scoring and explaining.
fn doc_weight_why(d: &Doc, q: &QueryShape) -> (f32, WeightRule) {
    if d.kind == DocKind::Override {
        let w = OVERRIDE_OTHER_SHAPE + OVERRIDE_SHAPE_BOOST * q.similarity(d);
        return (w, WeightRule::Override);
    }
    let w = kind_weight(d.kind);
    // An unseen sign-in or sign-out: its class, as the schema describes it, speaks for it as a
    // document naming the event would.
    if d.kind == DocKind::Class && q.verb_class == Some(d.class_uid) {
        return (w * EVENT_MATCH, WeightRule::EventVerb);
    }
    // An event nothing names, or a log the analysts map as a whole: the pack's entry for the
    // whole log (of the convention's class, if any) says what such events are, unless the
    // event's own verb says another class; every other document is about another event type,
    // or written for the other convention, and says little.
    if q.by_whole_log() && d.kind != DocKind::Class {
        let log_entry = q.convention.is_none_or(|c| d.class_uid == c)
            && q.verb_class.is_none_or(|c| d.class_uid == c)
            && q.log_entry(d);
        return if log_entry {
            (w * EVENT_MATCH, WeightRule::WholeLogEntry)
        } else {
            (w * UNSEEN_EVENT_OTHER, WeightRule::WholeLogOther)
        };
    }
    match &q.event_term {
        Some(t) if d.kind != DocKind::Class => {
            // A number or a short name (`4625`, `connect`) names the record's event only
            // when the document is about the record's log.
            if d.terms.iter().any(|x| x == t) && (!features::is_local_term(t) || q.same_log(d)) {
                (w * EVENT_MATCH, WeightRule::EventMatch)
            } else if d.kind == DocKind::Example && q.key_jaccard(d) >= 0.5 {
                (w * OTHER_EVENT_SAME_LOG, WeightRule::OtherEventSameLog)
            } else {
                (w, WeightRule::Kind)
            }
        }
        _ => (w, WeightRule::Kind),
    }
}

/// [`Classifier::fits_own_records`]: a record's field names overlap at least this much with
/// one of a product's own records to be that product's log.
/// Measured (BENCHMARKS.md, session 13, over the dev sets' whole-log matches): a record's best
/// overlap with another product's records is at most 0.35 except between true look-alikes (two
/// clouds' audit trails, 0.56 median); with its own product's records, 0.38 to 1.0 by product
/// (medians).
const OWN_RECORDS_FIT: f32 = 0.35;

/// How much the activities of other logs' documents of the decided class count beside the
/// record's own verb or outcome word ([`neighbour_trust`]), against 1 for its own log's.
const FOREIGN_TRUST: f32 = 0.25;

/// How far the neighbours' activities speak for the record's ([`activity::choose`]): fully when
/// they are records or entries of the record's own log; other logs' documents of the same class
/// are about other events, whose activity says less than the record's own words (`TGS`, `block`).
/// Neighbours are (activity, weight, of the record's log).
fn neighbour_trust(neighbours: &[(Option<i64>, f32, bool)]) -> f32 {
    let all: f32 = neighbours.iter().map(|n| n.1).sum();
    let own: f32 = neighbours.iter().filter(|n| n.2).map(|n| n.1).sum();
    if all > 0.0 {
        FOREIGN_TRUST + (1.0 - FOREIGN_TRUST) * own / all
    } else {
        1.0
    }
}

/// How many of the best hits are looked at for a document of the record's log.
const KNOWN_LOG_DEPTH: usize = 10;

/// What a search needs from a record (or, when fitting calibration, from a stored document).
pub(crate) struct Query<'q> {
    pub terms: &'q [String],
    /// Whole-value terms of the fields naming the event ([`Features::event_terms`]).
    pub event_terms: &'q [String],
    pub key_tokens: &'q [String],
    /// Discriminating `field=value` pairs, lower case, sorted.
    pub discriminators: Vec<String>,
    pub vector: Option<&'q [f32]>,
    /// Some documents are hidden from this query (`allowed` admits fewer than all).
    pub filtered: bool,
}

/// A record's classes ranked, with what the decision and its confidence read from them.
pub(crate) struct Ranking<'q> {
    pub shape: QueryShape<'q>,
    pub hits: Vec<Hit>,
    /// Retrieval's class scores (each class's best documents, weighted), best first.
    pub retrieval: Vec<(u32, f32)>,
    /// The class statistics' mean log-likelihood of each class ([`class_model`]), by class.
    pub stats: Vec<(u32, f32)>,
    /// The schema text's score of each class for the record's words ([`schema_text`]), by class.
    pub text: Vec<(u32, f32)>,
    /// Classes whose subject the record lacks ([`cues`]).
    pub lacking: Vec<u32>,
    /// The KB holds a document of the record's log ([`Classifier::knows_log`]).
    pub known_log: bool,
    /// [`calibrate::Inputs::likeness`].
    pub likeness: f32,
    /// Final class scores ([`calibrate::combine`], log domain), best first.
    pub ranked: Vec<(u32, f32)>,
    /// The record's whole-log entries ([`Classifier::log_entries`]).
    pub log_entries: Vec<usize>,
}

/// Weights of a class's 1st, 2nd, ... best documents in its score.
const RANK_DECAY: [f32; 4] = [1.0, 0.5, 0.25, 0.125];

impl<'a> Classifier<&'a KnowledgeBase> {
    /// A classifier over a borrowed KB with no model and a tiny cache, for calibration fitting.
    pub(crate) fn bare(kb: &'a KnowledgeBase, cfg: Config) -> Self {
        let cap = NonZeroUsize::MIN;
        Classifier {
            kb,
            embedder: None,
            cfg,
            cache: Mutex::new(lru::LruCache::new(cap)),
            activity_prior: HashMap::new(),
        }
    }
}

impl<K: std::ops::Deref<Target = KnowledgeBase>> Classifier<K> {
    /// The one scoring path, for serving ([`Classifier::decide`]) and for calibration fitting
    /// ([`calibrate::fit_loso`]): search, the record's whole-log entries and its log's
    /// convention, the weighted class scores. `None` when no document matches at all.
    pub(crate) fn rank<'q>(
        &'q self,
        q: &Query<'q>,
        allowed: &dyn Fn(usize) -> bool,
    ) -> Option<Ranking<'q>> {
        let mut shape = QueryShape::new(
            &self.kb,
            q.event_terms,
            q.key_tokens,
            q.discriminators.clone(),
            allowed,
        );
        let hits = search::search(&self.kb, q.terms, q.vector, self.cfg.mode, allowed);
        if hits.is_empty() {
            return None;
        }
        let log_entries = self.log_entries(&mut shape, allowed);
        shape.convention = self.log_convention(&shape, &log_entries, allowed);
        let verb_doc = self.verb_doc(&mut shape, allowed);
        let hits = with_whole_log_entries(hits, &shape, &log_entries, verb_doc);
        let retrieval = self.class_scores(&hits, &shape);
        let stats =
            self.kb.class_model.scores(&self.kb.lexical, q.terms, q.filtered.then_some(allowed));
        let known_log = self.knows_log(&shape, &hits, &log_entries);
        let likeness = self.likeness(&shape, &hits);
        let mix = self.kb.body.calibrator.as_ref().map(|c| c.mix).unwrap_or_default();
        let named = shape.event_term.is_some();
        let cues = cues::Cues::of(q.key_tokens, q.terms, &q.discriminators);
        let schema = self.kb.schema();
        // An analyst's correction of a record like this one (same discriminating values) stands
        // even where the record lacks its class's usual subject: the analyst has seen it.
        let corrected: Vec<u32> = hits
            .iter()
            .map(|h| &self.kb.docs()[h.doc])
            .filter(|d| d.kind == DocKind::Override && shape.similarity(d) > 0.0)
            .map(|d| d.class_uid)
            .collect();
        let lacking: Vec<u32> = stats
            .iter()
            .map(|s| s.0)
            .filter(|&c| {
                !corrected.contains(&c)
                    && !cues.admits(c, schema.class(c).map_or(0, |k| k.category_uid))
            })
            .collect();
        let weights = mix.weights(named, known_log);
        // The schema text only counts with a weight, and is needed when fitting one.
        let text = if weights.text > 0.0 || q.filtered {
            self.kb.schema_text.scores(&self.kb.schema_text.record_words(q.terms, q.key_tokens))
        } else {
            Vec::new()
        };
        let ranked = calibrate::combine(
            &calibrate::Evidence {
                retrieval: &retrieval,
                stats: &stats,
                text: &text,
                lacking: &lacking,
            },
            weights,
        );
        Some(Ranking {
            shape,
            hits,
            retrieval,
            stats,
            text,
            lacking,
            known_log,
            likeness,
            ranked,
            log_entries,
        })
    }

    /// What the confidence calibration reads of a ranking.
    pub(crate) fn calibration_inputs(&self, r: &Ranking) -> calibrate::Inputs {
        let winner = r.ranked.first().map_or(0, |(c, _)| *c);
        let departs = calibrate::departs(&self.log_classes(&r.log_entries), winner);
        calibrate::Inputs::new(
            &r.ranked,
            &r.retrieval,
            &r.stats,
            departs,
            r.shape.event_term.is_some(),
            r.known_log,
            r.likeness,
        )
    }

    /// The best field-name overlap between the record and a labelled record (an example or a
    /// correction) among the best hits ([`calibrate::Inputs::likeness`]).
    fn likeness(&self, shape: &QueryShape, hits: &[Hit]) -> f32 {
        hits.iter()
            .take(KNOWN_LOG_DEPTH)
            .map(|h| &self.kb.docs()[h.doc])
            .filter(|d| matches!(d.kind, DocKind::Example | DocKind::Override))
            .map(|d| shape.key_jaccard(d))
            .fold(0.0, f32::max)
    }

    /// The KB holds a document of the record's log: a whole-log entry for it, or among the
    /// best hits a pack entry or labelled record whose field names are mostly the record's.
    /// Without one, the decision rests on other products' documents and the schema's prose.
    fn knows_log(&self, shape: &QueryShape, hits: &[Hit], log_entries: &[usize]) -> bool {
        !log_entries.is_empty()
            || hits.iter().take(KNOWN_LOG_DEPTH).any(|h| {
                let d = &self.kb.docs()[h.doc];
                d.kind != DocKind::Class && shape.same_log(d)
            })
    }

    /// The pack's entries for the record's whole log (`event: "*"` entries whose field names
    /// are the record's log's) that `allowed` admits. A log may have families: entries with
    /// values are for the records carrying one of them (CloudTrail's `AwsConsoleSignIn`
    /// sign-ins), the entry without values for the rest. Only the record's own count.
    pub(crate) fn log_entries(
        &self,
        shape: &mut QueryShape,
        allowed: &dyn Fn(usize) -> bool,
    ) -> Vec<usize> {
        let docs = self.kb.docs();
        let mut entries: Vec<usize> = self
            .kb
            .whole_log_docs()
            .iter()
            .copied()
            .filter(|&i| allowed(i) && shape.same_log(&docs[i]))
            .filter(|&i| self.fits_own_records(shape, &docs[i], allowed))
            .collect();
        if entries.len() > 1 {
            let values = shape
                .discriminators
                .iter()
                .filter_map(|p| p.split_once('='))
                .filter_map(|(_, v)| features::whole_value_term(v))
                .collect();
            let own = Family::Own(values);
            let family =
                if entries.iter().any(|&i| own.admits(&docs[i])) { own } else { Family::Default };
            let kept: Vec<usize> =
                entries.iter().copied().filter(|&i| family.admits(&docs[i])).collect();
            if !kept.is_empty() && kept.len() < entries.len() {
                shape.family = family;
                entries = kept;
            }
        }
        entries
    }

    /// A whole-log entry speaks for a record only if the record looks like its product's own
    /// records: its best field-name overlap with one of them at least [`OWN_RECORDS_FIT`].
    /// Field-name share alone admits look-alike logs (two clouds' audit trails share
    /// `eventName`, `sourceIPAddress`, `userAgent`, ...), whose whole-log entry would then
    /// decide every event of a product nobody described. An entry whose product has no
    /// labelled record in the KB is kept (nothing to compare with).
    fn fits_own_records(
        &self,
        shape: &QueryShape,
        entry: &Doc,
        allowed: &dyn Fn(usize) -> bool,
    ) -> bool {
        let docs = self.kb.docs();
        let mut own = entry
            .products
            .iter()
            .flat_map(|p| self.kb.product_records(p))
            .filter(|&&j| allowed(j))
            .peekable();
        if own.peek().is_none() {
            return true;
        }
        own.any(|&j| shape.key_jaccard(&docs[j]) >= OWN_RECORDS_FIT)
    }

    /// The class of the record's log's whole-log entry when the analysts' corrections of that
    /// log (at least one, all of one class) are that class: they
    /// map the log as a whole (every GCP audit record as API Activity, say), not event by
    /// event as the pack's event-level entries do, and the record should follow them.
    pub(crate) fn log_convention(
        &self,
        shape: &QueryShape,
        log_entries: &[usize],
        allowed: &dyn Fn(usize) -> bool,
    ) -> Option<u32> {
        if log_entries.is_empty() {
            return None;
        }
        let mut class = None;
        for &i in self.kb.correction_docs() {
            let d = &self.kb.docs()[i];
            if !allowed(i) || !shape.same_log(d) {
                continue;
            }
            match class {
                Some(c) if c != d.class_uid => return None,
                _ => class = Some(d.class_uid),
            }
        }
        let c = class?;
        log_entries.iter().any(|&i| self.kb.docs()[i].class_uid == c).then_some(c)
    }

    /// For an event no document names (and a log the analysts do not map as a whole), the
    /// class document of the class its name's own verb says ([`session`]); sets
    /// [`QueryShape::verb_class`].
    fn verb_doc(&self, shape: &mut QueryShape, allowed: &dyn Fn(usize) -> bool) -> Option<usize> {
        if !shape.unseen_event || shape.convention.is_some() {
            return None;
        }
        let class = shape
            .discriminators
            .iter()
            .filter_map(|p| p.split_once('='))
            .filter(|(k, _)| features::is_stored_event_key(k))
            .find_map(|(_, v)| self.kb.session_verbs.class_of_name(v))?;
        let doc = self
            .kb
            .docs()
            .iter()
            .position(|d| d.kind == DocKind::Class && d.class_uid == class)
            .filter(|&i| allowed(i))?;
        shape.verb_class = Some(class);
        Some(doc)
    }

    /// Classes of the record's whole-log entries ([`calibrate::departs`] reads them).
    pub(crate) fn log_classes(&self, log_entries: &[usize]) -> Vec<u32> {
        log_entries.iter().map(|&i| self.kb.docs()[i].class_uid).collect()
    }
}

/// For a record decided by its whole log ([`QueryShape::by_whole_log`]), the pack entries for
/// that log join the hits at the best hit's score: they are about exactly such events, however
/// few words they share with the record ([`doc_weight`] weighs them). So does the class
/// document of the class the event's own verb names (`verb_doc`, [`Classifier::verb_doc`]).
fn with_whole_log_entries(
    mut hits: Vec<Hit>,
    shape: &QueryShape,
    log_entries: &[usize],
    verb_doc: Option<usize>,
) -> Vec<Hit> {
    if !shape.by_whole_log() || hits.is_empty() || (log_entries.is_empty() && verb_doc.is_none()) {
        return hits;
    }
    let top = hits.iter().map(|h| h.score).fold(0.0, f32::max);
    for &i in log_entries.iter().chain(verb_doc.as_ref()) {
        match hits.iter_mut().find(|h| h.doc == i) {
            Some(h) => h.score = h.score.max(top),
            None => hits.push(Hit { doc: i, score: top, lexical: None, dense: None }),
        }
    }
    hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)));
    hits
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
            if let (DocKind::Example | DocKind::Pack | DocKind::Override, Some(a)) =
                (d.kind, d.activity_id)
            {
                *activity_prior.entry(d.class_uid).or_default().entry(a).or_default() += 1;
            }
        }
        let cap = NonZeroUsize::new(cfg.cache_capacity.max(1)).unwrap_or(NonZeroUsize::MIN);
        Classifier {
            kb,
            embedder: if dense_ok { embedder } else { None },
            cfg,
            cache: Mutex::new(lru::LruCache::new(cap)),
            activity_prior,
        }
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
            return self.with_rule(Decision { cached: true, ..d }, record);
        }
        let d = self.decide(record.format, &f);
        if let Ok(mut c) = self.cache.lock() {
            c.put(f.signature, d.clone());
        }
        self.with_rule(d, record)
    }

    /// Applies the deciding pack line's activity rule to this record ([`rule`]): after the
    /// shape cache, since records of one shape can differ in the rule's field.
    fn with_rule(&self, mut d: Decision, record: &Record) -> Decision {
        let docs = self.kb.docs();
        let rule =
            d.activity_rule_doc.and_then(|i| docs.get(i)).and_then(|x| x.activity_rule.as_ref());
        let class = self.kb.schema().class(d.class_uid);
        if let (Some(rule), Some(class)) = (rule, class) {
            if let Some(a) = rule::apply(rule, class, record) {
                d.set_activity(Some(class), a);
            }
        }
        d
    }

    /// Classifies without the cache (evaluation, the rebuild's gate).
    pub fn classify_uncached(&self, record: &Record) -> Decision {
        let f = features::extract(record);
        self.with_rule(self.decide(record.format, &f), record)
    }

    pub fn cache_len(&self) -> usize {
        self.cache.lock().map(|c| c.len()).unwrap_or(0)
    }

    /// Decides over the whole KB (only calibration fitting hides documents, through
    /// [`Classifier::rank`]).
    fn decide(&self, format: Format, f: &Features) -> Decision {
        let allowed = &|_: usize| true;
        let signature = f.signature;
        let event_terms = f.event_terms();
        let shape_only = || {
            QueryShape::new(&self.kb, &event_terms, &f.key_tokens, f.discriminator_pairs(), allowed)
        };
        if let Some(&(class_uid, activity)) = self.kb.overrides.get(&f.signature) {
            let cands = vec![Candidate { class_uid, score: 1.0 }];
            return self.finish(
                format,
                f,
                &shape_only(),
                class_uid,
                activity,
                1.0,
                cands,
                Vec::new(),
                DecidedBy::Override,
                &[],
                signature,
            );
        }
        self.with_ranking(f, |r| match r {
            Some(r) => self.decide_ranked(format, f, &r),
            None => self.finish(
                format,
                f,
                &shape_only(),
                0,
                None,
                0.0,
                vec![Candidate { class_uid: 0, score: 1.0 }],
                Vec::new(),
                DecidedBy::Nothing,
                &[],
                signature,
            ),
        })
    }

    /// Runs `k` on the record's [`Ranking`] (the one scoring path), `None` when no document
    /// matches: shared by deciding and explaining.
    fn with_ranking<T>(&self, f: &Features, k: impl FnOnce(Option<Ranking<'_>>) -> T) -> T {
        let allowed = &|_: usize| true;
        let event_terms = f.event_terms();
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
        let q = Query {
            terms: &terms,
            event_terms: &event_terms,
            key_tokens: &f.key_tokens,
            discriminators: f.discriminator_pairs(),
            vector: vector.as_deref(),
            filtered: false,
        };
        k(self.rank(&q, allowed))
    }

    fn decide_ranked(&self, format: Format, f: &Features, r: &Ranking) -> Decision {
        let signature = f.signature;
        let scores: Vec<f32> = r.ranked.iter().map(|(_, s)| *s).collect();
        let probs = calibrate::softmax(&scores);
        let candidates: Vec<Candidate> = r
            .ranked
            .iter()
            .zip(&probs)
            .take(self.cfg.top_k)
            .map(|((c, _), p)| Candidate { class_uid: *c, score: *p })
            .collect();
        let (class_uid, _) = r.ranked[0];
        let confidence = calibrate::confidence(
            &self.calibration_inputs(r),
            &probs,
            self.kb.body.calibrator.as_ref(),
        );
        let evidence: Vec<Evidence> = r
            .hits
            .iter()
            .filter(|h| self.kb.docs()[h.doc].class_uid == class_uid)
            .take(3)
            .map(|h| {
                let d = &self.kb.docs()[h.doc];
                Evidence {
                    kind: d.kind,
                    source: d.source.clone(),
                    title: d.title.clone(),
                    score: h.score,
                }
            })
            .collect();
        self.finish(
            format,
            f,
            &r.shape,
            class_uid,
            None,
            confidence,
            candidates,
            evidence,
            DecidedBy::Search,
            &r.hits,
            signature,
        )
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
        shape: &QueryShape,
        class_uid: u32,
        activity: Option<i64>,
        confidence: f32,
        candidates: Vec<Candidate>,
        evidence: Vec<Evidence>,
        decided_by: DecidedBy,
        hits: &[Hit],
        signature: Signature,
    ) -> Decision {
        let schema = self.kb.schema();
        let class = schema.class(class_uid).or_else(|| schema.class(0));
        let (class_name, category_uid) =
            class.map(|c| (c.caption.clone(), c.category_uid)).unwrap_or(("Base Event".into(), 0));
        let (activity_id, activity_rule_doc) = match (activity, class) {
            (Some(a), _) => (a, None),
            (None, Some(c)) => {
                // A record that names its event takes the activity of documents about that
                // event only: another event of the same log says nothing about this one's verb.
                let names_event = shape.names_event();
                let about_this_event = |d: &Doc| match (&shape.event_term, names_event) {
                    (_, false) => true,
                    (Some(t), true) => d.terms.iter().any(|x| x == t),
                    (None, true) => false,
                };
                let mut neighbours: Vec<(Option<i64>, f32, bool)> = hits
                    .iter()
                    .filter_map(|h| {
                        let d = &self.kb.docs()[h.doc];
                        (d.class_uid == class_uid
                            && d.kind != DocKind::Class
                            && about_this_event(d))
                        .then(|| (d.activity_id, doc_weight(d, shape) * h.score, shape.same_log(d)))
                    })
                    .collect();
                let trust = neighbour_trust(&neighbours);
                neighbours.sort_by(|a, b| b.1.total_cmp(&a.1));
                neighbours.truncate(5);
                let neighbours: Vec<(Option<i64>, f32)> =
                    neighbours.into_iter().map(|(a, w, _)| (a, w)).collect();
                // The best pack line of the decided class about this event: when it carries
                // a rule, the rule picks the activity record by record (`with_rule`).
                let weight = |h: &Hit| doc_weight(&self.kb.docs()[h.doc], shape) * h.score;
                let rule_doc = hits
                    .iter()
                    .filter(|h| {
                        let d = &self.kb.docs()[h.doc];
                        d.class_uid == class_uid && d.kind == DocKind::Pack && about_this_event(d)
                    })
                    .max_by(|a, b| weight(a).total_cmp(&weight(b)))
                    .map(|h| h.doc)
                    .filter(|&i| self.kb.docs()[i].activity_rule.is_some());
                let chosen = activity::choose(
                    c,
                    f,
                    &neighbours,
                    trust,
                    self.activity_prior.get(&class_uid),
                    names_event,
                );
                (chosen, rule_doc)
            }
            (None, None) => (0, None),
        };
        let mut d = Decision {
            class_uid,
            class_name,
            category_uid,
            activity_id: 0,
            activity_name: String::new(),
            type_uid: 0,
            confidence,
            needs_review: confidence < self.cfg.review_threshold,
            candidates,
            evidence,
            decided_by,
            format,
            signature,
            cached: false,
            activity_rule_doc,
        };
        d.set_activity(class, activity_id);
        d
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
        let d = c.classify(
            r#"{"eventName":"ConsoleLogin","userName":"bob","sourceIPAddress":"203.0.113.4"}"#,
        );
        assert_eq!((d.class_uid, d.activity_id, d.type_uid), (3002, 1, 300201));
        assert_eq!(d.class_name, "Authentication");
        assert_eq!(d.category_uid, 3);
        assert_eq!(d.decided_by, DecidedBy::Search);
        assert!(d.candidates.len() > 1 && d.candidates[0].class_uid == 3002);
        assert!(!d.evidence.is_empty());
        let d = c.classify(r#"{"action":"deny","src_ip":"192.0.2.7","dst_ip":"198.51.100.3","dst_port":443,"protocol":"tcp"}"#);
        assert_eq!((d.class_uid, d.activity_id), (4001, 5));
    }

    /// Other logs' documents vote for the activity at FOREIGN_TRUST, the record's own log's fully,
    /// in proportion to their weights; with no neighbour nothing is scaled.
    #[test]
    fn neighbour_trust_is_the_own_logs_share_of_the_vote() {
        let own = |w: f32| (Some(1), w, true);
        let other = |w: f32| (Some(2), w, false);
        assert_eq!(neighbour_trust(&[own(3.0), own(1.0)]), 1.0);
        assert_eq!(neighbour_trust(&[other(3.0), other(1.0)]), FOREIGN_TRUST);
        let half = FOREIGN_TRUST + (1.0 - FOREIGN_TRUST) * 0.5;
        assert!((neighbour_trust(&[own(2.0), other(2.0)]) - half).abs() < 1e-6);
        assert_eq!(neighbour_trust(&[]), 1.0);
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

    /// A CloudTrail-style record whose event the pack names (ConsoleLogin → Authentication)
    /// while the only labelled record with the same envelope is another event (an API call):
    /// the entry naming the event decides, not the shared envelope.
    #[test]
    fn the_document_naming_the_event_beats_a_same_envelope_record_of_another_event() {
        use crate::kb::sources::{Identify, PackEntry};
        let envelope = |name: &str, user: &str| {
            format!(
                r#"{{"eventVersion":"1.09","userIdentity":{{"type":"AssumedRole","principalId":"AROAEXAMPLE:{user}","arn":"arn:aws:sts::111122223333:assumed-role/Admin/{user}","sessionContext":{{"sessionIssuer":{{"type":"Role","userName":"Admin"}},"attributes":{{"mfaAuthenticated":"false"}}}}}},"eventTime":"2024-03-04T10:00:00Z","eventSource":"example.amazonaws.com","eventName":"{name}","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.15.0","requestParameters":{{"target":"t-1"}},"responseElements":null,"requestID":"r-1","eventID":"e-1","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333"}}"#
            )
        };
        let examples = vec![labeled(&envelope("DeleteWidget", "alice"), 6003, 4, "cloud")];
        let pack = vec![PackEntry {
            product: "AWS CloudTrail".into(),
            vendor: "Amazon".into(),
            log_type: "Management events".into(),
            event: "ConsoleLogin".into(),
            title: "Console sign-in".into(),
            identify: Identify {
                fields: vec!["eventName".into(), "additionalEventData.MFAUsed".into()],
                values: vec!["ConsoleLogin".into()],
                patterns: vec![],
            },
            class_uid: 3002,
            activity_id: Some(1),
            notes: String::new(),
            activity_rule: None,
            platform: None,
        }];
        let body = crate::kb::build(
            crate::testutil::mini_schema(),
            crate::kb::BuildOptions { examples, pack, ..Default::default() },
        )
        .unwrap();
        let kb = Arc::new(KnowledgeBase::from_body(KbHeader::describe(&body, String::new()), body));
        let c = Classifier::new(kb, None, Config { mode: Mode::Lexical, ..Config::default() });
        let d = c.classify(&envelope("ConsoleLogin", "bob"));
        assert_eq!((d.class_uid, d.activity_id), (3002, 1), "{:?}", d.candidates);
        let d = c.classify(&envelope("DeleteWidget", "carol"));
        assert_eq!(d.class_uid, 6003);
    }

    /// An audit log whose pack has a whole-log entry (API Activity) and an entry naming one
    /// event (`user.login`, Authentication). Corrections of other events of the log, all to
    /// the whole-log class, say the analysts map this log as a whole: the named event follows
    /// them. Corrections to another class, or of another log, leave the pack's answer.
    #[test]
    fn corrections_to_the_whole_log_class_carry_the_log() {
        use crate::kb::sources::{Identify, PackEntry};
        let record = |action: &str, actor: &str| {
            format!(
                r#"{{"action":"{action}","actor":"{actor}","org":"acme","created_at":1700000000000,"actor_location":{{"country_code":"NL"}},"operation_type":"modify"}}"#
            )
        };
        let fields: Vec<String> = [
            "action",
            "actor",
            "org",
            "created_at",
            "actor_location.country_code",
            "operation_type",
        ]
        .map(String::from)
        .to_vec();
        let entry = |event: &str, class_uid: u32, activity: i64| PackEntry {
            product: "Acme Cloud".into(),
            vendor: "Acme".into(),
            log_type: "Audit log".into(),
            event: event.into(),
            title: format!("Acme audit {event}"),
            identify: Identify {
                fields: fields.clone(),
                values: if event == "*" { vec![] } else { vec![event.into()] },
                patterns: vec![],
            },
            class_uid,
            activity_id: Some(activity),
            notes: String::new(),
            activity_rule: None,
            platform: None,
        };
        let classify = |overrides: Vec<crate::kb::sources::Labeled>| {
            let pack = vec![entry("*", 6003, 99), entry("user.login", 3002, 1)];
            let body = crate::kb::build(
                crate::testutil::mini_schema(),
                crate::kb::BuildOptions {
                    examples: crate::testutil::examples(),
                    pack,
                    overrides,
                    ..Default::default()
                },
            )
            .unwrap();
            let kb =
                Arc::new(KnowledgeBase::from_body(KbHeader::describe(&body, String::new()), body));
            Classifier::new(kb, None, Config { mode: Mode::Lexical, ..Config::default() })
                .classify(&record("user.login", "zoe"))
                .class_uid
        };
        assert_eq!(classify(Vec::new()), 3002, "the pack's entry for the event");
        let to_log_class = vec![
            labeled(&record("repo.create", "ann"), 6003, 1, "analyst"),
            labeled(&record("team.add", "bo"), 6003, 3, "analyst"),
        ];
        assert_eq!(classify(to_log_class.clone()), 6003, "corrections follow the whole-log entry");
        let mut mixed = to_log_class;
        mixed.push(labeled(&record("user.logout", "cy"), 3002, 2, "analyst"));
        assert_eq!(classify(mixed), 3002, "corrections of the log disagree: no convention");
        let other_log = vec![labeled(
            r#"{"eventName":"DeleteBucket","bucketName":"b","sourceIPAddress":"192.0.2.8"}"#,
            6003,
            4,
            "analyst",
        )];
        assert_eq!(
            classify(other_log),
            3002,
            "a correction of another log says nothing of this one"
        );
    }

    #[test]
    fn an_override_wins_for_its_shape_only() {
        let raw =
            r#"{"eventName":"ConsoleLogin","userName":"alice","sourceIPAddress":"192.0.2.1"}"#;
        let c = classifier(vec![labeled(raw, 6003, 99, "analyst")], 16);
        let d = c.classify(
            r#"{"eventName":"ConsoleLogin","userName":"zed","sourceIPAddress":"198.51.100.1"}"#,
        );
        assert_eq!((d.class_uid, d.activity_id, d.decided_by), (6003, 99, DecidedBy::Override));
        assert_eq!(d.confidence, 1.0);
        let d = c.classify(r#"{"eventName":"DeleteBucket","bucketName":"b"}"#);
        assert_eq!(d.decided_by, DecidedBy::Search);
    }
}
