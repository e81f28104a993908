//! Shared by the event tests, the `event_report` example and the event benchmark: the OCSF
//! schema, the dev set, a lexical classifier built from `knowledge/`, labelled decisions,
//! and field-level scoring against hand-checked expected events.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ocsfmap::classify::{Classifier, Config, Decision};
use ocsfmap::event::OcsfEvent;
use ocsfmap::kb::{self, KnowledgeBase};
use ocsfmap::schema::Schema;
use ocsfmap::search::Mode;
use serde::Deserialize;
use serde_json::Value;

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn schema_path() -> PathBuf {
    std::env::var_os("OCSF_SCHEMA").map(PathBuf::from).unwrap_or_else(|| {
        manifest_dir().join("../../shared/data/ocsf-schema/ocsf-schema-1.8.0.json")
    })
}

pub fn dev_dir() -> PathBuf {
    std::env::var_os("OCSFMAP_DEV_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("../../shared/data/dev"))
}

pub fn fixtures_path() -> PathBuf {
    manifest_dir().join("tests/fixtures/events/expected.jsonl")
}

/// The OCSF schema. A missing one fails the test and says how to get it: no test skips.
pub fn load_schema() -> Schema {
    let p = require(&schema_path(), "the OCSF schema export (OCSF_SCHEMA)");
    Schema::load(&p).expect("schema loads")
}

/// `path`, or a failure naming `what` and how to get it.
pub fn require(path: &Path, what: &str) -> PathBuf {
    assert!(
        path.exists(),
        "missing test asset: {what} at {}; run the tests with scripts/test (it fetches the \
         schema and the model), or eval \"$(scripts/fetch-assets)\" first; the dev data sets \
         are the shared data folder beside the repository (../shared/data)",
        path.display()
    );
    path.to_path_buf()
}

#[derive(Debug, Clone, Deserialize)]
pub struct DevRecord {
    pub id: String,
    pub source: String,
    pub raw: String,
    pub class_uid: u32,
    #[serde(default)]
    pub activity_id: Option<i64>,
}

pub fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> Vec<T> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1))
        })
        .collect()
}

/// Dev corpus plus negatives.
pub fn dev_records() -> Vec<DevRecord> {
    let dir = dev_dir();
    let corpus = require(&dir.join("corpus.jsonl"), "the dev set (OCSFMAP_DEV_DIR)");
    let mut out: Vec<DevRecord> = read_jsonl(&corpus);
    let neg = dir.join("negatives.jsonl");
    if neg.exists() {
        out.extend(read_jsonl::<DevRecord>(&neg));
    }
    out
}

pub fn knowledge() -> kb::sources::Inputs {
    kb::sources::read_paths(&[manifest_dir().join("../knowledge")]).expect("knowledge/ reads")
}

/// A mapper that names products from the knowledge pack.
pub fn mapper(schema: &Schema) -> ocsfmap::event::Mapper {
    ocsfmap::event::Mapper::new(schema)
        .with_products(ocsfmap::event::Products::from_pack(&knowledge().pack))
}

/// A lexical knowledge base from `knowledge/` (about a second to build).
pub fn lexical_classifier(schema: &Schema) -> Classifier {
    lexical_classifier_with(schema, Vec::new())
}

/// [`lexical_classifier`] with analysts' corrections in the KB.
pub fn lexical_classifier_with(
    schema: &Schema,
    overrides: Vec<ocsfmap::kb::sources::Labeled>,
) -> Classifier {
    lexical_classifier_from(schema, Vec::new(), overrides)
}

/// [`lexical_classifier`] with more labelled examples and analysts' corrections in the KB.
pub fn lexical_classifier_from(
    schema: &Schema,
    examples: Vec<ocsfmap::kb::sources::Labeled>,
    overrides: Vec<ocsfmap::kb::sources::Labeled>,
) -> Classifier {
    let mut inputs = knowledge();
    inputs.examples.extend(examples);
    let body = kb::build(schema.clone(), kb::BuildOptions { overrides, ..inputs.into() })
        .expect("kb builds");
    let (bytes, _) = kb::artifact::to_bytes(&body).expect("kb serialises");
    let kb: KnowledgeBase = kb::artifact::from_bytes(&bytes, "memory").expect("kb loads");
    lexical(kb)
}

/// A lexical classifier over `kb` (a fold, a KB built another way).
pub fn lexical(kb: KnowledgeBase) -> Classifier {
    Classifier::new(Arc::new(kb), None, Config { mode: Mode::Lexical, ..Config::default() })
}

/// The classifier's decision (evidence, signature) with class and activity set to the label,
/// so mapping is measured on the right class.
/// `raw` parsed, and the classifier's decision for it with the labelled class and activity
/// ([`labelled_decision`]): what every event test, the report and the bench start from.
pub fn labelled_record(
    schema: &Schema,
    clf: &Classifier,
    raw: &str,
    class_uid: u32,
    activity_id: Option<i64>,
) -> (ocsfmap::parse::Record, Decision) {
    let record = ocsfmap::parse::parse(raw);
    let d = labelled_decision(schema, clf.classify_record(&record), class_uid, activity_id);
    (record, d)
}

pub fn labelled_decision(
    schema: &Schema,
    mut d: Decision,
    class_uid: u32,
    activity_id: Option<i64>,
) -> Decision {
    if let Some(c) = schema.class(class_uid) {
        let activity = activity_id.and_then(|a| c.activity(a)).or_else(|| c.activity(0));
        d.class_uid = c.uid;
        d.class_name = c.caption.clone();
        d.category_uid = c.category_uid;
        d.activity_id = activity.map(|a| a.id).unwrap_or(0);
        d.activity_name = activity.map(|a| a.caption.clone()).unwrap_or_default();
        d.type_uid = i64::from(c.uid) * 100 + d.activity_id;
    }
    d
}

/// A hand-checked expected event: the attributes a correct mapping fills, as a nested
/// OCSF object (only mapped attributes; base attributes and `unmapped` are left out).
#[derive(Debug, Clone, Deserialize)]
pub struct Fixture {
    pub id: String,
    pub source: String,
    pub raw: String,
    pub class_uid: u32,
    #[serde(default)]
    pub activity_id: Option<i64>,
    pub expected: Value,
    #[serde(default)]
    pub note: String,
}

pub fn fixtures() -> Vec<Fixture> {
    read_jsonl(&fixtures_path())
}

/// Held-out expected events, written from the raw records without the mapper's output.
pub fn heldout_path() -> PathBuf {
    manifest_dir().join("tests/fixtures/events/heldout.jsonl")
}

pub fn heldout() -> Vec<Fixture> {
    read_jsonl(&heldout_path())
}

/// Leaf (path, value) pairs of a JSON object; array indices are dropped from paths.
pub fn leaves(v: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    fn walk(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    let p = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                    walk(&p, x, out);
                }
            }
            Value::Array(a) => {
                for x in a {
                    walk(prefix, x, out);
                }
            }
            _ => out.push((prefix.to_string(), v.clone())),
        }
    }
    walk("", v, &mut out);
    out
}

/// The (attribute, value) pairs an event's mapping produced: its leaves whose path is one of
/// the mapped attributes.
pub fn produced_pairs(ev: &OcsfEvent) -> Vec<(String, Value)> {
    let mapped: std::collections::BTreeSet<&str> =
        ev.mapped.iter().map(|m| &*m.attribute).collect();
    leaves(&ev.event.to_value()).into_iter().filter(|(p, _)| mapped.contains(p.as_str())).collect()
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub tp: usize,
    pub produced: usize,
    pub expected: usize,
}

impl Counts {
    pub fn add(&mut self, o: Counts) {
        self.tp += o.tp;
        self.produced += o.produced;
        self.expected += o.expected;
    }
    pub fn precision(&self) -> f64 {
        if self.produced == 0 {
            1.0
        } else {
            self.tp as f64 / self.produced as f64
        }
    }
    pub fn recall(&self) -> f64 {
        if self.expected == 0 {
            1.0
        } else {
            self.tp as f64 / self.expected as f64
        }
    }
}

/// Multiset match of produced vs expected pairs.
pub fn score(
    produced: &[(String, Value)],
    expected: &[(String, Value)],
) -> (Counts, Vec<String>, Vec<String>) {
    let mut left: Vec<Option<&(String, Value)>> = expected.iter().map(Some).collect();
    let mut tp = 0;
    let mut extra = Vec::new();
    for p in produced {
        match left.iter_mut().find(|e| e.is_some_and(|e| e == p)) {
            Some(slot) => {
                *slot = None;
                tp += 1;
            }
            None => extra.push(format!("{} = {}", p.0, p.1)),
        }
    }
    let missing = left.into_iter().flatten().map(|e| format!("{} = {}", e.0, e.1)).collect();
    (Counts { tp, produced: produced.len(), expected: expected.len() }, extra, missing)
}

/// Per-source tallies for reports.
pub type BySource = BTreeMap<String, Counts>;

/// Whether raw text visibly carries a timestamp, judged independently of the engine's
/// parser: an ISO-like date (`2024-06-01`, `2024/06/01`), a syslog date (`Jun  1 10:00:00`),
/// an Apache date (`01/Jun/2024`), a ctime date, an auditd serial, or a 10+ digit epoch
/// under a time-like JSON key.
pub fn carries_timestamp(raw: &str) -> bool {
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let b = raw.as_bytes();
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    for i in 0..b.len() {
        let w = |n: usize| b.get(i..i + n).unwrap_or(&[]);
        // yyyy-mm-dd / yyyy/mm/dd
        let x = w(10);
        if x.len() == 10
            && digits(&x[..4])
            && matches!(x[4], b'-' | b'/')
            && digits(&x[5..7])
            && x[7] == x[4]
            && digits(&x[8..10])
        {
            return true;
        }
        // Mon dd hh:mm:ss (day may be space padded) and dd/Mon/yyyy
        let m = w(3);
        if MONTHS.iter().any(|mo| mo.as_bytes() == m) {
            let rest = &b[i + 3..];
            let t = rest.iter().skip_while(|c| **c == b' ').copied().collect::<Vec<u8>>();
            let day_len = t.iter().take_while(|c| c.is_ascii_digit()).count();
            if (1..=2).contains(&day_len) && t.get(day_len) == Some(&b' ') {
                let clock = t.get(day_len + 1..day_len + 9).unwrap_or(&[]);
                if clock.len() == 8 && clock[2] == b':' && clock[5] == b':' {
                    return true;
                }
            }
            if i >= 3
                && b[i - 1] == b'/'
                && digits(&b[i - 3..i - 1])
                && rest.first() == Some(&b'/')
                && digits(rest.get(1..5).unwrap_or(&[]))
            {
                return true;
            }
        }
    }
    if let Some(p) = raw.find("audit(") {
        if raw[p + 6..].bytes().take_while(u8::is_ascii_digit).count() >= 10 {
            return true;
        }
    }
    for key in ["\"ts\":", "time\":", "_at\":", "Timestamp\":", "timestamp\":", "\"date\":"] {
        let mut from = 0;
        while let Some(p) = raw[from..].find(key) {
            let after = raw[from + p + key.len()..].trim_start().trim_start_matches('"');
            if after.bytes().take_while(u8::is_ascii_digit).count() >= 10 {
                return true;
            }
            from += p + key.len();
        }
    }
    false
}

/// Each record's event as `classify` builds it (raw record included), from the lexical
/// classifier's decision given the record's labelled class and activity, with record `n`
/// received at a fixed time plus `n` ms; rewritten to `output` when given (with what the
/// rewrite did).
pub fn labelled_events(
    records: &[DevRecord],
    output: Option<&ocsfmap::version::OutputVersion>,
) -> Vec<(OcsfEvent, Option<ocsfmap::version::Conversion>)> {
    let schema = load_schema();
    let clf = lexical_classifier(&schema);
    let mapper = mapper(&schema);
    records
        .iter()
        .enumerate()
        .map(|(n, r)| {
            let (record, d) = labelled_record(&schema, &clf, &r.raw, r.class_uid, r.activity_id);
            let ctx = ocsfmap::event::EventContext {
                event_id: Some(uuid::Uuid::now_v7()),
                received_at_ms: 1_735_689_600_000 + n as i64,
                source: None,
            };
            let mut ev = mapper.build_raw(&r.raw, &record, &d, &ctx);
            let c = output.map(|o| o.convert(&mut ev.event, &ev.mapped, ctx.received_at_ms));
            (ev, c)
        })
        .collect()
}
